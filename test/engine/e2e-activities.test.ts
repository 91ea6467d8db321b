// End-to-end on each store: activity chains, failures, retry policies, the activity context.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { STORE_KINDS, makeEngine } from './harness.js';
import type { ActivityContext } from '../../src/engine/registry.js';

for (const kind of STORE_KINDS) {
  describe(`activities (${kind})`, () => {
    it('runs the embedded-API example: a 3-step chain', async () => {
      const engine = await makeEngine(kind);
      engine.registerActivity('inc', async (x: number) => x + 1);
      engine.registerOrchestration('chain', function* (ctx, x: number) {
        let v = x;
        for (let i = 0; i < 3; i++) v = yield ctx.callActivity('inc', v);
        return v;
      });
      await engine.start();
      const id = await engine.client.start('chain', 0);
      const r = await engine.client.waitForCompletion(id, { timeoutMs: 60_000 });
      assert.equal(r.runtimeStatus, 'COMPLETED');
      assert.equal(r.output, 3);
      assert.equal(r.input, 0);
      assert.equal(r.failure, undefined);
      const types = (await engine.client.history(id)).map((e) => e.type);
      assert.deepEqual(types.slice(0, 4), ['OrchestratorStarted', 'ExecutionStarted', 'TaskScheduled', 'OrchestratorCompleted']);
      assert.equal(types.filter((t) => t === 'TaskCompleted').length, 3);
      assert.equal(types.at(-2), 'ExecutionCompleted');
    });

    it('runs many instances concurrently', async () => {
      const engine = await makeEngine(kind);
      engine.registerActivity('inc', (x: number) => x + 1);
      engine.registerOrchestration('chain', function* (ctx, x: number) {
        let v = x;
        for (let i = 0; i < 3; i++) v = yield ctx.callActivity('inc', v);
        return v;
      });
      await engine.start();
      const ids = await Promise.all(Array.from({ length: 50 }, (_, i) => engine.client.start('chain', i)));
      const results = await Promise.all(ids.map((id) => engine.client.waitForCompletion(id, { timeoutMs: 60_000 })));
      assert.deepEqual(results.map((r) => r.output), Array.from({ length: 50 }, (_, i) => i + 3));
    });

    it('fails the instance with the activity error, and the code can catch it instead', async () => {
      const engine = await makeEngine(kind);
      engine.registerActivity('boom', () => {
        throw new TypeError('kaput');
      });
      engine.registerOrchestration('uncaught', function* (ctx) {
        yield ctx.callActivity('boom');
      });
      engine.registerOrchestration('caught', function* (ctx) {
        try {
          yield ctx.callActivity('boom');
          return 'no';
        } catch (e) {
          return (e as Error).message;
        }
      });
      await engine.start();
      const a = await engine.client.waitForCompletion(await engine.client.start('uncaught'), { timeoutMs: 60_000 });
      assert.equal(a.runtimeStatus, 'FAILED');
      assert.equal(a.failure?.code, 'TASK_FAILED');
      assert.equal(a.failure?.message, "activity 'boom' (task #1) failed: kaput");
      assert.equal(a.failure?.inner?.errorType, 'TypeError');
      const b = await engine.client.waitForCompletion(await engine.client.start('caught'), { timeoutMs: 60_000 });
      assert.equal(b.output, "activity 'boom' (task #1) failed: kaput");
    });

    it('retries a failing activity durably, with a stable idempotency key and growing attempt', async () => {
      const engine = await makeEngine(kind);
      const seen: Array<Pick<ActivityContext, 'idempotencyKey' | 'attempt' | 'taskId'>> = [];
      engine.registerActivity('flaky', (x: number, ctx) => {
        seen.push({ idempotencyKey: ctx.idempotencyKey, attempt: ctx.attempt, taskId: ctx.taskId });
        if (ctx.attempt < 3) throw new Error(`attempt ${ctx.attempt} failed`);
        return x * 10;
      });
      engine.registerOrchestration('retrying', function* (ctx, x: number) {
        return yield ctx.callActivity('flaky', x, { retry: { maxAttempts: 5, firstRetryIntervalMs: 5, backoffCoefficient: 2 } });
      });
      await engine.start();
      const id = await engine.client.start('retrying', 4, { instanceId: 'retry-1' });
      const r = await engine.client.waitForCompletion(id, { timeoutMs: 60_000 });
      assert.equal(r.output, 40);
      const key = `retry-1:${(await engine.client.get(id))!.executionId}:1`;
      assert.deepEqual(seen, [
        { idempotencyKey: key, attempt: 1, taskId: 1 },
        { idempotencyKey: key, attempt: 2, taskId: 1 },
        { idempotencyKey: key, attempt: 3, taskId: 1 },
      ]);
      const history = await engine.client.history(id);
      assert.equal(history.filter((e) => e.type === 'TimerCreated').length, 2, 'one durable timer between attempts');
    });

    it('gives up after maxAttempts', async () => {
      const engine = await makeEngine(kind);
      let calls = 0;
      engine.registerActivity('never', () => {
        calls++;
        throw new Error('still broken');
      });
      engine.registerOrchestration('giveup', function* (ctx) {
        yield ctx.callActivity('never', undefined, { retry: { maxAttempts: 2, firstRetryIntervalMs: 1 } });
      });
      await engine.start();
      const r = await engine.client.waitForCompletion(await engine.client.start('giveup'), { timeoutMs: 60_000 });
      assert.equal(r.runtimeStatus, 'FAILED');
      assert.match(r.failure!.message, /failed after 2 attempt\(s\): still broken/);
      assert.equal(calls, 2);
    });

    it('gives activities their context: instance id, name, delivery count, abort signal', async () => {
      const engine = await makeEngine(kind);
      let ctxSeen: ActivityContext | undefined;
      engine.registerActivity('look', (_x: unknown, ctx) => {
        ctxSeen = ctx;
        return null;
      });
      engine.registerOrchestration('one', function* (ctx) {
        return yield ctx.callActivity('look');
      });
      await engine.start();
      await engine.client.waitForCompletion(await engine.client.start('one', undefined, { instanceId: 'ctx-1' }), { timeoutMs: 60_000 });
      assert.equal(ctxSeen?.instanceId, 'ctx-1');
      assert.equal(ctxSeen?.name, 'look');
      assert.equal(ctxSeen?.deliveryCount, 1);
      assert.equal(ctxSeen?.signal.aborted, false);
    });

    // An activity nobody registered waits for a worker that serves it (test/engine/workers.test.ts).
    it('fails the task when its result is over maxPayloadBytes', async () => {
      const engine = await makeEngine(kind, { maxPayloadBytes: 1000 });
      engine.registerActivity('big', () => 'x'.repeat(2000));
      engine.registerOrchestration('huge', function* (ctx) {
        yield ctx.callActivity('big');
      });
      await engine.start();
      const b = await engine.client.waitForCompletion(await engine.client.start('huge'), { timeoutMs: 60_000 });
      assert.equal(b.failure?.inner?.code, 'PAYLOAD_TOO_LARGE');
      assert.match(b.failure!.message, /result of activity 'big' is 2002 bytes, over the limit of 1000 bytes/);
    });

    it('fans out and in with whenAll over 100 activities', async () => {
      const engine = await makeEngine(kind);
      engine.registerActivity('sq', (n: number) => n * n);
      engine.registerOrchestration('fan', function* (ctx, n: number) {
        const all: number[] = yield ctx.whenAll(Array.from({ length: n }, (_, i) => ctx.callActivity<number>('sq', i)));
        return all.reduce((a, b) => a + b, 0);
      });
      await engine.start();
      const r = await engine.client.waitForCompletion(await engine.client.start('fan', 100), { timeoutMs: 60_000 });
      assert.equal(r.output, 328350);
    });
  });
}
