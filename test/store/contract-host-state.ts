/**
 * @module test/store/contract-host-state
 * The host state several `swirl serve` nodes share through the store (store/types.ts
 * `SharedHostState`), on every backend: CloudEvent de-duplication keys claimed once (a stale
 * unfinished claim taken over, a failed one forgotten, old ones pruned), schedule ticks recorded
 * once with the latest one kept by pruning, and the definitions change stamp. Registered by
 * storeContract().
 */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Store } from '../../src/store/types.js';

/** Registers the shared host state tests; `current()` is the fresh store of the running test. */
export function hostStateContract(current: () => Store): void {
  describe('shared host state: CloudEvent keys', () => {
    it('the first claim of (source, id) routes; later ones see the claim, then the recorded outcome', async () => {
      const store = current();
      assert.deepEqual(await store.claimEvent({ source: 's', id: '1', now: 1000, staleBefore: 0 }), { claimed: true });
      assert.deepEqual(await store.claimEvent({ source: 's', id: '1', now: 1001, staleBefore: 0 }), { claimed: false, claimedAt: 1000 });
      // Same id from another source is another event.
      assert.deepEqual(await store.claimEvent({ source: 't', id: '1', now: 1002, staleBefore: 0 }), { claimed: true });
      await store.finishEvent('s', '1', '{"delivered":["a"]}');
      assert.deepEqual(await store.claimEvent({ source: 's', id: '1', now: 5000, staleBefore: 4000 }), { claimed: false, claimedAt: 1000, outcome: '{"delivered":["a"]}' }, 'a finished claim is never stale');
    });

    it('concurrent claims of one key: exactly one wins', async () => {
      const store = current();
      const results = await Promise.all(Array.from({ length: 8 }, (_, i) => store.claimEvent({ source: 's', id: 'x', now: 100 + i, staleBefore: 0 })));
      assert.equal(results.filter((r) => r.claimed).length, 1);
    });

    it('an unfinished claim older than staleBefore is taken over; finishing with no outcome forgets it', async () => {
      const store = current();
      await store.claimEvent({ source: 's', id: '1', now: 1000, staleBefore: 0 });
      assert.deepEqual(await store.claimEvent({ source: 's', id: '1', now: 1500, staleBefore: 999 }), { claimed: false, claimedAt: 1000 });
      assert.deepEqual(await store.claimEvent({ source: 's', id: '1', now: 2000, staleBefore: 1001 }), { claimed: true });
      assert.deepEqual(await store.claimEvent({ source: 's', id: '1', now: 2001, staleBefore: 0 }), { claimed: false, claimedAt: 2000 });
      await store.finishEvent('s', '1', undefined);
      assert.deepEqual(await store.claimEvent({ source: 's', id: '1', now: 2002, staleBefore: 0 }), { claimed: true }, 'routing failed: the retry routes it');
      await store.finishEvent('s', 'unknown', '{}'); // no row: nothing to do, no error
    });

    it('pruneEvents deletes keys claimed before the window, finished or not', async () => {
      const store = current();
      await store.claimEvent({ source: 's', id: 'old', now: 1000, staleBefore: 0 });
      await store.finishEvent('s', 'old', '{}');
      await store.claimEvent({ source: 's', id: 'old2', now: 1500, staleBefore: 0 });
      await store.claimEvent({ source: 's', id: 'new', now: 3000, staleBefore: 0 });
      assert.equal(await store.pruneEvents(2000), 2);
      assert.deepEqual(await store.claimEvent({ source: 's', id: 'old', now: 4000, staleBefore: 0 }), { claimed: true });
      assert.deepEqual(await store.claimEvent({ source: 's', id: 'new', now: 4000, staleBefore: 0 }), { claimed: false, claimedAt: 3000 });
    });
  });

  describe('shared host state: schedule ticks', () => {
    it('a tick is recorded once; the latest is read back per schedule', async () => {
      const store = current();
      assert.equal(await store.lastScheduleTick('a'), undefined);
      assert.equal(await store.recordScheduleTick('a', 1000, 1), true);
      assert.equal(await store.recordScheduleTick('a', 1000, 2), false);
      const concurrent = await Promise.all([store.recordScheduleTick('a', 2000, 3), store.recordScheduleTick('a', 2000, 3)]);
      assert.deepEqual(concurrent.sort(), [false, true]);
      assert.equal(await store.recordScheduleTick('b', 500, 4), true);
      assert.equal(await store.lastScheduleTick('a'), 2000);
      assert.equal(await store.lastScheduleTick('b'), 500);
    });

    it("pruneScheduleTicks deletes ticks due before the cutoff but keeps each schedule's latest", async () => {
      const store = current();
      for (const t of [1000, 2000, 3000]) await store.recordScheduleTick('a', t, 0);
      await store.recordScheduleTick('b', 1500, 0);
      assert.equal(await store.pruneScheduleTicks(10_000), 2);
      assert.equal(await store.lastScheduleTick('a'), 3000);
      assert.equal(await store.lastScheduleTick('b'), 1500);
      assert.equal(await store.recordScheduleTick('a', 3000, 0), false, 'the kept latest tick still refuses a second run');
    });
  });

  describe('shared host state: definitions stamp', () => {
    it('changes when a definition version is stored or deleted, not on an idempotent put', async () => {
      const store = current();
      const d = { hash: 'h1', id: 'wf', text: 'id: wf', source: '<api>', registeredAt: 1 };
      const s0 = await store.definitionsStamp();
      await store.putDefinition(d);
      const s1 = await store.definitionsStamp();
      assert.notEqual(s1, s0);
      await store.putDefinition(d);
      assert.equal(await store.definitionsStamp(), s1);
      assert.deepEqual(await store.deleteUnusedDefinitions(['h1']), ['h1']);
      assert.notEqual(await store.definitionsStamp(), s1);
    });
  });
}
