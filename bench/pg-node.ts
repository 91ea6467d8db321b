/**
 * @module bench/pg-node
 * One engine node of bench/engine-chain-pg.ts, in its own process: opens the PostgreSQL store
 * named by argv[2], runs the 3-step chain's workers until SIGTERM, then prints its store's
 * transaction and round-trip counts as one JSON line and exits.
 */

import { createEngine } from '../src/engine/engine.js';
import { openPostgresStore } from '../src/store/postgres.js';
import { roundTrips } from '../src/store/postgres-sql.js';

const store = await openPostgresStore({ url: process.argv[2], poolSize: 10 });
const engine = await createEngine({ store, workerId: `bench-${process.pid}` });
engine.registerActivity('inc', async (x: number) => x + 1);
engine.registerOrchestration('chain', function* (ctx, x: number) {
  let v = x;
  for (let i = 0; i < 3; i++) v = (yield ctx.callActivity('inc', v)) as number;
  return v;
});
await engine.start();
process.stdout.write('ready\n');
process.once('SIGTERM', () => {
  void (async () => {
    await engine.stop();
    const stats = { ...store.stats, roundTrips: roundTrips.count };
    await store.close();
    process.stdout.write(JSON.stringify(stats) + '\n');
    process.exit(0);
  })();
});
