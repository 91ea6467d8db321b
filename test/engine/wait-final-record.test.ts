/**
 * @module test/engine/wait-final-record
 * waitForCompletion answers a completion committed by this engine from the record the final turn
 * committed, without reading the instance back: what it returns is what a read of the store
 * returns (completed with output, failed with its failure, terminated), on every store — and the
 * store is read once per wait (when it opens), not again when the completion is heard.
 */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Engine } from '../../src/engine/engine.js';
import { STORE_KINDS, makeEngine } from './harness.js';

/** Counts the engine store's instance reads. */
function countReads(engine: Engine): () => number {
  const store = engine.store;
  const getInstance = store.getInstance.bind(store);
  let reads = 0;
  store.getInstance = (id: string) => {
    reads++;
    return getInstance(id);
  };
  return () => reads;
}

for (const kind of STORE_KINDS) {
  describe(`waitForCompletion from the final turn's record (${kind})`, () => {
    it('completed, failed and terminated instances: the answer equals a read, with one read per wait', async () => {
      const engine = await makeEngine(kind);
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      engine.registerActivity('inc', async (x: number) => {
        await gate;
        return x + 1;
      });
      engine.registerActivity('boom', async () => {
        await gate;
        throw new Error('no luck');
      });
      engine.registerOrchestration('chain', function* (ctx, x: number) {
        let v = x;
        for (let i = 0; i < 2; i++) v = yield ctx.callActivity('inc', v);
        ctx.setCustomStatus({ step: 'done' });
        return { v };
      });
      engine.registerOrchestration('fails', function* (ctx) {
        yield ctx.callActivity('boom', null);
      });
      engine.registerOrchestration('waits', function* (ctx) {
        return yield ctx.waitForExternalEvent('never');
      });
      await engine.start();
      const reads = countReads(engine);
      const ok = await engine.client.start('chain', 1);
      const bad = await engine.client.start('fails', { why: 'test' });
      const held = await engine.client.start('waits', 'x');
      await engine.client.waitForStart(held, { timeoutMs: 60_000 });
      // Each wait has opened (and read the instance once) before anything finishes.
      const before = reads();
      const waits = [ok, bad, held].map((id) => engine.client.waitForCompletion(id, { timeoutMs: 60_000, recheckMs: 60_000 }));
      while (reads() < before + 3) await new Promise((r) => setTimeout(r, 5));
      release();
      await engine.client.terminate(held, { output: 'stopped' });
      const [done, failed, terminated] = await Promise.all(waits);
      // The three waits' opening reads and terminate's own: none when a completion was heard.
      assert.equal(reads(), before + 4, 'no instance read when the completion was heard');

      assert.equal(done!.runtimeStatus, 'COMPLETED');
      assert.deepEqual(done!.output, { v: 3 });
      assert.deepEqual(done!.customStatus, { step: 'done' });
      assert.equal(failed!.runtimeStatus, 'FAILED');
      assert.match(failed!.failure?.message ?? '', /no luck/);
      assert.equal(terminated!.runtimeStatus, 'TERMINATED');
      // Exactly what a read returns.
      for (const m of [done!, failed!, terminated!]) assert.deepEqual(m, await engine.client.get(m.instanceId));
    });
  });
}
