/**
 * @module bench/engine-chain
 * The 3-step activity chain on SQLite (synchronous=FULL): workflows/s at concurrency 100 and
 * p50/p99 latency at concurrency 1, next to both floors of bench/engine-floor.ts measured in the same
 * repetition — the naive one (one fsync'd transaction per transition) and the group-commit one (the
 * physical limit: concurrent chains' transitions share one fsync'd transaction per tick) — as
 * ratios per repetition. Also CPU per workflow, store transactions and WAL syncs per workflow at
 * both concurrencies.
 *
 * Run: `npx tsx bench/engine-chain.ts [repetitions=3]`
 */

import { openSqliteStore } from '../src/store/sqlite.js';
import { closedLoop, describeLoop, fmt, median, startChainEngine, type LoopResult } from './engine-common.js';
import { FLOOR_TRANSITIONS_PER_WORKFLOW, runGroupCommitFloor, runNaiveFloor, type FloorResult } from './engine-floor.js';

const REPETITIONS = Number(process.argv[2] ?? 3);
const C1_RUNS = 300;
const C100_RUNS = 3000;

interface EngineRun {
  c1: LoopResult;
  c100: LoopResult;
  commitsPerWorkflow: number;
  syncsPerWorkflow: number;
  c1CommitsPerWorkflow: number;
  c1SyncsPerWorkflow: number;
  bytesPerWorkflow: number;
}

