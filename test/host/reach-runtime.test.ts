/**
 * The reach policy at run time (specs/security.md "What a definition may reach"): a `rest`
 * function of a definition registered over the API loads its OpenAPI document again at its first
 * call, and the document's `$ref`s are held to the server's policy then too — a document under the
 * definition root that was changed after registration to `$ref` a file outside it fails the call
 * (REFERENCE_NOT_ALLOWED-style refusal inside INVALID_OPENAPI) without reading that file.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp, createHost, type App, type SwirlHost } from '../../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'swirl-reach-run-'));
const root = join(dir, 'root');
mkdirSync(root);
let api: Server;
let host: SwirlHost;
let app: App;
let served = '';

/** An OpenAPI document for GET /ping on the test server; `param` is its one parameter (a $ref or inline). */
const doc = (param: unknown) =>
  JSON.stringify({ openapi: '3.0.0', servers: [{ url: served }], paths: { '/ping': { get: { operationId: 'ping', parameters: [param], responses: { 200: { description: 'ok' } } } } } });

before(async () => {
  api = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ pong: true, url: req.url }));
  });
  await new Promise<void>((r) => api.listen(0, '127.0.0.1', r));
  served = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
  // A valid target outside the root: following the $ref would succeed, so a failure proves it was not read.
  writeFileSync(join(dir, 'outside.json'), JSON.stringify({ q: { name: 'q', in: 'query', schema: { type: 'string' } } }));
  host = await createHost({ store: 'memory', reach: { fileRoot: root, urlPrefixes: [] } });
  await host.start();
  app = createApp(host);
});
after(async () => {
  await host.stop();
  await new Promise<void>((r) => api.close(() => r()));
  rmSync(dir, { recursive: true, force: true });
});

const workflow = (id: string, file: string) =>
  [`id: ${id}`, "specVersion: '0.8'", 'functions:', `  - { name: ping, operation: ${JSON.stringify(`${file}#ping`)} }`, 'states:', '  - name: S', '    type: operation', '    actions: [{ functionRef: { refName: ping, arguments: { q: hi } } }]', '    end: true', ''].join('\n');

async function runToEnd(id: string): Promise<{ status: string; output?: unknown; failure?: { code?: string; message: string } }> {
  assert.equal((await app.fetch(new Request(`http://h/v1.0/workflows/dapr/${id}/start?instanceID=${id}-1`, { method: 'POST', body: '{}' }))).status, 202);
  for (let i = 0; i < 250; i++) {
    const m = await host.engine.client.get(`${id}-1`);
    if (m?.runtimeStatus === 'COMPLETED' || m?.runtimeStatus === 'FAILED') return { status: m.runtimeStatus, output: m.output, ...(m.failure ? { failure: m.failure as { code?: string; message: string } } : {}) };
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.fail(`${id} did not finish`);
}

test('a document under the root is called; one changed after registration to $ref a file outside the root fails without reading it', async () => {
  const inline = { name: 'q', in: 'query', schema: { type: 'string' } };
  writeFileSync(join(root, 'good.json'), doc(inline));
  assert.equal((await app.fetch(new Request('http://h/api/v1/workflows', { method: 'POST', body: workflow('good', join(root, 'good.json')) }))).status, 201);
  const good = await runToEnd('good');
  assert.equal(good.status, 'COMPLETED', JSON.stringify(good));
  assert.deepEqual(good.output, { pong: true, url: '/ping?q=hi' });

  writeFileSync(join(root, 'swapped.json'), doc(inline));
  assert.equal((await app.fetch(new Request('http://h/api/v1/workflows', { method: 'POST', body: workflow('swapped', join(root, 'swapped.json')) }))).status, 201);
  writeFileSync(join(root, 'swapped.json'), doc({ $ref: `${join(dir, 'outside.json')}#/q` }));
  const swapped = await runToEnd('swapped');
  assert.equal(swapped.status, 'FAILED');
  assert.equal(swapped.failure?.code, 'INVALID_OPENAPI');
  assert.match(swapped.failure!.message, /outside\.json may not be read: the file is outside the definition root of this server/);
});
