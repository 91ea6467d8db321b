/**
 * @module bench/pg-node
 * One engine node of bench/engine-chain-pg.ts, in its own process: opens the PostgreSQL store
 * named by argv[2], runs the workers of the workload argv[3] (bench/pg-workloads.ts, default the
 * 3-step chain) until SIGTERM, then prints its store's
 * transaction and round-trip counts, its CPU time and its turn batches as one JSON line and exits.
 * SWIRL_BENCH_TURN_FLIGHTS sets the store's turnCommitsInFlight, SWIRL_BENCH_STICKY_MS its stickyClaimsMs.
 */

import { createEngine } from '../src/engine/engine.js';
import { openPostgresStore } from '../src/store/postgres.js';
import { roundTrips } from '../src/store/postgres-sql.js';

// Results that found nothing are counted by statement (emptyByName): only benchmarks pay for that.
roundTrips.countEmpty = true;
import { registerWorkload, type WorkloadKind } from './pg-workloads.js';

const inFlight = process.env.SWIRL_BENCH_TURN_FLIGHTS;
const sticky = process.env.SWIRL_BENCH_STICKY_MS;
const store = await openPostgresStore({
  url: process.argv[2],
  poolSize: 10,
  ...(inFlight !== undefined ? { turnCommitsInFlight: Number(inFlight) } : {}),
  ...(sticky !== undefined ? { stickyClaimsMs: Number(sticky) } : {}),
});
const engine = await createEngine({ store, workerId: `bench-${process.pid}` });
await registerWorkload(engine, (process.argv[3] ?? 'chain') as WorkloadKind);
await engine.start();
process.stdout.write('ready\n');
process.once('SIGTERM', () => {
  void (async () => {
    await engine.stop();
    const cpu = process.cpuUsage();
    const stats = { ...store.stats, roundTrips: roundTrips.count, byName: roundTrips.byName, emptyByName: roundTrips.emptyByName, notifications: store.notificationCounts, cpuMs: (cpu.user + cpu.system) / 1000, sysMs: cpu.system / 1000, ...store.turnBatches.stats };
    await store.close();
    process.stdout.write(JSON.stringify(stats) + '\n');
    process.exit(0);
  })();
});
