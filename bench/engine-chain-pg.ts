/**
 * @module bench/engine-chain-pg
 * The 3-step activity chain on PostgreSQL with 1, 2 and 3 engine nodes (separate processes,
 * bench/pg-node.ts, one pool each) driven by a client-only engine in this process (starts +
 * waitForCompletion, woken by LISTEN/NOTIFY), next to the PG floor measured in the same run: a
 * bare `pg` loop writing each chain as 5 transitions, each one single-statement transaction
 * (insert the event + update the instance: one round trip, one commit). Reports workflows/s at
 * concurrency 100, p50/p99, and from pg_stat_database the commits and row writes per workflow step.
 *
 * Run: `npx tsx bench/engine-chain-pg.ts [runs=1500] [node counts=1,2,3] [chain|sw5|chain8k]` (SWIRL_TEST_PG_URL or 127.0.0.1:5432; the
 * benchmark creates and drops its own schemas). SWIRL_BENCH_NODE_ARGS: extra flags for the node
 * processes (a CPU profile: `--cpu-prof --cpu-prof-dir=DIR`); SWIRL_BENCH_TURN_FLIGHTS: their
 * turnCommitsInFlight (0 = no group commit of turns); SWIRL_BENCH_STICKY_MS their stickyClaimsMs.
 * Also reported: the node processes' I/O bytes per workflow (/proc/<pid>/io rchar + wchar over the
 * measured runs: on these processes, the PostgreSQL socket traffic) and loadHistory per step
 * (cache misses); round trips per step by statement for the node processes and the driver apart,
 * with how many found nothing (no row, or a probe's `found = false`), the LISTEN/NOTIFY
 * notifications sent and received, and each node's system CPU.
 */

import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import pg from 'pg';
import { createEngine } from '../src/engine/engine.js';
import { openPostgresStore } from '../src/store/postgres.js';
import { roundTrips } from '../src/store/postgres-sql.js';

// Results that found nothing are counted by statement (emptyByName): only benchmarks pay for that.
roundTrips.countEmpty = true;
import { closedLoop, describeLoop, fmt, type LoopResult } from './engine-common.js';
import { cpuSnapshot, cpuUse, postmasterOf, type CpuUse } from './cpu-account.js';
import { registerWorkload, type WorkloadKind } from './pg-workloads.js';
import { backendCpu, backendCpuSince } from './pg-backend-cpu.js';
import { describeIndexEntries, walIndexEntries, walMark } from './pg-wal-index-entries.js';

const PG_URL = process.env.SWIRL_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const RUNS = Number(process.argv[2] ?? 1500);
/** Extra node flags for the engine node processes (e.g. `--cpu-prof --cpu-prof-dir=/tmp/p`). */
const NODE_ARGS = (process.env.SWIRL_BENCH_NODE_ARGS ?? '').split(' ').filter((a) => a !== '');
/** How often the driver's waits re-read the store without a notification (SWIRL_BENCH_RECHECK_MS). */
const RECHECK_MS = Number(process.env.SWIRL_BENCH_RECHECK_MS ?? 5000);
/** Which node counts to run (argv[3], e.g. `1` or `1,2,3`). */
const NODE_COUNTS = (process.argv[3] ?? '1,2,3').split(',').map(Number);
const CONCURRENCY = 100;
/** The workload (argv[4]): `chain` (3-step code chain) or `sw5` (a 5-state Serverless Workflow). */
const WORKLOAD = (process.argv[4] ?? 'chain') as WorkloadKind;
const STEPS = WORKLOAD === 'sw5' ? 5 : 3;

const admin = new pg.Client({ connectionString: PG_URL });
await admin.connect();
const database = (await admin.query<{ d: string }>('SELECT current_database() AS d')).rows[0].d;
const postmaster = postmasterOf((await admin.query<{ p: number }>('SELECT pg_backend_pid() AS p')).rows[0].p);

/** Commits and row writes of this database so far (other sessions on it are counted too). */
async function dbCounters(): Promise<{ commits: number; writes: number }> {
  await admin.query('SELECT pg_stat_clear_snapshot()');
  const r = (
    await admin.query<{ c: string; w: string }>(
      'SELECT xact_commit AS c, tup_inserted + tup_updated + tup_deleted AS w FROM pg_stat_database WHERE datname = $1',
      [database],
    )
  ).rows[0];
  return { commits: Number(r.c), writes: Number(r.w) };
}

/** pg_stat_database is flushed by backends on a ~1 s cadence (PG 15: at transaction end, rate-limited). */
const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 1500));

