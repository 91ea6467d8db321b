/**
 * @module bench/pg-claims
 * Cost of the PostgreSQL task claim against a large backlog it must not walk (issue 10, sticky
 * claims): `claimActivities({ limit: 1 })` of this node taking one of 500 of its own ready tasks,
 * with no backlog, with 100,000 tasks of ANOTHER node that are fresh (ready now, inside the
 * stickiness window: not claimable by this node yet), and with 100,000 OLD tasks of this node
 * itself (ready long ago: the "anyone's" probe must not walk them to find other nodes' work).
 * Each case on a fresh schema, sticky claims on (default 2 s) and off (`stickyClaimsMs: 0`, the
 * plain ready_at claim), same run; wall µs per call (sequential), ratios to the no-backlog case.
 *
 * Run: `npx tsx bench/pg-claims.ts` (SWIRL_TEST_PG_URL or 127.0.0.1:5432; creates and drops its schemas).
 */

import pg from 'pg';
import { openPostgresStore, type PostgresStore } from '../src/store/postgres.js';
import { fmt, median } from './engine-common.js';

const PG_URL = process.env.SWIRL_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const OWN_READY = 500;
const BACKLOG = 100_000;
const CALLS = 400;
const admin = new pg.Client({ connectionString: PG_URL });
await admin.connect();

type Backlog = 'none' | 'other node, fresh' | 'own, old';

/** Inserts `n` tasks of `node` ready at `readyAt` into `schema` (one statement). */
async function insertTasks(schema: string, n: number, node: string, readyAt: number, prefix: string): Promise<void> {
  await admin.query(
    `INSERT INTO "${schema}".tasks (instance_id, execution_id, task_id, name, visible_at, ready_at, detached, data, node)
     SELECT $3 || g, 'e', g, 'act', $2, $2, false, '{}', $1 FROM generate_series(1, $4::int) g`,
    [node, readyAt, prefix, n],
  );
}

/** Median µs of one claim of this node's work with `backlog` queued, sticky claims on or off. */
async function measure(backlog: Backlog, sticky: boolean): Promise<number> {
  const schema = `swirl_bench_claims_${process.pid}`;
  await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  const u = new URL(PG_URL);
  u.searchParams.set('schema', schema);
  const store: PostgresStore = await openPostgresStore({ url: u.toString(), poolSize: 2, listen: false, ...(sticky ? {} : { stickyClaimsMs: 0 }) });
  try {
    const now = Date.now();
    // Old work: ready 10 minutes ago (well past the window); fresh: ready now.
    if (backlog === 'other node, fresh') await insertTasks(schema, BACKLOG, 'other-node', now - 10, 'o');
    if (backlog === 'own, old') await insertTasks(schema, BACKLOG, store.nodeId, now - 600_000, 'b');
    // The work claimed: this node's, ready a little before now (after the old backlog).
    await insertTasks(schema, OWN_READY, store.nodeId, now - 100, 'r');
    await admin.query(`ANALYZE "${schema}".tasks`);
    const times: number[] = [];
    for (let i = 0; i < CALLS; i++) {
      const t0 = process.hrtime.bigint();
      const got = await store.claimActivities({ leaseId: `l${i}`, now, leaseMs: 600_000, limit: 1 });
      times.push(Number(process.hrtime.bigint() - t0) / 1000);
      if (got.length !== 1) throw new Error(`claim ${i} got ${got.length} tasks`);
    }
    return median(times);
  } finally {
    await store.close();
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  }
}

const cases: Backlog[] = ['none', 'other node, fresh', 'own, old'];
console.log(`| median µs per claimActivities (limit 1), ${CALLS} calls | ${cases.join(' | ')} | ratios |`);
console.log('|---|---:|---:|---:|---|');
for (const sticky of [false, true]) {
  const us: number[] = [];
  for (const c of cases) us.push(await measure(c, sticky));
  console.log(`| sticky claims ${sticky ? 'on (2 s)' : 'off'} | ${us.map((x) => fmt(x, 0)).join(' | ')} | ${us.map((x) => `${fmt(x / us[0], 2)}×`).join(' / ')} |`);
}
await admin.end();
