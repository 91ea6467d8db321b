// The optional store feature `turnShortcuts` (src/store/INTERFACE-CHANGES.md), checked on every
// backend that declares it: tasks inserted pre-leased by the turn that creates them, and turns
// committed without a claim only when the skipped claim would have found nothing.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { STORE_KINDS, rejectsWithCode } from './harness.js';
import { T, turn, withStore } from './store-feature-helpers.js';
import { ReusePolicy, type NewActivityTask, type OrchestrationWorkItem, type Store, type TurnCommit } from '../../src/store/types.js';

function task(id: string, taskId: number, visibleAt = T): NewActivityTask {
  return { instanceId: id, executionId: `${id}-e`, taskId, name: 'act', data: `{"n":${taskId}}`, visibleAt };
}

/** Creates `id` and commits its first turn (history length 1, unlocked, empty inbox). */
async function startedInstance(store: Store, id: string): Promise<void> {
  await store.createInstance({ instanceId: id, executionId: `${id}-e`, name: 'wf', createdAt: T, startMessage: { data: '{}', visibleAt: T } });
  const [item] = await store.claimOrchestrations({ leaseId: `${id}-l1`, now: T, leaseMs: 1000, limit: 10 });
  await store.commitTurn(turn(item!, {}));
}

/** A claim-free turn of `id` at history length `seq` (what the engine sends for a cached runtime). */
function claimFree(id: string, seq: number, extra: Partial<TurnCommit> = {}): TurnCommit {
  const instance = { instanceId: id, executionId: `${id}-e`, name: 'wf', historyLength: seq } as OrchestrationWorkItem['instance'];
  return turn({ instance, messages: [], leaseId: 'none', epoch: 0 }, { claimless: { now: T + 10, executionId: `${id}-e` }, ...extra });
}

