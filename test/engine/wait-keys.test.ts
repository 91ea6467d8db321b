// Wait keys (issue 18): the routing keys an orchestration attaches to its external-event waits are
// committed with the turn that leaves the wait open, and removed by the turn that ends it (the
// event arrived, a whenAny lost the wait) or ends the execution — on every store kind.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { STORE_KINDS, makeEngine, until } from './harness.js';
import type { OrchestrationFunction } from '../../src/engine/replay/context.js';

/** Waits for 'pay' keyed by the order id, then for 'ship' (keyed) or a timer (a whenAny). */
const order: OrchestrationFunction = function* (ctx, input: { order: string }) {
  const paid: unknown = yield ctx.waitForExternalEvent('pay', { keys: [`pay/${input.order}`] });
  const shipped = ctx.waitForExternalEvent('ship', { keys: [`ship/${input.order}`] });
  const timer = ctx.createTimer(50);
  const winner: unknown = yield ctx.whenAny<unknown>([shipped, timer]);
  // The whenAny lost 'ship' to the timer: its key is gone; wait for 'done' with no key.
  if (winner === timer) yield ctx.waitForExternalEvent('done');
  return paid;
};

for (const kind of STORE_KINDS) {
  describe(`wait keys (${kind})`, () => {
    it('are in the store while the wait is open, and gone when the event came, the wait lost, or the instance ended', async () => {
      const engine = await makeEngine(kind);
      engine.registerOrchestration('order', order);
      await engine.start();
      const store = engine.store;
      const a = await engine.client.start('order', { order: 'A' }, { instanceId: 'order-a' });
      const b = await engine.client.start('order', { order: 'B' }, { instanceId: 'order-b' });
      await until(async () => (await store.findWaitingInstances('pay/A')).length === 1 && (await store.findWaitingInstances('pay/B')).length === 1, 30_000, 'pay keys');
      assert.deepEqual(await store.findWaitingInstances('pay/A'), [a]);
      assert.deepEqual(await store.findWaitingInstances('pay/B'), [b]);
      await engine.client.raiseEvent(a, 'pay', 'paid-A');
      await until(async () => (await store.findWaitingInstances('pay/A')).length === 0, 30_000, 'pay/A removed');
      // 'ship' was waited on and lost to the timer: its key went with it.
      await until(async () => (await engine.client.history(a)).some((e) => e.type === 'TimerFired'), 30_000, 'timer fired');
      await until(async () => (await store.findWaitingInstances('ship/A')).length === 0, 30_000, 'ship/A removed');
      assert.deepEqual(await store.findWaitingInstances('pay/B'), [b], 'the other instance still waits');
      await engine.client.raiseEvent(a, 'done', null);
      assert.equal((await engine.client.waitForCompletion(a, { timeoutMs: 60_000 })).output, 'paid-A');
      await engine.client.terminate(b);
      await engine.client.waitForCompletion(b, { timeoutMs: 60_000 });
      assert.deepEqual(await store.findWaitingInstances('pay/B'), [], 'terminated: keys deleted');
    });
  });
}
