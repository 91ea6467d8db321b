// The optional store feature `fusedStart` (src/store/INTERFACE-CHANGES.md), on every backend that
// declares it: createInstance carrying its first turn writes the create and the turn in one
// transaction, or — refused, kept by IGNORE, malformed — nothing of either.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { STORE_KINDS, rejectsWithCode } from './harness.js';
import { T } from './store-feature-helpers.js';
import { openStore } from '../../src/store/index.js';
import { openPostgresStore } from '../../src/store/postgres.js';
import { freshStoreUrl } from './harness.js';
import { ReusePolicy, type CreateInstanceRequest, type Store, type TurnCommit } from '../../src/store/types.js';

/** A fresh store of `kind`; PostgreSQL declares the feature only when asked (PostgresStoreOptions.fusedStart). */
async function withStore(kind: string, body: (s: Store) => Promise<void>): Promise<void> {
  const url = freshStoreUrl(kind);
  const store = kind === 'postgres' ? await openPostgresStore({ url, fusedStart: true }) : await openStore(url);
  try {
    await body(store);
  } finally {
    await store.close();
  }
}

/** A create of `id` with a first turn that records two events, schedules task 1 (leased), sets a timer and a custom status. */
function fusedCreate(id: string, extra: Partial<TurnCommit> = {}, policy?: ReusePolicy): CreateInstanceRequest {
  const firstTurn: TurnCommit = {
    instanceId: id,
    leaseId: `${id}-lease`,
    firstSeq: 0,
    history: [
      { seq: 0, type: 'OrchestratorStarted', timestamp: T, data: '{}' },
      { seq: 1, type: 'ExecutionStarted', timestamp: T, data: '{"start":1}' },
    ],
    state: { executionId: `${id}-e`, name: 'wf', status: 'RUNNING', lastUpdatedAt: T + 1, customStatus: '"first"', input: '{"in":1}' },
    consumedMessageIds: [],
    tasks: [{ instanceId: id, executionId: `${id}-e`, taskId: 1, name: 'act', data: '{"n":1}', visibleAt: T }],
    messages: [{ instanceId: id, executionId: `${id}-e`, data: '{"timer":1}', visibleAt: T + 5000 }],
    newInstances: [],
    taskLease: { leaseId: 'worker-a', lockExpiresAt: T + 1000, tasks: [0] },
    ...extra,
  };
  return {
    instanceId: id,
    executionId: `${id}-e`,
    name: 'wf',
    createdAt: T,
    input: '{"in":1}',
    startMessage: { data: '{"start":1}', visibleAt: T },
    firstTurn,
    ...(policy !== undefined ? { reusePolicy: policy } : {}),
  };
}

async function snapshot(store: Store, id: string): Promise<unknown> {
  const r = await store.getInstance(id);
  return { status: r?.status, len: r?.historyLength, custom: r?.customStatus, history: (await store.loadHistory(id)).map((h) => h.type), work: await store.pendingWork(id, T + 10) };
}

