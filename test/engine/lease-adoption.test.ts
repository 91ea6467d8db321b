// Lease adoption against a commit that already landed: a claim of an instance whose turn runs here
// is adopted by that turn only while the turn's commit is still to land. When the commit landed
// first (the store released the lease, another message made the instance ready, and the claim's
// answer reached the engine before the commit's), the claim is a new turn: run, never left holding
// the instance until its lease expires (the one-in-fifteen stall of fanout-limits.test.ts).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { STORE_KINDS, freshStoreUrl, track } from './harness.js';
import { createEngine } from '../../src/engine/engine.js';
import { openStore } from '../../src/store/index.js';
import type { Store, TurnCommit } from '../../src/store/types.js';

/** The store with `commitTurn` and `claimOrchestrations` replaced (the replacements call the real store). */
function intercept(store: Store, overrides: Pick<Store, 'commitTurn' | 'claimOrchestrations'>): Store {
  return new Proxy(store, {
    get(target, prop, receiver) {
      if (prop === 'commitTurn' || prop === 'claimOrchestrations') return overrides[prop];
      const v = Reflect.get(target, prop, receiver) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

for (const kind of STORE_KINDS) {
  describe(`lease adoption (${kind})`, () => {
    it("a claim answered before the answer of the turn's commit, which landed first, runs as the next turn: the instance does not wait for the claim's lease to expire", async () => {
      const raw = await openStore(freshStoreUrl(kind));
      const id = 'landed-1';
      // The commit of the turn that applies event 'a' lands in the store, but its answer is held
      // back until a claim of the instance (made possible by event 'b', sent meanwhile) has been
      // answered: the order in which a commit and a claim on separate connections may come back.
      let holding: 'armed' | 'holding' | 'done' = 'armed';
      let claimedWhileHeld = false;
      let landed!: () => void;
      const commitLanded = new Promise<void>((r) => (landed = r));
      let release!: () => void;
      const answer = new Promise<void>((r) => (release = r));
      const store = intercept(raw, {
        commitTurn: async (turn: TurnCommit) => {
          const result = await raw.commitTurn(turn);
          if (holding === 'armed' && turn.instanceId === id && turn.history.some((h) => h.type === 'EventRaised')) {
            holding = 'holding';
            landed();
            // Without a claim (the bug under test cannot show), the answer goes after 5 s.
            await Promise.race([answer, new Promise((r) => setTimeout(r, 5000))]);
            holding = 'done';
          }
          return result;
        },
        claimOrchestrations: async (req) => {
          const items = await raw.claimOrchestrations(req);
          if (holding === 'holding' && items.some((i) => i.instance.instanceId === id)) {
            claimedWhileHeld = true;
            // The claim's answer is handled (and adopted, if it is) before the commit's comes back.
            setTimeout(release, 50);
          }
          return items;
        },
      });
      // A long lease: a claim left unused holds the instance far beyond the wait below.
      const engine = track(await createEngine({ store, pollIntervalMs: 20, leaseMs: 60_000 }));
      try {
        engine.registerOrchestration('two', function* (ctx) {
          const a: unknown = yield ctx.waitForExternalEvent('a');
          const b: unknown = yield ctx.waitForExternalEvent('b');
          return [a, b];
        });
        await engine.start();
        await engine.client.start('two', undefined, { instanceId: id });
        await engine.client.waitForStart(id, { timeoutMs: 10_000 });
        await engine.client.raiseEvent(id, 'a', 1);
        await commitLanded;
        await engine.client.raiseEvent(id, 'b', 2);
        const done = await engine.client.waitForCompletion(id, { timeoutMs: 15_000 });
        assert.ok(claimedWhileHeld, "the instance was claimed while the commit's answer was held back");
        assert.equal(done.runtimeStatus, 'COMPLETED');
        assert.deepEqual(done.output, [1, 2]);
      } finally {
        await engine.stop();
        await raw.close();
      }
    });
  });
}
