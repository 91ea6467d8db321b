/**
 * @module test/durability/crash-child
 * The process that crash.test.ts kills. It runs N instances of a multi-step workflow (activity
 * chain, a durable timer, a fan-out/fan-in of four activities, a last activity) on a SQLite file,
 * starting whichever of them do not exist yet, and logs every activity execution — idempotency
 * key, attempt, delivery count — to an append-only file, fsync'd as the activity begins.
 *
 * Usage: node --import tsx crash-child.ts <db-file> <log-file> <instances>
 * Prints `engine-started`, `instances-started`, then `done` when every instance has completed.
 */

import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
// The engine module itself rather than the public barrel (src/index.ts re-exports this very
// function): the crash test then depends only on the engine and the store, not on every layer.
import { createEngine } from '../../src/engine/engine.js';
import { ACTIVITY_MS, INSTANCE_PREFIX, TIMER_MS } from './crash-workload.js';

const [dbPath, logPath, countText] = process.argv.slice(2);
const count = Number(countText);
if (!dbPath || !logPath || !Number.isInteger(count)) {
  process.stderr.write('usage: crash-child.ts <db-file> <log-file> <instances>\n');
  process.exit(2);
}


const logFd = openSync(logPath, 'a');
/**
 * One line per execution, written and fsync'd when the activity begins (so a kill during its work
 * leaves a logged execution whose result was never recorded: the engine must redeliver it).
 */
function logExecution(key: string, name: string, attempt: number, deliveryCount: number): void {
  writeSync(logFd, `${key}\t${name}\t${attempt}\t${deliveryCount}\t${process.pid}\n`);
  fsyncSync(logFd);
}

// A short lease: the work a killed process held is picked up ~1 s after the restart, not 30 s.
// Few activity slots: with 20 ms activities the workload lasts seconds, so kills land mid-flight.
const engine = await createEngine({ store: `sqlite:${dbPath}`, leaseMs: 1000, pollIntervalMs: 50, activityConcurrency: 5 });

engine.registerActivity('step', async (x: number, ctx) => {
  logExecution(ctx.idempotencyKey, ctx.name, ctx.attempt, ctx.deliveryCount);
  await sleep(ACTIVITY_MS);
  return x + 1;
});
engine.registerActivity('square', async (x: number, ctx) => {
  logExecution(ctx.idempotencyKey, ctx.name, ctx.attempt, ctx.deliveryCount);
  await sleep(ACTIVITY_MS);
  return x * x;
});
// n → n+2 → timer → Σ(n+2+k)² for k=0..3 → +1: expectedOutput() in crash-workload.ts.
engine.registerOrchestration('crashy', function* (ctx, n: number) {
  let v: number = yield ctx.callActivity('step', n);
  v = yield ctx.callActivity('step', v);
  yield ctx.createTimer(TIMER_MS);
  const squares: number[] = yield ctx.whenAll([0, 1, 2, 3].map((k) => ctx.callActivity('square', v + k)));
  const result: number = yield ctx.callActivity('step', squares.reduce((a, b) => a + b, 0));
  return result;
});

await engine.start();
process.stdout.write('engine-started\n');

const ids = Array.from({ length: count }, (_, i) => `${INSTANCE_PREFIX}${i}`);
// Start only what a previous (killed) run did not: starting a completed id again would replace it.
await Promise.all(
  ids.map(async (id, i) => {
    if ((await engine.client.get(id)) === undefined) await engine.client.start('crashy', i, { instanceId: id });
  }),
);
process.stdout.write('instances-started\n');

await Promise.all(ids.map((id) => engine.client.waitForCompletion(id, { timeoutMs: 120_000 })));
process.stdout.write('done\n');
await engine.stop();
closeSync(logFd);
