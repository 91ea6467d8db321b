/**
 * @module bench/engine-cpu-ab
 * Process CPU per workflow of the 3-step chain for this build and another one (a checkout of
 * another commit, e.g. `git archive main | tar -x -C /tmp/base`), both engines in ONE process,
 * blocks of runs alternating, ratios per round. With `SYNC=OFF` (the default) SQLite does no fsync
 * at all: what is left is the CPU path of the engine and the store, far less sensitive to a shared
 * disk than latency; `SYNC=FULL` measures the default configuration (off-thread WAL syncs).
 *
 * Run: `node --import tsx bench/engine-cpu-ab.ts <other checkout> [concurrency=1] [rounds=10] [runs per block=300]`
 */

import { join } from 'node:path';
import { closedLoop, fmt, median, tempDir } from './engine-common.js';
import type { SqliteSynchronous } from '../src/store/sqlite.js';

const otherRoot = process.argv[2];
if (otherRoot === undefined) throw new Error('usage: engine-cpu-ab.ts <other checkout> [concurrency] [rounds] [runs]');
const CONCURRENCY = Number(process.argv[3] ?? 1);
const ROUNDS = Number(process.argv[4] ?? 10);
const RUNS = Number(process.argv[5] ?? 300);
const SYNC = (process.env.SYNC ?? 'OFF') as SqliteSynchronous;

/** The chain on a fresh store of the checkout at `root`: one run per call. */
async function chainOf(root: string): Promise<{ one: (i: number) => Promise<void>; close: () => Promise<void> }> {
  const { createEngine } = (await import(join(root, 'src/engine/engine.ts'))) as typeof import('../src/engine/engine.js');
  const { openSqliteStore } = (await import(join(root, 'src/store/sqlite.ts'))) as typeof import('../src/store/sqlite.js');
  const { registerChain } = (await import(join(root, 'bench/engine-common.ts'))) as typeof import('./engine-common.js');
  const tmp = tempDir('swirl-bench-cpu-ab-');
  const store = await openSqliteStore({ path: join(tmp.dir, 'chain.db'), synchronous: SYNC });
  const engine = await createEngine({ store });
  registerChain(engine);
  await engine.start();
  return {
    one: async (i) => {
      const id = await engine.client.start('chain', i);
      const r = await engine.client.waitForCompletion(id, { timeoutMs: 60_000 });
      if (r.runtimeStatus !== 'COMPLETED' || r.output !== i + 3) throw new Error(`chain ${id} ended ${r.runtimeStatus}`);
    },
    close: async () => {
      await engine.stop();
      await store.close();
      tmp.remove();
    },
  };
}

const self = await chainOf(new URL('..', import.meta.url).pathname);
const other = await chainOf(otherRoot);
const rows: Array<{ cpu: number; otherCpu: number; p50: number; otherP50: number }> = [];
try {
  await closedLoop(500, CONCURRENCY, self.one); // warm-up
  await closedLoop(500, CONCURRENCY, other.one);
  for (let r = 0; r < ROUNDS; r++) {
    // Alternate which build goes first.
    const a = r % 2 === 0 ? await closedLoop(RUNS, CONCURRENCY, self.one) : undefined;
    const b = await closedLoop(RUNS, CONCURRENCY, other.one);
    const s = a ?? (await closedLoop(RUNS, CONCURRENCY, self.one));
    rows.push({ cpu: s.cpuMsPerRun, otherCpu: b.cpuMsPerRun, p50: s.p50Ms, otherP50: b.p50Ms });
    console.log(`round ${r + 1}: CPU this ${fmt(s.cpuMsPerRun, 3)} ms/run, other ${fmt(b.cpuMsPerRun, 3)} ms/run; p50 ${fmt(s.p50Ms, 2)} / ${fmt(b.p50Ms, 2)} ms`);
  }
} finally {
  await self.close();
  await other.close();
}
const col = (f: (x: (typeof rows)[number]) => number): string => `**${fmt(median(rows.map(f)), 2)}×** [${rows.map((x) => fmt(f(x), 2)).join(', ')}]`;
console.log(`\n| 3-step chain, concurrency ${CONCURRENCY}, synchronous=${SYNC}, median of ${ROUNDS} rounds of ${RUNS} | this build | other build | this / other, per round |`);
console.log('|---|---:|---:|---:|');
console.log(`| process CPU per workflow (ms) | ${fmt(median(rows.map((x) => x.cpu)), 3)} | ${fmt(median(rows.map((x) => x.otherCpu)), 3)} | ${col((x) => x.cpu / x.otherCpu)} |`);
console.log(`| latency p50 (ms) | ${fmt(median(rows.map((x) => x.p50)), 2)} | ${fmt(median(rows.map((x) => x.otherP50)), 2)} | ${col((x) => x.p50 / x.otherP50)} |`);
