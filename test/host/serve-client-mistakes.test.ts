/**
 * @module test/host/serve-client-mistakes.test
 * Issue 18, "client mistakes are 4xx, never 5xx", against a real `swirl serve` process: each
 * mistake is a 400 with its error code, and no answer — nor the failure details of an instance
 * whose activity threw — shows a stack frame or an install path.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startServe, type Server } from './serve-child.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const started: ChildProcess[] = [];
const dir = mkdtempSync(join(tmpdir(), 'swirl-serve-mistakes-'));
let s: Server;
before(async () => {
  mkdirSync(join(dir, 'workflows'));
  writeFileSync(join(dir, 'workflows', 'hello.yaml'), "id: hello\nspecVersion: '0.8'\nstates:\n  - name: Greet\n    type: inject\n    data: { greeting: hello }\n    end: true\n");
  // An activity that throws inside the server: invoke with no components configured.
  writeFileSync(
    join(dir, 'workflows', 'boom.yaml'),
    "id: boom\nspecVersion: '0.8'\nfunctions:\n  - { name: inv, type: custom, operation: 'invoke:nowhere/method' }\nstates:\n  - name: Call\n    type: operation\n    actions: [{ functionRef: { refName: inv } }]\n    end: true\n",
  );
  // Started by a CloudEvent: a deep event would otherwise start it.
  writeFileSync(
    join(dir, 'workflows', 'pinged.yaml'),
    "id: pinged\nspecVersion: '0.8'\nevents:\n  - { name: Ping, type: ping, source: /pinger }\nstart: Got\nstates:\n  - name: Got\n    type: event\n    onEvents: [{ eventRefs: [Ping] }]\n    end: true\n",
  );
  s = await startServe(dir, started);
});
after(() => {
  for (const p of started) p.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

/** One raw request (node:http, so the path and Host header go out exactly as written). */
function raw(method: string, path: string, options: { body?: string; headers?: Record<string, string> } = {}): Promise<{ status: number; text: string }> {
  const { port } = new URL(s.base);
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers: { ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}), ...options.headers } }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/** The answer is a 400 with `code`, and shows neither a stack frame nor a path of this install. */
function assertClientError(got: { status: number; text: string }, code: string, what: string): void {
  assert.equal(got.status, 400, `${what}: ${got.text.slice(0, 300)}`);
  const body = JSON.parse(got.text) as { errorCode: string; message: string };
  assert.equal(body.errorCode, code, `${what}: ${body.message}`);
  assertNoInternals(got.text, what);
}

