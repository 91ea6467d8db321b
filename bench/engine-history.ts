/**
 * @module bench/engine-history
 * Step cost versus history length on SQLite: one step (external event → turn → the next activity
 * starts) of an instance whose history holds ~10 events versus ~10,000 events. With the
 * live-orchestration cache a step must not replay the history (goal: within 1.5×); the same
 * long instance with the cache disabled (cacheSize 0) shows what a replay per step would cost.
 *
 * Run: `npx tsx bench/engine-history.ts [long-history=10000]`
 */

import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createEngine } from '../src/engine/engine.js';
import { openSqliteStore } from '../src/store/sqlite.js';
import { fmt, percentile, tempDir } from './engine-common.js';

const LONG = Number(process.argv[2] ?? 10_000);
const BATCH = 250;
const SHORT_SAMPLES = 30;
const LONG_STEPS = 30;

interface Input {
  /** Batches of BATCH activities to run first (each adds ~2 × BATCH events). */
  fillBatches: number;
  steps: number;
}

interface StepResult {
  p50Ms: number;
  p99Ms: number;
  historyLength: number;
  replayedEvents: number;
}

/** Runs `samples` instances × `steps` measured steps on a fresh engine and store. */
async function measure(fillBatches: number, samples: number, steps: number, cacheSize?: number): Promise<StepResult> {
  const tmp = tempDir('swirl-bench-history-');
  const store = await openSqliteStore(join(tmp.dir, 'history.db'));
  const engine = await createEngine({ store, ...(cacheSize !== undefined ? { cacheSize } : {}) });
  const marks = new Map<string, () => void>();
  engine.registerActivity('noop', async () => 0);
  engine.registerActivity('mark', async (_: number, ctx) => {
    marks.get(ctx.instanceId)?.();
    return 0;
  });
  engine.registerOrchestration('long', function* (ctx, input: Input) {
    for (let b = 0; b < input.fillBatches; b++) yield ctx.whenAll(Array.from({ length: BATCH }, () => ctx.callActivity('noop')));
    yield ctx.callActivity('mark', -1);
    for (let s = 0; s < input.steps; s++) {
      yield ctx.waitForExternalEvent('go');
      yield ctx.callActivity('mark', s);
    }
    return input.steps;
  });
  await engine.start();
  const markOf = (id: string): Promise<void> => new Promise((resolve) => marks.set(id, resolve));
  const latencies: number[] = [];
  let historyLength = 0;
  try {
    for (let n = 0; n < samples; n++) {
      const id = `long-${n}`;
      const ready = markOf(id);
      await engine.client.start('long', { fillBatches, steps }, { instanceId: id });
      await ready;
      await sleep(20); // let the turn that follows the ready mark commit: the instance now waits for 'go'
      historyLength = (await store.getInstance(id))!.historyLength;
      const replayed0 = engine.stats().replayedEvents;
      for (let s = 0; s < steps; s++) {
        const marked = markOf(id);
        const t0 = performance.now();
        await engine.client.raiseEvent(id, 'go', s);
        await marked;
        latencies.push(performance.now() - t0);
        await sleep(5);
      }
      if (n === samples - 1) {
        return { p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99), historyLength, replayedEvents: (engine.stats().replayedEvents - replayed0) / steps };
      }
    }
    throw new Error('no samples');
  } finally {
    await engine.stop();
    await store.close();
    tmp.remove();
  }
}

const fillBatches = Math.round(LONG / (2 * BATCH));
const short = await measure(0, SHORT_SAMPLES, 1);
const long = await measure(fillBatches, 1, LONG_STEPS);
const uncached = await measure(fillBatches, 1, 10, 0);
console.log(`\n| one step (event → turn → next activity starts), SQLite synchronous=FULL | history length | p50 (ms) | p99 (ms) | events replayed per step | vs short |`);
console.log('|---|---|---|---|---|---|');
const row = (label: string, r: StepResult): string =>
  `| ${label} | ${r.historyLength} | ${fmt(r.p50Ms, 2)} | ${fmt(r.p99Ms, 2)} | ${fmt(r.replayedEvents, 0)} | **${fmt(r.p50Ms / short.p50Ms, 2)}×** |`;
console.log(row('short history (cache on)', short));
console.log(row('long history (cache on)', long));
console.log(row('long history, cache disabled (replay every step)', uncached));
