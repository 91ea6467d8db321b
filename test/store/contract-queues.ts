/**
 * @module test/store/contract-queues
 * The work-queue half of the store contract: orchestration and activity leases (claim, expiry,
 * reclaim, renew, abandon, a stale lease refused), visible-at ordering of timers, FIFO inboxes,
 * fairness, idempotent completion and nextWakeAt. Registered by storeContract().
 */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Store } from '../../src/store/types.js';
import { claimOne, createAndRun, createRequest, rejectsWithCode, task, turnFor } from './contract-helpers.js';

/** Registers the queue tests; `current()` is the fresh store of the running test. */
export function queueContract(current: () => Store): void {
  describe('orchestration leases', () => {
    it('a claimed instance is not claimable again until its lease expires; then a new lease takes it and its messages', async () => {
      const store = current();
      await store.createInstance(createRequest('a'));
      const first = await claimOne(store, 'a', 1000, 'L1', 500);
      assert.equal(first.leaseId, 'L1');
      await store.enqueueMessages([{ instanceId: 'a', data: 'e', visibleAt: 1000 }]);
      assert.deepEqual(await store.claimOrchestrations({ leaseId: 'L2', now: 1499, leaseMs: 500, limit: 10 }), [], 'locked until 1500');
      const second = await claimOne(store, 'a', 1500, 'L2', 500);
      assert.deepEqual(
        second.messages.map((m) => [m.dequeueCount, m.data]),
        [
          [2, '{"kind":"ExecutionStarted","id":"a"}'],
          [1, 'e'],
        ],
        'the message of the dead lease is delivered again, counted',
      );
      // The stale lease can no longer commit, abandon or renew, and its attempt writes nothing.
      await rejectsWithCode(store.commitTurn(turnFor(first, 'COMPLETED', 3)), 'LEASE_LOST');
      await rejectsWithCode(store.abandonOrchestration('a', 'L1'), 'LEASE_LOST');
      await rejectsWithCode(store.renewOrchestrationLease('a', 'L1', 1500, 500), 'LEASE_LOST');
      assert.equal((await store.getInstance('a'))?.historyLength, 0);
      await store.commitTurn(turnFor(second, 'RUNNING', 1));
      assert.equal((await store.getInstance('a'))?.historyLength, 1);
    });

    it('a lease past its expiry that nobody re-claimed still commits (the owner, not the clock, decides)', async () => {
      const store = current();
      await store.createInstance(createRequest('a'));
      const item = await claimOne(store, 'a', 1000, 'L1', 10);
      await store.commitTurn(turnFor(item, 'RUNNING', 1));
      assert.equal((await store.getInstance('a'))?.historyLength, 1);
    });

    it('renew extends the lease; abandon releases it and can delay the messages', async () => {
      const store = current();
      await store.createInstance(createRequest('a'));
      await claimOne(store, 'a', 1000, 'L1', 100);
      await store.renewOrchestrationLease('a', 'L1', 1050, 1000);
      assert.deepEqual(await store.claimOrchestrations({ leaseId: 'L2', now: 1200, leaseMs: 100, limit: 10 }), [], 'renewed until 2050');
      await store.abandonOrchestration('a', 'L1', 3000);
      assert.deepEqual(await store.claimOrchestrations({ leaseId: 'L2', now: 2999, leaseMs: 100, limit: 10 }), [], 'messages delayed to 3000');
      assert.equal(await store.nextWakeAt(1200), 3000);
      const again = await claimOne(store, 'a', 3000, 'L3');
      assert.deepEqual(
        again.messages.map((m) => [m.dequeueCount, m.visibleAt]),
        [[2, 3000]],
      );
      await store.abandonOrchestration('a', 'L3');
      assert.equal((await claimOne(store, 'a', 3000, 'L4')).messages.length, 1, 'abandon without visibleAt: visible again at once');
    });

    it('respects limit and maxMessagesPerInstance, leaving the rest for a later claim', async () => {
      const store = current();
      for (const [i, id] of ['a', 'b', 'c'].entries()) await store.createInstance(createRequest(id, 1000 + i));
      await store.enqueueMessages(Array.from({ length: 4 }, (_, i) => ({ instanceId: 'a', data: `m${i}`, visibleAt: 1000 })));
      const items = await store.claimOrchestrations({ leaseId: 'L', now: 2000, leaseMs: 1000, limit: 2, maxMessagesPerInstance: 2 });
      assert.deepEqual(
        items.map((i) => [i.instance.instanceId, i.messages.length]),
        [
          ['a', 2],
          ['b', 1],
        ],
      );
      await store.commitTurn(turnFor(items[0], 'RUNNING', 1));
      const rest = await store.claimOrchestrations({ leaseId: 'L2', now: 2000, leaseMs: 1000, limit: 10 });
      assert.deepEqual(
        rest.map((i) => [i.instance.instanceId, i.messages.map((m) => m.data)]).sort(),
        [
          ['a', ['m1', 'm2', 'm3']],
          ['c', ['{"kind":"ExecutionStarted","id":"c"}']],
        ],
        'b is still leased; a keeps its unclaimed messages',
      );
    });

    it('an execution not started yet (continue-as-new) is claimed with its start first, however many instance-level messages precede it', async () => {
      const store = current();
      await createAndRun(store, 'a', 'RUNNING');
      const N = 1200;
      await store.enqueueMessages(Array.from({ length: N }, (_, i) => ({ instanceId: 'a', data: `e${i}`, visibleAt: 1000 })));
      const ending = await claimOne(store, 'a', 2000);
      assert.equal(ending.messages.length, 1000);
      // The continue-as-new turn consumes one event and leaves the rest; its new start is newest.
      await store.commitTurn(
        turnFor(ending, 'RUNNING', 0, {
          resetHistory: true,
          firstSeq: 0,
          history: [],
          consumedMessageIds: [ending.messages[0]!.id],
          state: { executionId: 'a-exec-2', name: 'wf', status: 'RUNNING', lastUpdatedAt: 2001 },
          messages: [{ instanceId: 'a', executionId: 'a-exec-2', data: 'start-2', visibleAt: 2001 }],
        }),
      );
      const first = await claimOne(store, 'a', 3000);
      assert.equal(first.instance.historyLength, 0);
      assert.equal(first.messages.length, 1000, 'still at most maxMessagesPerInstance');
      assert.deepEqual(
        first.messages.slice(0, 3).map((m) => m.data),
        ['start-2', 'e1', 'e2'],
        'the start first, then the backlog in id order',
      );
      assert.equal(first.messages.at(-1)?.data, 'e999');
      await store.commitTurn(turnFor(first, 'RUNNING', 2, { state: { ...turnFor(first, 'RUNNING').state, executionId: 'a-exec-2' } }));
      const next = await claimOne(store, 'a', 3000);
      assert.deepEqual(
        next.messages.map((m) => m.data),
        Array.from({ length: N - 1000 }, (_, i) => `e${1000 + i}`),
        'a started execution gets the rest in plain id order',
      );
    });

    it('prefers the instance that has waited longest (no starvation)', async () => {
      // The contract leaves open whether "oldest" means lowest message id or earliest visibleAt;
      // here both agree, so every backend must pick 'old' first.
      const store = current();
      await store.createInstance(createRequest('old', 1000));
      await store.createInstance(createRequest('new', 1500));
      for (let round = 0; round < 3; round++) {
        await store.enqueueMessages([{ instanceId: 'new', data: `more${round}`, visibleAt: 1500 }]);
      }
      const [item] = await store.claimOrchestrations({ leaseId: 'L', now: 3000, leaseMs: 1000, limit: 1 });
      assert.equal(item.instance.instanceId, 'old');
    });
  });

  describe('timers (visible-at)', () => {
    it('delivers timer messages only from their visibleAt, earliest first, and nextWakeAt points at each', async () => {
      const store = current();
      await store.createInstance(createRequest('a'));
      const item = await claimOne(store, 'a', 1000);
      await store.commitTurn(
        turnFor(item, 'RUNNING', 1, {
          messages: [
            { instanceId: 'a', data: 't300', visibleAt: 3000 },
            { instanceId: 'a', data: 't100', visibleAt: 1100 },
            { instanceId: 'a', data: 't200', visibleAt: 2000 },
          ],
        }),
      );
      const fired: string[] = [];
      let now = 1000;
      for (const expected of [1100, 2000, 3000]) {
        const wake = await store.nextWakeAt(now);
        assert.equal(wake, expected);
        assert.deepEqual(await store.claimOrchestrations({ leaseId: `x${now}`, now: wake! - 1, leaseMs: 1, limit: 10 }), [], 'not before its time');
        now = wake!;
        const got = await claimOne(store, 'a', now, `L${now}`, 1);
        fired.push(...got.messages.map((m) => m.data));
        await store.commitTurn(turnFor(got, 'RUNNING', 1));
      }
      assert.deepEqual(fired, ['t100', 't200', 't300']);
      assert.equal(await store.nextWakeAt(now), undefined);
    });

    it('nextWakeAt reports lock expiry and future tasks, not work that is visible now', async () => {
      const store = current();
      await store.createInstance(createRequest('a', 1000));
      assert.equal(await store.nextWakeAt(1000), undefined, 'visible-now work is claimed, not reported');
      await claimOne(store, 'a', 1000, 'L', 700);
      assert.equal(await store.nextWakeAt(1000), 1700);
      await store.abandonOrchestration('a', 'L');
      const item = await claimOne(store, 'a', 1000, 'L2');
      await store.commitTurn(turnFor(item, 'RUNNING', 1, { tasks: [task('a', 0, 5000)] }));
      assert.equal(await store.nextWakeAt(1000), 5000);
    });
  });

  describe('activity tasks', () => {
    /** Creates instance 'a' and enqueues tasks 0..n-1 (visible at 1000) through a turn. */
    async function withTasks(store: Store, n: number): Promise<void> {
      await store.createInstance(createRequest('a'));
      const item = await claimOne(store, 'a', 1000);
      await store.commitTurn(turnFor(item, 'RUNNING', 1, { tasks: Array.from({ length: n }, (_, i) => task('a', i)) }));
    }

    it('claims visible tasks in id order up to the limit, each once while leased', async () => {
      const store = current();
      await withTasks(store, 3);
      const first = await store.claimActivities({ leaseId: 'T1', now: 1000, leaseMs: 1000, limit: 2 });
      assert.deepEqual(
        first.map((t) => [t.taskId, t.leaseId, t.dequeueCount, t.data]),
        [
          [0, 'T1', 1, '{"taskId":0}'],
          [1, 'T1', 1, '{"taskId":1}'],
        ],
      );
      assert.ok(first[0].id < first[1].id);
      const second = await store.claimActivities({ leaseId: 'T2', now: 1000, leaseMs: 1000, limit: 10 });
      assert.deepEqual(
        second.map((t) => t.taskId),
        [2],
      );
      assert.deepEqual(await store.claimActivities({ leaseId: 'T3', now: 1999, leaseMs: 1000, limit: 10 }), []);
    });

    it('a task whose lease expired is claimed again (dequeueCount 2) and the stale lease cannot complete it', async () => {
      const store = current();
      await withTasks(store, 1);
      const [t1] = await store.claimActivities({ leaseId: 'T1', now: 1000, leaseMs: 500, limit: 10 });
      const [t2] = await store.claimActivities({ leaseId: 'T2', now: 1500, leaseMs: 500, limit: 10 });
      assert.equal(t2.id, t1.id);
      assert.equal(t2.dequeueCount, 2);
      await rejectsWithCode(store.completeActivity({ taskRowId: t1.id, leaseId: 'T1', message: { instanceId: 'a', data: 'stale', visibleAt: 1500 } }), 'LEASE_LOST');
      await rejectsWithCode(store.renewActivityLease(t1.id, 'T1', 1500, 500), 'LEASE_LOST');
      await rejectsWithCode(store.abandonActivity(t1.id, 'T1'), 'LEASE_LOST');
      await store.completeActivity({ taskRowId: t2.id, leaseId: 'T2', message: { instanceId: 'a', data: 'result', visibleAt: 1500 } });
      const item = await claimOne(store, 'a', 1500);
      assert.deepEqual(
        item.messages.map((m) => m.data),
        ['result'],
        'only the current lease delivered a result',
      );
    });

    it('completion is idempotent: a second completion of the same task is refused and delivers nothing', async () => {
      const store = current();
      await withTasks(store, 1);
      const [t] = await store.claimActivities({ leaseId: 'T', now: 1000, leaseMs: 500, limit: 10 });
      const done = { taskRowId: t.id, leaseId: 'T', message: { instanceId: 'a', data: 'result', visibleAt: 1000 } };
      const results = await Promise.allSettled([store.completeActivity(done), store.completeActivity(done)]);
      assert.deepEqual(
        results.map((r) => r.status),
        ['fulfilled', 'rejected'],
      );
      assert.equal((results[1] as PromiseRejectedResult).reason.code, 'LEASE_LOST');
      assert.equal((await claimOne(store, 'a', 1000)).messages.length, 1);
      assert.deepEqual(await store.claimActivities({ leaseId: 'T2', now: 9000, leaseMs: 500, limit: 10 }), [], 'the task row is gone');
    });

    it('drops the result of a task whose instance was purged', async () => {
      const store = current();
      await withTasks(store, 1);
      const [t] = await store.claimActivities({ leaseId: 'T', now: 1000, leaseMs: 500, limit: 10 });
      await store.enqueueMessages([{ instanceId: 'a', data: 'stop', visibleAt: 1000 }]);
      const item = await claimOne(store, 'a', 1000);
      await store.commitTurn(turnFor(item, 'TERMINATED', 1));
      assert.deepEqual(await store.purgeInstances(['a']), ['a']);
      await rejectsWithCode(store.completeActivity({ taskRowId: t.id, leaseId: 'T', message: { instanceId: 'a', data: 'r', visibleAt: 1000 } }), 'LEASE_LOST');
      assert.equal(await store.getInstance('a'), undefined);
    });

    it('abandon makes a task claimable again (optionally later); renew keeps it leased', async () => {
      const store = current();
      await withTasks(store, 1);
      const [t] = await store.claimActivities({ leaseId: 'T1', now: 1000, leaseMs: 100, limit: 10 });
      await store.renewActivityLease(t.id, 'T1', 1050, 1000);
      assert.deepEqual(await store.claimActivities({ leaseId: 'T2', now: 1200, leaseMs: 100, limit: 10 }), []);
      await store.abandonActivity(t.id, 'T1', 4000);
      assert.deepEqual(await store.claimActivities({ leaseId: 'T2', now: 3999, leaseMs: 100, limit: 10 }), []);
      assert.equal(await store.nextWakeAt(1200), 4000);
      const [again] = await store.claimActivities({ leaseId: 'T3', now: 4000, leaseMs: 100, limit: 10 });
      assert.equal(again.id, t.id);
      assert.equal(again.dequeueCount, 2);
    });

    it('a future task is not claimable before its visibleAt (retry backoff)', async () => {
      const store = current();
      await store.createInstance(createRequest('a'));
      const item = await claimOne(store, 'a', 1000);
      await store.commitTurn(turnFor(item, 'RUNNING', 1, { tasks: [task('a', 0, 2500)] }));
      assert.deepEqual(await store.claimActivities({ leaseId: 'T', now: 2499, leaseMs: 100, limit: 10 }), []);
      assert.equal((await store.claimActivities({ leaseId: 'T', now: 2500, leaseMs: 100, limit: 10 })).length, 1);
    });
  });
}
