// End-to-end on each store: timers, external events, sub-orchestrations, continue-as-new,
// custom status, suspend/resume and scheduled start. Long timers run on a ManualClock.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { STORE_KINDS, makeEngine, until } from './harness.js';
import { ManualClock } from '../../src/engine/clock.js';
import type { Task } from '../../src/engine/replay/task.js';

for (const kind of STORE_KINDS) {
  describe(`timers and events (${kind})`, () => {
    it('fires a durable timer when its time comes (ManualClock)', async () => {
      const clock = new ManualClock();
      const engine = await makeEngine(kind, { clock });
      engine.registerOrchestration('sleeper', function* (ctx) {
        const before = ctx.currentTimeMs;
        yield ctx.createTimer(60 * 60 * 1000);
        return ctx.currentTimeMs - before;
      });
      await engine.start();
      const id = await engine.client.start('sleeper');
      await engine.client.waitForStart(id, { timeoutMs: 60_000 });
      await new Promise((r) => setTimeout(r, 50));
      assert.equal((await engine.client.get(id))?.runtimeStatus, 'RUNNING');
      clock.advance(60 * 60 * 1000);
      const r = await engine.client.waitForCompletion(id, { timeoutMs: 60_000 });
      assert.equal(r.output, 60 * 60 * 1000);
      const fired = (await engine.client.history(id)).find((e) => e.type === 'TimerFired');
      assert.ok(fired && fired.type === 'TimerFired' && fired.timerId === 1);
    });

    it('buffers an event raised before the wait, and delivers one raised after it', async () => {
      const engine = await makeEngine(kind);
      engine.registerOrchestration('approval', function* (ctx) {
        yield ctx.createTimer(30);
        const first = yield ctx.waitForExternalEvent('approval');
        const second = yield ctx.waitForExternalEvent('approval');
        return [first, second];
      });
      await engine.start();
      const id = await engine.client.start('approval');
      await engine.client.raiseEvent(id, 'approval', { by: 'early' });
      await until(async () => (await engine.client.history(id)).some((e) => e.type === 'TimerFired'), 30_000, 'the timer');
      await engine.client.raiseEvent(id, 'Approval', { by: 'late' });
      const r = await engine.client.waitForCompletion(id, { timeoutMs: 60_000 });
      assert.deepEqual(r.output, [{ by: 'early' }, { by: 'late' }]);
    });

    it('times out a wait with whenAny(event, timer)', async () => {
      const clock = new ManualClock();
      const engine = await makeEngine(kind, { clock });
      engine.registerOrchestration('approve-or-timeout', function* (ctx) {
        const event = ctx.waitForExternalEvent('approval');
        const timeout = ctx.createTimer(24 * 3600 * 1000);
        const winner: Task<unknown> = yield ctx.whenAny<unknown>([event, timeout]);
        return winner === timeout ? 'timed out' : { approved: winner.getResult() };
      });
      await engine.start();
      const slow = await engine.client.start('approve-or-timeout');
      const fast = await engine.client.start('approve-or-timeout');
      await engine.client.waitForStart(slow, { timeoutMs: 60_000 });
      await engine.client.raiseEvent(fast, 'approval', 'yes');
      assert.deepEqual((await engine.client.waitForCompletion(fast, { timeoutMs: 60_000 })).output, { approved: 'yes' });
      clock.advance(24 * 3600 * 1000);
      assert.equal((await engine.client.waitForCompletion(slow, { timeoutMs: 60_000 })).output, 'timed out');
    });

    it('starts a scheduled instance at its start time, PENDING until then', async () => {
      const clock = new ManualClock();
      const engine = await makeEngine(kind, { clock });
      // A plain function (no yields) is a valid orchestration too.
      engine.registerOrchestration('later', (ctx) => ctx.currentTimeMs);
      await engine.start();
      const startAt = clock.now() + 10 * 60 * 1000;
      const id = await engine.client.start('later', undefined, { startAt: new Date(startAt) });
      await engine.client.raiseEvent(id, 'early-bird', 1); // an event before the start must not start it
      await new Promise((r) => setTimeout(r, 80));
      const pending = await engine.client.get(id);
      assert.equal(pending?.runtimeStatus, 'PENDING');
      assert.equal(pending?.scheduledStartAt?.getTime(), startAt);
      clock.set(startAt);
      const r = await engine.client.waitForCompletion(id, { timeoutMs: 60_000 });
      assert.equal(r.output, startAt);
    });
    it('terminates a scheduled instance before it starts', async () => {
      const clock = new ManualClock();
      const engine = await makeEngine(kind, { clock });
      let ran = false;
      engine.registerOrchestration('never-runs', () => {
        ran = true;
        return 1;
      });
      await engine.start();
      const id = await engine.client.start('never-runs', undefined, { startAt: clock.now() + 60_000 });
      await engine.client.terminate(id, { output: 'cancelled' });
      const r = await engine.client.waitForCompletion(id, { timeoutMs: 60_000 });
      assert.equal(r.runtimeStatus, 'TERMINATED');
      assert.equal(r.output, 'cancelled');
      clock.advance(120_000);
      await new Promise((res) => setTimeout(res, 60));
      assert.equal(ran, false);
      assert.equal((await engine.client.get(id))?.runtimeStatus, 'TERMINATED');
    });
  });

  describe(`sub-orchestrations and lifecycle (${kind})`, () => {
    it('runs sub-orchestrations and returns their outputs; a failing child fails the parent task', async () => {
      const engine = await makeEngine(kind);
      engine.registerActivity('double', (x: number) => x * 2);
      engine.registerOrchestration('child', function* (ctx, x: number) {
        if (x < 0) throw new Error('negative input');
        return yield ctx.callActivity('double', x);
      });
      engine.registerOrchestration('parent', function* (ctx, xs: number[]) {
        const results: number[] = yield ctx.whenAll(xs.map((x) => ctx.callSubOrchestrator<number>('child', x)));
        try {
          yield ctx.callSubOrchestrator('child', -1, { instanceId: `${ctx.instanceId}-bad` });
        } catch (e) {
          return { results, error: (e as Error).message };
        }
        return { results };
      });
      await engine.start();
      const id = await engine.client.start('parent', [1, 2, 3], { instanceId: 'p1' });
      const r = await engine.client.waitForCompletion(id, { timeoutMs: 60_000 });
      assert.deepEqual(r.output, { results: [2, 4, 6], error: "sub-orchestration 'child' (task #4) failed: negative input" });
      const child = await engine.client.get('p1:0001');
      assert.equal(child?.runtimeStatus, 'COMPLETED');
      assert.equal(child?.parentInstanceId, 'p1');
      assert.equal((await engine.client.get('p1-bad'))?.runtimeStatus, 'FAILED');
      const children = await engine.client.list({ parentInstanceId: 'p1' });
      assert.equal(children.instances.length, 4);
    });

    it('fails the parent task for a child id that is taken; a child nobody registered waits for a worker (finding 2)', async () => {
      const engine = await makeEngine(kind);
      engine.registerOrchestration('wait', function* (ctx) {
        return yield ctx.waitForExternalEvent('go');
      });
      engine.registerOrchestration('parent', function* (ctx) {
        const results: string[] = [];
        for (const [name, id] of [['wait', 'busy'], ['ghost', 'child-ghost']] as const) {
          try {
            results.push(yield ctx.callSubOrchestrator(name, undefined, { instanceId: id }));
          } catch (e) {
            results.push((e as Error).message);
          }
        }
        return results;
      });
      await engine.start();
      await engine.client.start('wait', undefined, { instanceId: 'busy' });
      const parent = await engine.client.start('parent');
      // Not failed for lack of a registration: it waits (a node that has 'ghost' may come).
      await until(async () => ((await engine.client.get('child-ghost'))?.waitingFor ?? '').includes("no worker registered for 'ghost'"), 30_000, 'the child waiting');
      assert.equal((await engine.client.get('child-ghost'))?.runtimeStatus, 'PENDING');
      engine.registerOrchestration('ghost', () => 'ghost ran');
      const r = await engine.client.waitForCompletion(parent, { timeoutMs: 60_000 });
      assert.deepEqual(r.output, [
        "sub-orchestration 'wait' (task #1) failed: cannot start sub-orchestration 'wait': an instance with id 'busy' is already running",
        'ghost ran',
      ]);
      assert.equal((await engine.client.get('busy'))?.parentInstanceId, undefined, 'the running instance was not touched');
    });

    it('continues as new with a fresh history, carrying unconsumed events', async () => {
      const engine = await makeEngine(kind);
      engine.registerOrchestration('counter', function* (ctx, n: number) {
        if (n < 3) {
          yield ctx.createTimer(1);
          ctx.continueAsNew(n + 1);
          return;
        }
        const e = yield ctx.waitForExternalEvent('final');
        return { n, e };
      });
      await engine.start();
      const id = await engine.client.start('counter', 0);
      await engine.client.raiseEvent(id, 'final', 'kept');
      const r = await engine.client.waitForCompletion(id, { timeoutMs: 60_000 });
      assert.deepEqual(r.output, { n: 3, e: 'kept' });
      const history = await engine.client.history(id);
      const started = history.filter((e) => e.type === 'ExecutionStarted');
      assert.equal(started.length, 1, 'history holds only the last execution');
      assert.equal(started[0]?.type === 'ExecutionStarted' && started[0].input, '3');
    });

    it('abandon withdraws event waits (also inside composites), so the next wait gets the event', async () => {
      const engine = await makeEngine(kind);
      engine.registerOrchestration('abandoning', function* (ctx) {
        const stale = ctx.whenAll([ctx.waitForExternalEvent('x'), ctx.waitForExternalEvent('y')]);
        yield ctx.createTimer(1);
        ctx.abandon([stale]);
        const x = yield ctx.waitForExternalEvent('x');
        return { x, staleDone: stale.isComplete };
      });
      await engine.start();
      const id = await engine.client.start('abandoning', undefined);
      await until(async () => (await engine.client.history(id)).some((h) => h.type === 'TimerFired'), 30_000, 'the timer');
      await engine.client.raiseEvent(id, 'x', 42);
      const r = await engine.client.waitForCompletion(id, { timeoutMs: 60_000 });
      assert.deepEqual(r.output, { x: 42, staleDone: false });
    });

    it('gives every execution after continue-as-new its own idempotency keys', async () => {
      const engine = await makeEngine(kind);
      const keys: string[] = [];
      engine.registerActivity('step', (n: number, actx) => {
        keys.push(actx.idempotencyKey);
        return n + 1;
      });
      engine.registerOrchestration('looping', function* (ctx, n: number) {
        const next: number = yield ctx.callActivity('step', n);
        if (next < 3) {
          ctx.continueAsNew(next);
          return;
        }
        return next;
      });
      await engine.start();
      const id = await engine.client.start('looping', 0, { instanceId: 'loop-keys' });
      const r = await engine.client.waitForCompletion(id, { timeoutMs: 60_000 });
      assert.equal(r.output, 3);
      assert.equal(keys.length, 3);
      // task #1 in each of three executions: same instance, same task id, different keys
      assert.equal(new Set(keys).size, 3, keys.join(', '));
      for (const k of keys) assert.match(k, /^loop-keys:[0-9a-f-]{36}:1$/);
    });

    it('shows the custom status while running', async () => {
      const engine = await makeEngine(kind);
      engine.registerOrchestration('status', function* (ctx) {
        ctx.setCustomStatus({ stage: 'waiting for go' });
        yield ctx.waitForExternalEvent('go');
        ctx.setCustomStatus('done');
        return 1;
      });
      await engine.start();
      const id = await engine.client.start('status');
      await until(async () => (await engine.client.get(id))?.customStatus !== undefined, 30_000, 'custom status');
      assert.deepEqual((await engine.client.get(id))?.customStatus, { stage: 'waiting for go' });
      await engine.client.raiseEvent(id, 'go');
      const r = await engine.client.waitForCompletion(id, { timeoutMs: 60_000 });
      assert.equal(r.customStatus, 'done');
    });

    it('suspends (events are held) and resumes (they are delivered)', async () => {
      const engine = await makeEngine(kind);
      engine.registerOrchestration('pausable', function* (ctx) {
        return yield ctx.waitForExternalEvent('go');
      });
      await engine.start();
      const id = await engine.client.start('pausable');
      await engine.client.waitForStart(id, { timeoutMs: 60_000 });
      await engine.client.suspend(id, 'maintenance');
      await until(async () => (await engine.client.get(id))?.runtimeStatus === 'SUSPENDED', 30_000, 'SUSPENDED');
      await engine.client.raiseEvent(id, 'go', 42);
      await until(async () => (await engine.client.history(id)).some((e) => e.type === 'EventRaised'), 30_000, 'event recorded');
      assert.equal((await engine.client.get(id))?.runtimeStatus, 'SUSPENDED');
      await engine.client.resume(id);
      const r = await engine.client.waitForCompletion(id, { timeoutMs: 60_000 });
      assert.equal(r.output, 42);
    });

    it('sends events between instances', async () => {
      const engine = await makeEngine(kind);
      engine.registerOrchestration('receiver', function* (ctx) {
        return yield ctx.waitForExternalEvent('ping');
      });
      engine.registerOrchestration('sender', (ctx, target: string) => {
        ctx.sendEvent(target, 'ping', 'hello');
        return 'sent';
      });
      await engine.start();
      const rx = await engine.client.start('receiver');
      await engine.client.start('sender', rx);
      assert.equal((await engine.client.waitForCompletion(rx, { timeoutMs: 60_000 })).output, 'hello');
    });
  });
}
