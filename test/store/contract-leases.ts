/**
 * @module test/store/contract-leases
 * Lease semantics added by issue 9, on every backend: the instance lease owns its whole inbox
 * (finding 1: a takeover with a smaller window strands nothing), the lease epoch fences commits,
 * claims are filtered by the names a worker serves, and releaseLeases(prefix) frees a dead node's
 * leases at once. Registered by storeContract().
 */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { OrchestrationWorkItem, Store } from '../../src/store/types.js';
import { claimOne, createRequest, rejectsWithCode, task, turnFor } from './contract-helpers.js';

/**
 * Claims and commits the instance's work with `window` messages per claim until nothing is left,
 * following nextWakeAt; returns the consumed message payloads in consumption order. Bounded, so a
 * wedged instance ends the loop instead of hanging the test.
 */
async function drain(store: Store, now: number, window: number, prefix: string): Promise<{ consumed: string[]; now: number }> {
  const consumed: string[] = [];
  for (let round = 0; round < 50; round++) {
    const items = await store.claimOrchestrations({ leaseId: `${prefix}${round}`, now, leaseMs: 1000, limit: 10, maxMessagesPerInstance: window });
    if (items.length === 0) {
      const wake = await store.nextWakeAt(now);
      if (wake === undefined) break;
      now = wake;
      continue;
    }
    for (const item of items) {
      consumed.push(...item.messages.map((m) => m.data));
      await store.commitTurn(turnFor(item, 'RUNNING', 1));
    }
  }
  return { consumed, now };
}

/** Instance 'a' whose first turn armed a timer at 5000, then six events visible at 1000: the timer has the LOWER id. */
async function timerBelowEvents(store: Store): Promise<void> {
  await store.createInstance(createRequest('a'));
  const first = await claimOne(store, 'a', 1000, 'L0');
  await store.commitTurn(turnFor(first, 'RUNNING', 1, { messages: [{ instanceId: 'a', data: 'timer', visibleAt: 5000 }] }));
  await store.enqueueMessages(Array.from({ length: 6 }, (_, i) => ({ instanceId: 'a', data: `e${i}`, visibleAt: 1000 })));
}

const EVENTS = ['e0', 'e1', 'e2', 'e3', 'e4', 'e5'];

