/**
 * @module test/store/postgres-prefix.test
 * The instance-id prefix on PostgreSQL is a range on the primary key: `instance_id` is COLLATE
 * "C", so the btree can answer `instance_id >= p AND instance_id < successor(p)` (a column of the
 * database's collation could not). Checked with EXPLAIN of the SQL the store sends, the planner
 * told not to seq-scan (on a tiny table it would, whatever the indexes).
 */

import assert from 'node:assert/strict';
import { it } from 'node:test';
import type pg from 'pg';
import { openPostgresStore } from '../../src/store/postgres.js';
import { createRequest } from './contract-helpers.js';
import { freshPgUrl, pgSkipReason } from './postgres-fixture.js';

it('queryInstances and countInstances with a prefix can use the instance_id key', { skip: pgSkipReason }, async () => {
  const store = await openPostgresStore({ url: freshPgUrl('prefix'), poolSize: 2 });
  try {
    for (const id of ['ord-1', 'ord-2', 'other']) await store.createInstance(createRequest(id));
    // Record what the store sends.
    const sent: { text: string; params: unknown[] }[] = [];
    const pool = store.pool as pg.Pool & { query: (...a: unknown[]) => unknown };
    const query = pool.query.bind(pool);
    pool.query = ((text: unknown, params: unknown) => {
      if (typeof text === 'string' && text.includes('instance_id >=')) sent.push({ text, params: params as unknown[] });
      return query(text, params);
    }) as typeof pool.query;
    assert.deepEqual((await store.queryInstances({ instanceIdPrefix: 'ord-', order: 'desc' })).instances.map((r) => r.instanceId), ['ord-2', 'ord-1']);
    assert.deepEqual(await store.countInstances({ instanceIdPrefix: 'ord-' }), [{ name: 'wf', status: 'PENDING', count: 2 }]);
    pool.query = query as typeof pool.query;
    assert.equal(sent.length, 2);
    const client = await store.pool.connect();
    try {
      await client.query('SET enable_seqscan = off');
      for (const { text, params } of sent) {
        const plan = (await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${text}`, params)).rows.map((r) => r['QUERY PLAN']).join('\n');
        assert.match(plan, /Index Cond: \(\(instance_id >= 'ord-'::text\) AND \(instance_id < 'ord\.'::text\)\)/, plan);
        assert.doesNotMatch(plan, /Seq Scan/, plan);
      }
    } finally {
      await client.query('RESET enable_seqscan');
      client.release();
    }
  } finally {
    await store.close();
  }
});
