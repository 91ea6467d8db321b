/**
 * @module test/store/contract
 * The Store contract suite (STYLE.md guideline 11): every backend runs these same tests through
 * `storeContract(name, backend)`. It pins what store/types.ts promises — atomic calls, reuse
 * policies, leases (claim, expiry, reclaim, stale lease refused), visible-at ordering, FIFO
 * inboxes, paging and purge — as the engine observes them through the interface.
 */

import assert from 'node:assert/strict';
import { after, afterEach, beforeEach, describe, it } from 'node:test';
import { ReusePolicy, type Store } from '../../src/store/types.js';
import { claimOne, createAndRun, createRequest, events, rejectsWithCode, task, turnFor, type ContractBackend } from './contract-helpers.js';
import { definitionContract } from './contract-definitions.js';
import { fanoutContract } from './contract-fanout.js';
import { hostStateContract } from './contract-host-state.js';
import { waitKeyContract } from './contract-wait-keys.js';
import { leaseContract } from './contract-leases.js';
import { queueContract } from './contract-queues.js';
import { workContract } from './contract-work.js';
import { payloadContract } from './contract-payloads.js';

export type { ContractBackend } from './contract-helpers.js';

/** Registers the whole contract suite for one backend. */
export function storeContract(name: string, backend: ContractBackend): void {
  describe(`Store contract: ${name}`, () => {
    let store: Store;
    const current = (): Store => store;
    beforeEach(async () => {
      store = await backend.create();
    });
    afterEach(async () => {
      await store.close();
    });
    after(async () => {
      await backend.dispose?.();
    });

    describe('createInstance', () => {
      it('creates a PENDING instance with no history and reads it back field for field', async () => {
        const req = createRequest('a', 1000, { scheduledStartAt: 5000, parentInstanceId: 'p' });
        assert.deepEqual(await store.createInstance(req), { created: true });
        assert.deepEqual(await store.getInstance('a'), {
          instanceId: 'a',
          executionId: 'a-exec-1',
          name: 'wf',
          status: 'PENDING',
          createdAt: 1000,
          lastUpdatedAt: 1000,
          scheduledStartAt: 5000,
          input: '{"id":"a"}',
          parentInstanceId: 'p',
          historyLength: 0,
        });
        assert.deepEqual(await store.loadHistory('a'), []);
      });

      it('maps absent optional columns to undefined, never null', async () => {
        await store.createInstance({ ...createRequest('a'), input: undefined });
        const r = await store.getInstance('a');
        for (const key of ['completedAt', 'scheduledStartAt', 'input', 'output', 'customStatus', 'failure', 'parentInstanceId'] as const) {
          assert.equal(r?.[key], undefined, `${key} should be undefined`);
        }
      });

      it('puts the start message in the inbox, claimable from its visibleAt (scheduled start)', async () => {
        await store.createInstance(createRequest('a', 1000, { startMessage: { data: 'start', visibleAt: 9000 } }));
        assert.deepEqual(await store.claimOrchestrations({ leaseId: 'l1', now: 8999, leaseMs: 1000, limit: 10 }), []);
        const item = await claimOne(store, 'a', 9000);
        assert.deepEqual(
          item.messages.map((m) => [m.data, m.visibleAt, m.dequeueCount]),
          [['start', 9000, 1]],
        );
      });

      it('REJECT refuses an existing id even when it is terminal', async () => {
        await createAndRun(store, 'a', 'COMPLETED');
        await rejectsWithCode(store.createInstance(createRequest('a', 2000, { reusePolicy: ReusePolicy.REJECT })), 'INSTANCE_EXISTS');
        assert.equal((await store.getInstance('a'))?.status, 'COMPLETED');
      });

      it('REPLACE_TERMINAL (the default) refuses a running id and replaces a terminal one', async () => {
        await createAndRun(store, 'run', 'RUNNING');
        await rejectsWithCode(store.createInstance(createRequest('run', 2000)), 'INSTANCE_EXISTS');
        assert.equal((await store.getInstance('run'))?.historyLength, 2);

        await createAndRun(store, 'done', 'COMPLETED');
        await store.createInstance(createRequest('done', 3000, { executionId: 'done-exec-2' }));
        const r = await store.getInstance('done');
        assert.equal(r?.executionId, 'done-exec-2');
        assert.equal(r?.status, 'PENDING');
        assert.equal(r?.historyLength, 0);
        assert.deepEqual(await store.loadHistory('done'), [], 'the old execution history is gone');
        const item = await claimOne(store, 'done', 3000);
        assert.equal(item.messages.length, 1, 'only the new start message is in the inbox');
      });

      it('IGNORE leaves an existing instance untouched and reports created: false', async () => {
        await createAndRun(store, 'a', 'RUNNING');
        const before = await store.getInstance('a');
        assert.deepEqual(await store.createInstance(createRequest('a', 5000, { reusePolicy: ReusePolicy.IGNORE })), { created: false });
        assert.deepEqual(await store.getInstance('a'), before);
      });

      it('of two concurrent creates of one id exactly one wins, and the loser does not disturb other writes', async () => {
        const results = await Promise.allSettled([
          store.createInstance(createRequest('dup', 1000, { reusePolicy: ReusePolicy.REJECT })),
          store.createInstance(createRequest('other', 1000)),
          store.createInstance(createRequest('dup', 1001, { reusePolicy: ReusePolicy.REJECT })),
        ]);
        assert.deepEqual(
          results.map((r) => r.status),
          ['fulfilled', 'fulfilled', 'rejected'],
        );
        assert.equal((results[2] as PromiseRejectedResult).reason.code, 'INSTANCE_EXISTS');
        assert.equal((await store.getInstance('dup'))?.createdAt, 1000);
        assert.ok(await store.getInstance('other'));
      });
    });

    describe('enqueueMessages', () => {
      it('appends to existing inboxes in FIFO order', async () => {
        await store.createInstance(createRequest('a'));
        await store.enqueueMessages([
          { instanceId: 'a', data: 'e1', visibleAt: 1000 },
          { instanceId: 'a', data: 'e2', visibleAt: 1000 },
        ]);
        const item = await claimOne(store, 'a', 1000);
        assert.deepEqual(
          item.messages.map((m) => m.data),
          ['{"kind":"ExecutionStarted","id":"a"}', 'e1', 'e2'],
        );
        const ids = item.messages.map((m) => m.id);
        assert.deepEqual(ids, [...ids].sort((x, y) => x - y), 'ids increase in insertion order');
      });

      it('is atomic: one unknown target refuses the whole call with INSTANCE_NOT_FOUND', async () => {
        await store.createInstance(createRequest('a'));
        await rejectsWithCode(
          store.enqueueMessages([
            { instanceId: 'a', data: 'e1', visibleAt: 1000 },
            { instanceId: 'ghost', data: 'e2', visibleAt: 1000 },
          ]),
          'INSTANCE_NOT_FOUND',
        );
        const item = await claimOne(store, 'a', 1000);
        assert.equal(item.messages.length, 1, 'e1 was not written');
      });

      it('accepts messages to a terminal instance', async () => {
        await createAndRun(store, 'a', 'COMPLETED');
        await store.enqueueMessages([{ instanceId: 'a', data: 'late', visibleAt: 2000 }]);
        const item = await claimOne(store, 'a', 2000);
        assert.deepEqual(
          item.messages.map((m) => m.data),
          ['late'],
        );
      });
    });

    describe('commitTurn', () => {
      it('appends history, rewrites the state, consumes messages and releases the lease', async () => {
        await store.createInstance(createRequest('a'));
        const item = await claimOne(store, 'a', 1000);
        await store.commitTurn({
          ...turnFor(item, 'RUNNING', 3),
          state: { executionId: 'a-exec-1', name: 'wf', status: 'RUNNING', lastUpdatedAt: 1500, customStatus: '"step 1"', input: '{"id":"a"}' },
        });
        const r = await store.getInstance('a');
        assert.equal(r?.status, 'RUNNING');
        assert.equal(r?.historyLength, 3);
        assert.equal(r?.lastUpdatedAt, 1500);
        assert.equal(r?.customStatus, '"step 1"');
        assert.equal(r?.createdAt, 1000, 'createdAt is kept');
        assert.deepEqual(await store.loadHistory('a'), events(0, 3, 1001));
        assert.deepEqual(await store.loadHistory('a', 2), events(0, 3, 1001).slice(2));
        // Lock released and inbox empty: nothing to claim, but a new message makes it claimable at once.
        assert.deepEqual(await store.claimOrchestrations({ leaseId: 'l2', now: 1001, leaseMs: 30_000, limit: 10 }), []);
        await store.enqueueMessages([{ instanceId: 'a', data: 'e', visibleAt: 1001 }]);
        assert.equal((await claimOne(store, 'a', 1001)).instance.historyLength, 3);
      });

      it('appends a long turn (40 events) whole and in order', async () => {
        await store.createInstance(createRequest('a'));
        const item = await claimOne(store, 'a', 1000);
        await store.commitTurn(turnFor(item, 'RUNNING', 40));
        assert.equal((await store.getInstance('a'))?.historyLength, 40);
        assert.deepEqual(await store.loadHistory('a'), events(0, 40, 1001));
        assert.deepEqual(await store.loadHistory('a', 33), events(0, 40, 1001).slice(33));
      });

      it('refuses a turn whose firstSeq does not match (HISTORY_CONFLICT) and writes none of it', async () => {
        await store.createInstance(createRequest('a'));
        const item = await claimOne(store, 'a', 1000, 'L');
        await store.commitTurn(turnFor(item, 'RUNNING', 2, { consumedMessageIds: [] }));
        await store.enqueueMessages([{ instanceId: 'a', data: 'e', visibleAt: 1000 }]);
        const item2 = await claimOne(store, 'a', 1001, 'L2');
        const stale = { ...turnFor(item2, 'COMPLETED', 1), firstSeq: 0, history: events(0, 1), tasks: [task('a', 9)], messages: [{ instanceId: 'a', data: 'x', visibleAt: 0 }] };
        await rejectsWithCode(store.commitTurn(stale), 'HISTORY_CONFLICT');
        await rejectsWithCode(store.commitTurn({ ...turnFor(item2, 'COMPLETED', 1), history: events(5, 1) }), 'HISTORY_CONFLICT');
        const r = await store.getInstance('a');
        assert.equal(r?.status, 'RUNNING');
        assert.equal(r?.historyLength, 2);
        assert.deepEqual(await store.claimActivities({ leaseId: 't', now: 5000, leaseMs: 1000, limit: 10 }), [], 'no task was enqueued');
        // Still held by L2, which can commit properly afterwards; its messages were not consumed.
        await store.commitTurn(turnFor(item2, 'COMPLETED', 1));
        assert.equal((await store.getInstance('a'))?.historyLength, 3);
      });

      it('continue-as-new (resetHistory) replaces the history from seq 0', async () => {
        await createAndRun(store, 'a', 'RUNNING', 1000, 4);
        await store.enqueueMessages([{ instanceId: 'a', data: 'go', visibleAt: 1000 }]);
        const item = await claimOne(store, 'a', 1000);
        await rejectsWithCode(store.commitTurn({ ...turnFor(item, 'RUNNING', 2), resetHistory: true }), 'HISTORY_CONFLICT');
        await store.commitTurn({ ...turnFor(item, 'RUNNING', 0), resetHistory: true, firstSeq: 0, history: events(0, 2, 7000) });
        assert.deepEqual(await store.loadHistory('a'), events(0, 2, 7000));
        assert.equal((await store.getInstance('a'))?.historyLength, 2);
      });

      it('deletes only the consumed messages; messages that arrived during the turn stay', async () => {
        await store.createInstance(createRequest('a'));
        const item = await claimOne(store, 'a', 1000);
        await store.enqueueMessages([{ instanceId: 'a', data: 'arrived-during-turn', visibleAt: 1000 }]);
        await store.commitTurn(turnFor(item, 'RUNNING'));
        const next = await claimOne(store, 'a', 1001);
        assert.deepEqual(
          next.messages.map((m) => [m.data, m.dequeueCount]),
          [['arrived-during-turn', 1]],
        );
      });

      it('a message taken but not consumed by the turn is claimable again right after it', async () => {
        await store.createInstance(createRequest('a'));
        await store.enqueueMessages([{ instanceId: 'a', data: 'later', visibleAt: 1000 }]);
        const item = await claimOne(store, 'a', 1000);
        assert.equal(item.messages.length, 2);
        await store.commitTurn(turnFor(item, 'RUNNING', 1, { consumedMessageIds: [item.messages[0].id] }));
        const again = await claimOne(store, 'a', 1000, 'L2');
        assert.deepEqual(
          again.messages.map((m) => [m.data, m.dequeueCount]),
          [['later', 2]],
        );
      });

      it('enqueues tasks and messages, drops messages to unknown targets, creates children', async () => {
        await store.createInstance(createRequest('parent'));
        const item = await claimOne(store, 'parent', 1000);
        await store.createInstance(createRequest('peer'));
        await store.commitTurn(
          turnFor(item, 'RUNNING', 2, {
            tasks: [task('parent', 0), task('parent', 1)],
            messages: [
              { instanceId: 'parent', data: 'timer', visibleAt: 5000 },
              { instanceId: 'peer', data: 'hello', visibleAt: 1000 },
              { instanceId: 'nobody', data: 'lost', visibleAt: 1000 },
            ],
            newInstances: [{ ...createRequest('child', 1000, { parentInstanceId: 'parent' }) }],
          }),
        );
        const acts = await store.claimActivities({ leaseId: 't', now: 1000, leaseMs: 1000, limit: 10 });
        assert.deepEqual(
          acts.map((a) => [a.instanceId, a.taskId, a.name, a.executionId]),
          [
            ['parent', 0, 'act', 'parent-exec-1'],
            ['parent', 1, 'act', 'parent-exec-1'],
          ],
        );
        const peer = await claimOne(store, 'peer', 1000);
        assert.deepEqual(
          peer.messages.map((m) => m.data).slice(1),
          ['hello'],
        );
        assert.equal((await store.getInstance('child'))?.parentInstanceId, 'parent');
        assert.equal((await store.getInstance('nobody')), undefined);
        assert.equal(await store.nextWakeAt(1000) !== undefined, true);
        const timer = await claimOne(store, 'parent', 5000);
        assert.deepEqual(
          timer.messages.map((m) => m.data),
          ['timer'],
        );
      });

      it('a refused child delivers onConflict instead, and the turn still commits', async () => {
        await createAndRun(store, 'child', 'RUNNING');
        await store.createInstance(createRequest('parent'));
        const item = await claimOne(store, 'parent', 1000);
        await store.commitTurn(
          turnFor(item, 'RUNNING', 1, {
            newInstances: [{ ...createRequest('child', 1000), onConflict: { instanceId: 'parent', data: 'child-failed', visibleAt: 1000 } }],
          }),
        );
        assert.equal((await store.getInstance('parent'))?.historyLength, 1);
        assert.equal((await store.getInstance('child'))?.historyLength, 2, 'the running child is untouched');
        const again = await claimOne(store, 'parent', 1000);
        assert.deepEqual(
          again.messages.map((m) => m.data),
          ['child-failed'],
        );
      });

      it('dropPendingWork deletes the rest of the inbox and the tasks of a finished instance', async () => {
        await store.createInstance(createRequest('a'));
        const item = await claimOne(store, 'a', 1000);
        await store.commitTurn(turnFor(item, 'RUNNING', 1, { tasks: [task('a', 0)], messages: [{ instanceId: 'a', data: 'timer', visibleAt: 9000 }] }));
        await store.enqueueMessages([{ instanceId: 'a', data: 'terminate', visibleAt: 1001 }]);
        const item2 = await claimOne(store, 'a', 1001);
        await store.commitTurn(turnFor(item2, 'TERMINATED', 1, { dropPendingWork: true }));
        assert.deepEqual(await store.claimActivities({ leaseId: 't', now: 10_000, leaseMs: 1000, limit: 10 }), []);
        assert.deepEqual(await store.claimOrchestrations({ leaseId: 'l', now: 10_000, leaseMs: 1000, limit: 10 }), []);
        assert.equal(await store.nextWakeAt(1001), undefined, 'no timer lingers');
      });

      it('one failing turn in a concurrent burst does not fail or undo the others', async () => {
        const ids = Array.from({ length: 20 }, (_, i) => `i${i}`);
        for (const id of ids) await store.createInstance(createRequest(id));
        const items = await store.claimOrchestrations({ leaseId: 'L', now: 1000, leaseMs: 30_000, limit: 100 });
        assert.equal(items.length, 20);
        const results = await Promise.allSettled(
          items.map((item, i) => store.commitTurn(i === 7 ? { ...turnFor(item, 'RUNNING', 2), leaseId: 'wrong' } : turnFor(item, 'RUNNING', 2))),
        );
        assert.deepEqual(
          results.map((r) => r.status),
          items.map((_, i) => (i === 7 ? 'rejected' : 'fulfilled')),
        );
        assert.equal((results[7] as PromiseRejectedResult).reason.code, 'LEASE_LOST');
        for (const [i, item] of items.entries()) {
          assert.equal((await store.loadHistory(item.instance.instanceId)).length, i === 7 ? 0 : 2);
        }
      });
    });

    queueContract(current);
    leaseContract(current);
    definitionContract(current);
    hostStateContract(current);
    waitKeyContract(current);
    fanoutContract(current);
    workContract(current);
    payloadContract(current);

    describe('queryInstances', () => {
      beforeEach(async () => {
        // 25 instances: created at 1000 + i, names alternate, every fifth completed, three children of i0.
        for (let i = 0; i < 25; i++) {
          const id = `q${String(i).padStart(2, '0')}`;
          await store.createInstance(createRequest(id, 1000 + i, { name: i % 2 === 0 ? 'even' : 'odd', ...(i >= 20 && i < 23 ? { parentInstanceId: 'q00' } : {}) }));
          if (i % 5 === 0) {
            const item = await claimOne(store, id, 2000);
            await store.commitTurn(turnFor(item, 'COMPLETED'));
          }
        }
      });

      const ids = (page: { instances: { instanceId: string }[] }): string[] => page.instances.map((r) => r.instanceId);

      it('filters by name, statuses, created range and parent (AND)', async () => {
        assert.equal((await store.queryInstances({ name: 'odd' })).instances.length, 12);
        assert.deepEqual(ids(await store.queryInstances({ statuses: ['COMPLETED'] })), ['q00', 'q05', 'q10', 'q15', 'q20']);
        assert.deepEqual(ids(await store.queryInstances({ statuses: ['COMPLETED'], name: 'even' })), ['q00', 'q10', 'q20']);
        assert.deepEqual(ids(await store.queryInstances({ createdFrom: 1003, createdTo: 1006 })), ['q03', 'q04', 'q05']);
        assert.deepEqual(ids(await store.queryInstances({ parentInstanceId: 'q00' })), ['q20', 'q21', 'q22']);
        assert.equal((await store.queryInstances({ statuses: [] })).instances.length, 25, 'an empty status list means all');
        assert.deepEqual(ids(await store.queryInstances({ name: 'nope' })), []);
      });

      it('pages in (createdAt, instanceId) order without gaps or repeats', async () => {
        const seen: string[] = [];
        let token: string | undefined;
        let pages = 0;
        do {
          const page = await store.queryInstances({ pageSize: 10, ...(token !== undefined ? { pageToken: token } : {}) });
          seen.push(...ids(page));
          token = page.nextPageToken;
          pages++;
        } while (token !== undefined);
        assert.equal(pages, 3);
        assert.deepEqual(seen, Array.from({ length: 25 }, (_, i) => `q${String(i).padStart(2, '0')}`));
        const exact = await store.queryInstances({ pageSize: 25 });
        assert.equal(exact.nextPageToken, undefined, 'no token when nothing follows');
      });

      it('pages a filtered query and breaks createdAt ties by instanceId', async () => {
        await store.createInstance(createRequest('tie-b', 1003));
        await store.createInstance(createRequest('tie-a', 1003));
        const first = await store.queryInstances({ createdFrom: 1003, createdTo: 1004, pageSize: 2 });
        assert.deepEqual(ids(first), ['q03', 'tie-a']);
        const second = await store.queryInstances({ createdFrom: 1003, createdTo: 1004, pageSize: 2, pageToken: first.nextPageToken! });
        assert.deepEqual(ids(second), ['tie-b']);
      });

      it('refuses a page token it did not issue with INVALID_PAGE_TOKEN', async () => {
        await rejectsWithCode(store.queryInstances({ pageToken: 'not-a-token' }), 'INVALID_PAGE_TOKEN');
      });

      it('filters by instance-id prefix (a range on the key: neighbours just outside are left out)', async () => {
        for (const id of ['q1', 'q1:x', 'q0z', 'q2', 'p1', 'Q1a']) await store.createInstance(createRequest(id, 3000));
        assert.deepEqual(ids(await store.queryInstances({ instanceIdPrefix: 'q1' })), ['q10', 'q11', 'q12', 'q13', 'q14', 'q15', 'q16', 'q17', 'q18', 'q19', 'q1', 'q1:x']);
        assert.deepEqual(ids(await store.queryInstances({ instanceIdPrefix: 'q1', name: 'even', statuses: ['COMPLETED'] })), ['q10']);
        assert.deepEqual(ids(await store.queryInstances({ instanceIdPrefix: 'q1:' })), ['q1:x']);
        assert.deepEqual(ids(await store.queryInstances({ instanceIdPrefix: 'q24' })), ['q24'], 'an exact id is its own prefix');
        assert.deepEqual(ids(await store.queryInstances({ instanceIdPrefix: 'zz' })), []);
        assert.equal((await store.queryInstances({ instanceIdPrefix: '', pageSize: 1000 })).instances.length, 31, 'an empty prefix means all');
        const first = await store.queryInstances({ instanceIdPrefix: 'q2', pageSize: 3 });
        assert.deepEqual(ids(first), ['q20', 'q21', 'q22']);
        const rest = await store.queryInstances({ instanceIdPrefix: 'q2', pageSize: 3, pageToken: first.nextPageToken! });
        assert.deepEqual(ids(rest), ['q23', 'q24', 'q2']);
        assert.equal(rest.nextPageToken, undefined);
      });

      it("order 'desc' pages newest first without gaps or repeats, ties by instanceId descending", async () => {
        await store.createInstance(createRequest('tie-a', 1024));
        const seen: string[] = [];
        let token: string | undefined;
        do {
          const page = await store.queryInstances({ order: 'desc', pageSize: 4, ...(token !== undefined ? { pageToken: token } : {}) });
          seen.push(...ids(page));
          token = page.nextPageToken;
        } while (token !== undefined);
        assert.deepEqual(seen, ['tie-a', ...Array.from({ length: 25 }, (_, i) => `q${String(24 - i).padStart(2, '0')}`)]);
        assert.deepEqual(ids(await store.queryInstances({ order: 'desc', name: 'odd', instanceIdPrefix: 'q1', pageSize: 2 })), ['q19', 'q17']);
        assert.deepEqual(ids(await store.queryInstances({ order: 'asc', pageSize: 2 })), ['q00', 'q01']);
      });

      it('counts by (name, status) in one call, ordered by name then status, with name and prefix filters', async () => {
        assert.deepEqual(await store.countInstances(), [
          { name: 'even', status: 'COMPLETED', count: 3 },
          { name: 'even', status: 'PENDING', count: 10 },
          { name: 'odd', status: 'COMPLETED', count: 2 },
          { name: 'odd', status: 'PENDING', count: 10 },
        ]);
        assert.deepEqual(await store.countInstances({ name: 'odd' }), [
          { name: 'odd', status: 'COMPLETED', count: 2 },
          { name: 'odd', status: 'PENDING', count: 10 },
        ]);
        assert.deepEqual(await store.countInstances({ name: 'even', instanceIdPrefix: 'q1' }), [
          { name: 'even', status: 'COMPLETED', count: 1 },
          { name: 'even', status: 'PENDING', count: 4 },
        ]);
        assert.deepEqual(await store.countInstances({ name: 'nope' }), []);
        await store.purgeInstances(['q00', 'q10']);
        assert.deepEqual(await store.countInstances({ name: 'even' }), [
          { name: 'even', status: 'COMPLETED', count: 1 },
          { name: 'even', status: 'PENDING', count: 10 },
        ], 'purged instances are no longer counted');
      });
    });

    describe('purgeInstances', () => {
      it('deletes terminal instances with their history, inbox and tasks, and skips the rest', async () => {
        await createAndRun(store, 'done', 'COMPLETED');
        await createAndRun(store, 'failed', 'FAILED');
        await createAndRun(store, 'running', 'RUNNING');
        await store.enqueueMessages([{ instanceId: 'done', data: 'late', visibleAt: 1000 }]);
        const deleted = await store.purgeInstances(['done', 'failed', 'running', 'ghost']);
        assert.deepEqual([...deleted].sort(), ['done', 'failed']);
        assert.equal(await store.getInstance('done'), undefined);
        assert.deepEqual(await store.loadHistory('done'), []);
        assert.ok(await store.getInstance('running'));
        assert.equal((await store.loadHistory('running')).length, 2);
        assert.deepEqual(await store.claimOrchestrations({ leaseId: 'l', now: 5000, leaseMs: 1000, limit: 10 }), [], 'the late message went too');
        await store.createInstance(createRequest('done', 6000, { reusePolicy: ReusePolicy.REJECT }));
      });
    });

    describe('lifecycle', () => {
      it('reads of unknown instances are empty, not errors', async () => {
        assert.equal(await store.getInstance('nope'), undefined);
        assert.deepEqual(await store.loadHistory('nope'), []);
        assert.equal(await store.nextWakeAt(0), undefined);
      });

      it('rejects every call after close with STORE_CLOSED', async () => {
        await store.close();
        await rejectsWithCode(store.getInstance('a'), 'STORE_CLOSED');
        await rejectsWithCode(store.createInstance(createRequest('a')), 'STORE_CLOSED');
        await rejectsWithCode(store.claimActivities({ leaseId: 'l', now: 0, leaseMs: 1, limit: 1 }), 'STORE_CLOSED');
        store = await backend.create(); // afterEach closes this one
      });

      it('keeps every acknowledged write across close and reopen', { skip: backend.reopen ? false : `${name} is not durable: nothing survives close` }, async () => {
        await createAndRun(store, 'a', 'RUNNING', 1000, 3);
        await store.enqueueMessages([{ instanceId: 'a', data: 'timer', visibleAt: 4000 }]);
        const before = await store.getInstance('a');
        await store.close();
        store = await backend.reopen!(store);
        assert.deepEqual(await store.getInstance('a'), before);
        assert.equal((await store.loadHistory('a')).length, 3);
        assert.equal(await store.nextWakeAt(1000), 4000);
        const item = await claimOne(store, 'a', 4000);
        assert.deepEqual(
          item.messages.map((m) => m.data),
          ['timer'],
        );
      });
    });
  });
}
