/**
 * @module bench/peers/run
 * The peers comparison in one run (README.md here): the 3-step no-op chain on
 *  - Swirl, embedded engine, code chain, SQLite (bench/engine-common.ts startChainEngine);
 *  - Swirl, the chain as a Serverless Workflow over `swirl serve` HTTP (bench/serve-http.ts, as
 *    bench/declarative-http.ts: Dapr start route, then GET ?wait=; and started and awaited in one
 *    exchange, `POST …/start?wait=`, as Restate's one synchronous call);
 *  - Swirl, embedded engine on PostgreSQL (private database);
 *  - DBOS 5.3.0 in-process on PostgreSQL (own process, private database);
 *  - Restate 1.7.12 over its HTTP ingress (server + handler endpoint, two processes);
 * repetitions interleaved, c=1 p50 and c=100 wf/s, ratios within each repetition, CPU per
 * workflow of each system's processes (PostgreSQL's excluded), and for the two PostgreSQL systems
 * the commits and row writes per workflow from pg_stat_database (issue 10's DBOS comparison).
 *
 * Run (from bench/peers, after `npm ci` there): `npm run bench -- [repetitions=3] [c1Runs=100] [c100Runs=1000]`
 */

import { join } from 'node:path';
import { closedLoop, fmt, median, startChainEngine, tempDir, type LoopResult } from '../engine-common.js';
import { cpuMsOf, dispatcher, measureHttp, startNoopApp, startServe, stopServe } from '../serve-http.js';
import { startDbos } from './dbos.js';
import { createPrivateDb, startPgChainEngine, type PgCounters } from './peers-pg.js';
import { startRestate } from './restate.js';

const REPETITIONS = Number(process.argv[2] ?? 3);
const C1_RUNS = Number(process.argv[3] ?? 100);
const C100_RUNS = Number(process.argv[4] ?? 1000);
const WARM_UP = Number(process.env.PEERS_WARM_UP ?? 300);

type System = 'embedded' | 'http' | 'httpOne' | 'swirlPg' | 'dbos' | 'restate';
const SYSTEMS: Record<System, string> = {
  embedded: 'Swirl embedded engine, code chain, SQLite',
  http: 'Swirl, Serverless Workflow over `swirl serve` HTTP (start, GET ?wait=)',
  httpOne: 'Swirl, Serverless Workflow over `swirl serve` HTTP (one exchange: start?wait=)',
  swirlPg: 'Swirl embedded engine, code chain, PostgreSQL',
  dbos: 'DBOS 5.3.0, in-process, PostgreSQL',
  restate: 'Restate 1.7.12, HTTP ingress',
};
interface Measured {
  c1: LoopResult;
  c100: LoopResult;
  /** CPU ms per workflow at c=100 of the system's own processes (driver included where in-process). */
  cpuMs: number;
  pg?: { commits: number; writes: number; storeTx?: number; roundTrips?: number };
}
const perRep: Record<System, Measured>[] = [];
const tables: string[] = [];

