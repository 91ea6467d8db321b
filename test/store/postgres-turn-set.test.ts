/**
 * @module test/store/postgres-turn-set
 * The set-based group commit of turns on PostgreSQL (migration 11, src/store/postgres-turn-sql-v11.ts):
 * a batch of turns committed by one function call gives every turn the outcome and the rows it
 * gets alone — tasks inserted leased come back to the right turn with their own ids, a lost task
 * lease fails only its turn, claim-free turns commit or are refused, final turns drop their
 * pending work, wait keys are replaced, messages to missing instances are dropped — and two turns
 * of one instance in one batch still fail the later one.
 */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PostgresStore } from '../../src/store/postgres.js';
import type { CommittedTurn, NewActivityTask, OrchestrationWorkItem, TurnCommit } from '../../src/store/types.js';
import { createRequest, turnFor } from './contract-helpers.js';
import { openFreshPgStore, pgSkipReason } from './postgres-fixture.js';
import { roundTrips } from '../../src/store/postgres-sql.js';


async function store(name: string): Promise<PostgresStore> {
  return openFreshPgStore(name, { stickyClaimsMs: 0 });
}

/** Creates `ids` and claims them all under `leaseId`; returns the work items by id. */
async function claimed(s: PostgresStore, ids: string[], leaseId: string, now = 1000): Promise<Map<string, OrchestrationWorkItem>> {
  for (const id of ids) if ((await s.getInstance(id)) === undefined) await s.createInstance(createRequest(id));
  const items = await s.claimOrchestrations({ leaseId, now, leaseMs: 60_000, limit: ids.length, instanceIds: ids });
  assert.equal(items.length, ids.length);
  return new Map(items.map((i) => [i.instance.instanceId, i]));
}

function task(id: string, taskId: number, executionId: string): NewActivityTask {
  return { instanceId: id, executionId, taskId, name: 'act', data: `{"of":"${id}","n":${taskId}}`, visibleAt: 1000 };
}

/**
 * Commits `turns` as ONE batch: a turn of the extra instance `blocker` goes first, alone (the
 * batcher is idle), and the others queue behind it; checks they went as one statement, the
 * set-based one unless `setBased` is false.
 */
async function inOneBatch(s: PostgresStore, blocker: OrchestrationWorkItem, turns: TurnCommit[], setBased = true): Promise<PromiseSettledResult<CommittedTurn | void>[]> {
  const sets = (): number => s.turnBatches.stats.batches;
  const before = sets();
  const setStatements = roundTrips.byName.commitTurnsSet ?? 0;
  const first = s.commitTurn(turnFor(blocker, 'RUNNING', 1));
  const rest = turns.map((t) => s.commitTurn(t));
  const [, ...results] = await Promise.allSettled([first, ...rest]);
  assert.equal(sets() - before, 1, 'the turns went as one batch statement');
  assert.equal((roundTrips.byName.commitTurnsSet ?? 0) - setStatements, setBased ? 1 : 0, 'set-based statement or not');
  return results;
}

const code = (r: PromiseSettledResult<unknown>): string => (r.status === 'fulfilled' ? 'ok' : String((r.reason as { code?: string }).code));

