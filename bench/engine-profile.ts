/**
 * @module bench/engine-profile
 * CPU per workflow of the 3-step chain at concurrency 100 on SQLite, engine only (no floor), for
 * profiling: `node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx bench/engine-profile.ts [runs] [concurrency]`.
 * Prints process CPU ms per workflow, which is less sensitive to a noisy machine than wall time.
 */

import { join } from 'node:path';
import { createEngine } from '../src/engine/engine.js';
import { openSqliteStore } from '../src/store/sqlite.js';
import { closedLoop, describeLoop, tempDir } from './engine-common.js';

const RUNS = Number(process.argv[2] ?? 6000);
/** Concurrency of the measured loop (100 by default; 1 profiles the latency path). */
const CONCURRENCY = Number(process.argv[3] ?? 100);
const tmp = tempDir('swirl-bench-profile-');
const store = await openSqliteStore(join(tmp.dir, 'chain.db'));
const engine = await createEngine({ store });
engine.registerActivity('inc', async (x: number) => x + 1);
engine.registerOrchestration('chain', function* (ctx, x: number) {
  let v = x;
  for (let i = 0; i < 3; i++) v = (yield ctx.callActivity('inc', v)) as number;
  return v;
});
await engine.start();
const one = async (i: number): Promise<void> => {
  const id = await engine.client.start('chain', i);
  const r = await engine.client.waitForCompletion(id, { timeoutMs: 60_000 });
  if (r.runtimeStatus !== 'COMPLETED' || r.output !== i + 3) throw new Error(`chain ${id} ended ${r.runtimeStatus}`);
};
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
  await engine.stop();
  await store.close();
  tmp.remove();
}
