/**
 * rest functions honour the operation's request body media type (issue 11), against a real HTTP
 * server on 127.0.0.1: text/plain is sent as text, application/x-www-form-urlencoded as a form,
 * JSON otherwise.
 */
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRestCaller } from '../../src/index.js';

let server: Server;
const dir = mkdtempSync(join(tmpdir(), 'swirl-rest-media-'));
const seen: { type: string | undefined; body: string }[] = [];

before(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      seen.push({ type: req.headers['content-type'], body });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  const op = (id: string, type: string) => ({ post: { operationId: id, requestBody: { content: { [type]: { schema: {} } } }, responses: { 200: { description: 'ok' } } } });
  writeFileSync(
    join(dir, 'api.json'),
    JSON.stringify({ openapi: '3.0.3', info: { title: 't', version: '1' }, servers: [{ url: `http://127.0.0.1:${port}` }], paths: { '/text': op('sendText', 'text/plain'), '/form': op('sendForm', 'application/x-www-form-urlencoded'), '/json': op('sendJson', 'application/json') } }),
  );
});
after(async () => {
  await new Promise((r) => server.close(r));
  rmSync(dir, { recursive: true, force: true });
});

const call = (operationId: string, args: Record<string, unknown>) => createRestCaller().call({ operation: `api.json#${operationId}`, baseDir: dir, arguments: args });

test('text/plain: the one argument is sent as text, not JSON', async () => {
  assert.deepEqual(await call('sendText', { message: 'hello world' }), { ok: true });
  assert.deepEqual(seen.at(-1), { type: 'text/plain; charset=utf-8', body: 'hello world' });
});

test('application/x-www-form-urlencoded: the arguments are sent as a form', async () => {
  await call('sendForm', { name: 'Ada Lovelace', tags: ['a', 'b'], n: 3 });
  assert.deepEqual(seen.at(-1), { type: 'application/x-www-form-urlencoded', body: 'name=Ada+Lovelace&tags=a&tags=b&n=3' });
});

test('application/json: the arguments are sent as JSON', async () => {
  await call('sendJson', { name: 'Ada', n: 3 });
  assert.deepEqual(seen.at(-1), { type: 'application/json', body: '{"name":"Ada","n":3}' });
});