describe('PostgreSQL store: set-based group commit of turns', { skip: pgSkipReason }, () => {
  it('tasks inserted leased come back to their own turn, with their own rows; unleased ones are claimable', async () => {
    const s = await store('turnset_tasks');
    const items = await claimed(s, ['z', 'a', 'b', 'c'], 'L');
    const lease = (tasks: number[]): TurnCommit['taskLease'] => ({ leaseId: 'W', lockExpiresAt: 50_000, tasks });
    const exec = (id: string): string => items.get(id)!.instance.executionId;
    const results = await inOneBatch(s, items.get('z')!, [
      turnFor(items.get('a')!, 'RUNNING', 2, { tasks: [task('a', 1, exec('a')), task('a', 2, exec('a'))], taskLease: lease([0, 1]) }),
      turnFor(items.get('b')!, 'RUNNING', 1, { tasks: [task('b', 1, exec('b')), task('b', 2, exec('b')), task('b', 3, exec('b'))], taskLease: lease([2]) }),
      turnFor(items.get('c')!, 'RUNNING', 1, { tasks: [task('c', 1, exec('c'))] }),
    ]);
    assert.deepEqual(results.map(code), ['ok', 'ok', 'ok']);
    const leased = results.map((r) => (r.status === 'fulfilled' ? (r.value?.leasedTasks ?? []) : []));
    assert.deepEqual(
      leased.map((ts) => ts.map((t) => [t.instanceId, t.taskId, t.leaseId, t.dequeueCount])),
      [
        [
          ['a', 1, 'W', 1],
          ['a', 2, 'W', 1],
        ],
        [['b', 3, 'W', 1]],
        [],
      ],
    );
    // The ids are the rows: completing a leased task by its id and lease works, and it is gone after.
    const [a1, a2] = leased[0];
    assert.ok(a1.id !== a2.id);
    const unleased = await s.claimActivities({ leaseId: 'X', now: 2000, leaseMs: 10_000, limit: 10 });
    assert.deepEqual(unleased.map((t) => `${t.instanceId}/${t.taskId}`).sort(), ['b/1', 'b/2', 'c/1'], 'only the tasks not named by a lease are claimable');
    const [a] = await s.claimOrchestrations({ leaseId: 'L2', now: 2000, leaseMs: 60_000, limit: 1, instanceIds: ['a'] });
    await s.commitTurn(turnFor(a ?? { ...items.get('a')!, leaseId: 'L2' }, 'RUNNING', 1, { completedTasks: [{ taskRowId: a1.id, leaseId: 'W' }] }));
  });

  it('a lost task lease fails only its own turn and writes nothing of it', async () => {
    const s = await store('turnset_tasklease');
    const items = await claimed(s, ['z', 'a', 'b'], 'L');
    const exec = (id: string): string => items.get(id)!.instance.executionId;
    const lease = { leaseId: 'W', lockExpiresAt: 50_000, tasks: [0] };
    const [ta] = (await s.commitTurn(turnFor(items.get('a')!, 'RUNNING', 1, { tasks: [task('a', 1, exec('a'))], taskLease: lease })))!.leasedTasks;
    const [tb] = (await s.commitTurn(turnFor(items.get('b')!, 'RUNNING', 1, { tasks: [task('b', 1, exec('b'))], taskLease: lease })))!.leasedTasks;
    const again = await claimed(s, ['a', 'b'], 'L2');
    const results = await inOneBatch(s, items.get('z')!, [
      turnFor(again.get('a')!, 'RUNNING', 1, { completedTasks: [{ taskRowId: ta.id, leaseId: 'W' }] }),
      turnFor(again.get('b')!, 'RUNNING', 1, { completedTasks: [{ taskRowId: tb.id, leaseId: 'not-W' }] }),
    ]);
    assert.deepEqual(results.map(code), ['ok', 'LEASE_LOST']);
    assert.equal((await s.getInstance('a'))?.historyLength, 2);
    assert.equal((await s.getInstance('b'))?.historyLength, 1, "nothing of b's turn was written");
    const left = await s.claimActivities({ leaseId: 'X', now: 60_000, leaseMs: 10_000, limit: 10 });
    assert.deepEqual(left.map((t) => t.instanceId), ['b'], "a's task was deleted, b's stays");
  });

  it('claim-free turns commit when nothing changed, and are refused when locked or sent a visible message by a batch-mate', async () => {
    const s = await store('turnset_free');
    const items = await claimed(s, ['z', 'f1', 'f2', 'f3', 's'], 'L');
    // Commit a first turn of each (unlocked, empty inbox, history length 1).
    for (const id of ['f1', 'f2', 'f3', 's']) await s.commitTurn(turnFor(items.get(id)!, 'RUNNING', 1));
    const relocked = await claimed(s, ['s'], 'L3', 2000);
    const free = (id: string): TurnCommit => {
      const item = items.get(id)!;
      return turnFor({ ...item, instance: { ...item.instance, historyLength: 1 }, messages: [], leaseId: 'none' }, 'RUNNING', 1, { claimless: { now: 1500, executionId: item.instance.executionId } });
    };
    // f3 gets locked before the batch; 's' (leased) sends f2 a message visible at once.
    await claimed(s, ['f3'], 'L4', 2000);
    const results = await inOneBatch(s, items.get('z')!, [
      free('f1'),
      free('f2'),
      free('f3'),
      turnFor(relocked.get('s')!, 'RUNNING', 1, { messages: [{ instanceId: 'f2', data: 'hello', visibleAt: 1000 }] }),
    ]);
    assert.deepEqual(results.map(code), ['ok', 'LEASE_LOST', 'LEASE_LOST', 'ok']);
    assert.equal((await s.getInstance('f1'))?.historyLength, 2);
    assert.equal((await s.getInstance('f2'))?.historyLength, 1);
    assert.equal((await s.getInstance('f3'))?.historyLength, 1);
    const [f2] = await s.claimOrchestrations({ leaseId: 'M', now: 3000, leaseMs: 1000, limit: 1, instanceIds: ['f2'] });
    assert.deepEqual(f2?.messages.map((m) => m.data), ['hello'], "s's message reached f2, which is claimable for it");
  });

  it('final turns drop their inbox, tasks and wait keys; other turns replace their wait keys; messages to missing instances are dropped', async () => {
    const s = await store('turnset_final');
    const items = await claimed(s, ['z', 'done', 'w'], 'L');
    const exec = (id: string): string => items.get(id)!.instance.executionId;
    await s.commitTurn(turnFor(items.get('done')!, 'RUNNING', 1, { tasks: [task('done', 1, exec('done'))], waitKeys: ['k-done'] }));
    await s.commitTurn(turnFor(items.get('w')!, 'RUNNING', 1, { waitKeys: ['k-old'] }));
    const again = await claimed(s, ['done', 'w'], 'L2', 2000);
    const results = await inOneBatch(s, items.get('z')!, [
      turnFor(again.get('done')!, 'COMPLETED', 1, { dropPendingWork: true, messages: [{ instanceId: 'done', data: 'self', visibleAt: 1000 }] }),
      turnFor(again.get('w')!, 'RUNNING', 1, { waitKeys: ['k-new', 'k-new2'], messages: [{ instanceId: 'nobody', data: 'lost', visibleAt: 1000 }] }),
    ]);
    assert.deepEqual(results.map(code), ['ok', 'ok']);
    assert.equal((await s.getInstance('done'))?.status, 'COMPLETED');
    assert.deepEqual(await s.claimActivities({ leaseId: 'X', now: 90_000, leaseMs: 1000, limit: 10 }), [], "the final turn's task is gone");
    assert.deepEqual(await s.claimOrchestrations({ leaseId: 'Y', now: 90_000, leaseMs: 1000, limit: 10 }), [], 'no message stayed (self-message of a final turn, message to a missing instance)');
    for (const key of ['k-done', 'k-old']) assert.deepEqual(await s.findWaitingInstances(key), [], key);
    for (const key of ['k-new', 'k-new2']) assert.deepEqual(await s.findWaitingInstances(key), ['w'], key);
  });

  it('two turns of one instance in one batch: the first commits, the later one fails as it would alone', async () => {
    const s = await store('turnset_dup');
    const items = await claimed(s, ['z', 'a'], 'L');
    const results = await inOneBatch(s, items.get('z')!, [turnFor(items.get('a')!, 'RUNNING', 1), turnFor(items.get('a')!, 'RUNNING', 1)], false);
    assert.deepEqual(results.map(code), ['ok', 'LEASE_LOST']);
    assert.equal((await s.getInstance('a'))?.historyLength, 1);
  });
});
