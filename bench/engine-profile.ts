/**
 * @module bench/engine-profile
 * CPU per workflow of the 3-step chain at concurrency 100 on SQLite, engine only (no floor), for
 * profiling: `node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx bench/engine-profile.ts [runs] [concurrency]`.
 * Prints process CPU ms per workflow, which is less sensitive to a noisy machine than wall time.
 */

import { closedLoop, describeLoop, startChainEngine } from './engine-common.js';

const RUNS = Number(process.argv[2] ?? 6000);
/** Concurrency of the measured loop (100 by default; 1 profiles the latency path). */
const CONCURRENCY = Number(process.argv[3] ?? 100);
const { store, one, close } = await startChainEngine('swirl-bench-profile-');
try {
  await closedLoop(500, 100, one);
  const before = store.commitStats;
  const r = await closedLoop(RUNS, CONCURRENCY, one);
  const after = store.commitStats;
  console.log(describeLoop('engine', r));
  console.log(`store transactions per workflow ${((after.commits - before.commits) / RUNS).toFixed(3)}, WAL syncs ${((after.walSyncs - before.walSyncs) / RUNS).toFixed(3)}`);
  const c1 = await closedLoop(300, 1, one);
  console.log(describeLoop('engine', c1));
} finally {
  await close();
}
