/**
 * @module test/durability/chaos-child
 * The worker process that chaos.test.ts kills with SIGKILL: an engine on a SQLite file running the
 * chaos workload (chaos-workload.ts). It starts nothing itself — the test starts instances, raises
 * events and suspends/resumes them from its own process — and prints `engine-started`, then `done`
 * once every instance of the workload has completed.
 *
 * Usage: node --import tsx chaos-child.ts <db-file> <log-file>
 */

import { createEngine } from '../../src/engine/engine.js';
import { chaosIds, ExecutionLog, registerChaos } from './chaos-workload.js';

const [dbPath, logPath] = process.argv.slice(2);
if (!dbPath || !logPath) {
  process.stderr.write('usage: chaos-child.ts <db-file> <log-file>\n');
  process.exit(2);
}

const log = new ExecutionLog(logPath);
// A stable worker id (as `swirl serve` has): a restarted process can recognise its own old leases.
// A short lease and few activity slots keep work in flight when the kills land.
const engine = await createEngine({ store: `sqlite:${dbPath}`, workerId: 'chaos-node', leaseMs: 1000, pollIntervalMs: 50, activityConcurrency: 5 });
registerChaos(engine, log);
await engine.start();
process.stdout.write('engine-started\n');

const ids = Object.values(chaosIds()).flat();
await Promise.all(ids.map((id) => engine.client.waitForCompletion(id, { timeoutMs: 150_000 })));
process.stdout.write('done\n');
await engine.stop();
log.close();
