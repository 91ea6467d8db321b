// The rest function type: OpenAPI operation lookup, parameter mapping, body, HTTP failures.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { run } from './harness.js';

interface Seen {
  method: string;
  url: string;
  headers: Record<string, unknown>;
  body: string;
}

describe('rest functions (OpenAPI)', () => {
  let server: Server;
  let dir: string;
  const seen: Seen[] = [];
  let failures = 0;

  before(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
        if (req.url!.startsWith('/pets/404')) {
          res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"no such pet"}');
          return;
        }
        if (req.url!.startsWith('/flaky') && failures++ < 2) {
          res.writeHead(503).end();
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ echo: { method: req.method, url: req.url, body: body ? JSON.parse(body) : null } }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    dir = mkdtempSync(join(tmpdir(), 'swirl-rest-'));
    writeFileSync(
      join(dir, 'petstore.yaml'),
      [
        'openapi: 3.0.0',
        'info: {title: pets, version: "1"}',
        `servers: [{url: "http://127.0.0.1:${port}"}]`,
        'paths:',
        '  /pets/{petId}:',
        '    parameters: [{name: petId, in: path, required: true, schema: {type: string}}]',
        '    put:',
        '      operationId: updatePet',
        '      parameters:',
        '        - {name: verbose, in: query, schema: {type: boolean}}',
        '        - {name: X-Tenant, in: header, schema: {type: string}}',
        '      requestBody: {content: {application/json: {schema: {type: object}}}}',
        '      responses: {"200": {description: ok}}',
        '    get:',
        '      operationId: getPet',
        '      responses: {"200": {description: ok}}',
        '  /flaky:',
        '    get:',
        '      operationId: flaky',
        '      responses: {"200": {description: ok}}',
      ].join('\n'),
    );
  });
  after(() => server.close());

  it('maps arguments to path, query and header parameters and the rest to the JSON body', async () => {
    const r = await run(
      {
        id: 'rest',
        functions: [{ name: 'updatePet', operation: 'petstore.yaml#updatePet' }],
        states: [
          {
            name: 'Update',
            type: 'operation',
            actions: [{ functionRef: { refName: 'updatePet', arguments: { petId: '${ .id }', verbose: true, 'X-Tenant': 'acme', name: '${ .name }', tags: ['a'] } }, actionDataFilter: { results: '${ .echo }', toStateData: '${ .response }' } }],
            end: true,
          },
        ],
      },
      { id: 'p 1', name: 'Rex' },
      { baseDir: dir },
    );
    assert.equal(r.runtimeStatus, 'COMPLETED', JSON.stringify(r.failure));
    assert.deepEqual((r.output as { response: unknown }).response, { method: 'PUT', url: '/pets/p%201?verbose=true', body: { name: 'Rex', tags: ['a'] } });
    const req = seen.at(-1)!;
    assert.equal(req.headers['x-tenant'], 'acme');
    assert.match(String(req.headers['idempotency-key']), /:/);
  });

  it('an HTTP failure has code = the status and can be handled by onErrors', async () => {
    const def = (handled: boolean) => ({
      id: `rest404-${handled}`,
      errors: [{ name: 'NotFound', code: '404' }],
      functions: [{ name: 'getPet', operation: 'petstore.yaml#getPet' }],
      states: [
        { name: 'Get', type: 'operation', actions: [{ name: 'fetchPet', functionRef: { refName: 'getPet', arguments: { petId: '404' } } }], ...(handled ? { onErrors: [{ errorRef: 'NotFound', transition: 'Missing' }] } : {}), end: true },
        { name: 'Missing', type: 'inject', data: { missing: true }, end: true },
      ],
    });
    const failed = await run(def(false), {}, { baseDir: dir });
    assert.equal(failed.runtimeStatus, 'FAILED');
    assert.equal(failed.failure?.code, '404');
    assert.match(failed.failure!.message, /state 'Get': action 'fetchPet': GET http:\/\/127\.0\.0\.1:\d+\/pets\/404 returned HTTP 404/);
    const handled = await run(def(true), {}, { baseDir: dir });
    assert.deepEqual(handled.output, { missing: true });
  });

  it('retries a 503 with the retry definition and succeeds', async () => {
    const r = await run(
      {
        id: 'restretry',
        errors: [{ name: 'Unavailable', code: '503' }],
        retries: [{ name: 'r', maxAttempts: 3, delay: 'PT0.01S' }],
        functions: [{ name: 'flaky', operation: 'petstore.yaml#flaky' }],
        states: [{ name: 'Get', type: 'operation', actions: [{ functionRef: 'flaky', retryRef: 'r', retryableErrors: ['Unavailable'], actionDataFilter: { results: '${ .echo.method }', toStateData: '${ .method }' } }], end: true }],
      },
      {},
      { baseDir: dir },
    );
    assert.deepEqual(r.output, { method: 'GET' });
    assert.equal(seen.filter((s) => s.url === '/flaky').length, 3);
  });

  it('an unknown operationId is refused before the run (validation), with the operations the document has', async () => {
    const bad = { id: 'restbad', functions: [{ name: 'nope', operation: 'petstore.yaml#nope' }], states: [{ name: 'Get', type: 'operation', actions: [{ functionRef: 'nope' }], end: true }] };
    await assert.rejects(run(bad, {}, { baseDir: dir }), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'INVALID_DEFINITION');
      assert.match(e.message, /UNKNOWN_OPERATION operationId 'nope' is not in the OpenAPI document 'petstore.yaml'/);
      assert.match(e.message, /its operations: getPet, updatePet, flaky/);
      return true;
    });
  });
});
