/**
 * @module bench/peers/dbos-driver
 * DBOS 5.3 in its own process, in-process to the workflows it runs (as DBOS is used): the 3-step
 * no-op chain (`DBOS.runStep` ×3) on the PostgreSQL system database argv[2]. Reads commands on
 * stdin, one per line — `<runs> <concurrency>` — runs that closed loop (bench/engine-common.ts)
 * and answers one JSON line (the LoopResult); `exit` shuts DBOS down. Prints `ready` after launch.
 */

import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import { DBOS } from '@dbos-inc/dbos-sdk';
import { closedLoop } from '../engine-common.js';

const url = process.argv[2];
if (!url) throw new Error('usage: dbos-driver.ts <systemDatabaseUrl>');

const chain = DBOS.registerWorkflow(
  async (x: number): Promise<number> => {
    let v = x;
    for (let i = 0; i < 3; i++) {
      const c = v;
      v = await DBOS.runStep(async () => c + 1, { name: `s${i}` });
    }
    return v;
  },
  { name: 'chain' },
);

DBOS.setConfig({ name: 'swirl-bench-peers', systemDatabaseUrl: url, systemDatabasePoolSize: 20, logLevel: 'error' });
await DBOS.launch();
console.log('ready');

let offset = 0;
const one = async (i: number): Promise<void> => {
  const got = await DBOS.withNextWorkflowID(randomUUID(), () => chain(offset + i));
  if (got !== offset + i + 3) throw new Error(`dbos chain ${offset + i} returned ${got}`);
};
for await (const line of createInterface({ input: process.stdin })) {
  if (line === 'exit') break;
  const [runs, concurrency] = line.split(' ').map(Number);
  const r = await closedLoop(runs, concurrency, one);
  offset += runs;
  console.log(JSON.stringify(r));
}
await DBOS.shutdown();
process.exit(0);
