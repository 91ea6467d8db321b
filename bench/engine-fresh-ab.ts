/**
 * @module bench/engine-fresh-ab
 * Concurrency-1 latency and CPU of the 3-step chain on a FRESH engine and store, in the shape of
 * `engine-chain.ts` (300 runs at concurrency 100 as warm-up, then two blocks of 300 at
 * concurrency 1), for this build and another checkout, alternating in one process. The first
 * concurrency-1 block of a fresh store is slower than later ones (the WAL checkpointer thread
 * starts after 256 commits; a young store): this shows both, per build.
 *
 * Run: `node --import tsx bench/engine-fresh-ab.ts <other checkout> [repetitions=4]`
 */

import { join } from 'node:path';
import { closedLoop, fmt, median, startChainEngine } from './engine-common.js';

const otherRoot = process.argv[2];
if (otherRoot === undefined) throw new Error('usage: engine-fresh-ab.ts <other checkout> [repetitions]');
const REPETITIONS = Number(process.argv[3] ?? 4);
const builds = {
  this: startChainEngine,
  other: ((await import(join(otherRoot, 'bench/engine-common.ts'))) as { startChainEngine: typeof startChainEngine }).startChainEngine,
};
const p50s: Record<keyof typeof builds, { first: number[]; second: number[] }> = { this: { first: [], second: [] }, other: { first: [], second: [] } };
for (let r = 0; r < REPETITIONS; r++) {
  for (const k of r % 2 === 0 ? (['this', 'other'] as const) : (['other', 'this'] as const)) {
    const { one, close } = await builds[k]('swirl-bench-fresh-ab-');
    try {
      await closedLoop(300, 100, one);
      const first = await closedLoop(300, 1, one);
      const second = await closedLoop(300, 1, one);
      p50s[k].first.push(first.p50Ms);
      p50s[k].second.push(second.p50Ms);
      console.log(`${k} rep ${r + 1}: c=1 p50 ${fmt(first.p50Ms, 2)} ms then ${fmt(second.p50Ms, 2)} ms (CPU ${fmt(first.cpuMsPerRun, 2)} / ${fmt(second.cpuMsPerRun, 2)} ms per run)`);
    } finally {
      await close();
    }
  }
}
const m = (xs: number[]): string => fmt(median(xs), 2);
console.log(`\n| fresh engine, c=1 p50, median of ${REPETITIONS} | this build | other build |\n|---|---:|---:|`);
console.log(`| first 300 at c=1 (ms) | ${m(p50s.this.first)} | ${m(p50s.other.first)} |`);
console.log(`| next 300 at c=1 (ms) | ${m(p50s.this.second)} | ${m(p50s.other.second)} |`);
