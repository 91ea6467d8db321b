// Restart, replay, cache, leases and graceful stop: what happens when engines come and go.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { STORE_KINDS, freshStoreUrl, track, until } from './harness.js';
import { createEngine, type Engine } from '../../src/engine/engine.js';
import type { EngineOptions } from '../../src/engine/options.js';
import { openStore } from '../../src/store/index.js';
import type { Store } from '../../src/store/types.js';
import type { OrchestrationFunction } from '../../src/engine/replay/context.js';

/** Engines sharing one store object (so stopping one does not close it for the next). */
async function sharedStore(kind: string): Promise<Store> {
  const store = await openStore(freshStoreUrl(kind));
  return store;
}

async function engineOn(store: Store, setup: (e: Engine) => void, options: EngineOptions = {}): Promise<Engine> {
  const engine = track(await createEngine({ store, pollIntervalMs: 20, ...options }));
  setup(engine);
  await engine.start();
  return engine;
}

const stepsThenEvent: OrchestrationFunction = function* (ctx, x: number) {
  let v = x;
  for (let i = 0; i < 5; i++) v = yield ctx.callActivity('inc', v);
  const bonus: number = yield ctx.waitForExternalEvent('bonus');
  return v + bonus;
};

for (const kind of STORE_KINDS) {
  describe(`recovery (${kind})`, () => {
    it('keeps live orchestrations cached between turns: no replay on one engine', async () => {
      const store = await sharedStore(kind);
      const engine = await engineOn(store, (e) => {
        e.registerActivity('inc', (x: number) => x + 1);
        e.registerOrchestration('chain', function* (ctx, x: number) {
          let v = x;
          for (let i = 0; i < 10; i++) v = yield ctx.callActivity('inc', v);
          return v;
        });
      });
      const r = await engine.client.waitForCompletion(await engine.client.start('chain', 0), { timeoutMs: 5000 });
      assert.equal(r.output, 10);
      const s = engine.stats();
      assert.equal(s.replays, 0);
      assert.equal(s.cacheHits, 10);
      assert.equal(s.turns, 11);
      await engine.stop();
      await store.close();
    });

    it('a new engine on the same store replays history and finishes the instance', async () => {
      const store = await sharedStore(kind);
      const setup = (e: Engine): void => {
        e.registerActivity('inc', (x: number) => x + 1);
        e.registerOrchestration('steps', stepsThenEvent);
      };
      const a = await engineOn(store, setup);
      const id = await a.client.start('steps', 0);
      await until(async () => (await a.client.history(id)).filter((e) => e.type === 'TaskCompleted').length === 5, 30_000, '5 steps');
      assert.equal(a.stats().cachedInstances, 0, 'an instance waiting only for an event is evicted');
      await a.stop();
      const b = await engineOn(store, setup);
      await b.client.raiseEvent(id, 'bonus', 100);
      const r = await b.client.waitForCompletion(id, { timeoutMs: 5000 });
      assert.equal(r.output, 105);
      assert.equal(b.stats().replays, 1);
      assert.ok(b.stats().replayedEvents >= 20);
      await b.stop();
      await store.close();
    });

    it('fails an instance with NonDeterminismError when the code changed under it', async () => {
      const store = await sharedStore(kind);
      const a = await engineOn(store, (e) => {
        e.registerActivity('inc', (x: number) => x + 1);
        e.registerOrchestration('steps', stepsThenEvent);
      });
      const id = await a.client.start('steps', 0);
      await until(async () => (await a.client.history(id)).filter((e) => e.type === 'TaskCompleted').length === 5, 30_000, '5 steps');
      await a.stop();
      const b = await engineOn(store, (e) => {
        e.registerActivity('dec', (x: number) => x - 1);
        e.registerOrchestration('steps', function* (ctx, x: number) {
          const v = yield ctx.callActivity('dec', x);
          return v;
        });
      });
      await b.client.raiseEvent(id, 'bonus', 1);
      const r = await b.client.waitForCompletion(id, { timeoutMs: 5000 });
      assert.equal(r.runtimeStatus, 'FAILED');
      assert.equal(r.failure?.code, 'NON_DETERMINISM');
      assert.match(r.failure!.message, /history has TaskScheduled #1 'inc', but the code now does ScheduleTask #1 'dec'/);
      await b.stop();
      await store.close();
    });

    it("picks up an orchestration whose worker died (lease expiry)", async () => {
      const store = await sharedStore(kind);
      const setup = (e: Engine): void => {
        e.registerOrchestration('quick', (_ctx, x: number) => x * 2);
      };
      const b = track(await createEngine({ store, pollIntervalMs: 20, leaseMs: 200 }));
      setup(b);
      const iid = await b.client.start('quick', 21);
      // A "dead worker" claims it and never commits.
      const claimed = await store.claimOrchestrations({ leaseId: 'dead-worker', now: Date.now(), leaseMs: 200, limit: 10 });
      assert.equal(claimed.length, 1);
      await b.start();
      const r = await b.client.waitForCompletion(iid, { timeoutMs: 5000 });
      assert.equal(r.output, 42);
      await b.stop();
      await store.close();
    });

    it('re-delivers an activity whose worker died, with the same idempotency key', async () => {
      const store = await sharedStore(kind);
      const deliveries: Array<[string, number]> = [];
      const setup = (e: Engine): void => {
        e.registerActivity('side-effect', (_x: unknown, ctx) => {
          deliveries.push([ctx.idempotencyKey, ctx.deliveryCount]);
          return 'done';
        });
        e.registerOrchestration('one', function* (ctx) {
          return yield ctx.callActivity('side-effect');
        });
      };
      // The engine's activity worker sees no tasks until a "dead worker" has claimed the task (nor
      // gets them pre-leased by the turn that creates them: store feature turnShortcuts).
      let gate = true;
      const gated = new Proxy(store, {
        get(target, prop) {
          if (prop === 'claimActivities' && gate) return async () => [];
          if (prop === 'features' && gate) return { ...target.features, turnShortcuts: false };
          const v = Reflect.get(target, prop, target) as unknown;
          return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
        },
      });
      const e = track(await createEngine({ store: gated, pollIntervalMs: 20, leaseMs: 200 }));
      setup(e);
      await e.start();
      const id = await e.client.start('one', undefined, { instanceId: 'redeliver-1' });
      await until(async () => (await e.client.history(id)).some((h) => h.type === 'TaskScheduled'), 30_000, 'the activity task');
      const stolen = await store.claimActivities({ leaseId: 'dead-worker', now: Date.now(), leaseMs: 200, limit: 1 });
      assert.equal(stolen.length, 1);
      gate = false;
      const r = await e.client.waitForCompletion(id, { timeoutMs: 5000 });
      assert.equal(r.output, 'done');
      const key = `redeliver-1:${(await e.client.get(id))!.executionId}:1`;
      assert.deepEqual(deliveries, [[key, 2]], 'one execution, the second delivery, same key');
      await e.stop();
      await store.close();
    });

    it('fails an instance whose turn keeps throwing (a corrupt inbox message) instead of retrying forever', async () => {
      const store = await sharedStore(kind);
      const engine = await engineOn(store, (e) => {
        e.registerOrchestration('wait', function* (ctx) {
          return yield ctx.waitForExternalEvent('go');
        });
      });
      const id = await engine.client.start('wait');
      await engine.client.waitForStart(id, { timeoutMs: 5000 });
      await store.enqueueMessages([{ instanceId: id, data: 'this is not JSON', visibleAt: Date.now() }]);
      const r = await engine.client.waitForCompletion(id, { timeoutMs: 10_000 });
      assert.equal(r.runtimeStatus, 'FAILED');
      assert.equal(r.failure?.code, 'TURN_FAILED');
      assert.match(r.failure!.message, /failed 5 turns in a row: .*JSON/);
      await engine.stop();
      await store.close();
    });

    it('two engines on one store share the work without doing any of it twice', async () => {
      const store = await sharedStore(kind);
      const executions = new Map<string, number>();
      const setup = (e: Engine): void => {
        e.registerActivity('inc', (x: number, ctx) => {
          executions.set(ctx.idempotencyKey, (executions.get(ctx.idempotencyKey) ?? 0) + 1);
          return x + 1;
        });
        e.registerOrchestration('chain', function* (ctx, x: number) {
          let v = x;
          for (let i = 0; i < 4; i++) v = yield ctx.callActivity('inc', v);
          return v;
        });
      };
      const a = await engineOn(store, setup, { workerConcurrency: 8, activityConcurrency: 8 });
      const b = await engineOn(store, setup, { workerConcurrency: 8, activityConcurrency: 8 });
      const ids = await Promise.all(Array.from({ length: 60 }, (_, i) => (i % 2 ? a : b).client.start('chain', i, { instanceId: `shared-${i}` })));
      const results = await Promise.all(ids.map((id) => a.client.waitForCompletion(id, { timeoutMs: 15_000 })));
      assert.deepEqual(results.map((r) => r.output), ids.map((_, i) => i + 4));
      assert.equal(executions.size, 240);
      assert.ok([...executions.values()].every((n) => n === 1), 'every activity ran exactly once');
      assert.ok(a.stats().turns > 0 && b.stats().turns > 0, `both engines worked (${a.stats().turns} / ${b.stats().turns} turns)`);
      for (const id of ids) {
        const h = await a.client.history(id);
        const scheduled = h.filter((e) => e.type === 'TaskScheduled').map((e) => e.eventId);
        assert.deepEqual(scheduled, [1, 2, 3, 4], `history of ${id} has each action once`);
        assert.equal(h.filter((e) => e.type === 'TaskCompleted').length, 4);
      }
      await a.stop();
      await b.stop();
      await store.close();
    });

    it('stop() aborts activities that outlive shutdownTimeoutMs and releases them to the next engine', async () => {
      const store = await sharedStore(kind);
      let aborted = 0;
      const runs: number[] = [];
      const setup = (e: Engine, slow: boolean): void => {
        e.registerActivity('work', (_x: unknown, ctx) => {
          runs.push(ctx.deliveryCount);
          if (!slow) return 'finished';
          return new Promise((_resolve, reject) => {
            ctx.signal.addEventListener('abort', () => {
              aborted++;
              reject(new Error('aborted'));
            });
          });
        });
        e.registerOrchestration('one', function* (ctx) {
          return yield ctx.callActivity('work');
        });
      };
      const a = await engineOn(store, (e) => setup(e, true), { shutdownTimeoutMs: 50 });
      const id = await a.client.start('one');
      await until(() => runs.length === 1, 30_000, 'activity running');
      await a.stop();
      assert.equal(aborted, 1);
      const b = await engineOn(store, (e) => setup(e, false));
      const r = await b.client.waitForCompletion(id, { timeoutMs: 5000 });
      assert.equal(r.output, 'finished');
      assert.deepEqual(runs, [1, 2]);
      await b.stop();
      await store.close();
    });
  });
}
