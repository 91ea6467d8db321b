/**
 * @module test/engine/restart-child
 * A node for restart.test.ts: an engine on a SQLite file with a fixed workerId and a 60 s lease.
 * `hang` starts instance 'restart-1' whose activity never returns (the parent kills this process
 * with SIGKILL while it runs); `run` serves the same instance and prints its output.
 */
import { createEngine } from '../../src/engine/engine.js';

const [path, workerId, mode] = process.argv.slice(2) as [string, string, 'hang' | 'run'];
const engine = await createEngine({ store: `sqlite:${path}`, workerId, leaseMs: 60_000, pollIntervalMs: 20 });
engine.registerActivity('work', async () => {
  process.stdout.write('running\n');
  if (mode === 'hang') await new Promise(() => undefined);
  return 'finished';
});
engine.registerOrchestration('one', function* (ctx) {
  return yield ctx.callActivity('work');
});
await engine.start();
if (mode === 'hang') await engine.client.start('one', undefined, { instanceId: 'restart-1' });
const done = await engine.client.waitForCompletion('restart-1', { timeoutMs: 120_000 });
process.stdout.write(`done ${String(done.output)}\n`);
await engine.stop();
