/**
 * @module test/store/postgres-completion-batch
 * Activity completions on PostgreSQL commit together (src/store/postgres-completion-batch.ts): the
 * completions of one fan-in share transactions instead of queueing one fsync each on the instance
 * row, their results reach the inbox in call order, and a lost or repeated lease fails only its
 * own completion.
 */

import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { openPostgresStore, type PostgresStore } from '../../src/store/postgres.js';
import { claimOne, createRequest, task, turnFor } from './contract-helpers.js';
import { freshPgUrl, pgSkipReason } from './postgres-fixture.js';

const open: PostgresStore[] = [];
after(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

/** A store with instance `a` waiting on `n` claimed activity tasks (lease 'T'). */
async function fanIn(label: string, n: number): Promise<{ store: PostgresStore; rowIds: number[] }> {
  const store = await openPostgresStore({ url: freshPgUrl(label), poolSize: 4 });
  open.push(store);
  await store.createInstance(createRequest('a'));
  const item = await claimOne(store, 'a', 1000);
  await store.commitTurn(turnFor(item, 'RUNNING', 1, { tasks: Array.from({ length: n }, (_, i) => task('a', i)) }));
  const claimed = await store.claimActivities({ leaseId: 'T', now: 1000, leaseMs: 60_000, limit: n });
  assert.equal(claimed.length, n);
  return { store, rowIds: claimed.map((t) => t.id) };
}

describe('PostgreSQL store: activity completions commit together', { skip: pgSkipReason }, () => {
  it('100 concurrent completions of one instance share a few transactions and arrive in call order', async () => {
    const { store, rowIds } = await fanIn('fanin', 100);
    const before = store.stats.transactions;
    await Promise.all(rowIds.map((id, i) => store.completeActivity({ taskRowId: id, leaseId: 'T', message: { instanceId: 'a', data: `r${i}`, visibleAt: 1000 } })));
    const used = store.stats.transactions - before;
    assert.ok(used <= 2, `100 completions submitted together took ${used} transactions (expected the first alone, the rest together)`);
    const item = await claimOne(store, 'a', 1000);
    assert.deepEqual(
      item.messages.map((m) => m.data),
      rowIds.map((_, i) => `r${i}`),
    );
    assert.deepEqual(await store.claimActivities({ leaseId: 'T2', now: 90_000, leaseMs: 500, limit: 200 }), [], 'every task row is gone');
  });

  it('in one batch, a completion under a wrong lease and a repeated completion fail alone; the others commit', async () => {
    const { store, rowIds } = await fanIn('lost', 3);
    const done = (id: number, leaseId: string, data: string) => store.completeActivity({ taskRowId: id, leaseId, message: { instanceId: 'a', data, visibleAt: 1000 } });
    const results = await Promise.allSettled([
      done(rowIds[0], 'T', 'first'), // committed alone: the batcher was idle
      done(rowIds[1], 'T', 'second'),
      done(rowIds[2], 'stolen', 'wrong-lease'),
      done(rowIds[1], 'T', 'second-again'),
      done(rowIds[2], 'T', 'third'),
    ]);
    assert.deepEqual(
      results.map((r) => (r.status === 'fulfilled' ? 'ok' : (r.reason as { code?: string }).code)),
      ['ok', 'ok', 'LEASE_LOST', 'LEASE_LOST', 'ok'],
    );
    assert.match(String((results[2] as PromiseRejectedResult).reason.message), new RegExp(`activity task '${rowIds[2]}' is not held by lease 'stolen'`));
    assert.deepEqual(
      (await claimOne(store, 'a', 1000)).messages.map((m) => m.data),
      ['first', 'second', 'third'],
    );
  });

  it('after close, a completion is refused with STORE_CLOSED', async () => {
    const { store, rowIds } = await fanIn('closed', 1);
    await store.close();
    open.splice(open.indexOf(store), 1);
    await assert.rejects(store.completeActivity({ taskRowId: rowIds[0], leaseId: 'T', message: { instanceId: 'a', data: 'r', visibleAt: 1000 } }), { code: 'STORE_CLOSED' });
  });
});
