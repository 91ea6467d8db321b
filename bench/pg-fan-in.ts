/**
 * @module bench/pg-fan-in
 * One orchestration fanning out to N activities and in with whenAll, on PostgreSQL, next to a
 * baseline measured in the same run: a bare `pg` loop committing N single-statement transactions
 * one after another on one row (what N completions cost when each waits for the previous one's
 * row lock and WAL flush, as they did before completions were group-committed,
 * src/store/postgres-completion-batch.ts). Reports the fan-in's wall time, its store
 * transactions, and the ratio of its time to the baseline's, per repetition (medians printed).
 *
 * Run: `npx tsx bench/pg-fan-in.ts [reps=5] [activities=100]` (SWIRL_TEST_PG_URL or
 * 127.0.0.1:5432; the benchmark creates and drops its own schemas).
 */

import pg from 'pg';
import { createEngine } from '../src/engine/engine.js';
import type { PostgresStore } from '../src/store/postgres.js';

const PG_URL = process.env.SWIRL_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REPS = Number(process.argv[2] ?? 5);
const N = Number(process.argv[3] ?? 100);

const admin = new pg.Client({ connectionString: PG_URL });
await admin.connect();

/** N serialized one-row commits (the floor of N completions that each lock one instance row). */
async function serializedCommits(schema: string): Promise<number> {
  await admin.query(`CREATE SCHEMA "${schema}"; CREATE TABLE "${schema}".t (id int PRIMARY KEY, n int); INSERT INTO "${schema}".t VALUES (1, 0)`);
  const t0 = performance.now();
  for (let i = 0; i < N; i++) await admin.query(`UPDATE "${schema}".t SET n = n + 1 WHERE id = 1`);
  const ms = performance.now() - t0;
  await admin.query(`DROP SCHEMA "${schema}" CASCADE`);
  return ms;
}

/** One fan-in of N activities on a fresh schema: wall time and store transactions. */
async function fanIn(schema: string): Promise<{ ms: number; transactions: number }> {
  const url = new URL(PG_URL);
  url.searchParams.set('schema', schema);
  const engine = await createEngine({ store: url.toString(), pollIntervalMs: 20 });
  engine.registerActivity('sq', (n: number) => n * n);
  engine.registerOrchestration('fan', function* (ctx, n: number) {
    const all: number[] = yield ctx.whenAll(Array.from({ length: n }, (_, i) => ctx.callActivity<number>('sq', i)));
    return all.reduce((a, b) => a + b, 0);
  });
  await engine.start();
  const store = engine.store as PostgresStore;
  const before = store.stats.transactions;
  const t0 = performance.now();
  const id = await engine.client.start('fan', N);
  await engine.client.waitForCompletion(id, { timeoutMs: 120_000 });
  const ms = performance.now() - t0;
  const transactions = store.stats.transactions - before;
  await engine.stop();
  await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  return { ms, transactions };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const rows: { fan: number; floor: number; ratio: number; tx: number }[] = [];
for (let r = 0; r < REPS; r++) {
  const tag = `bench_fanin_${process.pid}_${r}`;
  const floor = await serializedCommits(`${tag}_floor`);
  const fan = await fanIn(`${tag}_swirl`);
  rows.push({ fan: fan.ms, floor, ratio: fan.ms / floor, tx: fan.transactions });
  console.log(`rep ${r + 1}: fan-in of ${N} ${fan.ms.toFixed(0)} ms, ${fan.transactions} store transactions; ${N} serialized commits ${floor.toFixed(0)} ms; ratio ${(fan.ms / floor).toFixed(2)}×`);
}
console.log(
  `median: fan-in ${median(rows.map((x) => x.fan)).toFixed(0)} ms, ${median(rows.map((x) => x.tx))} transactions, ` +
    `serialized commits ${median(rows.map((x) => x.floor)).toFixed(0)} ms, ratio ${median(rows.map((x) => x.ratio)).toFixed(2)}× (lower is better)`,
);
await admin.end();
