/**
 * @module test/engine/wakeup-next-turn
 * A chain of activities, each result recorded with the next turn (inline completion): the turn
 * that ends while its instance's next turn already runs here must not wake the idle claim loop —
 * the next turn holds the instance and is tracked in turn — nor must the final turn (nothing of
 * an ended instance can come due). Each needless wake-up is a claim and
 * a next-wake read that find nothing (at concurrency 1, one per step of the chain). On the SQLite
 * store (feature `turnShortcuts`: starts claimed with their create, claim-free inline turns); the
 * memory store has no shortcuts, so its loop claims every turn.
 */

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Store } from '../../src/store/types.js';
import { makeEngine } from './harness.js';

const CHAINS = 20;

for (const kind of ['sqlite'] as const) {
  describe(`claim-loop wake-ups of a chain at concurrency 1 (${kind})`, () => {
    it('no orchestration claim at all once warm: nothing wakes the idle loop, not one wake-up per step', async () => {
      // Polls a minute apart: every claim counted here comes from a wake-up.
      const engine = await makeEngine(kind, { pollIntervalMs: 60_000 });
      engine.registerActivity('inc', (n: number) => n + 1);
      engine.registerOrchestration('chain', function* (ctx, n: number) {
        let v = n;
        for (let i = 0; i < 3; i++) v = yield ctx.callActivity('inc', v);
        return v;
      });
      await engine.start();
      const run = async (i: number): Promise<void> => {
        const id = await engine.client.start('chain', i);
        const done = await engine.client.waitForCompletion(id, { timeoutMs: 30_000 });
        assert.equal(done.output, i + 3);
      };
      for (let i = 0; i < 3; i++) await run(i); // warm-up
      const store: Store = engine.store;
      const claim = store.claimOrchestrations.bind(store);
      let claims = 0;
      store.claimOrchestrations = (request) => {
        claims += 1;
        return claim(request);
      };
      for (let i = 0; i < CHAINS; i++) await run(i);
      assert.ok(claims <= 2, `${claims} orchestration claims for ${CHAINS} chains of 3 steps`);
    });
  });
}
