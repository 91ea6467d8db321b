/**
 * @module bench/pg-index-plans
 * EXPLAIN of the PostgreSQL store's task-queue and inbox statements on a realistically sized schema
 * (migration 12: untaken and leased tasks indexed apart, one inbox index fewer): 100,000 untaken
 * tasks (two names, three nodes), 20,000 leased ones (half of them expired), 100,000 instances
 * and 100,000 inbox rows over 20,000 of them, ANALYZEd. Each statement of src/store/postgres-sql.ts
 * that reads tasks or inbox is planned both as a custom plan (with values) and as the generic plan
 * prepared statements switch to; the plan's scan nodes are printed, and any sequential scan on
 * tasks, inbox or instances is flagged.
 *
 * Run: `npx tsx bench/pg-index-plans.ts` (SWIRL_TEST_PG_URL or 127.0.0.1:5432; creates and drops its schema).
 */

import pg from 'pg';
import { openPostgresStore } from '../src/store/postgres.js';
import { SQL, type SqlName } from '../src/store/postgres-sql.js';

const PG_URL = process.env.SWIRL_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const schema = `swirl_bench_plans_${process.pid}`;
const u = new URL(PG_URL);
u.searchParams.set('schema', schema);
const store = await openPostgresStore({ url: u.toString(), poolSize: 1 });
await store.close();
const db = new pg.Client({ connectionString: PG_URL });
await db.connect();
await db.query(`SET search_path = "${schema}"`);

const NOW = 1_000_000;
await db.query(`INSERT INTO instances (instance_id, execution_id, name, status, created_at, last_updated_at, history_length, ready_at, locked_by, lock_expires_at, definition_hash, last_node)
  SELECT 'i' || g, 'e', CASE WHEN g % 2 = 0 THEN 'act' ELSE 'other' END, CASE WHEN g % 10 = 0 THEN 'COMPLETED' ELSE 'RUNNING' END, g, g, 3,
         CASE WHEN g % 5 = 0 THEN ${NOW} - g % 1000 + 500 END, CASE WHEN g % 50 = 0 THEN 'lease-' || g END, CASE WHEN g % 50 = 0 THEN ${NOW} + 1000 END,
         'h' || (g % 10), 'n' || (g % 3) FROM generate_series(1, 100000) g`);
await db.query(`INSERT INTO inbox (instance_id, execution_id, visible_at, data)
  SELECT 'i' || (g % 20000), NULL, ${NOW} - 1000 + g % 2000, '{}' FROM generate_series(1, 100000) g`);
await db.query(`INSERT INTO tasks (instance_id, execution_id, task_id, name, visible_at, ready_at, detached, data, node)
  SELECT 'i' || g, 'e', g, CASE WHEN g % 2 = 0 THEN 'act' ELSE 'other' END, ${NOW} - 5000 + g % 10000, ${NOW} - 5000 + g % 10000, false, '{}',
         CASE g % 3 WHEN 0 THEN 'n0' WHEN 1 THEN 'n1' END FROM generate_series(1, 100000) g`);
await db.query(`INSERT INTO tasks (instance_id, execution_id, task_id, name, visible_at, ready_at, detached, data, node, locked_by, lock_expires_at, dequeue_count)
  SELECT 'L' || g, 'e', g, 'act', ${NOW} - 9000, ${NOW} - 10000 + g, false, '{}', 'n' || (g % 2), 'lease-' || g, ${NOW} - 10000 + g, 1 FROM generate_series(1, 20000) g`);
await db.query('ANALYZE');

/** The statements checked, with values for the custom plan. */
const cases: [SqlName, unknown[]][] = [
  ['claimTasks', [NOW, 10, 'L', ['act'], NOW + 30000]],
  ['claimTasks', [NOW, 10, 'L', null, NOW + 30000]],
  ['claimTasksSticky', [NOW, 10, 'L', ['act'], NOW + 30000, 'n1', NOW - 2000]],
  ['nextWake', [NOW]],
  ['anyReadyInstance', [NOW + 1e9, ['nothing']]],
  ['releaseNodeTasks', ['n1']],
  ['releaseTasks', ['lease-1']],
  ['readyTasksByName', [NOW]],
  ['renewTask', [5, 'lease-5', NOW + 5000]],
  ['unlockTask', [5, 'lease-5', null]],
  ['deleteLockedTasks', [[5, 6], ['lease-5', 'lease-6']]],
  ['deleteAttachedTasks', ['i5']],
  ['instanceTasks', ['i5']],
  ['claimReady', [NOW, 10, 100, 'L', NOW + 30000, ['act']]],
  ['claimReady', [NOW, 10, 100, 'L', NOW + 30000, null]],
  ['claimReadySticky', [NOW, 10, 100, 'L', NOW + 30000, ['act'], 'n1', NOW - 2000]],
  ['releaseInstances', ['lease-5']],
  ['releaseNodeInstances', ['n1']],
  ['readyInstancesByName', [NOW]],
  ['claimListed', [NOW, 1, 100, 'L', NOW + 30000, ['act'], ['i2'], ['i2'], ['e'], [3]]],
  ['refreshReady', ['i5']],
  ['deleteMessages', ['i5', [5, 20005]]],
  ['deleteInbox', ['i5']],
  ['deleteInboxOf', ['i5', 'e']],
  ['delayWindow', ['i5', NOW + 100, 90000, NOW]],
  ['inboxSummary', ['i5', NOW]],
];

let seqScans = 0;
for (const generic of [false, true]) {
  await db.query(`SET plan_cache_mode = ${generic ? 'force_generic_plan' : 'force_custom_plan'}`);
  for (const [name, values] of cases) {
    await db.query('BEGIN');
    await db.query(`PREPARE p AS ${SQL[name]}`);
    const list = values.map((v) => (v === null ? 'NULL' : Array.isArray(v) ? `'{${v.join(',')}}'` : typeof v === 'string' ? `'${v}'` : String(v))).join(', ');
    const plan = (await db.query<{ 'QUERY PLAN': string }>(`EXPLAIN EXECUTE p${values.length > 0 ? `(${list})` : ''}`)).rows.map((r) => r['QUERY PLAN']);
    await db.query('ROLLBACK');
    await db.query('DEALLOCATE p');
    const scans = plan.filter((l) => /Scan/.test(l)).map((l) => l.trim().replace(/\s+\(cost.*$/, '').replace(/^->\s*/, ''));
    const bad = scans.filter((l) => /^Seq Scan on (tasks|inbox|instances)/.test(l));
    seqScans += bad.length;
    console.log(`${generic ? 'generic' : 'custom '} ${name}${bad.length > 0 ? '  <-- SEQ SCAN' : ''}\n    ${[...new Set(scans)].join('\n    ')}`);
  }
}
console.log(`sequential scans on tasks/inbox/instances: ${seqScans}`);
await db.query(`DROP SCHEMA "${schema}" CASCADE`);
await db.end();