function assertNoInternals(text: string, what: string): void {
  assert.ok(!text.includes(root) && !text.includes('/work/') && !text.includes(dir), `${what}: an install or store path in ${text.slice(0, 400)}`);
  assert.doesNotMatch(text, /\bat [^\s]+ \(|\n\s+at |dist\//, `${what}: a stack frame`);
}

const deep = (n: number, leaf = '1') => '{"a":'.repeat(n) + leaf + '}'.repeat(n);

test('a malformed pageToken is 400 ERR_INVALID_PAGE_TOKEN', async () => {
  assertClientError(await raw('GET', '/api/v1/instances?pageToken=garbage!!'), 'ERR_INVALID_PAGE_TOKEN', 'pageToken');
});

test("a path starting with '//' is 400 ERR_MALFORMED_REQUEST (not a URL naming another host)", async () => {
  assertClientError(await raw('GET', '//'), 'ERR_MALFORMED_REQUEST', '//');
  const got = await raw('GET', '//api/v1/instances');
  assertClientError(got, 'ERR_MALFORMED_REQUEST', '//api/v1/instances');
  assert.match(got.text, /starts with '\/\/'/);
});

test('a bad Host header is 400 ERR_BAD_HOST', async () => {
  for (const host of ['bad host[', 'a:99999', 'x/y']) assertClientError(await raw('GET', '/healthz', { headers: { host } }), 'ERR_BAD_HOST', `Host: ${host}`);
  // A good one still works.
  assert.equal((await raw('GET', '/healthz', { headers: { host: 'swirl.example:8080' } })).status, 200);
});

test('a deep purge body, an unknown purge key and an empty purge filter are 400s; nothing is purged', async () => {
  assertClientError(await raw('POST', '/api/v1/instances/purge', { body: '{"status":' + '['.repeat(5000) + '"COMPLETED"' + ']'.repeat(5000) + '}' }), 'ERR_JSON_TOO_DEEP', 'deep purge body');
  assertClientError(await raw('POST', '/api/v1/instances/purge', { body: '{"status":[["COMPLETED"]]}' }), 'ERR_BAD_REQUEST', 'nested status');
  assertClientError(await raw('POST', '/api/v1/instances/purge', { body: '{"worklfow":"hello"}' }), 'ERR_BAD_REQUEST', 'purge key typo');
  assertClientError(await raw('POST', '/api/v1/instances/purge', { body: '' }), 'ERR_PURGE_FILTER_EMPTY', 'empty purge body');
});

test('a 300-character workflow id or instance id is a 400, never a 500 with the store path', async () => {
  const long = 'a'.repeat(300);
  const registered = await raw('POST', '/api/v1/workflows', { body: `id: ${long}\nspecVersion: '0.8'\nstates:\n  - name: A\n    type: inject\n    data: {}\n    end: true\n`, headers: { 'content-type': 'application/yaml' } });
  assertClientError(registered, 'ERR_DEFINITION_INVALID', 'register a 300-character id');
  assert.match(registered.text, /the workflow id is 300 characters long; at most 256 are allowed/);
  // Not stored either: the workflow list does not have it.
  const listed = JSON.parse((await raw('GET', '/api/v1/workflows')).text) as { workflows: Array<{ id: string }> };
  assert.ok(!listed.workflows.some((w) => w.id === long));
  assertClientError(await raw('POST', `/v1.0/workflows/dapr/${long}/start`), 'ERR_MALFORMED_REQUEST', 'start a 300-character workflow name');
  assertClientError(await raw('POST', `/v1.0/workflows/dapr/hello/start?instanceID=${long}`), 'ERR_INSTANCE_ID_TOO_LONG', 'start with a 300-character instance id');
  assertClientError(await raw('GET', `/api/v1/instances/${long}`), 'ERR_INSTANCE_ID_INVALID', 'get a 300-character instance id');
});

test('a start input nested thousands deep is 400 ERR_JSON_TOO_DEEP and starts nothing; 512 deep is accepted', async () => {
  for (const n of [600, 3000, 20000]) {
    const got = await raw('POST', `/v1.0/workflows/dapr/hello/start?instanceID=deep-${n}`, { body: deep(n) });
    assertClientError(got, 'ERR_JSON_TOO_DEEP', `input ${n} deep`);
    assert.match(got.text, /nests arrays\/objects more than 512 deep/);
    assert.equal((await raw('GET', `/api/v1/instances/deep-${n}`)).status, 404, 'nothing was started');
  }
  // Raised events are held to the same limit.
  assertClientError(await raw('POST', '/v1.0/workflows/dapr/nobody/raiseEvent/go', { body: deep(1000) }), 'ERR_JSON_TOO_DEEP', 'raiseEvent data 1000 deep');
  const ok = await raw('POST', '/v1.0/workflows/dapr/hello/start?instanceID=deep-ok', { body: deep(511) });
  assert.equal(ok.status, 202, ok.text);
});

test('a CloudEvent whose data nests thousands deep is 400 ERR_JSON_TOO_DEEP in every mode and starts nothing; 511 deep is accepted', async () => {
  const ce = (id: string, data: string) => `{"specversion":"1.0","id":"${id}","source":"/pinger","type":"ping","datacontenttype":"application/json","data":${data}}`;
  const before = JSON.parse((await raw('GET', '/api/v1/instances?workflow=pinged')).text) as { instances: unknown[] };
  const structured = await raw('POST', '/api/v1/events', { body: ce('deep-1', deep(3000)), headers: { 'content-type': 'application/cloudevents+json' } });
  assertClientError(structured, 'ERR_JSON_TOO_DEEP', 'structured CloudEvent 3000 deep');
  assert.match(structured.text, /the CloudEvent nests arrays\/objects more than 512 deep/);
  assertClientError(await raw('POST', '/api/v1/events', { body: `[${ce('deep-2', '{}')},${ce('deep-3', deep(20000))}]`, headers: { 'content-type': 'application/cloudevents-batch+json' } }), 'ERR_JSON_TOO_DEEP', 'batch with one event 20000 deep');
  assertClientError(
    await raw('POST', '/api/v1/events', { body: deep(1000), headers: { 'content-type': 'application/json', 'ce-specversion': '1.0', 'ce-id': 'deep-4', 'ce-source': '/pinger', 'ce-type': 'ping' } }),
    'ERR_JSON_TOO_DEEP',
    'binary CloudEvent data 1000 deep',
  );
  const after = JSON.parse((await raw('GET', '/api/v1/instances?workflow=pinged')).text) as { instances: unknown[] };
  assert.equal(after.instances.length, before.instances.length, 'no deep event started an instance');
  // 511 levels of data inside the event (512 with the event object itself) are accepted.
  const ok = await raw('POST', '/api/v1/events', { body: ce('deep-ok', deep(511)), headers: { 'content-type': 'application/cloudevents+json' } });
  assert.equal(ok.status, 202, ok.text);
});

test('a YAML alias bomb, a document nested too deep or too long is 400 ERR_DOCUMENT_LIMIT on validate and on register; a body over 16 MiB is 413', async () => {
  const bomb = ['id: bomb', "specVersion: '0.8'", 'a0: &a0 ["lol"]', ...Array.from({ length: 8 }, (_, i) => `a${i + 1}: &a${i + 1} [${Array.from({ length: 10 }, () => `*a${i}`).join(', ')}]`), 'states: []'].join('\n');
  const yaml = { 'content-type': 'application/yaml' };
  for (const path of ['/api/v1/workflows/validate', '/api/v1/workflows']) {
    const got = await raw('POST', path, { body: bomb, headers: yaml });
    assertClientError(got, 'ERR_DOCUMENT_LIMIT', `alias bomb on ${path}`);
    const body = JSON.parse(got.text) as { message: string; valid: boolean; diagnostics: { code: string; line: number; column: number }[] };
    assert.match(body.message, /expands to more than 1,000,000 values/);
    assert.equal(body.valid, false);
    assert.deepEqual(body.diagnostics.map((d) => d.code), ['DOCUMENT_LIMIT']);
    const deepDoc = await raw('POST', path, { body: `{"id": "deep", "data": ${'['.repeat(5000)}1${']'.repeat(5000)}}`, headers: { 'content-type': 'application/json' } });
    assertClientError(deepDoc, 'ERR_DOCUMENT_LIMIT', `deep document on ${path}`);
    assert.match(deepDoc.text, /nests arrays\/objects more than 200 deep/);
    assertClientError(await raw('POST', path, { body: `id: big\nnote: "${'x'.repeat(5 * 1024 * 1024)}"\n`, headers: yaml }), 'ERR_DOCUMENT_LIMIT', `5 MiB document on ${path}`);
  }
  const listed = JSON.parse((await raw('GET', '/api/v1/workflows')).text) as { workflows: Array<{ id: string }> };
  assert.ok(!listed.workflows.some((w) => ['bomb', 'deep', 'big'].includes(w.id)), 'nothing registered');
  // An ordinary invalid definition is still judged by validate: 200 with its diagnostics.
  const judged = await raw('POST', '/api/v1/workflows/validate', { body: "id: x\nspecVersion: '0.8'\nstates: []\n", headers: yaml });
  assert.equal(judged.status, 200, judged.text);
  assert.equal((JSON.parse(judged.text) as { valid: boolean }).valid, false);
  const huge = await raw('POST', '/api/v1/workflows/validate', { body: 'x'.repeat(17 * 1024 * 1024), headers: yaml });
  assert.equal(huge.status, 413, huge.text.slice(0, 200));
  assert.equal((JSON.parse(huge.text) as { errorCode: string }).errorCode, 'ERR_REQUEST_TOO_LARGE');
});

test('the failure of an activity that threw inside the server shows the workflow error, no stack frames or install paths', async () => {
  assert.equal((await raw('POST', '/v1.0/workflows/dapr/boom/start?instanceID=boom-1')).status, 202);
  let detail: { runtimeStatus?: string; failure?: { errorType: string; code?: string; message: string; stackTrace?: string } } = {};
  for (let n = 0; n < 200 && detail.runtimeStatus !== 'FAILED'; n++) {
    await new Promise((r) => setTimeout(r, 50));
    detail = JSON.parse((await raw('GET', '/api/v1/instances/boom-1')).text) as typeof detail;
  }
  assert.equal(detail.runtimeStatus, 'FAILED');
  assert.equal(detail.failure?.errorType, 'WorkflowError');
  assert.equal(detail.failure?.code, 'COMPONENTS_NOT_CONFIGURED');
  assert.match(detail.failure?.message ?? '', /^state 'Call': action 'inv': function 'inv' \(invoke:nowhere\/method\) needs components/);
  assert.equal(detail.failure?.stackTrace, undefined);
  for (const path of ['/api/v1/instances/boom-1', '/api/v1/instances/boom-1/history', '/v1.0/workflows/dapr/boom-1']) {
    const got = await raw('GET', path);
    assert.equal(got.status, 200, path);
    assertNoInternals(got.text, path);
  }
});
