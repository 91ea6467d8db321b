/**
 * A rest function's remote OpenAPI document (served from loopback, so no test reaches the network):
 * fetched once per definition, `$ref`s to sibling URLs resolved, a missing base URL only a warning
 * (calls go to the document's own host), an HTTP error an OPENAPI_UNREACHABLE warning, and a
 * remote document's `$ref` to a local file refused.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { validateText } from '../../src/index.js';

const DOCS: Record<string, unknown> = {
  '/api.json': { openapi: '3.0.3', info: { title: 'Pets', version: '1' }, paths: { '/pets/{id}': { $ref: 'paths/pet.json' } } },
  '/paths/pet.json': { get: { operationId: 'getPet', responses: { 200: { description: 'the pet' } } } },
  '/local-ref.json': { openapi: '3.0.3', info: { title: 'Pets', version: '1' }, servers: [{ url: 'https://pets.example.com' }], paths: { '/pets': { $ref: `file://${new URL('./fixtures/external/openapi/split/paths/pet.yaml', import.meta.url).pathname}` } } },
  '/served.json': { openapi: '3.0.3', info: { title: 'Pets', version: '1' }, servers: [{ url: 'https://pets.example.com' }], paths: { '/pets': { get: { operationId: 'listPets', responses: { 200: { description: 'pets' } } } } } },
};

async function serve(): Promise<{ server: Server; base: string; hits: string[] }> {
  const hits: string[] = [];
  const server = createServer((req, res) => {
    hits.push(req.url ?? '');
    const doc = DOCS[req.url ?? ''];
    res.writeHead(doc ? 200 : 404, { 'content-type': 'application/json' }).end(doc ? JSON.stringify(doc) : '{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, hits };
}

function workflow(operations: string[]): string {
  const functions = operations.map((op, i) => `  - name: f${i}\n    operation: ${op}\n`).join('');
  const actions = operations.map((_, i) => `      - functionRef: f${i}\n`).join('');
  return `id: remote\nspecVersion: '0.8'\nfunctions:\n${functions}states:\n  - name: Call\n    type: operation\n    actions:\n${actions}    end: true\n`;
}

test('remote documents: sibling $refs resolve, no servers is a warning, a 404 is OPENAPI_UNREACHABLE, no local files, each fetched once', async () => {
  const { server, base, hits } = await serve();
  try {
    const r = await validateText(workflow([`${base}/api.json#getPet`, `${base}/api.json#getPet`, `${base}/served.json#listPets`, `${base}/served.json#lisPets`, `${base}/gone.json#getPet`, `${base}/local-ref.json#getPet`]));
    assert.deepEqual(
      r.diagnostics.map((d) => [d.severity, d.code, d.pointer, d.line, d.column]),
      [
        ['warning', 'OPENAPI_NO_SERVER', '/functions/0/operation', 5, 16],
        ['warning', 'OPENAPI_NO_SERVER', '/functions/1/operation', 7, 16],
        ['error', 'UNKNOWN_OPERATION', '/functions/3/operation', 11, 16],
        ['warning', 'OPENAPI_UNREACHABLE', '/functions/4/operation', 13, 16],
        ['error', 'INVALID_OPENAPI', '/functions/5/operation', 15, 16],
        ['error', 'INVALID_OPENAPI', '/paths/~1pets/$ref', 1, 130],
      ],
    );
    assert.match(r.diagnostics[2].message, /did you mean 'listPets'\?/);
    assert.match(r.diagnostics[3].message, /answered 404/);
    // A remote document never reads this machine's files.
    assert.match(r.diagnostics[5].message, /^\$ref 'file:\/\/.*pet\.yaml' cannot be resolved/);
    assert.deepEqual([...hits].sort(), ['/api.json', '/gone.json', '/local-ref.json', '/paths/pet.json', '/served.json']);
  } finally {
    server.close();
  }
});
