/**
 * rest functions run on what the validator accepts (issue 11): a Swagger 2.0 document (base URL
 * from schemes/host/basePath, body and path parameters) and an OpenAPI 3 document whose operation
 * and parameters live in sibling files ($refs across files, resolved against the file they are in),
 * called against a real HTTP server on 127.0.0.1.
 */
import { createServer, type Server } from 'node:http';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRestCaller } from '../../src/index.js';

let server: Server;
const dir = mkdtempSync(join(tmpdir(), 'swirl-rest-docs-'));
const seen: { method: string | undefined; url: string | undefined; type: string | undefined; body: string }[] = [];

before(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      seen.push({ method: req.method, url: req.url, type: req.headers['content-type'], body });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  writeFileSync(
    join(dir, 'swagger.json'),
    JSON.stringify({
      swagger: '2.0',
      info: { title: 'pets', version: '1' },
      schemes: ['http'],
      host: `127.0.0.1:${port}`,
      basePath: '/v2',
      consumes: ['application/json'],
      paths: {
        '/pets/{petId}': {
          put: {
            operationId: 'updatePet',
            parameters: [
              { name: 'petId', in: 'path', required: true, type: 'string' },
              { name: 'pet', in: 'body', schema: { $ref: '#/definitions/Pet' } },
            ],
            responses: { 200: { description: 'ok' } },
          },
        },
      },
      definitions: { Pet: { type: 'object' } },
    }),
  );
  mkdirSync(join(dir, 'split', 'paths'), { recursive: true });
  writeFileSync(
    join(dir, 'split', 'api.yaml'),
    `openapi: 3.0.3\ninfo: { title: split, version: '1' }\nservers: [{ url: 'http://127.0.0.1:${port}/api' }]\npaths:\n  /orders/{id}:\n    $ref: 'paths/order.yaml'\n`,
  );
  writeFileSync(
    join(dir, 'split', 'paths', 'order.yaml'),
    `get:\n  operationId: getOrder\n  parameters:\n    - $ref: '../params.yaml#/id'\n    - { name: verbose, in: query, schema: { type: boolean } }\n  responses: { '200': { description: ok } }\n`,
  );
  writeFileSync(join(dir, 'split', 'params.yaml'), `id: { name: id, in: path, required: true, schema: { type: string } }\n`);
});
after(async () => {
  await new Promise((r) => server.close(r));
  rmSync(dir, { recursive: true, force: true });
});

const call = (operation: string, args: Record<string, unknown>) => createRestCaller().call({ operation, baseDir: dir, arguments: args });

test('Swagger 2.0: base URL from schemes/host/basePath, path parameter in the path, the rest as the JSON body', async () => {
  assert.deepEqual(await call('swagger.json#updatePet', { petId: 'p1', name: 'Rex' }), { ok: true });
  assert.deepEqual(seen.at(-1), { method: 'PUT', url: '/v2/pets/p1', type: 'application/json', body: '{"name":"Rex"}' });
});

test('OpenAPI 3 with $refs across files: the path item and a parameter from sibling files', async () => {
  assert.deepEqual(await call('split/api.yaml#getOrder', { id: 'o-17', verbose: true }), { ok: true });
  assert.deepEqual(seen.at(-1), { method: 'GET', url: '/api/orders/o-17?verbose=true', type: undefined, body: '' });
});