const pid = process.pid;
const work = tempDir('swirl-bench-peers-');
const app = await startNoopApp();
const serve = await startServe(join(work.dir, 'serve'), app.port);
const swirlDb = await createPrivateDb(`swirl_peers_swirl_${pid}`);
const dbosDb = await createPrivateDb(`swirl_peers_dbos_${pid}`);
const swirlPg = await startPgChainEngine(swirlDb.url);
const dbos = await startDbos(dbosDb.url);
const restate = await startRestate(work.dir);
const perWorkflow = (a: PgCounters, b: PgCounters, runs: number) => ({ commits: (b.commits - a.commits) / runs, writes: (b.writes - a.writes) / runs });
const cpuOf = (...pids: number[]) => pids.reduce((s, p) => s + cpuMsOf(p), 0);
try {
  // Warm-ups: JIT, caches, pools, WAL growth.
  await measureHttp(serve.base, serve.proc.pid!, app.calls, WARM_UP, 50, 'wait');
  await closedLoop(WARM_UP, 100, swirlPg.one);
  await dbos.loop(WARM_UP, 100);
  await closedLoop(WARM_UP, 100, restate.one);
  for (let r = 0; r < REPETITIONS; r++) {
    const embedded = await (async (): Promise<Measured> => {
      const e = await startChainEngine('swirl-bench-peers-embedded-');
      try {
        await closedLoop(WARM_UP, 100, e.one);
        const c1 = await closedLoop(C1_RUNS, 1, e.one);
        const c100 = await closedLoop(C100_RUNS, 100, e.one);
        return { c1, c100, cpuMs: c100.cpuMsPerRun };
      } finally {
        await e.close();
      }
    })();
    const c1h = await measureHttp(serve.base, serve.proc.pid!, app.calls, C1_RUNS, 1, 'wait');
    const c100h = await measureHttp(serve.base, serve.proc.pid!, app.calls, C100_RUNS, 100, 'wait');
    const http: Measured = { c1: c1h.loop, c100: c100h.loop, cpuMs: c100h.serverCpuMs };
    const c1o = await measureHttp(serve.base, serve.proc.pid!, app.calls, C1_RUNS, 1, 'start-wait');
    const c100o = await measureHttp(serve.base, serve.proc.pid!, app.calls, C100_RUNS, 100, 'start-wait');
    const httpOne: Measured = { c1: c1o.loop, c100: c100o.loop, cpuMs: c100o.serverCpuMs };

    const pgC1 = await closedLoop(C1_RUNS, 1, swirlPg.one);
    const s0 = await swirlDb.counters();
    const st0 = swirlPg.storeCounters();
    const pgC100 = await closedLoop(C100_RUNS, 100, swirlPg.one);
    const s1 = await swirlDb.counters();
    const st1 = swirlPg.storeCounters();
    const swirlPgM: Measured = {
      c1: pgC1,
      c100: pgC100,
      cpuMs: pgC100.cpuMsPerRun,
      pg: { ...perWorkflow(s0, s1, C100_RUNS), storeTx: (st1.transactions - st0.transactions) / C100_RUNS, roundTrips: (st1.roundTrips - st0.roundTrips) / C100_RUNS },
    };

    const dC1 = await dbos.loop(C1_RUNS, 1);
    const d0 = await dbosDb.counters();
    const dC100 = await dbos.loop(C100_RUNS, 100);
    const d1 = await dbosDb.counters();
    const dbosM: Measured = { c1: dC1, c100: dC100, cpuMs: dC100.cpuMsPerRun, pg: perWorkflow(d0, d1, C100_RUNS) };

    const rC1 = await closedLoop(C1_RUNS, 1, restate.one);
    const rc0 = cpuOf(restate.server.pid!, restate.service.pid!);
    const rC100 = await closedLoop(C100_RUNS, 100, restate.one);
    const restateM: Measured = { c1: rC1, c100: rC100, cpuMs: (cpuOf(restate.server.pid!, restate.service.pid!) - rc0) / C100_RUNS };

    const rep = { embedded, http, httpOne, swirlPg: swirlPgM, dbos: dbosM, restate: restateM };
    perRep.push(rep);
    for (const [s, m] of Object.entries(rep) as [System, Measured][]) {
      console.log(`rep ${r + 1} ${s.padEnd(8)}: c=1 p50 ${fmt(m.c1.p50Ms, 2)} ms; c=100 ${fmt(m.c100.perSecond, 0)} wf/s, p50 ${fmt(m.c100.p50Ms, 1)} ms; CPU ${fmt(m.cpuMs, 2)} ms/wf${m.pg ? `; PG ${fmt(m.pg.commits, 2)} commits, ${fmt(m.pg.writes, 2)} row writes per wf` : ''}`);
    }
  }
  // Which tables take the writes (whole run, warm-up included), per workflow run on each system.
  const ran = WARM_UP + REPETITIONS * (C1_RUNS + C100_RUNS);
  for (const [label, db] of [['DBOS 5.3.0', dbosDb], ['Swirl engine on PostgreSQL', swirlDb]] as const) {
    tables.push(`\n| ${label}: rows written per workflow, by table | inserted | updated | deleted |\n|---|---:|---:|---:|`);
    for (const t of await db.tableWrites()) tables.push(`| ${t.table} | ${fmt(t.ins / ran, 2)} | ${fmt(t.upd / ran, 2)} | ${fmt(t.del / ran, 2)} |`);
  }
} finally {
  await restate.stop();
  await dbos.stop();
  await swirlPg.close();
  await stopServe(serve);
  await swirlDb.drop();
  await dbosDb.drop();
  await dispatcher.close();
  app.server.close();
  work.remove();
}

