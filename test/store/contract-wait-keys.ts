/**
 * @module test/store/contract-wait-keys
 * The wait-key index on every backend (issue 18): the keys an instance's turn records
 * ({@link TurnCommit.waitKeys}) are found by {@link Store.findWaitingInstances}, replaced by a
 * later turn that gives keys, kept by one that does not, and deleted by a final turn, a purge, a
 * replacing create — and never written by a turn that fails. Registered by storeContract().
 */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Store } from '../../src/store/types.js';
import { claimOne, createRequest, rejectsWithCode, turnFor } from './contract-helpers.js';

/** An external event message for `id`, visible at `at`, so the instance can be claimed again. */
function nudge(id: string, at: number) {
  return { instanceId: id, data: JSON.stringify({ kind: 'EventRaised', at }), visibleAt: at };
}

/** Registers the wait-key tests; `current()` is the fresh store of the running test. */
export function waitKeyContract(current: () => Store): void {
  describe('wait keys (the index of waiting correlation keys)', () => {
    it("a turn's keys are found by key, in id order; several instances may hold one key", async () => {
      const store = current();
      for (const [id, keys] of [
        ['w2', ['order=1', 'any']],
        ['w1', ['order=2', 'any']],
      ] as const) {
        await store.createInstance(createRequest(id));
        await store.commitTurn(turnFor(await claimOne(store, id, 1000), 'RUNNING', 1, { waitKeys: [...keys] }));
      }
      assert.deepEqual(await store.findWaitingInstances('order=1'), ['w2']);
      assert.deepEqual(await store.findWaitingInstances('order=2'), ['w1']);
      assert.deepEqual(await store.findWaitingInstances('any'), ['w1', 'w2']);
      assert.deepEqual(await store.findWaitingInstances('any', 1), ['w1'], 'the limit caps the answer');
      assert.deepEqual(await store.findWaitingInstances('order=3'), []);
    });

    it('a later turn with keys replaces them, one without keeps them, an empty list clears them', async () => {
      const store = current();
      await store.createInstance(createRequest('w'));
      await store.commitTurn(turnFor(await claimOne(store, 'w', 1000), 'RUNNING', 1, { waitKeys: ['a', 'a', 'b'] }));
      assert.deepEqual(await store.findWaitingInstances('a'), ['w'], 'a repeated key is held once');
      await store.enqueueMessages([nudge('w', 1100)]);
      await store.commitTurn(turnFor(await claimOne(store, 'w', 1100), 'RUNNING', 1, { waitKeys: ['c'] }));
      assert.deepEqual(await store.findWaitingInstances('a'), []);
      assert.deepEqual(await store.findWaitingInstances('b'), []);
      assert.deepEqual(await store.findWaitingInstances('c'), ['w']);
      await store.enqueueMessages([nudge('w', 1200)]);
      await store.commitTurn(turnFor(await claimOne(store, 'w', 1200), 'RUNNING', 1));
      assert.deepEqual(await store.findWaitingInstances('c'), ['w'], 'no waitKeys: unchanged');
      await store.enqueueMessages([nudge('w', 1300)]);
      await store.commitTurn(turnFor(await claimOne(store, 'w', 1300), 'RUNNING', 1, { waitKeys: [] }));
      assert.deepEqual(await store.findWaitingInstances('c'), []);
    });

    it('a final turn (dropPendingWork) deletes the keys, whatever it gives', async () => {
      const store = current();
      await store.createInstance(createRequest('w'));
      await store.commitTurn(turnFor(await claimOne(store, 'w', 1000), 'RUNNING', 1, { waitKeys: ['k'] }));
      await store.enqueueMessages([nudge('w', 1100)]);
      await store.commitTurn(turnFor(await claimOne(store, 'w', 1100), 'TERMINATED', 1, { dropPendingWork: true, waitKeys: ['k'] }));
      assert.deepEqual(await store.findWaitingInstances('k'), []);
    });

    it('purging, or replacing a finished instance, deletes its keys', async () => {
      const store = current();
      for (const id of ['p', 'r']) {
        await store.createInstance(createRequest(id));
        await store.commitTurn(turnFor(await claimOne(store, id, 1000), 'RUNNING', 1, { waitKeys: [`k-${id}`] }));
        // Finished without dropping work (as a backend may see it): the purge/replace must clean up.
        await store.enqueueMessages([nudge(id, 1100)]);
        await store.commitTurn(turnFor(await claimOne(store, id, 1100), 'COMPLETED', 1));
      }
      assert.deepEqual(await store.findWaitingInstances('k-p'), ['p']);
      assert.deepEqual(await store.purgeInstances(['p']), ['p']);
      assert.deepEqual(await store.findWaitingInstances('k-p'), []);
      await store.createInstance(createRequest('r', 2000, { executionId: 'r-exec-2' }));
      assert.deepEqual(await store.findWaitingInstances('k-r'), []);
    });

    it('a turn that fails its lease check writes no keys', async () => {
      const store = current();
      await store.createInstance(createRequest('w'));
      const item = await claimOne(store, 'w', 1000);
      await rejectsWithCode(store.commitTurn({ ...turnFor(item, 'RUNNING', 1, { waitKeys: ['k'] }), leaseId: 'not-mine' }), 'LEASE_LOST');
      assert.deepEqual(await store.findWaitingInstances('k'), []);
      await store.commitTurn(turnFor(item, 'RUNNING', 1, { waitKeys: ['k'] }));
      assert.deepEqual(await store.findWaitingInstances('k'), ['w']);
    });
  });
}
