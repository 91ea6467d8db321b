/**
 * @module test/store/postgres-turn-batch
 * Turns on PostgreSQL commit together (src/store/postgres-turn-batch.ts): concurrent turns of
 * different instances share one statement (one transaction), each turn's lease, epoch and history
 * fence still applies to that turn alone — a lost lease fails only its own turn and writes nothing
 * of it — and two nodes' batches writing each other's instances do not deadlock.
 */

import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { openPostgresStore, type PostgresStore } from '../../src/store/postgres.js';
import type { OrchestrationWorkItem } from '../../src/store/types.js';
import { createRequest, turnFor } from './contract-helpers.js';
import { freshPgUrl, pgSkipReason } from './postgres-fixture.js';

const open: PostgresStore[] = [];
after(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

/** A store on `url`; sticky claims off (two of them claim each other's work at once below). */
async function store(url: string): Promise<PostgresStore> {
  const s = await openPostgresStore({ url, poolSize: 4, stickyClaimsMs: 0 });
  open.push(s);
  return s;
}

/** Creates `ids` and claims them all under `leaseId`; returns the work items by id. */
async function claimed(s: PostgresStore, ids: string[], leaseId: string): Promise<Map<string, OrchestrationWorkItem>> {
  for (const id of ids) await s.createInstance(createRequest(id));
  const items = await s.claimOrchestrations({ leaseId, now: 1000, leaseMs: 60_000, limit: ids.length, instanceIds: ids });
  assert.equal(items.length, ids.length);
  return new Map(items.map((i) => [i.instance.instanceId, i]));
}

const code = (r: PromiseSettledResult<unknown>): string => (r.status === 'fulfilled' ? 'ok' : String((r.reason as { code?: string }).code));

describe('PostgreSQL store: turns commit together', { skip: pgSkipReason }, () => {
  it('20 concurrent turns of different instances share a few statements, each fully written', async () => {
    const s = await store(freshPgUrl('turnbatch'));
    const ids = Array.from({ length: 20 }, (_, i) => `i${String(i).padStart(2, '0')}`);
    const items = await claimed(s, ids, 'L');
    const before = s.stats.transactions;
    await Promise.all(ids.map((id) => s.commitTurn(turnFor(items.get(id)!, 'COMPLETED', 2))));
    const used = s.stats.transactions - before;
    assert.ok(used <= 3, `20 turns submitted together took ${used} transactions (expected the first alone, the rest together)`);
    assert.ok(s.turnBatches.stats.batchedTurns >= 19, `batched ${s.turnBatches.stats.batchedTurns} turns`);
    for (const id of ids) {
      const row = await s.getInstance(id);
      assert.equal(row?.status, 'COMPLETED', id);
      assert.equal(row?.historyLength, 2, id);
      assert.deepEqual(
        (await s.loadHistory(id)).map((h) => h.seq),
        [0, 1],
      );
    }
    assert.deepEqual(await s.claimOrchestrations({ leaseId: 'M', now: 120_000, leaseMs: 1000, limit: 50 }), [], 'every start message was consumed and every lease released');
  });

  it('in one batch, a lost lease, a moved epoch and a moved history fail alone and write nothing; the others commit', async () => {
    const s = await store(freshPgUrl('turnfence'));
    const items = await claimed(s, ['a', 'b', 'c', 'd', 'e', 'f'], 'L');
    // 'a' first, alone (the batcher is idle), so that the five after it go as one batch.
    const first = s.commitTurn(turnFor(items.get('a')!, 'RUNNING', 1));
    const results = await Promise.allSettled([
      first,
      s.commitTurn(turnFor(items.get('b')!, 'RUNNING', 1, { messages: [{ instanceId: 'f', data: 'from-b', visibleAt: 1000 }] })),
      s.commitTurn({ ...turnFor(items.get('c')!, 'RUNNING', 1, { messages: [{ instanceId: 'f', data: 'from-c', visibleAt: 1000 }] }), leaseId: 'stolen' }),
      s.commitTurn({ ...turnFor(items.get('d')!, 'RUNNING', 1), epoch: items.get('d')!.epoch! + 5 }),
      s.commitTurn({ ...turnFor(items.get('e')!, 'RUNNING', 1), firstSeq: 3, history: [] }),
      s.commitTurn(turnFor(items.get('f')!, 'RUNNING', 1)),
    ]);
    assert.deepEqual(results.map(code), ['ok', 'ok', 'LEASE_LOST', 'LEASE_LOST', 'HISTORY_CONFLICT', 'ok']);
    assert.ok(s.turnBatches.stats.batches >= 1, 'the five later turns went as a batch');
    assert.match(String((results[2] as PromiseRejectedResult).reason.message), /instance 'c' is not held by lease 'stolen'/);
    assert.match(String((results[3] as PromiseRejectedResult).reason.message), /instance 'd' is at lease epoch \d+, not \d+/);
    assert.match(String((results[4] as PromiseRejectedResult).reason.message), /starts at seq 3 but the stored history has 0 events/);
    for (const id of ['a', 'b', 'f']) assert.equal((await s.getInstance(id))?.historyLength, 1, id);
    for (const id of ['c', 'd', 'e']) {
      const row = await s.getInstance(id);
      assert.equal(row?.historyLength, 0, `${id}: nothing of the failed turn was written`);
      assert.equal(row?.status, 'PENDING', id);
      assert.deepEqual(await s.loadHistory(id), []);
    }
    // Only b's message reached f: c's turn (and its message) was rolled back.
    const next = await s.claimOrchestrations({ leaseId: 'N', now: 2000, leaseMs: 600_000, limit: 10, instanceIds: ['f'] });
    assert.deepEqual(
      next[0]?.messages.map((m) => m.data),
      ['from-b'],
    );
    // The failed turns' instances are still leased by 'L' (their lease was not taken by the failure): a claim finds them only after expiry.
    const later = await s.claimOrchestrations({ leaseId: 'M', now: 70_000, leaseMs: 60_000, limit: 10 });
    assert.deepEqual(later.map((i) => i.instance.instanceId).sort(), ['c', 'd', 'e']);
  });

  it('two nodes whose batches write each other\u2019s instances commit without deadlock', async () => {
    const url = freshPgUrl('turncross');
    const [n1, n2] = [await store(url), await store(url)];
    const xs = Array.from({ length: 8 }, (_, i) => `x${i}`);
    const ys = Array.from({ length: 8 }, (_, i) => `y${i}`);
    for (let round = 0; round < 5; round++) {
      const suffix = `-r${round}`;
      const a = await claimed(n1, xs.map((x) => x + suffix), 'A');
      const b = await claimed(n2, ys.map((y) => y + suffix), 'B');
      // x_i sends to y_(7-i) and y_i to x_(7-i): each batch locks rows the other batch writes.
      const turns = [
        ...xs.map((x, i) => n1.commitTurn(turnFor(a.get(x + suffix)!, 'RUNNING', 1, { messages: [{ instanceId: ys[7 - i] + suffix, data: `${x}`, visibleAt: 1000 }] }))),
        ...ys.map((y, i) => n2.commitTurn(turnFor(b.get(y + suffix)!, 'RUNNING', 1, { messages: [{ instanceId: xs[7 - i] + suffix, data: `${y}`, visibleAt: 1000 }] }))),
      ];
      assert.deepEqual((await Promise.allSettled(turns)).map(code), Array(16).fill('ok'), `round ${round}`);
    }
    const delivered = await n1.claimOrchestrations({ leaseId: 'C', now: 2000, leaseMs: 60_000, limit: 100 });
    assert.equal(delivered.length, 80, 'every instance got its message');
    assert.ok(delivered.every((i) => i.messages.length === 1));
    assert.ok(n1.turnBatches.stats.batchedTurns + n2.turnBatches.stats.batchedTurns > 0, 'some turns were batched');
  });
});
