/**
 * @module bench/store-claims
 * Claim and wake-up cost of the SQLite store against the work it must NOT look at (issue 9,
 * finding 12): the same claims with 0 versus 100,000 messages queued for instances that are
 * leased right now, and versus 100,000 messages for an orchestration name the claiming worker
 * does not serve — three fresh stores, same run, reported as ratios to the empty case.
 *
 * Measured per scenario (sequential calls, wall time per call):
 *  - claim: `claimOrchestrations({ limit: 1, names: ['wf'] })` that takes one of 500 ready
 *    instances (a probe read, then a claim-only batch: no fsync);
 *  - idle claim: the same call once nothing is claimable (the probe read alone);
 *  - nextWakeAt, and queuedWork (metrics).
 *
 * Run: `node --import tsx bench/store-claims.ts [store-module]` — the optional argument is
 * another build's `src/store/sqlite.ts` (e.g. an export of an older commit) to measure it the
 * same way; a store without name filters then claims the unserved instances too.
 * `node --import tsx bench/store-claims.ts memory [memory-module]` measures the memory store
 * (optionally another build's `src/store/memory.ts`) the same way.
 */

import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Store } from '../src/store/types.js';
import { fmt, median, percentile, tempDir } from './engine-common.js';

const READY = 500;
const BUSY_INSTANCES = 100;
const MESSAGES_PER_BUSY = 1000;
const IDLE_CALLS = 2000;
const NOW = 1_000_000;

type OpenStore = (options: { path: string }) => Promise<Store>;
const memory = process.argv[2] === 'memory';
const moduleArg = memory ? process.argv[3] : process.argv[2];
const modulePath = moduleArg !== undefined ? pathToFileURL(resolve(moduleArg)).href : memory ? '../src/store/memory.js' : '../src/store/sqlite.js';
const thisBuild = moduleArg === undefined;
const openStore: OpenStore = memory
  ? async () => new ((await import(modulePath)) as { MemoryStore: new () => Store }).MemoryStore()
  : ((await import(modulePath)) as { openSqliteStore: OpenStore }).openSqliteStore;

type Scenario = 'empty' | 'leased' | 'unserved';

interface Timings {
  claimUs: number[];
  idleUs: number[];
  wakeUs: number[];
  queuedUs: number[];
  claimed: number;
}

async function timeCall(out: number[], call: () => Promise<unknown>): Promise<void> {
  const t0 = process.hrtime.bigint();
  await call();
  out.push(Number(process.hrtime.bigint() - t0) / 1000);
}

function start(id: string, name: string): Parameters<Store['createInstance']>[0] {
  return { instanceId: id, executionId: `${id}-e`, name, createdAt: NOW - 10_000, startMessage: { data: '{"kind":"ExecutionStarted"}', visibleAt: NOW - 10_000 } };
}

/** 100 instances of `name` with 1,000 visible messages each (100,000), leased for the whole run when `lease` (the messages arrive during the lease). */
async function queueBacklog(store: Store, name: string, lease: boolean): Promise<void> {
  const ids = Array.from({ length: BUSY_INSTANCES }, (_, i) => `${name}-${i}`);
  await Promise.all(ids.map((id) => store.createInstance(start(id, name))));
  if (lease) {
    const items = await store.claimOrchestrations({ leaseId: 'busy-worker', now: NOW - 5000, leaseMs: 3_600_000, limit: BUSY_INSTANCES });
    if (items.length !== BUSY_INSTANCES) throw new Error(`expected ${BUSY_INSTANCES} leased instances, got ${items.length}`);
  }
  const payload = JSON.stringify({ kind: 'EventRaised', name: 'x', input: 'y'.repeat(40) });
  for (const id of ids) {
    // Older than the ready work: a backlog that has waited, first in any (visible_at, id) walk.
    await store.enqueueMessages(Array.from({ length: MESSAGES_PER_BUSY - 1 }, () => ({ instanceId: id, data: payload, visibleAt: NOW - 20_000 })));
  }
}

async function measure(scenario: Scenario): Promise<Timings> {
  const tmp = tempDir('swirl-bench-claims-');
  const store = await openStore({ path: join(tmp.dir, 'store.db') });
  try {
    if (scenario === 'leased') await queueBacklog(store, 'wf', true);
    if (scenario === 'unserved') await queueBacklog(store, 'other', false);
    await Promise.all(Array.from({ length: READY }, (_, i) => store.createInstance(start(`ready-${i}`, 'wf'))));
    const t: Timings = { claimUs: [], idleUs: [], wakeUs: [], queuedUs: [], claimed: 0 };
    let n = 0;
    const claim = async (): Promise<void> => {
      const items = await store.claimOrchestrations({ leaseId: `w:${++n}`, now: NOW, leaseMs: 3_600_000, limit: 1, names: ['wf'] });
      t.claimed += items.length;
    };
    for (let i = 0; i < READY; i++) await timeCall(t.claimUs, claim);
    for (let i = 0; i < IDLE_CALLS; i++) await timeCall(t.idleUs, claim);
    for (let i = 0; i < IDLE_CALLS; i++) await timeCall(t.wakeUs, () => store.nextWakeAt(NOW));
    // An older build has no queuedWork: its row then reads NaN.
    if (typeof store.queuedWork === 'function') for (let i = 0; i < 200; i++) await timeCall(t.queuedUs, () => store.queuedWork(NOW));
    return t;
  } finally {
    await store.close();
    tmp.remove();
  }
}

const runs: Record<Scenario, Timings> = { empty: await measure('empty'), leased: await measure('leased'), unserved: await measure('unserved') };
for (const [scenario, t] of Object.entries(runs)) {
  console.log(`${scenario}: ${t.claimed} claimed (expected ${READY}); claim p50 ${fmt(median(t.claimUs), 0)} µs p99 ${fmt(percentile(t.claimUs, 99), 0)} µs`);
}

const row = (label: string, pick: (t: Timings) => number[]): string => {
  const [e, l, u] = (['empty', 'leased', 'unserved'] as const).map((s) => median(pick(runs[s])));
  return `| ${label} | ${fmt(e, 0)} | ${fmt(l, 0)} | **${fmt(l / e, 2)}×** | ${fmt(u, 0)} | **${fmt(u / e, 2)}×** |`;
};
console.log(`\n| median µs per call (${memory ? 'memory' : 'sqlite'}, ${thisBuild ? 'this build' : modulePath}) | no backlog | 100k msgs on leased instances | ratio | 100k msgs for an unserved name | ratio |`);
console.log('|---|---:|---:|---:|---:|---:|');
console.log(row(`claim (limit 1, of ${READY} ready)`, (t) => t.claimUs));
console.log(row('idle claim (nothing claimable)', (t) => t.idleUs));
console.log(row('nextWakeAt', (t) => t.wakeUs));
console.log(row('queuedWork', (t) => t.queuedUs));
