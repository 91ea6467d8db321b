/**
 * @module test/engine/wait-committed-record
 * waitForCompletion on an instance that finishes in this process answers with the record its final
 * commit left, without reading the row again — and that answer is exactly what a read returns.
 */

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Engine } from '../../src/engine/engine.js';
import { STORE_KINDS, makeEngine, until } from './harness.js';

/** Counts the store's getInstance calls from now on. */
function countReads(engine: Engine): { reads: () => number } {
  const store = engine.store;
  const original = store.getInstance.bind(store);
  let reads = 0;
  store.getInstance = (id) => {
    reads += 1;
    return original(id);
  };
  return { reads: () => reads };
}

for (const kind of STORE_KINDS) {
  describe(`waitForCompletion answered from the local commit (${kind})`, () => {
    for (const outcome of ['completes', 'fails'] as const) {
      it(`an instance that ${outcome} after the wait began: one read (the wait's first), the same answer as get()`, async () => {
        // Rechecks (pollIntervalMs) a minute apart: a read counted here is not a timed recheck.
        const engine = await makeEngine(kind, { pollIntervalMs: 60_000 });
        engine.registerActivity('double', (n: number) => n * 2);
        engine.registerOrchestration('waits', function* (ctx, n: number) {
          ctx.setCustomStatus({ waiting: true });
          const go: { fail: boolean } = yield ctx.waitForExternalEvent('go');
          const doubled: number = yield ctx.callActivity('double', n);
          if (go.fail) throw new Error(`failed with ${doubled}`);
          return { doubled };
        });
        await engine.start();
        const id = await engine.client.start('waits', 21);
        await engine.client.waitForStart(id, { timeoutMs: 30_000 });
        const counter = countReads(engine);
        const waiting = engine.client.waitForCompletion(id, { timeoutMs: 30_000 });
        // The wait's first read has seen the instance running; the rest happens after it.
        await until(() => counter.reads() >= 1, 30_000, 'the first read of the wait');
        await engine.client.raiseEvent(id, 'go', { fail: outcome === 'fails' });
        const done = await waiting;
        if (kind !== 'postgres') {
          // (PostgreSQL's own change notification may reach the waiter first, which then reads.)
          assert.equal(counter.reads(), 1, 'the final commit handed its record to the wait: no second read');
        }
        assert.equal(done.runtimeStatus, outcome === 'fails' ? 'FAILED' : 'COMPLETED');
        if (outcome === 'completes') assert.deepEqual(done.output, { doubled: 42 });
        else assert.match(done.failure?.message ?? '', /failed with 42/);
        assert.deepEqual(done, await engine.client.get(id));
      });
    }
  });
}
