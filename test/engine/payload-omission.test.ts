// Claims without payloads on a cache hit, end to end on each store: the engine's inline claims
// tell the store what its cache holds, the store leaves input and output out, and the turns that
// follow keep them — the instance's input survives every step and the output is the workflow's.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createEngine } from '../../src/engine/engine.js';
import { openStore } from '../../src/store/index.js';
import type { Store } from '../../src/store/types.js';
import { STORE_KINDS, freshStoreUrl, track, until } from './harness.js';

const stores: Store[] = [];
after(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
});

/** A store of `kind` whose claims count the items that came back without payloads. */
async function countingStore(kind: string): Promise<{ store: Store; omitted: () => number }> {
  const store = await openStore(freshStoreUrl(kind));
  stores.push(store);
  let omitted = 0;
  const claim = store.claimOrchestrations.bind(store);
  store.claimOrchestrations = async (request) => {
    const items = await claim(request);
    omitted += items.filter((i) => i.payloadsOmitted === true).length;
    return items;
  };
  return { store, omitted: () => omitted };
}

for (const kind of STORE_KINDS) {
  describe(`claims without payloads (${kind})`, () => {
    it('keeps the input through every step after an omitted claim, and writes the output at the end', async () => {
      const { store, omitted } = await countingStore(kind);
      const engine = track(await createEngine({ store, pollIntervalMs: 20 }));
      engine.registerActivity('inc', (x: number) => x + 1);
      engine.registerOrchestration('padded', function* (ctx, input: { v: number; pad: string }) {
        let v = input.v;
        for (let i = 0; i < 4; i++) v = (yield ctx.callActivity('inc', v)) as number;
        const more = (yield ctx.waitForExternalEvent('more')) as number;
        return { v: v + more, padLength: input.pad.length };
      });
      await engine.start();
      const input = { v: 1, pad: 'p'.repeat(5000) };
      const id = await engine.client.start('padded', input);
      // Four steps in: the turns after the cached claims ran; the stored input must be intact.
      await until(async () => (await engine.client.history(id)).filter((e) => e.type === 'TaskCompleted').length === 4, 30_000, 'four steps');
      assert.deepEqual((await engine.client.get(id))?.input, input);
      await engine.client.raiseEvent(id, 'more', 10);
      const r = await engine.client.waitForCompletion(id, { timeoutMs: 30_000 });
      assert.equal(r.runtimeStatus, 'COMPLETED');
      assert.deepEqual(r.output, { v: 15, padLength: 5000 });
      assert.deepEqual(r.input, input, 'the input survived');
      // Stores with claim-free turns (turnShortcuts) need no claim on a cache hit at all.
      if (store.features?.turnShortcuts !== true) assert.ok(omitted() > 0, 'some claims were cache hits without payloads');
    });

    it('keeps the input when a claim-free turn follows a turn whose claim left the payloads out', async () => {
      // An event that arrives while an activity runs makes the store refuse the claim-free
      // completion (a visible message), so the result goes through an inline claim — a cache hit
      // without payloads — and the activities after it complete claim-free again (turnShortcuts)
      // from the record that turn left in the cache.
      const { store } = await countingStore(kind);
      const engine = track(await createEngine({ store, pollIntervalMs: 20 }));
      let release: () => void = () => undefined;
      const held = new Promise<void>((r) => (release = r));
      let entered: () => void = () => undefined;
      const inHeld = new Promise<void>((r) => (entered = r));
      engine.registerActivity('hold', async (x: number) => {
        entered();
        await held;
        return x + 1;
      });
      engine.registerActivity('inc', (x: number) => x + 1);
      engine.registerOrchestration('held', function* (ctx, input: { v: number; pad: string }) {
        let v = (yield ctx.callActivity('hold', input.v)) as number;
        for (let i = 0; i < 3; i++) v = (yield ctx.callActivity('inc', v)) as number;
        const noise = (yield ctx.waitForExternalEvent('noise')) as number;
        return { v: v + noise, padLength: input.pad.length };
      });
      await engine.start();
      const input = { v: 1, pad: 'q'.repeat(3000) };
      const id = await engine.client.start('held', input);
      await inHeld;
      await engine.client.raiseEvent(id, 'noise', 100);
      release();
      const r = await engine.client.waitForCompletion(id, { timeoutMs: 30_000 });
      assert.equal(r.runtimeStatus, 'COMPLETED');
      assert.deepEqual(r.output, { v: 105, padLength: 3000 });
      assert.deepEqual(r.input, input, 'the input survived');
      assert.deepEqual((await engine.client.get(id))?.input, input);
    });
  });
}