function schemaUrl(schema: string): string {
  const u = new URL(PG_URL);
  u.searchParams.set('schema', schema);
  return u.toString();
}

/** Bytes the processes `pids` have read and written so far (/proc/<pid>/io rchar + wchar; 0 where unreadable). */
function ioBytes(pids: number[]): number {
  let total = 0;
  for (const pid of pids) {
    try {
      const text = readFileSync(`/proc/${pid}/io`, 'utf8');
      for (const key of ['rchar', 'wchar']) total += Number(new RegExp(`^${key}: (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
    } catch {
      // not Linux, or the process is gone
    }
  }
  return total;
}

/** Row writes per step of each table of `schema` (pg_stat_user_tables, warm-up included), and its index count. */
async function tableWrites(schema: string, steps: number): Promise<string[]> {
  await admin.query('SELECT pg_stat_clear_snapshot()');
  const rows = (
    await admin.query<{ t: string; ins: string; upd: string; hot: string; del: string; idx: string }>(
      `SELECT relname AS t, n_tup_ins AS ins, n_tup_upd AS upd, n_tup_hot_upd AS hot, n_tup_del AS del,
              (SELECT COUNT(*) FROM pg_indexes i WHERE i.schemaname = s.schemaname AND i.tablename = s.relname) AS idx
       FROM pg_stat_user_tables s WHERE schemaname = $1 ORDER BY relname`,
      [schema],
    )
  ).rows;
  const per = (x: string): string => fmt(Number(x) / steps, 2);
  return rows
    .filter((r) => Number(r.ins) + Number(r.upd) + Number(r.del) > 0)
    .map((r) => `${r.t}: ins ${per(r.ins)} upd ${per(r.upd)} (HOT ${per(r.hot)}) del ${per(r.del)}, ${r.idx} indexes`);
}

interface Measured {
  /** Node processes' I/O bytes per workflow over the measured runs (the floor: 0, not measured). */
  bytesPerWorkflow?: number;
  loop: LoopResult;
  cpu: CpuUse;
  commitsPerStep: number;
  writesPerStep: number;
  /** CPU of this phase's own PostgreSQL backends per workflow step (pg-backend-cpu.ts). */
  ownPgMsPerStep: number;
}

/** The PG floor: 5 single-statement transactions per chain on a pool of 10. */
async function floor(): Promise<Measured> {
  const schema = `swirl_bench_floor_${process.pid}`;
  await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE; CREATE SCHEMA ${schema};
    CREATE TABLE ${schema}.inst (id TEXT PRIMARY KEY, status TEXT NOT NULL, updated BIGINT NOT NULL, output TEXT);
    CREATE TABLE ${schema}.hist (id TEXT NOT NULL, seq INT NOT NULL, data TEXT NOT NULL, PRIMARY KEY (id, seq));`);
  const pool = new pg.Pool({ connectionString: PG_URL, max: 10, application_name: `swirl/${schema}` });
  const event = (id: string, seq: number, type: string, value: number): string =>
    JSON.stringify({ eventId: seq, type, timestamp: Date.now(), instanceId: id, taskId: seq, result: value, pad: 'x'.repeat(40) });
  const start = { name: 'floor-start', text: `WITH i AS (INSERT INTO ${schema}.inst (id, status, updated) VALUES ($1, 'RUNNING', $2)) INSERT INTO ${schema}.hist VALUES ($1, 0, $3)` };
  const step = {
    name: 'floor-step',
    text: `WITH h AS (INSERT INTO ${schema}.hist VALUES ($1, $2, $3)) UPDATE ${schema}.inst SET status = $4, updated = $5, output = $6 WHERE id = $1`,
  };
  const one = async (i: number): Promise<void> => {
    const id = `floor-${i}`;
    let v = 0;
    await pool.query({ ...start, values: [id, Date.now(), event(id, 0, 'ExecutionStarted', v)] });
    for (let s = 1; s <= STEPS; s++) {
      await yieldToLoop();
      v += 1;
      await pool.query({ ...step, values: [id, s, event(id, s, 'TaskCompleted', v), 'RUNNING', Date.now(), null] });
    }
    await pool.query({ ...step, values: [id, STEPS + 1, event(id, STEPS + 1, 'ExecutionCompleted', v), 'COMPLETED', Date.now(), String(v)] });
  };
  try {
    await closedLoop(200, CONCURRENCY, (i) => one(1_000_000 + i));
    await settle();
    const before = await dbCounters();
    const c0 = cpuSnapshot(postmaster, []);
    const own0 = await backendCpu(admin, schema);
    const loop = await closedLoop(RUNS, CONCURRENCY, one);
    const cpu = cpuUse(c0, cpuSnapshot(postmaster, []), RUNS * STEPS, loop.seconds * 1000);
    const ownPgMsPerStep = backendCpuSince(own0, await backendCpu(admin, schema)) / RUNS / STEPS;
    await settle();
    const after = await dbCounters();
    return { loop, cpu, ownPgMsPerStep, commitsPerStep: (after.commits - before.commits) / RUNS / STEPS, writesPerStep: (after.writes - before.writes) / RUNS / STEPS };
  } finally {
    await pool.end();
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  }
}

/** What a node process reports when it stops. */
interface NodeStats {
  transactions: number;
  retries: number;
  roundTrips: number;
  batches: number;
  batchedTurns: number;
  byName: Record<string, number>;
  /** Statements that found nothing (no rows, or one row of NULL / false), by name. */
  emptyByName?: Record<string, number>;
  /** LISTEN/NOTIFY notifications the node's store sent and received. */
  notifications?: { sent: number; received: number };
  /** The node process's CPU time over its whole life (ms). */
  cpuMs?: number;
  /** Of it, system (kernel) time (ms). */
  sysMs?: number;
}

/** Starts a node process and waits for its 'ready' line. */
async function startNode(url: string): Promise<{ child: ChildProcess; stats: Promise<NodeStats> }> {
  const child = spawn(process.execPath, [...NODE_ARGS, '--import', 'tsx', new URL('./pg-node.ts', import.meta.url).pathname, url, WORKLOAD], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! });
  let resolveStats!: (s: NodeStats) => void;
  const stats = new Promise<NodeStats>((r) => (resolveStats = r));
  await new Promise<void>((ready, fail) => {
    child.once('exit', (code) => fail(new Error(`node exited with ${code}`)));
    lines.on('line', (line) => {
      if (line === 'ready') ready();
      else if (line.startsWith('{')) resolveStats(JSON.parse(line) as NodeStats);
    });
  });
  return { child, stats };
}

/** The chain with `nodes` engine processes on one fresh schema. */
async function engines(nodes: number): Promise<Measured & { storeTxPerStep: number; roundTripsPerStep: number; retries: number; turnsPerBatch: number; tripsByName: Record<string, number>; nodeTrips: string; driverTrips: string; notifications: string; tables: string[]; nodeCpuMs: number[]; nodeSysMs: number[]; indexEntries: string[] }> {
  const schema = `swirl_bench_chain_${process.pid}_${nodes}`;
  await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  const url = schemaUrl(schema);
  const driverTrips = roundTrips.count;
  const driverStore = await openPostgresStore({ url, poolSize: 10 });
  const driver = await createEngine({ store: driverStore }); // never started: a client only
  // Registered so that start() accepts the name; this engine runs no workers.
  const workload = await registerWorkload(driver, WORKLOAD);
  const wal0 = await walMark(admin);
  const started = await Promise.all(Array.from({ length: nodes }, () => startNode(url)));
  const one = async (i: number): Promise<void> => {
    const id = await driver.client.start(workload.name, workload.input(i));
    // Woken by LISTEN/NOTIFY; the store is re-read only as a safety net (the default 500 ms recheck
    // made the 100 waiting clients read each instance every 500 ms: ~2.6 reads per step).
    const r = await driver.client.waitForCompletion(id, { timeoutMs: 120_000, recheckMs: RECHECK_MS });
    if (r.runtimeStatus !== 'COMPLETED' || !workload.check(r.output, i)) throw new Error(`chain ${id} ended ${r.runtimeStatus} with ${JSON.stringify(r.output)}`);
  };
  try {
    await closedLoop(200, CONCURRENCY, (i) => one(1_000_000 + i));
    await settle();
    const before = await dbCounters();
    const pids = started.map((n) => n.child.pid ?? 0);
    const c0 = cpuSnapshot(postmaster, pids);
    const own0 = await backendCpu(admin, schema);
    const io0 = ioBytes(pids);
    const loop = await closedLoop(RUNS, CONCURRENCY, one);
    const cpu = cpuUse(c0, cpuSnapshot(postmaster, pids), RUNS * STEPS, loop.seconds * 1000);
    const ownPgMsPerStep = backendCpuSince(own0, await backendCpu(admin, schema)) / RUNS / STEPS;
    const bytesPerWorkflow = (ioBytes(pids) - io0) / RUNS;
    await settle();
    const after = await dbCounters();
    for (const n of started) n.child.kill('SIGTERM');
    const stats = await Promise.all(started.map((n) => n.stats));
    // Let them exit on their own (a CPU profile is written at exit), for up to 20 s.
    await Promise.all(started.map((n) => new Promise((r) => (n.child.exitCode !== null ? r(undefined) : (n.child.once('exit', r), setTimeout(r, 20_000).unref())))));
    const tables = await tableWrites(schema, (RUNS + 200) * STEPS);
    const indexEntries = await walIndexEntries(admin, schema, wal0).then(
      (c) => describeIndexEntries(c, (RUNS + 200) * STEPS, fmt),
      (e: Error) => [`n/a (${e.message})`],
    );
    const tx = stats.reduce((a, s) => a + s.transactions, 0) + driverStore.stats.transactions;
    const batches = stats.reduce((a, s) => a + (s.batches ?? 0), 0);
    // Round trips per workflow step by statement, nodes and driver together (warm-up included).
    const tripsByName: Record<string, number> = {};
    for (const [name, n] of [...stats.flatMap((s) => Object.entries(s.byName ?? {})), ...Object.entries(roundTrips.byName)]) tripsByName[name] = (tripsByName[name] ?? 0) + n;
    for (const name of Object.keys(tripsByName)) tripsByName[name] = tripsByName[name] / (RUNS + 200) / STEPS;
    const steps = (RUNS + 200) * STEPS;
    // Per process kind: each statement's round trips per step and (in brackets) how many of them found nothing.
    const byKind = (all: Array<{ byName?: Record<string, number>; emptyByName?: Record<string, number> }>): string => {
      const sum: Record<string, [number, number]> = {};
      for (const s of all) {
        for (const [n, v] of Object.entries(s.byName ?? {})) (sum[n] ??= [0, 0])[0] += v;
        for (const [n, v] of Object.entries(s.emptyByName ?? {})) (sum[n] ??= [0, 0])[1] += v;
      }
      return Object.entries(sum)
        .sort((a, b) => b[1][0] - a[1][0])
        .filter(([, [v]]) => v / steps >= 0.001)
        .map(([n, [v, e]]) => `${n} ${fmt(v / steps, 3)}${e > 0 ? ` (empty ${fmt(e / steps, 3)})` : ''}`)
        .join(', ');
    };
    const nodeTrips = byKind(stats);
    const driverByName = byKind([roundTrips]);
    const sent = stats.reduce((a, s) => a + (s.notifications?.sent ?? 0), 0);
    const received = stats.reduce((a, s) => a + (s.notifications?.received ?? 0), 0);
    const d = driverStore.notificationCounts;
    const notifications = `nodes sent ${fmt(sent / steps, 3)} received ${fmt(received / steps, 3)}; driver sent ${fmt(d.sent / steps, 3)} received ${fmt(d.received / steps, 3)} per step`;
    for (const name of Object.keys(roundTrips.byName)) delete roundTrips.byName[name];
    for (const name of Object.keys(roundTrips.emptyByName ?? {})) delete roundTrips.emptyByName[name];
    return {
      loop,
      cpu,
      ownPgMsPerStep,
      bytesPerWorkflow,
      tripsByName,
      nodeTrips,
      driverTrips: driverByName,
      notifications,
      turnsPerBatch: batches === 0 ? 0 : stats.reduce((a, s) => a + (s.batchedTurns ?? 0), 0) / batches,
      commitsPerStep: (after.commits - before.commits) / RUNS / STEPS,
      writesPerStep: (after.writes - before.writes) / RUNS / STEPS,
      storeTxPerStep: tx / (RUNS + 200) / STEPS,
      // Warm-up included (the nodes count from their start); the driver's own calls too.
      roundTripsPerStep: (stats.reduce((a, s) => a + s.roundTrips, 0) + roundTrips.count - driverTrips) / (RUNS + 200) / STEPS,
      retries: stats.reduce((a, s) => a + s.retries, 0),
      tables,
      nodeCpuMs: stats.map((s) => s.cpuMs ?? 0),
      nodeSysMs: stats.map((s) => s.sysMs ?? 0),
      indexEntries,
    };
  } finally {
    for (const n of started) if (n.child.exitCode === null) n.child.kill('SIGKILL');
    await driver.stop();
    await driverStore.close();
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  }
}

const f = await floor();
console.log(describeLoop(`PG floor (${STEPS + 2} single-statement txns/wf)`, f.loop));
const results: Array<{ nodes: number } & Awaited<ReturnType<typeof engines>>> = [];
for (const nodes of NODE_COUNTS) {
  const r = await engines(nodes);
  results.push({ nodes, ...r });
  console.log(
    describeLoop(`engine, ${nodes} node(s)`, r.loop) +
      `; retries ${r.retries}; turns per batch statement ${fmt(r.turnsPerBatch, 1)}; CPU per node (whole life) ${r.nodeCpuMs.map((ms, i) => `${fmt(ms, 0)} ms (sys ${fmt(r.nodeSysMs[i], 0)})`).join(' / ')}`,
  );
}
await admin.end();

console.log(`\n| ${WORKLOAD === 'sw5' ? 'SW 5-step workflow' : '3-step chain'} on PostgreSQL, concurrency ${CONCURRENCY}, ${RUNS} workflows | wf/s | × floor | × 1 node | p50 ms | p99 ms | commits/step | row writes/step | store txns/step | round trips/step |`);
console.log('|---|---|---|---|---|---|---|---|---|---|');
console.log(`| PG floor (bare pg, 1 txn per transition) | ${fmt(f.loop.perSecond, 0)} | 1.00× | | ${fmt(f.loop.p50Ms, 1)} | ${fmt(f.loop.p99Ms, 1)} | ${fmt(f.commitsPerStep, 2)} | ${fmt(f.writesPerStep, 2)} | 1 | 1 |`);
for (const r of results) {
  console.log(
    `| Swirl, ${r.nodes} node process${r.nodes > 1 ? 'es' : ''} | ${fmt(r.loop.perSecond, 0)} | ${fmt(r.loop.perSecond / f.loop.perSecond, 2)}× | ${fmt(r.loop.perSecond / results[0].loop.perSecond, 2)}× | ${fmt(r.loop.p50Ms, 1)} | ${fmt(r.loop.p99Ms, 1)} | ${fmt(r.commitsPerStep, 2)} | ${fmt(r.writesPerStep, 2)} | ${fmt(r.storeTxPerStep, 2)} | ${fmt(r.roundTripsPerStep, 1)} |`,
  );
}

console.log(`\n| CPU during the measured runs (ms per workflow step) | PG: own backends | PG server | node processes | driver | others on the box | machine busy | PG, % of a core | nodes, % of a core |`);
console.log('|---|---|---|---|---|---|---|---|---|');
const cpuRow = (label: string, c: CpuUse, own: number): string =>
  `| ${label} | ${fmt(own, 2)} | ${fmt(c.pgMsPerUnit, 2)} | ${fmt(c.processesMsPerUnit, 2)} | ${fmt(c.selfMsPerUnit, 2)} | ${fmt(c.otherMsPerUnit, 2)} | ${fmt(c.machineBusyPct, 0)}% | ${fmt(c.pgCorePct, 0)}% | ${fmt(c.processesCorePct, 0)}% |`;
console.log(cpuRow('PG floor', f.cpu, f.ownPgMsPerStep));
for (const r of results) console.log(cpuRow(`Swirl, ${r.nodes} node${r.nodes > 1 ? 's' : ''}`, r.cpu, r.ownPgMsPerStep));

console.log('\ncache misses and bytes (node processes, measured runs for bytes):');
for (const r of results) {
  console.log(`  ${r.nodes} node(s): loadHistory per step ${fmt(r.tripsByName.loadHistory ?? 0, 3)}; node I/O ${fmt((r.bytesPerWorkflow ?? 0) / 1024, 1)} KiB per workflow`);
}

console.log('\nrow writes per workflow step by table (pg_stat_user_tables, warm-up included; an insert or non-HOT update also writes one entry per index):');
for (const r of results) console.log(`  ${r.nodes} node(s): ` + r.tables.join('; '));

console.log('\nindex entries written per workflow step (B-tree leaf inserts in the WAL, bench/pg-wal-index-entries.ts; warm-up included), and heap records:');
for (const r of results) for (const line of r.indexEntries) console.log(`  ${r.nodes} node(s): ${line}`);

console.log('\nround trips per workflow step, by statement (nodes and driver, warm-up included):');
for (const r of results) {
  const top = Object.entries(r.tripsByName).sort((a, b) => b[1] - a[1]);
  console.log(`  ${r.nodes} node(s): ` + top.map(([n, v]) => `${n} ${fmt(v, 2)}`).join(', '));
}

console.log('\nround trips per workflow step by statement, nodes / driver (empty: found nothing), and notifications:');
for (const r of results) {
  console.log(`  ${r.nodes} node(s), nodes: ${r.nodeTrips}`);
  console.log(`  ${r.nodes} node(s), driver: ${r.driverTrips}`);
  console.log(`  ${r.nodes} node(s), notifications: ${r.notifications}`);
}
