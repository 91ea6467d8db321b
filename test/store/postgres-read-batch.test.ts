/**
 * @module test/store/postgres-read-batch
 * Concurrent getInstance reads on PostgreSQL share statements (src/store/postgres-read-batch.ts):
 * each read still gets its own instance (or nothing for an unknown id), sees the writes committed
 * before it was asked, and callers do not share record objects.
 */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createRequest } from './contract-helpers.js';
import { openFreshPgStore, pgSkipReason } from './postgres-fixture.js';


describe('PostgreSQL store: instance reads share statements', { skip: pgSkipReason }, () => {
  it('30 concurrent reads (one id twice, one unknown): each its own record; a read after a commit sees it', async () => {
    const s = await openFreshPgStore('readbatch');
    const ids = Array.from({ length: 28 }, (_, i) => `r${String(i).padStart(2, '0')}`);
    for (const id of ids) await s.createInstance(createRequest(id));
    const asked = [...ids, 'r03', 'nobody'];
    const got = await Promise.all(asked.map((id) => s.getInstance(id)));
    assert.deepEqual(
      got.map((r) => r?.instanceId),
      [...ids, 'r03', undefined],
    );
    assert.notEqual(got[3], got[28], 'two reads of one id get two records');
    assert.ok(s.instanceReads.stats.batchedReads >= 2, `batched ${s.instanceReads.stats.batchedReads} reads`);
    // A turn committed before the read is seen by it.
    const [item] = await s.claimOrchestrations({ leaseId: 'L', now: 1000, leaseMs: 60_000, limit: 1, instanceIds: ['r07'] });
    await s.commitTurn({
      instanceId: 'r07',
      leaseId: 'L',
      epoch: item.epoch,
      firstSeq: 0,
      history: [{ seq: 0, type: 'ExecutionStarted', timestamp: 1000, data: '{}' }],
      consumedMessageIds: item.messages.map((m) => m.id),
      tasks: [],
      messages: [],
      newInstances: [],
      state: { ...item.instance, status: 'RUNNING', lastUpdatedAt: 1001 },
    });
    const [after7, other] = await Promise.all([s.getInstance('r07'), s.getInstance('r08')]);
    assert.deepEqual([after7?.status, after7?.historyLength, other?.status], ['RUNNING', 1, 'PENDING']);
  });
});
