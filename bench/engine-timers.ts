/**
 * @module bench/engine-timers
 * 10,000 instances waiting on durable timers (10 minutes away) on SQLite: resident memory and JS
 * heap per idle instance (goal ≤ 2 KB resident: idle instances are evicted from the cache), and
 * store bytes per idle instance. Needs --expose-gc for stable heap numbers. The baseline is taken
 * after an equal number of warm-up sleepers, so RSS growth is retained memory, not the high-water
 * mark of the start burst.
 *
 * Run: `node --expose-gc --import tsx bench/engine-timers.ts [instances=10000]`
 */

import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type Database from 'better-sqlite3';
import { createEngine } from '../src/engine/engine.js';
import { openSqliteStore, type SqliteStore } from '../src/store/sqlite.js';
import { collectGarbage, fmt, tempDir } from './engine-common.js';

const INSTANCES = Number(process.argv[2] ?? 10_000);
// As many warm-up sleepers as measured ones: the start burst's transient garbage grows the heap to
// its high-water mark before the baseline, so the measured RSS growth is what idle instances keep.
const WARMUP = INSTANCES;
const SLEEP_MS = 10 * 60_000;

/** Database bytes after folding the WAL into the main file. */
function storeBytes(store: SqliteStore): number {
  const db = (store as unknown as { db: Database.Database }).db;
  db.pragma('wal_checkpoint(TRUNCATE)');
  return (db.pragma('page_count', { simple: true }) as number) * (db.pragma('page_size', { simple: true }) as number);
}

/** Waits until no instance is PENDING any more (every sleeper ran its first turn and armed its timer). */
async function allArmed(store: SqliteStore): Promise<void> {
  while ((await store.queryInstances({ statuses: ['PENDING'], pageSize: 1 })).instances.length > 0) await sleep(100);
}

function memory(): { rss: number; heap: number } {
  collectGarbage();
  const m = process.memoryUsage();
  return { rss: m.rss, heap: m.heapUsed + m.external + m.arrayBuffers };
}

if ((globalThis as { gc?: unknown }).gc === undefined) console.log('warning: run with node --expose-gc for stable heap numbers');
const tmp = tempDir('swirl-bench-timers-');
const store = await openSqliteStore(join(tmp.dir, 'timers.db'));
const engine = await createEngine({ store });
engine.registerOrchestration('sleeper', function* (ctx, n: number) {
  yield ctx.createTimer(SLEEP_MS);
  return n;
});
await engine.start();

const startMany = async (from: number, count: number): Promise<void> => {
  for (let i = from; i < from + count; i += 500) {
    await Promise.all(Array.from({ length: Math.min(500, from + count - i) }, (_, k) => engine.client.start('sleeper', i + k, { instanceId: `sleeper-${i + k}` })));
  }
};

try {
  await startMany(0, WARMUP);
  await allArmed(store);
  await sleep(3000); // past cacheIdleTimerMs: the warm-up sleepers are evicted
  const bytes0 = storeBytes(store);
  const mem0 = memory();

  const t0 = performance.now();
  await startMany(WARMUP, INSTANCES);
  await allArmed(store);
  const armedSeconds = (performance.now() - t0) / 1000;
  await sleep(3000);
  const mem1 = memory();
  const bytes1 = storeBytes(store);
  const stats = engine.stats();

  console.log(`${INSTANCES} sleepers started and armed in ${fmt(armedSeconds, 2)} s (${fmt(INSTANCES / armedSeconds, 0)} starts/s)`);
  console.log(`engine: ${stats.cachedInstances} live orchestrations cached, ${stats.turns} turns`);
  console.log(`\n| ${INSTANCES} instances waiting on a timer, SQLite | per idle instance |`);
  console.log('|---|---|');
  console.log(`| resident memory (RSS) growth | ${fmt((mem1.rss - mem0.rss) / INSTANCES, 0)} B |`);
  console.log(`| JS heap + external growth (after GC) | ${fmt((mem1.heap - mem0.heap) / INSTANCES, 0)} B |`);
  console.log(`| store bytes (db after WAL checkpoint) | ${fmt((bytes1 - bytes0) / INSTANCES, 0)} B |`);
  console.log(`| live orchestrations still cached | ${stats.cachedInstances} of ${INSTANCES + WARMUP} |`);
} finally {
  await engine.stop();
  await store.close();
  tmp.remove();
}
