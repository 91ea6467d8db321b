// activityConcurrency and the pre-leased tasks of store feature `turnShortcuts`: an activity whose
// function has returned (only its result is being recorded, inline with the orchestration's next
// turn) does not hold capacity, so at full load the next step's task is handed over pre-leased —
// and never do more functions run at once than activityConcurrency.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createEngine } from '../../src/engine/engine.js';
import { openStore } from '../../src/store/index.js';
import type { Store } from '../../src/store/types.js';
import { STORE_KINDS, freshStoreUrl, track } from './harness.js';

for (const kind of STORE_KINDS) {
  describe(`activity capacity (${kind})`, () => {
    it('at activityConcurrency 1 a 3-step chain runs its steps one at a time, each next task pre-leased where the store can', async () => {
      const inner = await openStore(freshStoreUrl(kind));
      let claimed = 0;
      // Counts the tasks handed out by claims (pre-leased tasks never go through one).
      const store = new Proxy(inner, {
        get(target, prop, receiver) {
          const value = Reflect.get(target, prop, receiver) as unknown;
          if (prop !== 'claimActivities' || typeof value !== 'function') return typeof value === 'function' ? value.bind(target) : value;
          return async (...args: unknown[]) => {
            const items = (await (value as (...a: unknown[]) => Promise<unknown[]>).apply(target, args)) as unknown[];
            claimed += items.length;
            return items;
          };
        },
      }) as Store;
      const engine = track(await createEngine({ store, pollIntervalMs: 20, activityConcurrency: 1 }));
      let inFlight = 0;
      let most = 0;
      engine.registerActivity('inc', async (x: number) => {
        most = Math.max(most, ++inFlight);
        await new Promise((r) => setTimeout(r, 5));
        inFlight--;
        return x + 1;
      });
      engine.registerOrchestration('chain', function* (ctx, x: number) {
        let v = x;
        for (let i = 0; i < 3; i++) v = yield ctx.callActivity('inc', v);
        return v;
      });
      try {
        await engine.start();
        const r = await engine.client.waitForCompletion(await engine.client.start('chain', 0), { timeoutMs: 60_000 });
        assert.equal(r.runtimeStatus, 'COMPLETED');
        assert.equal(r.output, 3);
        assert.equal(most, 1, 'never two functions at once');
        if (inner.features?.turnShortcuts === true) assert.equal(claimed, 0, 'every task came pre-leased with the turn that created it');
      } finally {
        await engine.stop();
        await inner.close();
      }
    });
  });
}