for (const kind of STORE_KINDS) {
  describe(`store feature fusedStart (${kind})`, () => {
    it('creates the instance with its first turn committed: history, state, a leased task, a timer; unlocked, nothing else in the inbox', async (t) => {
      await withStore(kind, async (store) => {
        if (!store.features?.fusedStart) return t.skip(`the ${kind} store does not declare it`);
        const r = await store.createInstance(fusedCreate('a'));
        assert.equal(r.created, true);
        if (store.features.turnShortcuts) assert.deepEqual(r.committed?.leasedTasks.map((x) => [x.taskId, x.leaseId, x.dequeueCount]), [[1, 'worker-a', 1]]);
        const rec = await store.getInstance('a');
        assert.deepEqual([rec?.status, rec?.historyLength, rec?.customStatus, rec?.input, rec?.createdAt, rec?.lastUpdatedAt], ['RUNNING', 2, '"first"', '{"in":1}', T, T + 1]);
        assert.deepEqual((await store.loadHistory('a')).map((h) => [h.seq, h.type]), [[0, 'OrchestratorStarted'], [1, 'ExecutionStarted']]);
        const work = await store.pendingWork('a', T + 10);
        assert.equal(work.inboxMessages, 1, 'only the timer: the start message was never inserted');
        assert.equal(work.nextMessageAt, T + 5000);
        // Unlocked and nothing visible: no claim finds it until the timer is due, then the timer alone.
        assert.deepEqual(await store.claimOrchestrations({ leaseId: 'c1', now: T + 10, leaseMs: 500, limit: 10 }), []);
        const [due] = await store.claimOrchestrations({ leaseId: 'c2', now: T + 5000, leaseMs: 500, limit: 10 });
        assert.deepEqual(due?.messages.map((m) => m.data), ['{"timer":1}']);
        assert.equal(due?.instance.historyLength, 2);
      });
    });

    it('a first turn that ends the instance: final status and output, its own tasks and timers dropped', async (t) => {
      await withStore(kind, async (store) => {
        if (!store.features?.fusedStart) return t.skip('feature not declared');
        await store.createInstance(fusedCreate('f', { state: { executionId: 'f-e', name: 'wf', status: 'COMPLETED', lastUpdatedAt: T, completedAt: T, output: '42' }, dropPendingWork: true, taskLease: undefined }));
        const rec = await store.getInstance('f');
        assert.deepEqual([rec?.status, rec?.output, rec?.completedAt], ['COMPLETED', '42', T]);
        const work = await store.pendingWork('f', T);
        assert.deepEqual([work.inboxMessages, work.tasks.length], [0, 0]);
      });
    });

    it('INSTANCE_EXISTS (running id) and IGNORE write nothing of the turn; REPLACE_TERMINAL replaces a finished id', async (t) => {
      await withStore(kind, async (store) => {
        if (!store.features?.fusedStart) return t.skip('feature not declared');
        await store.createInstance(fusedCreate('x'));
        const before = await snapshot(store, 'x');
        const other = fusedCreate('x', { state: { executionId: 'x-e2', name: 'wf', status: 'RUNNING', lastUpdatedAt: T + 9 } });
        other.executionId = 'x-e2';
        await rejectsWithCode(store.createInstance(other), 'INSTANCE_EXISTS');
        await rejectsWithCode(store.createInstance({ ...other, reusePolicy: ReusePolicy.REJECT }), 'INSTANCE_EXISTS');
        assert.deepEqual(await store.createInstance({ ...other, reusePolicy: ReusePolicy.IGNORE }), { created: false });
        assert.deepEqual(await snapshot(store, 'x'), before);
        // Finished: replaced by the new execution with its first turn.
        await store.createInstance(fusedCreate('y', { state: { executionId: 'y-e', name: 'wf', status: 'FAILED', lastUpdatedAt: T, completedAt: T }, dropPendingWork: true, taskLease: undefined }));
        const again = fusedCreate('y', { state: { executionId: 'y-e2', name: 'wf', status: 'RUNNING', lastUpdatedAt: T + 2 }, taskLease: undefined, tasks: [], messages: [] });
        again.executionId = 'y-e2';
        assert.equal((await store.createInstance(again)).created, true);
        const rec = await store.getInstance('y');
        assert.deepEqual([rec?.executionId, rec?.status, rec?.historyLength], ['y-e2', 'RUNNING', 2]);
      });
    });

    it('a first turn it cannot honour (consumes messages, not at seq 0, with a claim) is refused and nothing is created', async (t) => {
      await withStore(kind, async (store) => {
        if (!store.features?.fusedStart) return t.skip('feature not declared');
        await rejectsWithCode(store.createInstance(fusedCreate('b', { consumedMessageIds: [1] })), 'INVALID_ARGUMENT');
        await rejectsWithCode(store.createInstance(fusedCreate('b', { firstSeq: 1 })), 'INVALID_ARGUMENT');
        await rejectsWithCode(store.createInstance({ ...fusedCreate('b'), claim: { leaseId: 'l', now: T, leaseMs: 100 } }), 'INVALID_ARGUMENT');
        assert.equal(await store.getInstance('b'), undefined);
      });
    });
  });
}