/** One engine measurement on a fresh database: warm-up, conc 1, conc 100. */
async function runEngine(): Promise<EngineRun> {
  const { store, one, close } = await startChainEngine('swirl-bench-chain-');
  try {
    await closedLoop(300, 100, one); // warm-up: JIT, caches, WAL file growth
    const c1Before = store.commitStats;
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
      c1CommitsPerWorkflow: (before.commits - c1Before.commits) / C1_RUNS,
      c1SyncsPerWorkflow: (before.walSyncs - c1Before.walSyncs) / C1_RUNS,
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
const naiveC1: FloorResult[] = [];
const naiveC100: FloorResult[] = [];
const groupC1: FloorResult[] = [];
const groupC100: FloorResult[] = [];
for (let r = 0; r < REPETITIONS; r++) {
  const e = await runEngine();
  engineRuns.push(e);
  console.log(describeLoop(`engine        rep ${r + 1}`, e.c1));
  console.log(describeLoop(`engine        rep ${r + 1}`, e.c100));
  console.log(
    `engine        rep ${r + 1}: ${fmt(e.c1CommitsPerWorkflow, 2)} store transactions and ${fmt(e.c1SyncsPerWorkflow, 2)} WAL syncs per workflow at concurrency 1, ` +
      `${fmt(e.commitsPerWorkflow, 2)} and ${fmt(e.syncsPerWorkflow, 2)} at concurrency 100; ${fmt(e.bytesPerWorkflow, 0)} B on disk per completed workflow`,
  );
  groupC1.push(await runGroupCommitFloor(C1_RUNS, 1));
  groupC100.push(await runGroupCommitFloor(C100_RUNS, 100));
  console.log(describeLoop(`group floor   rep ${r + 1}`, groupC1[r]));
  console.log(`${describeLoop(`group floor   rep ${r + 1}`, groupC100[r])}, ${fmt(groupC100[r].commitsPerWorkflow, 2)} fsync'd transactions per chain`);
  naiveC1.push(await runNaiveFloor(C1_RUNS, 1));
  naiveC100.push(await runNaiveFloor(C100_RUNS, 100));
  console.log(describeLoop(`naive floor   rep ${r + 1}`, naiveC1[r]));
  console.log(describeLoop(`naive floor   rep ${r + 1}`, naiveC100[r]));
}

const range = (xs: number[], digits = 0): string => `${fmt(Math.min(...xs), digits)}–${fmt(Math.max(...xs), digits)}`;
const cell = (xs: number[], digits = 0): string => `${fmt(median(xs), digits)} [${range(xs, digits)}]`;
// Paired ratios: each repetition's engine and floors ran minutes apart at most, so they saw similar
// disk conditions; fsync latency on a shared VM swings several-fold between repetitions.
const pairedWith = (floor: FloorResult[], pick: (l: LoopResult) => number, engine: (e: EngineRun) => LoopResult): number[] =>
  engineRuns.map((e, r) => pick(engine(e)) / pick(floor[r]));
const ratioCell = (xs: number[]): string => `**${fmt(median(xs), 2)}×** [${xs.map((x) => fmt(x, 2)).join(', ')}]`;
const wfsVsGroup = pairedWith(groupC100, (l) => l.perSecond, (e) => e.c100);
const wfsVsNaive = pairedWith(naiveC100, (l) => l.perSecond, (e) => e.c100);
const p50VsGroup = pairedWith(groupC1, (l) => l.p50Ms, (e) => e.c1);
const p50VsNaive = pairedWith(naiveC1, (l) => l.p50Ms, (e) => e.c1);
const cpuVsGroup = pairedWith(groupC100, (l) => l.cpuMsPerRun, (e) => e.c100);
const engine = (f: (e: EngineRun) => number): number[] => engineRuns.map(f);
console.log(
  `\nfloor fsync cost in each repetition (ms per fsync'd transaction, naive floor's concurrency-1 p50 / ${FLOOR_TRANSITIONS_PER_WORKFLOW}): ` +
    naiveC1.map((f) => fmt(f.p50Ms / FLOOR_TRANSITIONS_PER_WORKFLOW, 2)).join(', '),
);
console.log(`\n| 3-step chain, SQLite synchronous=FULL, median of ${REPETITIONS} [min–max] | Swirl engine | group-commit floor | naive floor | engine / group-commit floor, per repetition | engine / naive floor, per repetition |`);
console.log('|---|---:|---:|---:|---:|---:|');
console.log(
  `| throughput at concurrency 100 (wf/s) | ${cell(engine((e) => e.c100.perSecond))} | ${cell(groupC100.map((f) => f.perSecond))} | ${cell(naiveC100.map((f) => f.perSecond))} | ${ratioCell(wfsVsGroup)} | ${ratioCell(wfsVsNaive)} |`,
);
console.log(
  `| latency at concurrency 1, p50 (ms) | ${cell(engine((e) => e.c1.p50Ms), 2)} | ${cell(groupC1.map((f) => f.p50Ms), 2)} | ${cell(naiveC1.map((f) => f.p50Ms), 2)} | ${ratioCell(p50VsGroup)} | ${ratioCell(p50VsNaive)} |`,
);
console.log(
  `| latency at concurrency 1, p99 (ms) | ${cell(engine((e) => e.c1.p99Ms), 2)} | ${cell(groupC1.map((f) => f.p99Ms), 2)} | ${cell(naiveC1.map((f) => f.p99Ms), 2)} | | |`,
);
console.log(`| latency at concurrency 100, p50 / p99 (ms) | ${fmt(median(engine((e) => e.c100.p50Ms)), 1)} / ${fmt(median(engine((e) => e.c100.p99Ms)), 1)} | ${fmt(median(groupC100.map((f) => f.p50Ms)), 1)} / ${fmt(median(groupC100.map((f) => f.p99Ms)), 1)} | ${fmt(median(naiveC100.map((f) => f.p50Ms)), 1)} / ${fmt(median(naiveC100.map((f) => f.p99Ms)), 1)} | | |`);
console.log(
  `| process CPU per workflow at concurrency 100 (ms) | ${cell(engine((e) => e.c100.cpuMsPerRun), 2)} | ${cell(groupC100.map((f) => f.cpuMsPerRun), 2)} | ${cell(naiveC100.map((f) => f.cpuMsPerRun), 2)} | ${ratioCell(cpuVsGroup)} | |`,
);
console.log(
  `| store transactions per workflow, concurrency 1 / 100 | ${fmt(median(engine((e) => e.c1CommitsPerWorkflow)), 2)} / ${fmt(median(engine((e) => e.commitsPerWorkflow)), 2)} | ${fmt(median(groupC1.map((f) => f.commitsPerWorkflow)), 2)} / ${fmt(median(groupC100.map((f) => f.commitsPerWorkflow)), 2)} | ${FLOOR_TRANSITIONS_PER_WORKFLOW} / ${FLOOR_TRANSITIONS_PER_WORKFLOW} | | |`,
);
console.log(
  `| fsyncs per workflow, concurrency 1 / 100 | ${fmt(median(engine((e) => e.c1SyncsPerWorkflow)), 2)} / ${fmt(median(engine((e) => e.syncsPerWorkflow)), 2)} | ${fmt(median(groupC1.map((f) => f.commitsPerWorkflow)), 2)} / ${fmt(median(groupC100.map((f) => f.commitsPerWorkflow)), 2)} | ${FLOOR_TRANSITIONS_PER_WORKFLOW} / ${FLOOR_TRANSITIONS_PER_WORKFLOW} | | |`,
);
console.log(`| bytes on disk per completed workflow | ${fmt(median(engine((e) => e.bytesPerWorkflow)), 0)} | | | | |`);
