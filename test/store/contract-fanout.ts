/**
 * @module test/store/contract-fanout
 * The fan-out rule of a turn's children on every backend (issue 18, TreeLimit in
 * store/types-requests.ts): the root's count of instances created under it, refusals delivered
 * instead of a child (onLimit, onTerminating), the terminating mark a recursive terminate leaves,
 * and the count restarting on a root's continue-as-new. Registered by storeContract().
 */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { NewMessage, Store, TurnNewInstance } from '../../src/store/types.js';
import { claimOne, createRequest, turnFor } from './contract-helpers.js';

/** A child `id` of `parent` in the tree of `root`, bounded to `max` instances. */
function child(id: string, parent: string, root: string, max: number, at = 1000): TurnNewInstance {
  return {
    ...createRequest(id, at),
    parentInstanceId: parent,
    onConflict: { instanceId: parent, data: `conflict:${id}`, visibleAt: at },
    tree: {
      rootInstanceId: root,
      maxInstances: max,
      onLimit: { instanceId: parent, data: `limit:${id}`, visibleAt: at },
      onTerminating: { instanceId: parent, data: `terminating:${id}`, visibleAt: at },
    },
  };
}

/** The data of the messages `id` can be claimed with at `now`. */
async function inbox(store: Store, id: string, now: number): Promise<string[]> {
  const item = await claimOne(store, id, now);
  await store.abandonOrchestration(id, item.leaseId);
  return item.messages.map((m) => m.data);
}

/** Registers the fan-out tests; `current()` is the fresh store of the running test. */
export function fanoutContract(current: () => Store): void {
  describe('fan-out bounds of a turn’s children (TreeLimit)', () => {
    it('the root counts every instance created in its tree; past maxInstances onLimit is delivered instead, nothing created', async () => {
      const store = current();
      await store.createInstance(createRequest('r'));
      const r1 = await claimOne(store, 'r', 1000);
      await store.commitTurn(turnFor(r1, 'RUNNING', 1, { newInstances: [child('r-a', 'r', 'r', 3), child('r-b', 'r', 'r', 3)] }));
      // A grandchild counts against the same root: the third instance is created, the fourth is not.
      const a = await claimOne(store, 'r-a', 1000);
      await store.commitTurn(turnFor(a, 'RUNNING', 1, { newInstances: [child('r-a-x', 'r-a', 'r', 3), child('r-a-y', 'r-a', 'r', 3)] }));
      assert.equal((await store.getInstance('r-a-x'))?.status, 'PENDING');
      assert.equal(await store.getInstance('r-a-y'), undefined, 'over the limit: not created');
      assert.deepEqual(await inbox(store, 'r-a', 1000), ['limit:r-a-y']);
      // Another root has a count of its own.
      await store.createInstance(createRequest('s'));
      const s = await claimOne(store, 's', 1000);
      await store.commitTurn(turnFor(s, 'RUNNING', 1, { newInstances: [child('s-a', 's', 's', 1), child('s-b', 's', 's', 1)] }));
      assert.equal((await store.getInstance('s-a'))?.status, 'PENDING');
      assert.equal(await store.getInstance('s-b'), undefined);
      assert.deepEqual(await inbox(store, 's', 1000), ['limit:s-b']);
    });

    it('a child refused by its reuse policy is not counted', async () => {
      const store = current();
      await store.createInstance(createRequest('taken'));
      await store.createInstance(createRequest('r'));
      const r1 = await claimOne(store, 'r', 1000);
      await store.commitTurn(turnFor(r1, 'RUNNING', 1, { newInstances: [child('taken', 'r', 'r', 1), child('r-a', 'r', 'r', 1)] }));
      assert.equal((await store.getInstance('r-a'))?.status, 'PENDING', 'the refused id did not use up the count');
      assert.deepEqual(await inbox(store, 'r', 1000), ['conflict:taken']);
    });

    it('after a recursive terminate reaches the root, no child is created anywhere in its tree: onTerminating is delivered', async () => {
      const store = current();
      await store.createInstance(createRequest('r'));
      await store.commitTurn(turnFor(await claimOne(store, 'r', 1000), 'RUNNING', 1, { newInstances: [child('r-a', 'r', 'r', 100)] }));
      // The child's turn is in flight while the terminate reaches the root.
      const a = await claimOne(store, 'r-a', 1000);
      const terminate: NewMessage = { instanceId: 'r', data: 'terminate', visibleAt: 1000, terminates: true };
      await store.enqueueMessages([terminate]);
      await store.commitTurn(turnFor(a, 'RUNNING', 1, { newInstances: [child('r-a-x', 'r-a', 'r', 100)] }));
      assert.equal(await store.getInstance('r-a-x'), undefined);
      assert.deepEqual(await inbox(store, 'r-a', 1000), ['terminating:r-a-x']);
    });

    it('a recursive terminate delivered by a turn marks its target: the target creates no child from then on', async () => {
      const store = current();
      await store.createInstance(createRequest('r'));
      await store.commitTurn(turnFor(await claimOne(store, 'r', 1000), 'RUNNING', 1, { newInstances: [child('r-a', 'r', 'r', 100)] }));
      const a = await claimOne(store, 'r-a', 1000);
      await store.enqueueMessages([{ instanceId: 'r', data: 'nudge', visibleAt: 1000 }]);
      // The root's (final) turn sends the child a recursive terminate, not itself terminating the tree.
      const r2 = await claimOne(store, 'r', 1000);
      await store.commitTurn(turnFor(r2, 'TERMINATED', 1, { dropPendingWork: true, messages: [{ instanceId: 'r-a', data: 'terminate', visibleAt: 1000, terminates: true }] }));
      await store.commitTurn(turnFor(a, 'RUNNING', 1, { newInstances: [child('r-a-x', 'r-a', 'r', 100)] }));
      assert.equal(await store.getInstance('r-a-x'), undefined);
      assert.deepEqual(await inbox(store, 'r-a', 1000), ['terminate', 'terminating:r-a-x']);
    });

    it('a plain (non-recursive) message marks nothing, and a root’s continue-as-new (resetTreeCount) restarts its count', async () => {
      const store = current();
      await store.createInstance(createRequest('r'));
      await store.commitTurn(turnFor(await claimOne(store, 'r', 1000), 'RUNNING', 1, { newInstances: [child('r-a', 'r', 'r', 1)] }));
      await store.enqueueMessages([{ instanceId: 'r', data: 'terminate, not recursive', visibleAt: 1000 }]);
      const r2 = await claimOne(store, 'r', 1000);
      await store.commitTurn(turnFor(r2, 'RUNNING', 1, { newInstances: [child('r-b', 'r', 'r', 1)] }));
      assert.equal(await store.getInstance('r-b'), undefined, 'the count is used up');
      const r3 = await claimOne(store, 'r', 1000);
      await store.commitTurn({
        ...turnFor(r3, 'RUNNING', 1, { newInstances: [child('r-c', 'r', 'r', 1)] }),
        resetHistory: true,
        resetTreeCount: true,
        firstSeq: 0,
        history: [{ seq: 0, type: 'OrchestratorStarted', timestamp: 1001, data: '{}' }],
      });
      assert.equal((await store.getInstance('r-c'))?.status, 'PENDING', 'counted from 0 again');
    });
  });
}