/** Registers the lease tests; `current()` is the fresh store of the running test. */
export function leaseContract(current: () => Store): void {
  describe('the instance lease owns its whole inbox', () => {
    it('finding 1: a takeover with a smaller window after a lower-id timer fired strands no message', async () => {
      const store = current();
      await timerBelowEvents(store);
      // Worker A claims with a window of 6 and dies holding the lease (expires at 3000).
      const [a] = await store.claimOrchestrations({ leaseId: 'A', now: 2000, leaseMs: 1000, limit: 10, maxMessagesPerInstance: 6 });
      assert.deepEqual(
        a.messages.map((m) => m.data),
        EVENTS,
      );
      assert.equal(await store.nextWakeAt(2000), 3000, "the dead lease's expiry wakes a worker");
      // At 5000 the timer (lower id) is visible too; worker B takes over with a window of 2.
      const [b] = await store.claimOrchestrations({ leaseId: 'B', now: 5000, leaseMs: 1000, limit: 10, maxMessagesPerInstance: 2 });
      assert.deepEqual(
        b.messages.map((m) => [m.data, m.dequeueCount]),
        [
          ['timer', 1],
          ['e0', 2],
        ],
      );
      await store.commitTurn(turnFor(b, 'RUNNING', 1));
      await rejectsWithCode(store.commitTurn(turnFor(a, 'RUNNING', 1)), 'LEASE_LOST');
      // Everything A had taken is still claimable, and each is consumed exactly once.
      const rest = await drain(store, 5000, 2, 'C');
      assert.deepEqual(rest.consumed, EVENTS.slice(1));
      assert.equal(rest.now, 5000, 'claimable at once, nothing waits for another expiry');
      assert.equal((await store.pendingWork('a', rest.now)).inboxMessages, 0);
      assert.equal(await store.nextWakeAt(rest.now), undefined);
    });

    it('finding 1: abandoning a takeover delays only what its claim returned, and nextWakeAt sees the rest', async () => {
      const store = current();
      await timerBelowEvents(store);
      await store.claimOrchestrations({ leaseId: 'A', now: 2000, leaseMs: 1000, limit: 10, maxMessagesPerInstance: 6 });
      const [b] = await store.claimOrchestrations({ leaseId: 'B', now: 5000, leaseMs: 1000, limit: 10, maxMessagesPerInstance: 2 });
      await store.abandonOrchestration('a', 'B', 9000);
      // e1..e5 were not returned to B: claimable now. timer and e0 come back at 9000.
      const [c] = await store.claimOrchestrations({ leaseId: 'C', now: 5000, leaseMs: 1000, limit: 10 });
      assert.deepEqual(
        c.messages.map((m) => m.data),
        EVENTS.slice(1),
      );
      await store.commitTurn(turnFor(c, 'RUNNING', 1));
      assert.equal(await store.nextWakeAt(5000), 9000);
      const late = await drain(store, 5000, 10, 'D');
      assert.deepEqual(late.consumed, ['timer', 'e0']);
      assert.equal(b.messages.length, 2);
    });

    it('messages that arrive while the instance is leased wait for the lease, then are claimable', async () => {
      const store = current();
      await store.createInstance(createRequest('a'));
      const item = await claimOne(store, 'a', 1000, 'L', 500);
      await store.enqueueMessages([{ instanceId: 'a', data: 'during', visibleAt: 1000 }]);
      assert.deepEqual(await store.claimOrchestrations({ leaseId: 'X', now: 1200, leaseMs: 500, limit: 10 }), []);
      assert.equal(await store.nextWakeAt(1200), 1500, 'ready when the lease expires');
      await store.commitTurn(turnFor(item, 'RUNNING', 1));
      assert.equal(await store.nextWakeAt(1200), undefined, 'after the commit it is ready now, nothing to wait for');
      assert.deepEqual(
        (await claimOne(store, 'a', 1200)).messages.map((m) => m.data),
        ['during'],
      );
    });
  });

  describe('lease epoch', () => {
    it('rises on every claim of the instance; a commit with another epoch is LEASE_LOST and writes nothing', async () => {
      const store = current();
      await store.createInstance(createRequest('a'));
      const first = await claimOne(store, 'a', 1000, 'L1', 100);
      assert.equal(typeof first.epoch, 'number');
      await rejectsWithCode(store.commitTurn({ ...turnFor(first, 'RUNNING', 1), epoch: first.epoch + 1 }), 'LEASE_LOST');
      assert.equal((await store.getInstance('a'))?.historyLength, 0, 'nothing of the fenced turn was written');
      // Expired and re-claimed: a higher epoch; the old lease and the old epoch are refused.
      const second = await claimOne(store, 'a', 1100, 'L2');
      assert.ok(second.epoch > first.epoch, `${second.epoch} > ${first.epoch}`);
      await rejectsWithCode(store.commitTurn({ ...turnFor(second, 'RUNNING', 1), epoch: first.epoch }), 'LEASE_LOST');
      await store.commitTurn({ ...turnFor(second, 'RUNNING', 1), epoch: second.epoch });
      assert.equal((await store.getInstance('a'))?.historyLength, 1);
      await store.enqueueMessages([{ instanceId: 'a', data: 'e', visibleAt: 1100 }]);
      const third = await claimOne(store, 'a', 1100, 'L3');
      assert.ok(third.epoch > second.epoch);
      await store.abandonOrchestration('a', 'L3');
      const [listed] = await store.claimOrchestrations({ leaseId: 'L4', now: 1100, leaseMs: 100, limit: 1, instanceIds: ['a'] });
      assert.ok(listed.epoch > third.epoch, 'a claim by instance id counts too');
      // A commit without an epoch is fenced by the lease id alone.
      await store.commitTurn(turnFor(listed, 'RUNNING', 1));
    });
  });

  describe('claims filtered by name', () => {
    it('claims only instances of served names; unserved work waits, also when its lease expired', async () => {
      const store = current();
      await store.createInstance(createRequest('mine', 1000, { name: 'wf' }));
      await store.createInstance(createRequest('theirs', 1000, { name: 'other' }));
      assert.deepEqual(await store.claimOrchestrations({ leaseId: 'N', now: 1000, leaseMs: 100, limit: 10, names: ['nobody'] }), []);
      assert.deepEqual(await store.claimOrchestrations({ leaseId: 'E', now: 1000, leaseMs: 100, limit: 10, names: [] }), [], 'an empty list serves nothing');
      const mine = await store.claimOrchestrations({ leaseId: 'W', now: 1000, leaseMs: 100, limit: 10, names: ['wf', 'also'] });
      assert.deepEqual(
        mine.map((i) => i.instance.instanceId),
        ['mine'],
      );
      const theirs = await store.claimOrchestrations({ leaseId: 'O', now: 1000, leaseMs: 100, limit: 10, names: ['other'] });
      assert.deepEqual(
        theirs.map((i) => i.instance.instanceId),
        ['theirs'],
      );
      // Both leases expire at 1100: a worker serving only 'wf' takes back 'mine', never 'theirs'.
      const again = await store.claimOrchestrations({ leaseId: 'W2', now: 1100, leaseMs: 100, limit: 10, names: ['wf'] });
      assert.deepEqual(
        again.map((i) => i.instance.instanceId),
        ['mine'],
      );
      assert.deepEqual(await store.claimOrchestrations({ leaseId: 'W3', now: 1100, leaseMs: 100, limit: 10, names: ['wf'] }), []);
      const all = await store.claimOrchestrations({ leaseId: 'ALL', now: 1100, leaseMs: 100, limit: 10 });
      assert.deepEqual(
        all.map((i) => i.instance.instanceId),
        ['theirs'],
        'absent names: any name',
      );
    });

    it('claims only activity tasks of served names, also when a lease expired', async () => {
      const store = current();
      await store.createInstance(createRequest('a'));
      const item = await claimOne(store, 'a', 1000);
      await store.commitTurn(turnFor(item, 'RUNNING', 1, { tasks: [task('a', 0), { ...task('a', 1), name: 'other' }, task('a', 2)] }));
      assert.deepEqual(await store.claimActivities({ leaseId: 'N', now: 1000, leaseMs: 100, limit: 10, names: ['nobody'] }), []);
      const other = await store.claimActivities({ leaseId: 'O', now: 1000, leaseMs: 100, limit: 10, names: ['other'] });
      assert.deepEqual(
        other.map((t) => t.taskId),
        [1],
      );
      const acts = await store.claimActivities({ leaseId: 'A', now: 1000, leaseMs: 100, limit: 10, names: ['act'] });
      assert.deepEqual(
        acts.map((t) => t.taskId),
        [0, 2],
      );
      const expired = await store.claimActivities({ leaseId: 'A2', now: 1100, leaseMs: 100, limit: 10, names: ['act'] });
      assert.deepEqual(
        expired.map((t) => [t.taskId, t.dequeueCount]),
        [
          [0, 2],
          [2, 2],
        ],
      );
      const rest = await store.claimActivities({ leaseId: 'ALL', now: 1100, leaseMs: 100, limit: 10 });
      assert.deepEqual(
        rest.map((t) => t.taskId),
        [1],
      );
    });
  });

  describe('releaseLeases', () => {
    it("releases exactly the leases starting with the prefix (no pattern characters), and the work is claimable at once", async () => {
      const store = current();
      // '_' and '%' are LIKE wildcards: 'w_1:' must not match 'wx1:…', and 'w%' must match only itself.
      const leases = ['w_1:o1', 'wx1:o2', 'w%:o3', 'w_10:o4'];
      const items: OrchestrationWorkItem[] = [];
      for (const [i, lease] of leases.entries()) {
        const id = `i${i}`;
        await store.createInstance(createRequest(id));
        items.push(await claimOne(store, id, 1000, lease));
      }
      await store.commitTurn(turnFor(items[0], 'RUNNING', 1, { consumedMessageIds: [], tasks: [task('i0', 0), task('i0', 1)] }));
      items[0] = await claimOne(store, 'i0', 1000, 'w_1:o5');
      const tasks = await store.claimActivities({ leaseId: 'w_1:a1', now: 1000, leaseMs: 30_000, limit: 1 });
      await store.claimActivities({ leaseId: 'wx1:a2', now: 1000, leaseMs: 30_000, limit: 1 });
      assert.deepEqual(await store.releaseLeases('w_1:'), { instances: 1, tasks: 1 });
      const claimed = await store.claimOrchestrations({ leaseId: 'new', now: 1000, leaseMs: 30_000, limit: 10 });
      assert.deepEqual(
        claimed.map((i) => i.instance.instanceId),
        ['i0'],
        'only the released instance',
      );
      const retaken = await store.claimActivities({ leaseId: 'new:a', now: 1000, leaseMs: 30_000, limit: 10 });
      assert.deepEqual(
        retaken.map((t) => t.id),
        [tasks[0].id],
      );
      await rejectsWithCode(store.commitTurn(turnFor(items[0], 'RUNNING', 1)), 'LEASE_LOST');
      assert.deepEqual(await store.releaseLeases('w%'), { instances: 1, tasks: 0 });
      assert.deepEqual(await store.releaseLeases('nothing'), { instances: 0, tasks: 0 });
    });
  });
}
