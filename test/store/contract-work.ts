/**
 * @module test/store/contract-work
 * What is queued, and what a turn discards (issue 9), on every backend: pendingWork and
 * queuedWork as the inspection API reads them, continue-as-new's dropWorkOf (an ended
 * execution's timers and tasks go, events for the instance stay), a final turn whose own work is
 * discarded, and the fault surface every backend shares (onFatal). Registered by storeContract().
 */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { QueuedWorkCount, Store } from '../../src/store/types.js';
import { claimOne, createRequest, task, turnFor } from './contract-helpers.js';

const byKindAndName = (a: QueuedWorkCount, b: QueuedWorkCount): number => `${a.kind} ${a.name}`.localeCompare(`${b.kind} ${b.name}`);

/** Registers the work tests; `current()` is the fresh store of the running test. */
export function workContract(current: () => Store): void {
  describe('pendingWork and queuedWork', () => {
    it('pendingWork counts the inbox, finds the next timer and lists the tasks with their lease state', async () => {
      const store = current();
      await store.createInstance(createRequest('a'));
      const item = await claimOne(store, 'a', 1000);
      await store.commitTurn(
        turnFor(item, 'RUNNING', 1, {
          tasks: [task('a', 0), { ...task('a', 1, 3000), name: 'later' }],
          messages: [
            { instanceId: 'a', data: 'timer', visibleAt: 5000 },
            { instanceId: 'a', data: 'timer2', visibleAt: 7000 },
          ],
        }),
      );
      await store.enqueueMessages([{ instanceId: 'a', data: 'event', visibleAt: 1000 }]);
      await store.claimActivities({ leaseId: 'T', now: 1000, leaseMs: 500, limit: 1 });
      const work = await store.pendingWork('a', 1000);
      assert.equal(work.inboxMessages, 3);
      assert.equal(work.nextMessageAt, 5000);
      assert.deepEqual(
        work.tasks.map((t) => [t.taskId, t.name, t.visibleAt, t.leased, t.dequeueCount]).sort(),
        [
          [0, 'act', 1000, true, 1],
          [1, 'later', 3000, false, 0],
        ],
      );
      assert.equal((await store.pendingWork('a', 1500)).tasks.find((t) => t.taskId === 0)?.leased, false, 'an expired lease is not held');
      assert.equal((await store.pendingWork('a', 8000)).nextMessageAt, undefined, 'every timer is due');
      assert.deepEqual(await store.pendingWork('ghost', 1000), { inboxMessages: 0, tasks: [] });
    });

    it('queuedWork counts ready work by name: leased, future and empty work is not ready', async () => {
      const store = current();
      // Each claim below runs while its instance is the only one with visible work.
      await store.createInstance(createRequest('t', 500, { name: 'tasks' }));
      const item = await claimOne(store, 't', 500);
      await store.commitTurn(turnFor(item, 'RUNNING', 1, { tasks: [task('t', 0, 1000), task('t', 1, 1300), { ...task('t', 2, 9000), name: 'slow' }] }));
      await store.createInstance(createRequest('leased', 600, { name: 'wf' }));
      await claimOne(store, 'leased', 600, 'L');
      await store.createInstance(createRequest('w1', 1000, { name: 'wf' }));
      await store.createInstance(createRequest('w2', 1200, { name: 'wf' }));
      await store.createInstance(createRequest('o1', 1100, { name: 'other' }));
      await store.createInstance(createRequest('future', 1000, { name: 'later', startMessage: { data: 's', visibleAt: 9000 } }));
      assert.deepEqual(await store.queuedWork(999), []);
      const queued = (await store.queuedWork(2000)).sort(byKindAndName);
      assert.deepEqual(queued, [
        { kind: 'activity', name: 'act', ready: 2, oldestVisibleAt: 1000 },
        { kind: 'orchestration', name: 'other', ready: 1, oldestVisibleAt: 1100 },
        { kind: 'orchestration', name: 'wf', ready: 2, oldestVisibleAt: 1000 },
      ]);
    });
  });

  describe('execution-scoped leftovers', () => {
    it("continue-as-new: dropWorkOf deletes the ended execution's timers and tasks, keeps the instance's events", async () => {
      const store = current();
      await store.createInstance(createRequest('a'));
      const item = await claimOne(store, 'a', 1000);
      await store.commitTurn(
        turnFor(item, 'RUNNING', 1, {
          tasks: [task('a', 0, 1000), task('a', 1, 1000)],
          messages: [{ instanceId: 'a', data: 'old-timer', visibleAt: 5000, executionId: 'a-exec-1' }],
        }),
      );
      await store.enqueueMessages([
        { instanceId: 'a', data: 'event-for-instance', visibleAt: 1000 },
        { instanceId: 'a', data: 'old-result', visibleAt: 1000, executionId: 'a-exec-1' },
      ]);
      const turn = await claimOne(store, 'a', 1000);
      const base = turnFor(turn, 'RUNNING', 0);
      await store.commitTurn({
        ...base,
        resetHistory: true,
        firstSeq: 0,
        history: [],
        // Continue-as-new consumes nothing: the carried-over event stays for the new execution.
        consumedMessageIds: [],
        state: { ...base.state, executionId: 'a-exec-2' },
        dropWorkOf: 'a-exec-1',
        tasks: [{ ...task('a', 0), executionId: 'a-exec-2' }],
        messages: [{ instanceId: 'a', data: 'new-start', visibleAt: 1000, executionId: 'a-exec-2' }],
      });
      const acts = await store.claimActivities({ leaseId: 'T', now: 10_000, leaseMs: 100, limit: 10 });
      assert.deepEqual(
        acts.map((t) => t.executionId),
        ['a-exec-2'],
      );
      const next = await claimOne(store, 'a', 1000);
      assert.deepEqual(
        next.messages.map((m) => m.data),
        ['new-start', 'event-for-instance'],
        'the execution has not started: its start comes first',
      );
      assert.equal((await store.pendingWork('a', 1000)).nextMessageAt, undefined, 'the old timer is gone');
    });

    it("dropPendingWork: a final turn's own tasks and self-messages are discarded, messages to others still go", async () => {
      const store = current();
      await store.createInstance(createRequest('a'));
      const item = await claimOne(store, 'a', 1000);
      await store.createInstance(createRequest('peer'));
      await store.commitTurn(
        turnFor(item, 'COMPLETED', 1, {
          dropPendingWork: true,
          tasks: [task('a', 0)],
          messages: [
            { instanceId: 'a', data: 'self-timer', visibleAt: 5000, executionId: 'a-exec-1' },
            { instanceId: 'peer', data: 'to-peer', visibleAt: 1000 },
          ],
        }),
      );
      assert.deepEqual(await store.claimActivities({ leaseId: 'T', now: 10_000, leaseMs: 100, limit: 10 }), []);
      assert.deepEqual(await store.pendingWork('a', 1000), { inboxMessages: 0, tasks: [] });
      const peer = await claimOne(store, 'peer', 1000);
      assert.deepEqual(
        peer.messages.map((m) => m.data).slice(1),
        ['to-peer'],
      );
      await store.commitTurn(turnFor(peer, 'RUNNING', 1));
      assert.equal(await store.nextWakeAt(1000), undefined);
    });

    it('detached (fire-and-forget) tasks outlive the instance: kept by dropPendingWork and dropWorkOf, inserted by a final turn', async () => {
      const store = current();
      await store.createInstance(createRequest('a'));
      const first = await claimOne(store, 'a', 1000);
      // Turn 1 queues a detached task and an ordinary one; continue-as-new drops only the ordinary one.
      await store.commitTurn(turnFor(first, 'RUNNING', 1, { tasks: [{ ...task('a', 1), detached: true }, task('a', 2)] }));
      await store.enqueueMessages([{ instanceId: 'a', data: 'go', visibleAt: 1000 }]);
      const second = await claimOne(store, 'a', 1000);
      const base = turnFor(second, 'RUNNING', 0);
      await store.commitTurn({ ...base, resetHistory: true, firstSeq: 0, history: [], state: { ...base.state, executionId: 'a-exec-2' }, dropWorkOf: 'a-exec-1' });
      assert.deepEqual(
        (await store.pendingWork('a', 1000)).tasks.map((t) => t.taskId),
        [1],
      );
      // The final turn: its own detached task is inserted, its ordinary one discarded, the old detached one kept.
      await store.enqueueMessages([{ instanceId: 'a', data: 'end', visibleAt: 1000 }]);
      const last = await claimOne(store, 'a', 1000);
      await store.commitTurn(
        turnFor(last, 'COMPLETED', 1, { dropPendingWork: true, tasks: [{ ...task('a', 3), executionId: 'a-exec-2', detached: true }, { ...task('a', 4), executionId: 'a-exec-2' }] }),
      );
      const claimed = await store.claimActivities({ leaseId: 'T', now: 10_000, leaseMs: 100, limit: 10 });
      assert.deepEqual(
        claimed.map((t) => [t.taskId, t.detached]),
        [
          [1, true],
          [3, true],
        ],
      );
      // Deleting the instance (purge) deletes its detached tasks too.
      assert.deepEqual(await store.purgeInstances(['a']), ['a']);
      assert.deepEqual(await store.claimActivities({ leaseId: 'T2', now: 20_000, leaseMs: 100, limit: 10 }), []);
    });
  });

  describe('faults', () => {
    it('onFatal returns an unsubscribe function, and a healthy store never calls the listener', async () => {
      const store = current();
      let calls = 0;
      const off = store.onFatal(() => calls++);
      assert.equal(typeof off, 'function');
      await store.createInstance(createRequest('a'));
      await store.getInstance('a');
      off();
      assert.equal(calls, 0);
    });
  });
}
