/**
 * @module bench/engine-chain
 * The 3-step activity chain on SQLite (synchronous=FULL): workflows/s at concurrency 100 and
 * p50/p99 latency at concurrency 1, next to the naive floor (bench/engine-floor.ts: one fsync'd
 * transaction per transition) measured in the same run, as ratios. Also CPU per workflow, store
 * transactions and WAL syncs per workflow, which show what group commit buys.
 *
 * Run: `npx tsx bench/engine-chain.ts [repetitions=3]`
 */

import { openSqliteStore } from '../src/store/sqlite.js';
import { closedLoop, describeLoop, fmt, median, startChainEngine, type LoopResult } from './engine-common.js';
import { FLOOR_TRANSITIONS_PER_WORKFLOW, runNaiveFloor } from './engine-floor.js';

const REPETITIONS = Number(process.argv[2] ?? 3);
const C1_RUNS = 300;
const C100_RUNS = 3000;

interface EngineRun {
  c1: LoopResult;
  c100: LoopResult;
  commitsPerWorkflow: number;
  syncsPerWorkflow: number;
  bytesPerWorkflow: number;
}

/** One engine measurement on a fresh database: warm-up, conc 1, conc 100. */
async function runEngine(): Promise<EngineRun> {
  const { store, one, close } = await startChainEngine('swirl-bench-chain-');
  try {
    await closedLoop(300, 100, one); // warm-up: JIT, caches, WAL file growth
    const c1 = await closedLoop(C1_RUNS, 1, one);
    const before = store.commitStats;
    const c100 = await closedLoop(C100_RUNS, 100, one);
    const after = store.commitStats;
    const pages = await pageBytes(store);
    return {
      c1,
      c100,
      commitsPerWorkflow: (after.commits - before.commits) / C100_RUNS,
      syncsPerWorkflow: (after.walSyncs - before.walSyncs) / C100_RUNS,
      bytesPerWorkflow: pages / (300 + C1_RUNS + C100_RUNS),
    };
  } finally {
    await close();
  }
}

/** Bytes of the database's pages (WAL content included once checkpointed; read before close). */
async function pageBytes(store: Awaited<ReturnType<typeof openSqliteStore>>): Promise<number> {
  const db = (store as unknown as { db: import('better-sqlite3').Database }).db;
  db.pragma('wal_checkpoint(TRUNCATE)');
  return (db.pragma('page_count', { simple: true }) as number) * (db.pragma('page_size', { simple: true }) as number);
}

const engineRuns: EngineRun[] = [];
const floorC1: LoopResult[] = [];
const floorC100: LoopResult[] = [];
for (let r = 0; r < REPETITIONS; r++) {
  const e = await runEngine();
  engineRuns.push(e);
  console.log(describeLoop(`engine  rep ${r + 1}`, e.c1));
  console.log(describeLoop(`engine  rep ${r + 1}`, e.c100));
  console.log(
    `engine  rep ${r + 1}: ${fmt(e.commitsPerWorkflow, 2)} store transactions and ${fmt(e.syncsPerWorkflow, 2)} WAL syncs per workflow at concurrency 100; ${fmt(e.bytesPerWorkflow, 0)} B on disk per completed workflow`,
  );
  floorC1.push(await runNaiveFloor(C1_RUNS, 1));
  floorC100.push(await runNaiveFloor(C100_RUNS, 100));
  console.log(describeLoop(`floor   rep ${r + 1}`, floorC1[r]));
  console.log(describeLoop(`floor   rep ${r + 1}`, floorC100[r]));
}

const m = {
  engineWfs: median(engineRuns.map((e) => e.c100.perSecond)),
  engineP50: median(engineRuns.map((e) => e.c1.p50Ms)),
  engineP99: median(engineRuns.map((e) => e.c1.p99Ms)),
  engineC100P50: median(engineRuns.map((e) => e.c100.p50Ms)),
  engineC100P99: median(engineRuns.map((e) => e.c100.p99Ms)),
  engineCpu: median(engineRuns.map((e) => e.c100.cpuMsPerRun)),
  commits: median(engineRuns.map((e) => e.commitsPerWorkflow)),
  syncs: median(engineRuns.map((e) => e.syncsPerWorkflow)),
  bytes: median(engineRuns.map((e) => e.bytesPerWorkflow)),
  floorWfs: median(floorC100.map((f) => f.perSecond)),
  floorP50: median(floorC1.map((f) => f.p50Ms)),
  floorP99: median(floorC1.map((f) => f.p99Ms)),
  floorCpu: median(floorC100.map((f) => f.cpuMsPerRun)),
};
const range = (xs: number[]): string => `${fmt(Math.min(...xs), 0)}–${fmt(Math.max(...xs), 0)}`;
// Paired ratios: each repetition's engine and floor ran minutes apart at most, so they saw similar
// disk conditions; fsync latency on a shared VM swings several-fold between repetitions.
const paired = engineRuns.map((e, r) => e.c100.perSecond / floorC100[r].perSecond);
console.log(`\nper-repetition throughput ratio engine/floor at concurrency 100: ${paired.map((x) => `${fmt(x, 2)}×`).join(', ')}`);
console.log(
  `floor fsync cost in each repetition (ms per fsync'd transaction, from its concurrency-1 p50 / ${FLOOR_TRANSITIONS_PER_WORKFLOW}): ` +
    floorC1.map((f) => fmt(f.p50Ms / FLOOR_TRANSITIONS_PER_WORKFLOW, 2)).join(', '),
);
console.log(`\n| 3-step chain, SQLite synchronous=FULL (median of ${REPETITIONS} [min–max]) | Swirl engine | naive floor (${FLOOR_TRANSITIONS_PER_WORKFLOW} fsync'd txns/wf) | ratio |`);
console.log('|---|---|---|---|');
console.log(
  `| throughput at concurrency 100 (wf/s) | ${fmt(m.engineWfs, 0)} [${range(engineRuns.map((e) => e.c100.perSecond))}] | ${fmt(m.floorWfs, 0)} [${range(floorC100.map((f) => f.perSecond))}] | **${fmt(median(paired), 2)}×** median of paired [${paired.map((x) => fmt(x, 2)).join(', ')}] |`,
);
console.log(`| latency at concurrency 1, p50 (ms) | ${fmt(m.engineP50, 2)} | ${fmt(m.floorP50, 2)} | ${fmt(m.engineP50 / m.floorP50, 2)}× |`);
console.log(`| latency at concurrency 1, p99 (ms) | ${fmt(m.engineP99, 2)} | ${fmt(m.floorP99, 2)} | ${fmt(m.engineP99 / m.floorP99, 2)}× |`);
console.log(`| latency at concurrency 100, p50 / p99 (ms) | ${fmt(m.engineC100P50, 1)} / ${fmt(m.engineC100P99, 1)} | — | |`);
console.log(`| process CPU per workflow at concurrency 100 (ms) | ${fmt(m.engineCpu, 2)} | ${fmt(m.floorCpu, 2)} | ${fmt(m.engineCpu / m.floorCpu, 2)}× |`);
console.log(`| store transactions per workflow at concurrency 100 | ${fmt(m.commits, 2)} | ${FLOOR_TRANSITIONS_PER_WORKFLOW} | |`);
console.log(`| fsyncs per workflow at concurrency 100 | ${fmt(m.syncs, 2)} | ${FLOOR_TRANSITIONS_PER_WORKFLOW} | |`);
console.log(`| bytes on disk per completed workflow | ${fmt(m.bytes, 0)} | | |`);
