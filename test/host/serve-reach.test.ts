/**
 * Issue 18, against a real `swirl serve` process: reserved workflow ids (`swirl.*`) are refused
 * with 400 and never saved, and a bad definition on disk never stops the server from starting;
 * definitions registered over HTTP reach only the files under `--definition-root` and the URLs
 * with an `--allow-url-prefix` (a refused URL gets no request), and `$SECRETS` reads only the
 * environment variables the operator allows (specs/security.md); without those flags nothing at all.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServe, type Server } from './serve-child.js';

/** Every server process started, so a failing assertion never leaves one running. */
const started: ChildProcess[] = [];
const dirs: string[] = [];

function tempDir(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(d);
  mkdirSync(join(d, 'workflows'), { recursive: true });
  return d;
}

after(() => {
  for (const p of started) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const workflow = (id: string, head: string[] = [], data = '{ done: true }') =>
  [`id: ${id}`, "specVersion: '0.8'", ...head, 'states:', '  - name: S', '    type: inject', `    data: ${data}`, '    end: true', ''].join('\n');

const register = (base: string, text: string) => fetch(`${base}/api/v1/workflows`, { method: 'POST', body: text });

interface Diagnostic {
  code: string;
  pointer: string;
  message: string;
  severity: string;
}
interface RefusedBody {
  errorCode: string;
  diagnostics: Diagnostic[];
}

async function errorsOf(res: Response): Promise<{ status: number; body: RefusedBody; errors: Diagnostic[] }> {
  const body = (await res.json()) as RefusedBody;
  return { status: res.status, body, errors: body.diagnostics.filter((d) => d.severity === 'error') };
}

async function ids(base: string): Promise<string[]> {
  return ((await (await fetch(`${base}/api/v1/workflows`)).json()) as { workflows: { id: string }[] }).workflows.map((w) => w.id);
}

async function stop(s: Server): Promise<void> {
  s.proc.kill('SIGTERM');
  assert.equal(await s.exited, 0, s.stderr());
}

/** Starts an instance and waits for it to end; returns the Dapr status body. */
async function run(base: string, name: string, id: string, input: unknown = {}): Promise<{ runtimeStatus: string; properties: Record<string, string> }> {
  const res = await fetch(`${base}/v1.0/workflows/dapr/${name}/start?instanceID=${id}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(input) });
  assert.equal(res.status, 202, await res.text());
  const end = Date.now() + 10_000;
  for (;;) {
    const s = (await (await fetch(`${base}/v1.0/workflows/dapr/${id}`)).json()) as { runtimeStatus: string; properties: Record<string, string> };
    if (s.runtimeStatus === 'COMPLETED' || s.runtimeStatus === 'FAILED') return s;
    if (Date.now() > end) assert.fail(`${id} is still ${s.runtimeStatus}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('reserved ids', () => {
  test('swirl.* ids answer 400 RESERVED_ID and are never saved; bad definitions on disk are refused and logged, the rest served', async () => {
    const dir = tempDir('swirl-reserved-');
    writeFileSync(join(dir, 'workflows', 'hello.yaml'), workflow('hello'));
    writeFileSync(join(dir, 'workflows', 'mailbox.yaml'), workflow('swirl.mailbox'));
    // The legacy folder of API definitions, where the bug of issue 18 saved `swirl.mailbox`.
    mkdirSync(join(dir, 'swirl.db.workflows'));
    writeFileSync(join(dir, 'swirl.db.workflows', 'swirl.mailbox.yaml'), workflow('swirl.mailbox'));

    let s = await startServe(dir, started);
    // Each bad file is refused with its file and reason; the server starts and serves the rest.
    assert.match(s.stderr(), /mailbox\.yaml:1:5: error RESERVED_ID workflow id 'swirl\.mailbox' is reserved/);
    assert.match(s.stderr(), /refused .*workflows\/mailbox\.yaml: invalid definition/);
    assert.match(s.stderr(), /refused .*swirl\.db\.workflows\/swirl\.mailbox\.yaml: invalid definition/);
    assert.deepEqual(await ids(s.base), ['hello']);

    for (const id of ['swirl.mailbox', 'Swirl.Anything']) {
      const r = await errorsOf(await register(s.base, workflow(id)));
      assert.equal(r.status, 400);
      assert.equal(r.body.errorCode, 'ERR_DEFINITION_INVALID');
      assert.deepEqual(
        r.errors.map((d) => [d.code, d.pointer]),
        [['RESERVED_ID', '/id']],
      );
      assert.match(r.errors[0]!.message, new RegExp(`workflow id '${id.replace('.', '\\.')}' is reserved: ids starting with 'swirl\\.' name Swirl's built-in workflows`));
    }
    // `swirl.` elsewhere in an id is fine.
    assert.equal((await register(s.base, workflow('my.swirl.flow'))).status, 201);
    await stop(s);

    // Never saved: the next start registers only what is valid, and refuses nothing new.
    s = await startServe(dir, started);
    assert.deepEqual(await ids(s.base), ['hello', 'my.swirl.flow']);
    assert.doesNotMatch(s.stderr(), /Swirl\.Anything/);
    await stop(s);
  });
});

describe('what a definition registered over HTTP may reach', () => {
  let remote: HttpServer;
  /** Request paths the test's HTTP server got. */
  const requests: string[] = [];
  let origin: string;
  let s: Server;
  let dir: string;

  before(async () => {
    remote = createServer((req, res) => {
      requests.push(req.url ?? '');
      if (req.url === '/allowed/functions.json') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ functions: [{ name: 'double', type: 'expression', operation: '{ doubled: (.n * 2) }' }] }));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ functions: [], openapi: '3.0.0', paths: {} }));
    });
    await new Promise<void>((r) => remote.listen(0, '127.0.0.1', r));
    origin = `http://127.0.0.1:${(remote.address() as AddressInfo).port}`;
    dir = tempDir('swirl-reach-');
    mkdirSync(join(dir, 'root'));
    writeFileSync(join(dir, 'root', 'constants.json'), JSON.stringify({ greeting: 'hi' }));
    writeFileSync(join(dir, 'outside.json'), JSON.stringify({ greeting: 'outside' }));
    // A folder definition keeps reading the files beside it (the operator's own folder).
    writeFileSync(join(dir, 'workflows', 'consts.json'), JSON.stringify({ who: 'folder' }));
    writeFileSync(join(dir, 'workflows', 'folder.yaml'), workflow('folder', ['constants: consts.json'], "{ c: '${ $CONST }' }"));
    const env = { ...process.env, HOME: '/home/not-a-secret', SWIRL_SECRET_X: 'x-value', OTHER_TOKEN: 'listed' };
    // A components folder without a secret store: the implicit env store follows the same policy.
    mkdirSync(join(dir, 'components'));
    s = await startServe(dir, started, ['--components', join(dir, 'components'), '--definition-root', join(dir, 'root'), '--allow-url-prefix', `${origin}/allowed/`, '--secret-env', 'OTHER_TOKEN'], undefined, env);
  });
  after(async () => {
    await stop(s);
    await new Promise<void>((r) => remote.close(() => r()));
  });

  test('constants: /etc/passwd is refused with REFERENCE_NOT_ALLOWED at /constants; a file outside the root too', async () => {
    for (const [id, ref] of [
      ['passwd', '/etc/passwd'],
      ['passwd-uri', 'file:///etc/passwd'],
      ['outside', join(dir, 'outside.json')],
      ['dotdot', join(dir, 'root', '..', 'outside.json')],
    ] as const) {
      const r = await errorsOf(await register(s.base, workflow(id, [`constants: ${JSON.stringify(ref)}`])));
      assert.equal(r.status, 400, id);
      assert.deepEqual(r.errors.map((d) => [d.code, d.pointer]), [['REFERENCE_NOT_ALLOWED', '/constants']], id);
      assert.match(r.errors[0]!.message, /is not allowed: the file is outside the definition root of this server/);
      assert.doesNotMatch(JSON.stringify(r.body), /root:x:0/);
    }
    // Under the root: allowed, and the instance sees the constants.
    const inside = await register(s.base, workflow('inside', [`constants: ${JSON.stringify(join(dir, 'root', 'constants.json'))}`], "{ c: '${ $CONST }' }"));
    assert.equal(inside.status, 201, await inside.clone().text());
    assert.deepEqual(JSON.parse((await run(s.base, 'inside', 'inside-1')).properties['dapr.workflow.output']!), { c: { greeting: 'hi' } });
    // The folder's own definition still reads its relative file.
    assert.deepEqual(JSON.parse((await run(s.base, 'folder', 'folder-1')).properties['dapr.workflow.output']!), { c: { who: 'folder' } });
  });

  test('a URL without an allowed prefix is refused and the server makes no request; an allowed one works', async () => {
    requests.length = 0;
    const denied = [
      ['ext-functions', ['functions: ' + JSON.stringify(`${origin}/denied/functions.json`)], '/functions'],
      ['ext-constants', ['constants: ' + JSON.stringify(`${origin}/allowedX/c.json`)], '/constants'],
      ['openapi', ['functions:', '  - name: f', `    operation: ${JSON.stringify(`${origin}/denied/api.json#op`)}`], '/functions/0/operation'],
      ['schema', ['dataInputSchema: ' + JSON.stringify(`${origin}/denied/schema.json`)], '/dataInputSchema'],
    ] as const;
    for (const [id, head, pointer] of denied) {
      const r = await errorsOf(await register(s.base, workflow(id, [...head])));
      assert.equal(r.status, 400, id);
      assert.deepEqual(r.errors.map((d) => [d.code, d.pointer]), [['REFERENCE_NOT_ALLOWED', pointer]], id);
      assert.match(r.errors[0]!.message, new RegExp(`the URL does not start with an allowed prefix \\(${origin.replace(/[.]/g, '\\.')}/allowed/\\)`));
    }
    assert.deepEqual(requests, [], 'the server fetched a refused URL');

    const ok = await register(s.base, [`id: remote-fns`, "specVersion: '0.8'", `functions: ${JSON.stringify(`${origin}/allowed/functions.json`)}`, 'states:', '  - name: S', '    type: operation', '    actions: [{ functionRef: { refName: double } }]', '    end: true', ''].join('\n'));
    assert.equal(ok.status, 201, await ok.clone().text());
    assert.deepEqual(requests, ['/allowed/functions.json']);
    const done = await run(s.base, 'remote-fns', 'r1', { n: 21 });
    assert.equal(done.runtimeStatus, 'COMPLETED', JSON.stringify(done));
    assert.deepEqual(JSON.parse(done.properties['dapr.workflow.output']!), { n: 21, doubled: 42 });
  });

  test('$SECRETS reads SWIRL_SECRET_* and listed names from the environment, never others such as HOME', async () => {
    assert.equal((await register(s.base, workflow('secret-ok', ['secrets: [SWIRL_SECRET_X, OTHER_TOKEN]'], "{ x: '${ $SECRETS.SWIRL_SECRET_X }', other: '${ $SECRETS.OTHER_TOKEN }' }"))).status, 201);
    assert.deepEqual(JSON.parse((await run(s.base, 'secret-ok', 'sec-1')).properties['dapr.workflow.output']!), { x: 'x-value', other: 'listed' });

    assert.equal((await register(s.base, workflow('secret-home', ['secrets: [HOME]'], "{ home: '${ $SECRETS.HOME }' }"))).status, 201);
    const home = await run(s.base, 'secret-home', 'sec-2');
    assert.equal(home.runtimeStatus, 'FAILED');
    const detail = (await (await fetch(`${s.base}/api/v1/instances/sec-2`)).json()) as { failure: { code: string; message: string } };
    assert.equal(detail.failure.code, 'SECRET_NOT_FOUND');
    assert.equal(detail.failure.message, "workflow 'secret-home' declares secret(s) 'HOME' that no secret source provides");
    assert.doesNotMatch(JSON.stringify(home), /not-a-secret/);
  });
});

