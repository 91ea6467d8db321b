/**
 * @module test/store/postgres-claim-batch
 * Concurrent one-instance claims on PostgreSQL share statements (src/store/postgres-claim-batch.ts):
 * each claim still gets its own instance under its own lease, an instance leased elsewhere is not
 * claimed, and two claims of one instance in flight together do not both get it.
 */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createRequest } from './contract-helpers.js';
import { openFreshPgStore, pgSkipReason } from './postgres-fixture.js';


describe('PostgreSQL store: one-instance claims share statements', { skip: pgSkipReason }, () => {
  it('20 concurrent claims: each its own instance, lease and start message; a held instance and a second claim of one id get nothing', async () => {
    const s = await openFreshPgStore('claimbatch');
    const ids = Array.from({ length: 20 }, (_, i) => `c${String(i).padStart(2, '0')}`);
    for (const id of ids) await s.createInstance(createRequest(id));
    // c19 is held by another lease.
    assert.equal((await s.claimOrchestrations({ leaseId: 'other', now: 1000, leaseMs: 60_000, limit: 1, instanceIds: ['c19'] })).length, 1);
    const claim = (id: string, lease: string) => s.claimOrchestrations({ leaseId: lease, now: 1000, leaseMs: 60_000, limit: 1, instanceIds: [id] });
    const results = await Promise.all([...ids.map((id) => claim(id, `L-${id}`)), claim('c05', 'again')]);
    for (const [k, id] of ids.entries()) {
      if (id === 'c19') {
        assert.deepEqual(results[k], [], 'held by another lease');
        continue;
      }
      assert.equal(results[k].length, 1, id);
      const item = results[k][0];
      assert.equal(item.instance.instanceId, id);
      assert.equal(item.leaseId, `L-${id}`);
      assert.deepEqual(
        item.messages.map((m) => JSON.parse(m.data).id),
        [id],
      );
    }
    assert.deepEqual(results[20], [], 'the second claim of c05 finds it leased');
    assert.ok(s.claimBatches.stats.batchedClaims >= 19, `batched ${s.claimBatches.stats.batchedClaims} claims`);
    // Each lease really holds its row: a commit-free release under it works, under another it fails.
    await s.abandonOrchestration('c03', 'L-c03');
    await assert.rejects(s.abandonOrchestration('c04', 'L-c03'), { code: 'LEASE_LOST' });
  });
});