const med = (f: (x: Record<System, Measured>) => number): number => median(perRep.map(f));
const spread = (f: (x: Record<System, Measured>) => number): string => {
  const xs = perRep.map(f);
  return `${fmt(Math.min(...xs), 0)}–${fmt(Math.max(...xs), 0)}`;
};
const ratios = (f: (x: Record<System, Measured>) => number): string => `**${fmt(med(f), 2)}×** [${perRep.map((x) => fmt(f(x), 2)).join(', ')}]`;
console.log(`\n| 3-step no-op chain (median of ${REPETITIONS} [min–max]) | c=1 p50 ms | c=100 wf/s | c=100 p50 ms | CPU ms/wf at c=100 |`);
console.log('|---|---:|---:|---:|---:|');
for (const s of Object.keys(SYSTEMS) as System[]) {
  console.log(`| ${SYSTEMS[s]} | ${fmt(med((x) => x[s].c1.p50Ms), 2)} | ${fmt(med((x) => x[s].c100.perSecond), 0)} [${spread((x) => x[s].c100.perSecond)}] | ${fmt(med((x) => x[s].c100.p50Ms), 1)} | ${fmt(med((x) => x[s].cpuMs), 2)} |`);
}
console.log('\n| ratio at c=100 (wf/s), per repetition | median [each repetition] |');
console.log('|---|---|');
console.log(`| Swirl SW over HTTP / Restate | ${ratios((x) => x.http.c100.perSecond / x.restate.c100.perSecond)} |`);
console.log(`| Swirl SW over HTTP / Swirl embedded | ${ratios((x) => x.http.c100.perSecond / x.embedded.c100.perSecond)} |`);
console.log(`| Swirl SW over HTTP, one exchange / Restate | ${ratios((x) => x.httpOne.c100.perSecond / x.restate.c100.perSecond)} |`);
console.log(`| Swirl SW over HTTP, one exchange / Swirl embedded | ${ratios((x) => x.httpOne.c100.perSecond / x.embedded.c100.perSecond)} |`);
console.log(`| Swirl embedded / Restate | ${ratios((x) => x.embedded.c100.perSecond / x.restate.c100.perSecond)} |`);
console.log(`| Swirl embedded / DBOS | ${ratios((x) => x.embedded.c100.perSecond / x.dbos.c100.perSecond)} |`);
console.log(`| Swirl on PostgreSQL / DBOS | ${ratios((x) => x.swirlPg.c100.perSecond / x.dbos.c100.perSecond)} |`);
console.log('\n| c=1 p50 ratio, per repetition | median [each repetition] |');
console.log('|---|---|');
console.log(`| Swirl SW over HTTP / Swirl embedded | ${ratios((x) => x.http.c1.p50Ms / x.embedded.c1.p50Ms)} |`);
console.log(`| Swirl SW over HTTP / Restate | ${ratios((x) => x.http.c1.p50Ms / x.restate.c1.p50Ms)} |`);
console.log(`| Swirl SW over HTTP, one exchange / Swirl embedded | ${ratios((x) => x.httpOne.c1.p50Ms / x.embedded.c1.p50Ms)} |`);
console.log(`| Swirl SW over HTTP, one exchange / Restate | ${ratios((x) => x.httpOne.c1.p50Ms / x.restate.c1.p50Ms)} |`);
console.log(`| Swirl on PostgreSQL / DBOS | ${ratios((x) => x.swirlPg.c1.p50Ms / x.dbos.c1.p50Ms)} |`);
console.log(`\n| PostgreSQL writes per workflow at c=100 (median of ${REPETITIONS}) | commits | row writes (ins+upd+del) | store transactions | round trips |`);
console.log('|---|---:|---:|---:|---:|');
console.log(`| DBOS 5.3.0 | ${fmt(med((x) => x.dbos.pg!.commits), 2)} | ${fmt(med((x) => x.dbos.pg!.writes), 2)} | — | — |`);
console.log(`| Swirl engine on PostgreSQL | ${fmt(med((x) => x.swirlPg.pg!.commits), 2)} | ${fmt(med((x) => x.swirlPg.pg!.writes), 2)} | ${fmt(med((x) => x.swirlPg.pg!.storeTx!), 2)} | ${fmt(med((x) => x.swirlPg.pg!.roundTrips!), 1)} |`);
for (const line of tables) console.log(line);
process.exit(0);
