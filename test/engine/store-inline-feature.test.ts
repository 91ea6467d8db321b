// The optional store feature `inlineActivityCompletion` (src/store/INTERFACE-CHANGES.md), checked on
// every backend that declares it: claim by instance ids, and completedTasks deleted in the turn.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { STORE_KINDS, rejectsWithCode } from './harness.js';
import { T, turn, withStore } from './store-feature-helpers.js';
import type { Store } from '../../src/store/types.js';

/** Creates instance `id`, runs its first turn scheduling one task, and claims that task. */
async function instanceWithClaimedTask(store: Store, id: string): Promise<{ taskRowId: number; leaseId: string }> {
  await store.createInstance({ instanceId: id, executionId: `${id}-e`, name: 'wf', createdAt: T, startMessage: { data: '{}', visibleAt: T } });
  const [item] = await store.claimOrchestrations({ leaseId: `${id}-l1`, now: T, leaseMs: 1000, limit: 10 });
  await store.commitTurn(turn(item!, { tasks: [{ instanceId: id, executionId: `${id}-e`, taskId: 1, name: 'act', data: '{}', visibleAt: T }] }));
  const [task] = await store.claimActivities({ leaseId: `${id}-a1`, now: T, leaseMs: 1000, limit: 1 });
  assert.ok(task);
  return { taskRowId: task.id, leaseId: task.leaseId };
}

for (const kind of STORE_KINDS) {
  describe(`store feature inlineActivityCompletion (${kind})`, () => {
    it('is declared, or every case below is skipped with a reason', async (t) => {
      await withStore(kind, async (store) => {
        if (!store.features?.inlineActivityCompletion) t.skip(`the ${kind} store does not declare it (the engine falls back to completeActivity)`);
      });
    });

    it('claims listed instances even without visible messages, skipping locked and unknown ones', async (t) => {
      await withStore(kind, async (store) => {
        if (!store.features?.inlineActivityCompletion) return t.skip('feature not declared');
        await instanceWithClaimedTask(store, 'a');
        await instanceWithClaimedTask(store, 'b');
        await store.claimOrchestrations({ leaseId: 'other', now: T, leaseMs: 1000, limit: 10, instanceIds: ['b'] });
        const got = await store.claimOrchestrations({ leaseId: 'mine', now: T, leaseMs: 1000, limit: 10, instanceIds: ['a', 'b', 'ghost'] });
        assert.deepEqual(got.map((g) => [g.instance.instanceId, g.messages.length, g.leaseId]), [['a', 0, 'mine']]);
        // a general claim does not see 'a' now: it is locked
        await store.enqueueMessages([{ instanceId: 'a', data: '{}', visibleAt: T }]);
        assert.deepEqual(await store.claimOrchestrations({ leaseId: 'x', now: T, leaseMs: 1000, limit: 10 }), []);
      });
    });

    it('deletes completed tasks in the turn, and refuses the whole turn if a task lease is lost', async (t) => {
      await withStore(kind, async (store) => {
        if (!store.features?.inlineActivityCompletion) return t.skip('feature not declared');
        const a = await instanceWithClaimedTask(store, 'a');
        const [item] = await store.claimOrchestrations({ leaseId: 'l2', now: T, leaseMs: 1000, limit: 1, instanceIds: ['a'] });
        await rejectsWithCode(store.commitTurn(turn(item!, { completedTasks: [{ taskRowId: a.taskRowId, leaseId: 'not-mine' }] })), 'LEASE_LOST');
        assert.equal((await store.getInstance('a'))?.historyLength, 1, 'nothing of the refused turn was written');
        await store.commitTurn(turn(item!, { completedTasks: [a] }));
        assert.equal((await store.getInstance('a'))?.historyLength, 2);
        // the task is gone: completing it the ordinary way now fails, and no claim returns it
        await rejectsWithCode(store.completeActivity({ taskRowId: a.taskRowId, leaseId: a.leaseId, message: { instanceId: 'a', data: '{}', visibleAt: T } }), 'LEASE_LOST');
        assert.deepEqual(await store.claimActivities({ leaseId: 'z', now: T + 10_000, leaseMs: 1000, limit: 10 }), []);
      });
    });
  });
}