describe('what a definition registered over HTTP may reach by default', () => {
  test('without --definition-root and --allow-url-prefix: no file and no URL, refused before any read or request', async () => {
    const requests: string[] = [];
    const remote = createServer((req, res) => {
      requests.push(req.url ?? '');
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ functions: [] }));
    });
    await new Promise<void>((r) => remote.listen(0, '127.0.0.1', r));
    const origin = `http://127.0.0.1:${(remote.address() as AddressInfo).port}`;
    const dir = tempDir('swirl-reach-default-');
    writeFileSync(join(dir, 'plain.json'), JSON.stringify({ greeting: 'not for definitions over HTTP' }));
    const s = await startServe(dir, started);
    try {
      for (const [id, head, pointer, why] of [
        ['passwd', ['constants: /etc/passwd'], '/constants', /this server allows no file in definitions registered over the API \(--definition-root\)/],
        ['plain', [`constants: ${JSON.stringify(join(dir, 'plain.json'))}`], '/constants', /allows no file/],
        ['remote', [`functions: ${JSON.stringify(`${origin}/functions.json`)}`], '/functions', /this server allows no URL in definitions registered over the API \(--allow-url-prefix\)/],
      ] as const) {
        const r = await errorsOf(await register(s.base, workflow(id, [...head])));
        assert.equal(r.status, 400, id);
        assert.deepEqual(r.errors.map((d) => [d.code, d.pointer]), [['REFERENCE_NOT_ALLOWED', pointer]], id);
        assert.match(r.errors[0]!.message, why);
        assert.doesNotMatch(JSON.stringify(r.body), /root:x:0|not for definitions/);
      }
      assert.deepEqual(requests, [], 'the server fetched a URL no prefix allows');
      assert.deepEqual(await ids(s.base), [], 'nothing was registered');
    } finally {
      await stop(s);
      await new Promise<void>((r) => remote.close(() => r()));
    }
  });
});
