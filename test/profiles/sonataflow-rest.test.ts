// `rest:<verb>:<url>` custom functions under the sonataflow profile, as the called service sees
// them: every verb, {name} path segments URL-encoded from the arguments, the other arguments as the
// JSON body (PUT, PATCH, POST) or as query parameters (GET, DELETE); a missing path argument and an
// error status fail the instance with a code a user can catch (specs/sonataflow-profile.md).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { createEngine } from '../../src/engine/engine.js';
import { loadWorkflowText } from '../../src/graph/load.js';
import { registerWorkflow } from '../../src/interpreter/index.js';
import { Profile } from '../../src/definition/profiles/profile.js';

describe('rest: functions (sonataflow profile)', () => {
  let server: Server;
  let base: string;
  const seen: string[] = [];
  before(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        seen.push(`${req.method} ${req.url} ${body}`.trim());
        res.setHeader('content-type', 'application/json');
        if (req.url?.startsWith('/broken')) {
          res.statusCode = 503;
          return res.end(JSON.stringify({ error: 'down' }));
        }
        res.end(JSON.stringify({ [String(req.method).toLowerCase()]: req.url }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  after(() => server.close());

  async function run(doc: Record<string, unknown>, input: unknown) {
    const graph = await loadWorkflowText(JSON.stringify(doc), `${String(doc.id)}.sw.json`, { profile: Profile.Sonataflow });
    const engine = await createEngine({ store: 'memory', pollIntervalMs: 10 });
    try {
      const name = registerWorkflow(engine, graph);
      await engine.start();
      const id = await engine.client.start(name, input);
      return await engine.client.waitForCompletion(id, { timeoutMs: 60_000 });
    } finally {
      await engine.stop();
    }
  }

  it('PUT, PATCH and DELETE: path segments from the arguments, the rest as body or query', async () => {
    seen.length = 0;
    const r = await run(
      {
        id: 'items',
        start: 'Change',
        functions: [
          { name: 'replace', type: 'custom', operation: `rest:put:${base}/items/{id}` },
          { name: 'rename', type: 'custom', operation: `rest:patch:${base}/items/{id}` },
          { name: 'remove', type: 'custom', operation: `rest:DELETE:${base}/items/{id}` },
        ],
        states: [
          {
            name: 'Change',
            type: 'operation',
            actions: [
              { functionRef: { refName: 'replace', arguments: { id: '.id', name: '.name', tags: '.tags' } } },
              { functionRef: { refName: 'rename', arguments: { id: '.id', name: '"new \\(.name)"' } } },
              { functionRef: { refName: 'remove', arguments: { id: '.id', reason: 'cleanup', tags: '.tags' } } },
            ],
            end: 'true',
          },
        ],
      },
      { id: 'a b/1', name: 'kettle', tags: ['x', 'y'] },
    );
    assert.equal(r.runtimeStatus, 'COMPLETED', JSON.stringify(r.failure));
    assert.deepEqual(seen, [
      'PUT /items/a%20b%2F1 {"name":"kettle","tags":["x","y"]}',
      'PATCH /items/a%20b%2F1 {"name":"new kettle"}',
      'DELETE /items/a%20b%2F1?reason=cleanup&tags=x&tags=y',
    ]);
    assert.deepEqual(r.output, { id: 'a b/1', name: 'kettle', tags: ['x', 'y'], put: '/items/a%20b%2F1', patch: '/items/a%20b%2F1', delete: '/items/a%20b%2F1?reason=cleanup&tags=x&tags=y' });
  });

  it('a missing path argument fails with INVALID_ARGUMENTS before any request; an error status is a catchable error with the status as its code', async () => {
    seen.length = 0;
    const missing = await run(
      { id: 'nopath', start: 'S', functions: [{ name: 'get', type: 'custom', operation: `rest:get:${base}/items/{id}` }], states: [{ name: 'S', type: 'operation', actions: [{ functionRef: { refName: 'get', arguments: { name: '.name' } } }], end: true }] },
      { name: 'kettle' },
    );
    assert.equal(missing.runtimeStatus, 'FAILED');
    assert.match(JSON.stringify(missing.failure), /INVALID_ARGUMENTS/);
    assert.match(JSON.stringify(missing.failure), /no argument for the path parameter\(s\) 'id' of http:\/\/127\.0\.0\.1:\d+\/items\/\{id\}/);
    assert.deepEqual(seen, []);

    const caught = await run(
      {
        id: 'down',
        start: 'S',
        errors: [{ name: 'unavailable', code: '503' }],
        functions: [{ name: 'get', type: 'custom', operation: `rest:get:${base}/broken` }],
        states: [
          { name: 'S', type: 'operation', actions: [{ functionRef: 'get' }], onErrors: [{ errorRef: 'unavailable', transition: 'Fallback' }], end: true },
          { name: 'Fallback', type: 'inject', data: { served: 'from cache' }, end: true },
        ],
      },
      {},
    );
    assert.equal(caught.runtimeStatus, 'COMPLETED', JSON.stringify(caught.failure));
    assert.deepEqual(caught.output, { served: 'from cache' });
  });
});
