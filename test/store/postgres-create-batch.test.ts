/**
 * @module test/store/postgres-create-batch
 * Concurrent creates on PostgreSQL share one statement (src/store/postgres-create-batch.ts): each
 * create still learns whether its id was free — an existing id creates nothing, and (with a reuse
 * policy that refuses) rejects INSTANCE_EXISTS as alone — and every created instance has its row
 * and its start message, claimable once.
 */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createRequest } from './contract-helpers.js';
import { openFreshPgStore, pgSkipReason } from './postgres-fixture.js';


describe('PostgreSQL store: creates commit together', { skip: pgSkipReason }, () => {
  it('40 concurrent creates, 5 of existing ids, share a few statements; each gets its own outcome', async () => {
    const s = await openFreshPgStore('createbatch');
    for (const id of ['c05', 'c10', 'c15', 'c20', 'c25']) await s.createInstance({ ...createRequest(id), input: '"first"' });
    const ids = Array.from({ length: 40 }, (_, i) => `c${String(i).padStart(2, '0')}`);
    const before = s.stats.transactions;
    const results = await Promise.allSettled(ids.map((id) => s.createInstance({ ...createRequest(id), input: '"second"' })));
    assert.ok(s.createBatches.stats.batchedCreates >= 30, `batched ${s.createBatches.stats.batchedCreates} creates`);
    assert.ok(s.stats.transactions - before < 15, `40 creates took ${s.stats.transactions - before} transactions`);
    const existing = new Set(['c05', 'c10', 'c15', 'c20', 'c25']);
    results.forEach((r, i) => {
      if (existing.has(ids[i])) assert.equal(r.status === 'rejected' ? (r.reason as { code?: string }).code : 'created', 'INSTANCE_EXISTS', ids[i]);
      else assert.deepEqual(r.status === 'fulfilled' ? r.value : r.reason, { created: true }, ids[i]);
    });
    for (const id of ids) assert.equal((await s.getInstance(id))?.input, existing.has(id) ? '"first"' : '"second"', id);
    const claimed = await s.claimOrchestrations({ leaseId: 'L', now: 10_000, leaseMs: 60_000, limit: 100 });
    assert.deepEqual(
      claimed.map((c) => [c.instance.instanceId, c.messages.length]).sort(),
      ids.map((id) => [id, 1]),
      'every instance has exactly one start message',
    );
  });
});
