/**
 * @module bench/engine-fanout
 * Fan-out/fan-in of 100 activities in one instance on SQLite (synchronous=FULL): time per
 * instance at concurrency 1 and 10, activities per second, store transactions per instance.
 *
 * Run: `npx tsx bench/engine-fanout.ts [repetitions=3]`
 */

import { join } from 'node:path';
import { createEngine } from '../src/engine/engine.js';
import { openSqliteStore } from '../src/store/sqlite.js';
import { closedLoop, fmt, median, tempDir, type LoopResult } from './engine-common.js';

const REPETITIONS = Number(process.argv[2] ?? 3);
const WIDTH = 100;

interface FanRun {
  c1: LoopResult;
  c10: LoopResult;
  commitsPerInstance: number;
  syncsPerInstance: number;
  historyLength: number;
}

async function runOnce(): Promise<FanRun> {
  const tmp = tempDir('swirl-bench-fanout-');
  const store = await openSqliteStore(join(tmp.dir, 'fanout.db'));
  const engine = await createEngine({ store });
  engine.registerActivity('inc', async (x: number) => x + 1);
  engine.registerOrchestration('fan', function* (ctx, n: number) {
    const results = (yield ctx.whenAll(Array.from({ length: n }, (_, i) => ctx.callActivity('inc', i)))) as number[];
    return results.reduce((a, b) => a + b, 0);
  });
  await engine.start();
  const expected = (WIDTH * (WIDTH + 1)) / 2;
  let lastId = '';
  const one = async (): Promise<void> => {
    const id = await engine.client.start('fan', WIDTH);
    const r = await engine.client.waitForCompletion(id, { timeoutMs: 60_000 });
    if (r.runtimeStatus !== 'COMPLETED' || r.output !== expected) throw new Error(`fan-out ${id} ended ${r.runtimeStatus} with ${JSON.stringify(r.output)}`);
    lastId = id;
  };
  try {
    await closedLoop(5, 1, one); // warm-up
    const c1 = await closedLoop(20, 1, one);
    const before = store.commitStats;
    const c10 = await closedLoop(50, 10, one);
    const after = store.commitStats;
    const historyLength = (await store.getInstance(lastId))!.historyLength;
    return { c1, c10, commitsPerInstance: (after.commits - before.commits) / 50, syncsPerInstance: (after.walSyncs - before.walSyncs) / 50, historyLength };
  } finally {
    await engine.stop();
    await store.close();
    tmp.remove();
  }
}

const runs: FanRun[] = [];
for (let r = 0; r < REPETITIONS; r++) {
  const run = await runOnce();
  runs.push(run);
  console.log(
    `rep ${r + 1}: conc 1: ${fmt(1000 / run.c1.perSecond, 1)} ms per instance (p50 ${fmt(run.c1.p50Ms, 1)}, p99 ${fmt(run.c1.p99Ms, 1)}); ` +
      `conc 10: ${fmt(run.c10.perSecond * WIDTH, 0)} activities/s, p50 ${fmt(run.c10.p50Ms, 1)} ms; ${fmt(run.commitsPerInstance, 1)} store txns and ${fmt(run.syncsPerInstance, 1)} WAL syncs per instance; history ${run.historyLength} events`,
  );
}
console.log(`\n| fan-out/fan-in of ${WIDTH} activities, SQLite synchronous=FULL (median of ${REPETITIONS}) | value |`);
console.log('|---|---|');
console.log(`| time per instance at concurrency 1, p50 (ms) | ${fmt(median(runs.map((r) => r.c1.p50Ms)), 1)} |`);
console.log(`| time per instance at concurrency 1, p99 (ms) | ${fmt(median(runs.map((r) => r.c1.p99Ms)), 1)} |`);
console.log(`| activities/s at concurrency 1 | ${fmt(median(runs.map((r) => r.c1.perSecond * WIDTH)), 0)} |`);
console.log(`| activities/s at concurrency 10 (10 fan-outs at once) | ${fmt(median(runs.map((r) => r.c10.perSecond * WIDTH)), 0)} |`);
console.log(`| store transactions per instance at concurrency 10 | ${fmt(median(runs.map((r) => r.commitsPerInstance)), 1)} |`);
console.log(`| WAL syncs (fsyncs) per instance at concurrency 10 | ${fmt(median(runs.map((r) => r.syncsPerInstance)), 1)} |`);
console.log(`| history events per instance | ${runs[0].historyLength} |`);
