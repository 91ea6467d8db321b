// A start and its first turn in ONE store transaction (store feature `fusedStart`,
// engine/fused-start.ts): what the user sees is what the two-commit start showed — history,
// status, outputs, errors — with the first turn carried by the create.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createEngine, type Engine } from '../../src/engine/engine.js';
import type { EngineOptions } from '../../src/engine/options.js';
import { openStore } from '../../src/store/index.js';
import { openPostgresStore } from '../../src/store/postgres.js';
import { ReusePolicy, type CreateInstanceRequest, type Store, type TurnCommit } from '../../src/store/types.js';
import { STORE_KINDS, freshStoreUrl, rejectsWithCode, track } from './harness.js';

/** The store, counting creates that carry a first turn and turn commits (by first seq). */
function counting(store: Store, failFused?: () => Error | undefined): { store: Store; fused: string[]; turns: number[] } {
  const fused: string[] = [];
  const turns: number[] = [];
  const proxy = new Proxy(store, {
    get(target, prop, receiver) {
      if (prop === 'createInstance') {
        return async (request: CreateInstanceRequest) => {
          if (request.firstTurn !== undefined) {
            const e = failFused?.();
            if (e !== undefined) throw e;
          }
          const r = await target.createInstance(request);
          if (request.firstTurn !== undefined && r.created) fused.push(request.instanceId);
          return r;
        };
      }
      if (prop === 'commitTurn') {
        return (turn: TurnCommit) => {
          turns.push(turn.firstSeq);
          return target.commitTurn(turn);
        };
      }
      const v = Reflect.get(target, prop, receiver) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  return { store: proxy, fused, turns };
}

async function engineOn(store: Store, setup: (e: Engine) => void, options: EngineOptions = {}): Promise<Engine> {
  const engine = track(await createEngine({ store, pollIntervalMs: 20, ...options }));
  setup(engine);
  await engine.start();
  return engine;
}

/** A fresh store of `kind`; PostgreSQL declares fusedStart only when asked (off by default: it costs round trips there). */
async function fresh(kind: string): Promise<Store> {
  const url = freshStoreUrl(kind);
  return kind === 'postgres' ? openPostgresStore({ url, fusedStart: true }) : openStore(url);
}

/**
 * An engine clock whose read inside the next fused first turn throws once (an engine-side error in
 * the turn, before its commit): the reads from the start call to the turn's are synchronous, so it
 * is the second read after `arm()`.
 */
function fusedTurnFault(): { clock: { now(): number }; arm(): void; fired(): boolean } {
  let armed = -1;
  return {
    clock: {
      now: (): number => {
        if (armed >= 0 && ++armed === 2) {
          armed = -1;
          throw new Error('injected: the turn threw');
        }
        return Date.now();
      },
    },
    arm: () => void (armed = 0),
    fired: () => armed === -1,
  };
}

const types = async (engine: Engine, id: string): Promise<string[]> => (await engine.client.history(id)).map((e) => e.type);

for (const kind of STORE_KINDS) {
  describe(`fused start: a start and its first turn in one commit (${kind})`, () => {
    it('a chain: the first turn (its task scheduled, pre-leased) commits with the create; history and output as before', async () => {
      const raw = await fresh(kind);
      const c = counting(raw);
      const engine = await engineOn(c.store, (e) => {
        e.registerActivity('inc', (n: number) => n + 1);
        e.registerOrchestration('chain', function* (ctx, n: number) {
          ctx.setCustomStatus({ step: 'started' });
          let v = n;
          for (let i = 0; i < 3; i++) v = yield ctx.callActivity('inc', v);
          return v;
        });
      });
      const id = await engine.client.start('chain', 1);
      assert.deepEqual(c.fused, [id], 'the start carried its first turn');
      const done = await engine.client.waitForCompletion(id, { timeoutMs: 10_000 });
      assert.equal(done.runtimeStatus, 'COMPLETED');
      assert.equal(done.output, 4);
      assert.deepEqual(done.customStatus, { step: 'started' });
      assert.ok(!c.turns.includes(0), `no separate commit of the first turn (commits at seqs ${JSON.stringify(c.turns)})`);
      const h = await types(engine, id);
      assert.deepEqual(h.slice(0, 4), ['OrchestratorStarted', 'ExecutionStarted', 'TaskScheduled', 'OrchestratorCompleted']);
      assert.equal(h.filter((t) => t === 'TaskCompleted').length, 3);
      assert.equal(h.at(-2), 'ExecutionCompleted');
      await engine.stop();
      await raw.close();
    });

    it('a first turn that completes or fails the instance at once: one commit, status, output and failure as before', async () => {
      const raw = await fresh(kind);
      const c = counting(raw);
      const engine = await engineOn(c.store, (e) => {
        e.registerOrchestration('now', (_ctx, x: string) => `got ${x}`);
        e.registerOrchestration('bad', () => {
          throw new Error('no way');
        });
      });
      const ok = await engine.client.start('now', 'x');
      const bad = await engine.client.start('bad');
      // Already final when start() returns: the one commit was the create with its final turn.
      assert.equal((await engine.client.get(ok))?.runtimeStatus, 'COMPLETED');
      assert.equal((await engine.client.get(bad))?.runtimeStatus, 'FAILED');
      const done = await engine.client.waitForCompletion(ok, { timeoutMs: 5000 });
      assert.equal(done.output, 'got x');
      const failed = await engine.client.waitForCompletion(bad, { timeoutMs: 5000 });
      assert.match(failed.failure?.message ?? '', /no way/);
      assert.deepEqual(await types(engine, ok), ['OrchestratorStarted', 'ExecutionStarted', 'ExecutionCompleted', 'OrchestratorCompleted']);
      assert.deepEqual(c.fused, [ok, bad]);
      assert.deepEqual(c.turns, [], 'no turn commit at all');
      assert.equal(engine.stats().cachedInstances, 0, 'an ended instance is not cached');
      await engine.stop();
      await raw.close();
    });

    it('INSTANCE_EXISTS: nothing of the new first turn is written, the running instance is untouched; IGNORE keeps it too', async () => {
      const raw = await fresh(kind);
      const c = counting(raw);
      let runs = 0;
      const engine = await engineOn(c.store, (e) => {
        e.registerOrchestration('waiter', function* (ctx, x: number) {
          runs++;
          const got: number = yield ctx.waitForExternalEvent('go');
          return x + got;
        });
      });
      const id = await engine.client.start('waiter', 1, { instanceId: 'w1' });
      await engine.client.waitForStart(id, { timeoutMs: 5000 });
      const before = await types(engine, id);
      assert.equal(engine.stats().cachedInstances, 0, 'idle (waiting on an event only): not cached, as after a first turn committed on its own');
      await rejectsWithCode(engine.client.start('waiter', 100, { instanceId: 'w1' }), 'INSTANCE_EXISTS');
      assert.equal(await engine.client.start('waiter', 200, { instanceId: 'w1', reusePolicy: ReusePolicy.IGNORE }), 'w1');
      assert.deepEqual(await types(engine, id), before);
      assert.equal((await engine.client.get(id))?.input, 1);
      await engine.client.raiseEvent(id, 'go', 10);
      const done = await engine.client.waitForCompletion(id, { timeoutMs: 5000 });
      assert.equal(done.output, 11, 'the cached runtime of the first start went on (not one of the refused starts)');
      assert.deepEqual(c.fused, ['w1']);
      assert.equal(runs >= 1, true);
      await engine.stop();
      await raw.close();
    });

    it('a duplicate start of an instance whose runtime is cached here (waiting on an activity): INSTANCE_EXISTS, and that runtime goes on without a replay', async () => {
      const raw = await fresh(kind);
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const engine = await engineOn(raw, (e) => {
        e.registerActivity('slow', async (x: number) => {
          await gate;
          return x + 1;
        });
        e.registerOrchestration('slowChain', function* (ctx, x: number) {
          const a: number = yield ctx.callActivity('slow', x);
          return a * 10;
        });
      });
      const id = await engine.client.start('slowChain', 1, { instanceId: 'd1' });
      await engine.client.waitForStart(id, { timeoutMs: 5000 });
      const before = await types(engine, id);
      await rejectsWithCode(engine.client.start('slowChain', 100, { instanceId: 'd1' }), 'INSTANCE_EXISTS');
      assert.deepEqual(await types(engine, id), before, 'nothing of the refused start written');
      release();
      const done = await engine.client.waitForCompletion(id, { timeoutMs: 5000 });
      assert.equal(done.output, 20);
      assert.equal(engine.stats().replays, 0, 'the refused start left the running instance\'s cached runtime alone');
      await engine.stop();
      await raw.close();
    });

    it('REPLACE_TERMINAL: a finished id starts again from a fresh history in one commit', async () => {
      const raw = await fresh(kind);
      const c = counting(raw);
      const engine = await engineOn(c.store, (e) => e.registerOrchestration('echo', (_ctx, x: number) => x * 2));
      await engine.client.start('echo', 1, { instanceId: 'r1' });
      const first = await engine.client.waitForCompletion('r1', { timeoutMs: 5000 });
      await engine.client.start('echo', 5, { instanceId: 'r1' });
      const second = await engine.client.waitForCompletion('r1', { timeoutMs: 5000 });
      assert.equal(second.output, 10);
      assert.notEqual(second.executionId, first.executionId);
      assert.deepEqual(await types(engine, 'r1'), ['OrchestratorStarted', 'ExecutionStarted', 'ExecutionCompleted', 'OrchestratorCompleted']);
      assert.deepEqual(c.fused, ['r1', 'r1']);
      await engine.stop();
      await raw.close();
    });

    it('sub-orchestrations and continue-as-new from a fused first turn: children start as before, the new execution runs', async () => {
      const raw = await fresh(kind);
      const c = counting(raw);
      const engine = await engineOn(c.store, (e) => {
        e.registerOrchestration('child', (_ctx, x: number) => x + 1);
        e.registerOrchestration('parent', function* (ctx, xs: number[]) {
          const r: number[] = yield ctx.whenAll(xs.map((x) => ctx.callSubOrchestrator<number>('child', x)));
          return r;
        });
        e.registerOrchestration('again', (ctx, n: number) => {
          if (n < 3) ctx.continueAsNew(n + 1);
          return n;
        });
      });
      const p = await engine.client.start('parent', [1, 2]);
      assert.deepEqual((await engine.client.waitForCompletion(p, { timeoutMs: 10_000 })).output, [2, 3]);
      const a = await engine.client.start('again', 0);
      const done = await engine.client.waitForCompletion(a, { timeoutMs: 10_000 });
      assert.equal(done.output, 3);
      // Only client starts carry their first turn; children are created by their parent's turn.
      assert.deepEqual(c.fused, [p, a]);
      await engine.stop();
      await raw.close();
    });

    it('a first turn that throws before its commit: nothing written by it, the start goes the ordinary way (claimed create, turn retried as any turn)', async () => {
      const raw = await fresh(kind);
      const c = counting(raw);
      const fault = fusedTurnFault();
      const engine = await engineOn(c.store, (e) => e.registerOrchestration('echo', (_ctx, x: number) => x + 1), { clock: fault.clock });
      fault.arm();
      const id = await engine.client.start('echo', 1);
      assert.equal(fault.fired(), true, 'the injected throw happened');
      assert.equal((await engine.client.waitForCompletion(id, { timeoutMs: 5000 })).output, 2);
      assert.deepEqual(c.fused, [], 'the fused create was never sent');
      assert.ok(c.turns.includes(0), 'the first turn committed on its own after the claimed create');
      assert.deepEqual(await types(engine, id), ['OrchestratorStarted', 'ExecutionStarted', 'ExecutionCompleted', 'OrchestratorCompleted']);
      await engine.stop();
      await raw.close();
    });

    it('a first turn that keeps throwing: the fused attempt falls back, the ordinary turn fails 5 times in a row, the instance ends FAILED (TURN_FAILED)', async () => {
      const raw = await fresh(kind);
      const c = counting(raw);
      // The fused turn throws once (as in the test above); then every commit of the first turn
      // throws an engine-side error (not a store fault), as a turn with an engine bug would.
      const fault = fusedTurnFault();
      let firstTurnThrows = 0;
      const store = new Proxy(c.store, {
        get(target, prop, receiver) {
          if (prop === 'commitTurn') {
            return (turn: TurnCommit) => {
              if (turn.firstSeq === 0 && turn.state.status !== 'FAILED') {
                firstTurnThrows++;
                throw new Error('injected: the first turn cannot commit');
              }
              return target.commitTurn(turn);
            };
          }
          const v = Reflect.get(target, prop, receiver) as unknown;
          return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
        },
      });
      const engine = await engineOn(store, (e) => e.registerOrchestration('echo', (_ctx, x: number) => x + 1), { clock: fault.clock });
      fault.arm();
      const id = await engine.client.start('echo', 1);
      const r = await engine.client.waitForCompletion(id, { timeoutMs: 10_000 });
      assert.equal(r.runtimeStatus, 'FAILED');
      assert.equal(r.failure?.code, 'TURN_FAILED');
      assert.match(r.failure!.message, /failed 5 turns in a row: .*the first turn cannot commit/);
      assert.equal(firstTurnThrows, 5);
      assert.deepEqual(c.fused, [], 'the fused create was never sent');
      await engine.stop();
      await raw.close();
    });

    it('a scheduled start is not fused; a refused fused create is the start error and wrote nothing (retry with the same id works)', async () => {
      const raw = await fresh(kind);
      let failNext = true;
      const c = counting(raw, () => (failNext ? ((failNext = false), new Error('injected: connection reset')) : undefined));
      const engine = await engineOn(c.store, (e) => e.registerOrchestration('echo', (_ctx, x: number) => x));
      const err = await rejectsWithCode(engine.client.start('echo', 7, { instanceId: 'f1' }), 'WRITE_OUTCOME_UNKNOWN');
      assert.match(err.message, /retry with the same instance id 'f1'/);
      assert.equal(await engine.client.get('f1'), undefined, 'nothing acknowledged, nothing written');
      await engine.client.start('echo', 7, { instanceId: 'f1' });
      assert.equal((await engine.client.waitForCompletion('f1', { timeoutMs: 5000 })).output, 7);
      const later = await engine.client.start('echo', 8, { startAt: Date.now() + 50 });
      assert.equal((await engine.client.waitForCompletion(later, { timeoutMs: 5000 })).output, 8);
      assert.deepEqual(c.fused, ['f1'], 'the scheduled start went the ordinary way');
      await engine.stop();
      await raw.close();
    });
  });
}
