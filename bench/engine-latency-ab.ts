/**
 * @module bench/engine-latency-ab
 * Concurrency-1 latency of the 3-step chain on SQLite for this build and another one (a checkout
 * of another commit, e.g. `git archive <commit> | tar -x -C /tmp/base`), next to the group-commit
 * floor, in ONE process: blocks of runs alternate build A, build B, floor, so all three see the
 * same disk and load (fsync latency on a shared VM swings several-fold within minutes). Prints the
 * p50 of every block, the per-round ratios, and the process CPU per run of each build's blocks
 * (both engines idle in the same process, so each block's CPU includes the other's idle loops).
 *
 * Run: `node --import tsx bench/engine-latency-ab.ts <other build's bench/engine-common.ts> [rounds=8] [runs per block=100]`
 */

import { closedLoop, fmt, median, startChainEngine } from './engine-common.js';
import { runGroupCommitFloor } from './engine-floor.js';

const otherPath = process.argv[2];
if (otherPath === undefined) throw new Error('usage: engine-latency-ab.ts <other build bench/engine-common.ts> [rounds] [runs]');
const ROUNDS = Number(process.argv[3] ?? 8);
const RUNS = Number(process.argv[4] ?? 100);
const other = (await import(otherPath)) as { startChainEngine: typeof startChainEngine };

const engines = { this: await startChainEngine('swirl-ab-this-'), other: await other.startChainEngine('swirl-ab-other-') };
const rows: Array<{ self: number; base: number; floor: number; selfCpu: number; baseCpu: number }> = [];
try {
  for (const e of Object.values(engines)) await closedLoop(300, 100, e.one); // warm-up
  for (let r = 0; r < ROUNDS; r++) {
    // Alternate which build goes first, so neither always follows the floor.
    const order = r % 2 === 0 ? (['this', 'other'] as const) : (['other', 'this'] as const);
    const p50: Record<string, number> = {};
    const cpu: Record<string, number> = {};
    for (const k of order) {
      const result = await closedLoop(RUNS, 1, engines[k].one);
      p50[k] = result.p50Ms;
      cpu[k] = result.cpuMsPerRun;
    }
    const floor = (await runGroupCommitFloor(RUNS, 1)).p50Ms;
    rows.push({ self: p50.this, base: p50.other, floor, selfCpu: cpu.this, baseCpu: cpu.other });
    console.log(
      `round ${r + 1}: this ${fmt(p50.this, 2)} ms (CPU ${fmt(cpu.this, 2)} ms/run), other ${fmt(p50.other, 2)} ms (CPU ${fmt(cpu.other, 2)} ms/run), group-commit floor ${fmt(floor, 2)} ms`,
    );
  }
} finally {
  for (const e of Object.values(engines)) await e.close();
}
const ratios = (f: (x: (typeof rows)[number]) => number): string => `**${fmt(median(rows.map(f)), 2)}×** [${rows.map((x) => fmt(f(x), 2)).join(', ')}]`;
console.log(`\n| concurrency-1 p50, median of ${ROUNDS} rounds of ${RUNS} runs | this build | other build | group-commit floor |`);
console.log('|---|---:|---:|---:|');
console.log(`| p50 (ms) | ${fmt(median(rows.map((x) => x.self)), 2)} | ${fmt(median(rows.map((x) => x.base)), 2)} | ${fmt(median(rows.map((x) => x.floor)), 2)} |`);
console.log(`| ratio to the floor of the same round | ${ratios((x) => x.self / x.floor)} | ${ratios((x) => x.base / x.floor)} | 1 |`);
console.log(`| this / other, per round | ${ratios((x) => x.self / x.base)} | | |`);
console.log(`| process CPU per run (ms) | ${fmt(median(rows.map((x) => x.selfCpu)), 2)} | ${fmt(median(rows.map((x) => x.baseCpu)), 2)} | |`);
console.log(`| CPU this / other, per round | ${ratios((x) => x.selfCpu / x.baseCpu)} | | |`);