for (const kind of STORE_KINDS) {
  describe(`store feature turnShortcuts (${kind})`, () => {
    it('is declared, or every case below is skipped with a reason', async (t) => {
      await withStore(kind, async (store) => {
        if (!store.features?.turnShortcuts) t.skip(`the ${kind} store does not declare it (the engine claims as before)`);
      });
    });

    it('claims a new instance in its create, as a claim right after the create would have', async (t) => {
      await withStore(kind, async (store) => {
        if (!store.features?.turnShortcuts) return t.skip('feature not declared');
        const r = await store.createInstance({
          instanceId: 'a',
          executionId: 'a-e',
          name: 'wf',
          createdAt: T,
          startMessage: { data: '{"start":1}', visibleAt: T },
          claim: { leaseId: 'n:1:o1', now: T, leaseMs: 500 },
        });
        assert.equal(r.created, true);
        assert.ok(r.claimed);
        assert.deepEqual(
          [r.claimed.leaseId, r.claimed.instance.instanceId, r.claimed.messages.map((m) => [m.data, m.dequeueCount])],
          ['n:1:o1', 'a', [['{"start":1}', 1]]],
        );
        // Locked: nobody else claims it until the lease expires; then it comes back with its start.
        assert.deepEqual(await store.claimOrchestrations({ leaseId: 'x', now: T + 1, leaseMs: 500, limit: 10 }), []);
        const [again] = await store.claimOrchestrations({ leaseId: 'y', now: T + 500, leaseMs: 500, limit: 10 });
        assert.deepEqual(again?.messages.map((m) => [m.data, m.dequeueCount]), [['{"start":1}', 2]]);
        assert.ok(again!.epoch > r.claimed.epoch, 'the takeover fences the pre-claim');
        await rejectsWithCode(store.commitTurn(turn(r.claimed, {})), 'LEASE_LOST');
        await store.commitTurn(turn(again!, {}));
        // IGNORE of an existing id creates nothing and claims nothing.
        const ignored = await store.createInstance({
          instanceId: 'a',
          executionId: 'a-e2',
          name: 'wf',
          createdAt: T,
          startMessage: { data: '{}', visibleAt: T },
          reusePolicy: ReusePolicy.IGNORE,
          claim: { leaseId: 'n:1:o2', now: T + 600, leaseMs: 500 },
        });
        assert.deepEqual(ignored, { created: false });
      });
    });

    it('a create-claim given back with a delay hands its start out again then, as a claim would', async (t) => {
      await withStore(kind, async (store) => {
        if (!store.features?.turnShortcuts) return t.skip('feature not declared');
        const r = await store.createInstance({
          instanceId: 'd',
          executionId: 'd-e',
          name: 'wf',
          createdAt: T,
          input: '{"in":1}',
          startMessage: { data: '{"start":1}', visibleAt: T },
          claim: { leaseId: 'n:1:o1', now: T, leaseMs: 500 },
        });
        assert.deepEqual(r.claimed?.instance, await store.getInstance('d'), 'the claimed record is the row');
        await store.abandonOrchestration('d', 'n:1:o1', T + 300);
        assert.deepEqual(await store.claimOrchestrations({ leaseId: 'x', now: T + 299, leaseMs: 500, limit: 10 }), []);
        const [again] = await store.claimOrchestrations({ leaseId: 'y', now: T + 300, leaseMs: 500, limit: 10 });
        assert.deepEqual(again?.messages.map((m) => [m.id, m.data, m.dequeueCount]), [[r.claimed!.messages[0]!.id, '{"start":1}', 2]]);
        assert.equal(again!.epoch, r.claimed!.epoch + 1);
      });
    });

    it('inserts the named tasks leased, as a claim right after the commit would have', async (t) => {
      await withStore(kind, async (store) => {
        if (!store.features?.turnShortcuts) return t.skip('feature not declared');
        await store.createInstance({ instanceId: 'a', executionId: 'a-e', name: 'wf', createdAt: T, startMessage: { data: '{}', visibleAt: T } });
        const [item] = await store.claimOrchestrations({ leaseId: 'l1', now: T, leaseMs: 1000, limit: 10 });
        const result = await store.commitTurn(
          turn(item!, { tasks: [task('a', 1), task('a', 2), task('a', 3)], taskLease: { leaseId: 'p:a1', lockExpiresAt: T + 500, tasks: [0, 2] } }),
        );
        assert.ok(result);
        assert.deepEqual(
          result.leasedTasks.map((w) => [w.taskId, w.leaseId, w.dequeueCount, w.data, w.instanceId, w.executionId]),
          [
            [1, 'p:a1', 1, '{"n":1}', 'a', 'a-e'],
            [3, 'p:a1', 1, '{"n":3}', 'a', 'a-e'],
          ],
        );
        // Only the task not leased is claimable now; the leased ones come back after the lease.
        const now = await store.claimActivities({ leaseId: 'c1', now: T + 1, leaseMs: 1000, limit: 10 });
        assert.deepEqual(now.map((w) => w.taskId), [2]);
        const [first, third] = result.leasedTasks;
        await store.completeActivity({ taskRowId: first!.id, leaseId: 'p:a1', message: { instanceId: 'a', data: '{}', visibleAt: T } });
        const later = await store.claimActivities({ leaseId: 'c2', now: T + 500, leaseMs: 1000, limit: 10 });
        assert.deepEqual(later.map((w) => [w.id, w.dequeueCount]), [[third!.id, 2]], 'an expired pre-lease is claimed again, counted as a second delivery');
        await rejectsWithCode(store.completeActivity({ taskRowId: third!.id, leaseId: 'p:a1', message: { instanceId: 'a', data: '{}', visibleAt: T } }), 'LEASE_LOST');
      });
    });

    it('releases pre-leased tasks with the lease prefix of a restarted node', async (t) => {
      await withStore(kind, async (store) => {
        if (!store.features?.turnShortcuts) return t.skip('feature not declared');
        await store.createInstance({ instanceId: 'a', executionId: 'a-e', name: 'wf', createdAt: T, startMessage: { data: '{}', visibleAt: T } });
        const [item] = await store.claimOrchestrations({ leaseId: 'node:1:o1', now: T, leaseMs: 1000, limit: 10 });
        await store.commitTurn(turn(item!, { tasks: [task('a', 1)], taskLease: { leaseId: 'node:1:a1', lockExpiresAt: T + 60_000, tasks: [0] } }));
        assert.deepEqual(await store.releaseLeases('node:1:'), { instances: 0, tasks: 1 });
        assert.equal((await store.claimActivities({ leaseId: 'c', now: T + 1, leaseMs: 1000, limit: 10 })).length, 1);
      });
    });

    it('commits a claim-free turn of an unlocked, unchanged instance with nothing visible', async (t) => {
      await withStore(kind, async (store) => {
        if (!store.features?.turnShortcuts) return t.skip('feature not declared');
        await startedInstance(store, 'a');
        // A timer due later does not stand in the way: the skipped claim would not have returned it.
        await store.enqueueMessages([{ instanceId: 'a', data: '{"timer":1}', visibleAt: T + 10_000 }]);
        const result = await store.commitTurn(claimFree('a', 1, { tasks: [task('a', 1)], taskLease: { leaseId: 'p:a1', lockExpiresAt: T + 500, tasks: [0] } }));
        assert.equal(result?.leasedTasks.length, 1);
        const a = await store.getInstance('a');
        assert.equal(a?.historyLength, 2);
        // Still unlocked: the timer is claimable when due.
        const [due] = await store.claimOrchestrations({ leaseId: 'l2', now: T + 10_000, leaseMs: 1000, limit: 10 });
        assert.equal(due?.messages.length, 1);
      });
    });

    it('refuses a claim-free turn (nothing written) when a message is visible, the instance is locked, or it changed', async (t) => {
      await withStore(kind, async (store) => {
        if (!store.features?.turnShortcuts) return t.skip('feature not declared');
        await startedInstance(store, 'a');
        await store.enqueueMessages([{ instanceId: 'a', data: '{"event":1}', visibleAt: T + 5 }]);
        await rejectsWithCode(store.commitTurn(claimFree('a', 1, { tasks: [task('a', 1)] })), 'LEASE_LOST');
        assert.equal((await store.getInstance('a'))?.historyLength, 1, 'nothing of the refused turn was written');
        assert.deepEqual(await store.claimActivities({ leaseId: 'z', now: T + 10_000, leaseMs: 1000, limit: 10 }), []);

        // Locked by a claim (even one whose lease has expired by the turn's clock).
        const [item] = await store.claimOrchestrations({ leaseId: 'l2', now: T + 5, leaseMs: 1, limit: 10 });
        assert.equal(item?.messages.length, 1);
        await rejectsWithCode(store.commitTurn(claimFree('a', 1)), 'LEASE_LOST');
        await store.commitTurn(turn(item!, {}));

        // Changed since: another execution, or more history than the engine saw.
        await rejectsWithCode(store.commitTurn({ ...claimFree('a', 2), claimless: { now: T + 10, executionId: 'other' } }), 'LEASE_LOST');
        await rejectsWithCode(store.commitTurn(claimFree('a', 1)), 'HISTORY_CONFLICT');
        await store.commitTurn(claimFree('a', 2));
        assert.equal((await store.getInstance('a'))?.historyLength, 3);
      });
    });

    it('does both in a turn that also starts a child (PostgreSQL: the multi-statement commit)', async (t) => {
      await withStore(kind, async (store) => {
        if (!store.features?.turnShortcuts) return t.skip('feature not declared');
        const child = (id: string) => ({
          instanceId: id,
          executionId: `${id}-e`,
          name: 'wf',
          createdAt: T,
          parentInstanceId: 'a',
          startMessage: { data: '{}', visibleAt: T },
        });
        await store.createInstance({ instanceId: 'a', executionId: 'a-e', name: 'wf', createdAt: T, startMessage: { data: '{}', visibleAt: T } });
        const [item] = await store.claimOrchestrations({ leaseId: 'l1', now: T, leaseMs: 1000, limit: 1, instanceIds: ['a'] });
        const leased = await store.commitTurn(
          turn(item!, { tasks: [task('a', 1), task('a', 2)], taskLease: { leaseId: 'p:a1', lockExpiresAt: T + 500, tasks: [1] }, newInstances: [child('c1')] }),
        );
        assert.deepEqual(leased?.leasedTasks.map((w) => [w.taskId, w.leaseId, w.dequeueCount]), [[2, 'p:a1', 1]]);
        assert.deepEqual((await store.claimActivities({ leaseId: 'c', now: T + 1, leaseMs: 1000, limit: 10 })).map((w) => w.taskId), [1]);
        // Claim-free, with a child: written when unchanged, refused (nothing written, no child) when changed.
        await rejectsWithCode(store.commitTurn({ ...claimFree('a', 1, { newInstances: [child('c2')] }), claimless: { now: T + 10, executionId: 'other' } }), 'LEASE_LOST');
        assert.equal(await store.getInstance('c2'), undefined, 'the refused turn created nothing');
        const free = await store.commitTurn(claimFree('a', 1, { newInstances: [child('c2')], tasks: [task('a', 3)], taskLease: { leaseId: 'p:a2', lockExpiresAt: T + 500, tasks: [0] } }));
        assert.deepEqual(free?.leasedTasks.map((w) => w.taskId), [3]);
        assert.deepEqual([(await store.getInstance('a'))?.historyLength, (await store.getInstance('c2'))?.name], [2, 'wf']);
      });
    });
  });
}
