/**
 * `bindings.postgresql` against the real PostgreSQL of SWIRL_TEST_PG_URL. Each run works in its own
 * schema (created through the binding itself, dropped afterwards).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { WorkflowError } from '../../src/errors.js';
import { loadComponents, type ComponentHost } from '../../src/components/index.js';
import { componentDir, componentYaml, serviceUrl, uniqueName } from './support.js';

const svc = serviceUrl('postgres');

describe('bindings.postgresql', { skip: svc.skip, timeout: 60_000 }, () => {
  let host: ComponentHost;
  let cleanup: () => Promise<void>;
  const schema = uniqueName('swirl_test');
  const exec = (sql: string, params?: unknown[]) => host.invokeBinding({ name: 'db', operation: 'exec', metadata: params ? { sql, params: JSON.stringify(params) } : { sql } });
  const query = (sql: string, params?: unknown[]) => host.invokeBinding({ name: 'db', operation: 'query', metadata: params ? { sql, params: JSON.stringify(params) } : { sql } });

  before(async () => {
    // Dapr's older metadata name `url` is accepted as well as `connectionString`.
    const d = await componentDir({ 'db.yaml': componentYaml('db', 'bindings.postgresql', { url: svc.url }) });
    cleanup = d.cleanup;
    host = await loadComponents(d.dir, { env: {} });
    await exec(`CREATE SCHEMA ${schema}`);
    await exec(`CREATE TABLE ${schema}.orders (id int PRIMARY KEY, item text NOT NULL, qty int, at timestamptz)`);
  });

  after(async () => {
    await exec(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await host?.close();
    await cleanup();
  });

  it('exec with params reports rows-affected and timing metadata', async () => {
    const res = await exec(`INSERT INTO ${schema}.orders (id, item, qty, at) VALUES ($1, $2, $3, $4), ($5, $6, $7, $8)`, [1, 'apple', 3, '2026-01-02T03:04:05Z', 2, 'pear', null, null]);
    assert.equal(res.data, null);
    assert.equal(res.metadata.operation, 'exec');
    assert.equal(res.metadata['rows-affected'], '2');
    assert.match(res.metadata.sql, /^INSERT INTO/);
    for (const k of ['start-time', 'end-time']) assert.ok(!Number.isNaN(Date.parse(res.metadata[k])), k);
    assert.match(res.metadata.duration, /^\d+(\.\d+)?(ns|µs|ms|s)$/);
  });

  it('query returns rows as arrays of values (Dapr shape)', async () => {
    const res = await query(`SELECT id, item, qty, at FROM ${schema}.orders WHERE id <= $1 ORDER BY id`, [2]);
    assert.deepEqual(res.data, [
      [1, 'apple', 3, '2026-01-02T03:04:05.000Z'],
      [2, 'pear', null, null],
    ]);
    assert.equal(res.metadata.operation, 'query');
    // Workflow function metadata is YAML: params may arrive as a list rather than JSON text.
    const fromYaml = await host.invokeBinding({ name: 'db', operation: 'query', metadata: { sql: `SELECT item FROM ${schema}.orders WHERE id = $1`, params: [2] } as never });
    assert.deepEqual(fromYaml.data, [['pear']]);
  });

  it('a statement the database rejects is a WorkflowError coded by SQLSTATE', async () => {
    await assert.rejects(exec(`INSERT INTO ${schema}.orders (id, item) VALUES (1, 'dup')`), (e: WorkflowError) => {
      assert.ok(e instanceof WorkflowError);
      assert.equal(e.code, '23505');
      assert.equal(e.nonRetryable, true);
      assert.match(e.message, /binding db\/exec: duplicate key value violates unique constraint/);
      return true;
    });
    await assert.rejects(query('SELEC 1'), (e: WorkflowError) => e instanceof WorkflowError && e.code === '42601');
  });

  it('missing sql or malformed params are request errors', async () => {
    await assert.rejects(host.invokeBinding({ name: 'db', operation: 'query' }), (e: WorkflowError) => e.code === 'ERR_INVOKE_OUTPUT_BINDING' && /'sql' is required/.test(e.message));
    await assert.rejects(host.invokeBinding({ name: 'db', operation: 'query', metadata: { sql: 'SELECT 1', params: '{"a":1}' } }), (e: WorkflowError) => /must be a JSON array/.test(e.message));
  });

  it('close ends the pool; the next call opens a new one', async () => {
    const closed = await host.invokeBinding({ name: 'db', operation: 'close' });
    assert.equal(closed.metadata.operation, 'close');
    const res = await query(`SELECT count(*)::int FROM ${schema}.orders`);
    assert.deepEqual(res.data, [[2]]);
  });
});
