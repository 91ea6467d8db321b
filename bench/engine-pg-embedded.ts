/**
 * @module bench/engine-pg-embedded
 * The 3-step chain on PostgreSQL with the starts made by the engine's own process (the embedded
 * shape: `client.start` on the node that runs the chain), counting the store's round trips per
 * workflow by statement (postgres-sql.ts `roundTrips`), plus p50 and process CPU. Unlike
 * engine-chain-pg.ts (whose starts come from a separate driver with no worker), this is the path
 * where a start can be claimed with its create or carry its first turn. Another checkout (e.g.
 * `git archive main | tar -x -C /tmp/base`) is measured the same way.
 *
 * Run: `npx tsx bench/engine-pg-embedded.ts [concurrency=1] [runs=500] [other checkout]`
 * (PostgreSQL from SWIRL_TEST_PG_URL, default postgres://postgres@127.0.0.1:5432/postgres; a
 * fresh schema, dropped after).
 */

import { join } from 'node:path';
import pg from 'pg';
import type { closedLoop as ClosedLoop, registerChain as RegisterChain } from './engine-common.js';

const CONCURRENCY = Number(process.argv[2] ?? 1);
const RUNS = Number(process.argv[3] ?? 500);
const root = process.argv[4] ?? new URL('..', import.meta.url).pathname;
const base = process.env.SWIRL_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

const common = (await import(join(root, 'bench/engine-common.ts'))) as { closedLoop: typeof ClosedLoop; registerChain: typeof RegisterChain };
const { createEngine } = (await import(join(root, 'src/engine/engine.ts'))) as typeof import('../src/engine/engine.js');
const { roundTrips } = (await import(join(root, 'src/store/postgres-sql.ts'))) as typeof import('../src/store/postgres-sql.js');

const schema = `swirl_bench_embedded_${process.pid}`;
const url = new URL(base);
url.searchParams.set('schema', schema);
const engine = await createEngine({ store: url.toString() });
common.registerChain(engine);
await engine.start();
const one = async (i: number): Promise<void> => {
  const id = await engine.client.start('chain', i);
  const r = await engine.client.waitForCompletion(id, { timeoutMs: 60_000 });
  if (r.runtimeStatus !== 'COMPLETED' || r.output !== i + 3) throw new Error(`chain ${id} ended ${r.runtimeStatus}`);
};
let result: Awaited<ReturnType<typeof ClosedLoop>>;
let trips: Record<string, number>;
let total: number;
try {
  await common.closedLoop(200, CONCURRENCY, one); // warm-up
  const before = { ...roundTrips.byName };
  const count0 = roundTrips.count;
  result = await common.closedLoop(RUNS, CONCURRENCY, one);
  total = roundTrips.count - count0;
  trips = Object.fromEntries(Object.entries(roundTrips.byName).map(([k, v]) => [k, v - (before[k] ?? 0)]).filter(([, v]) => (v as number) > 0));
} finally {
  await engine.stop();
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await admin.end();
}
const per = (n: number): string => (n / RUNS).toFixed(2);
console.log(`${root}: PostgreSQL, concurrency ${CONCURRENCY}, ${RUNS} runs: p50 ${result.p50Ms.toFixed(2)} ms, process CPU ${result.cpuMsPerRun.toFixed(3)} ms/run, round trips ${per(total)} per workflow`);
console.log(Object.entries(trips).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${per(v)}`).join(', '));
