/**
 * @module test/engine/golden/record
 * Records the golden histories: runs each golden orchestration on a memory engine and writes its
 * final history to test/engine/golden/<name>.json. Run by hand, only to ADD a new golden history:
 * `npx tsx test/engine/golden/record.ts` (existing files are kept unless --force).
 */

import { existsSync, writeFileSync } from 'node:fs';
import { createEngine } from '../../../src/engine/engine.js';
import { golden } from './orchestrations.js';

const force = process.argv.includes('--force');
const engine = await createEngine({ store: 'memory', pollIntervalMs: 10 });
let flaky = 0;
engine.registerActivity('inc', (x: number) => x + 1);
engine.registerActivity('flaky', (x: string) => {
  if (++flaky < 3) throw new Error(`flaky ${flaky}`);
  return `${x}!`;
});
engine.registerActivity('boom', () => {
  throw new RangeError('out of range');
});
for (const [name, fn] of Object.entries(golden)) engine.registerOrchestration(name, fn);
await engine.start();

const inputs: Record<string, unknown> = { chain: 0, 'continue-as-new': 0 };
for (const name of Object.keys(golden)) {
  if (name === 'child') continue;
  const file = new URL(`./${name}.json`, import.meta.url);
  if (existsSync(file) && !force) continue;
  const id = await engine.client.start(name, inputs[name], { instanceId: `golden-${name}` });
  if (name === 'events-and-timers') await engine.client.raiseEvent(id, 'early', { n: 1 });
  if (name === 'when-all-withdraws-waits') {
    await engine.client.waitForStart(id);
    // After the whenAll failed (TaskFailed of 'boom' in history): only then is 'x' raised.
    for (let i = 0; i < 200 && !(await engine.client.history(id)).some((e) => e.type === 'TaskFailed'); i++) await new Promise((r) => setTimeout(r, 10));
    await engine.client.raiseEvent(id, 'x', 'after');
  }
  if (name === 'suspend-resume') {
    await engine.client.waitForStart(id);
    await engine.client.suspend(id);
    await engine.client.raiseEvent(id, 'go', 'went');
    await new Promise((r) => setTimeout(r, 50));
    await engine.client.resume(id);
  }
  const r = await engine.client.waitForCompletion(id, { timeoutMs: 10_000 });
  const history = await engine.client.history(id);
  writeFileSync(file, `${JSON.stringify({ name, status: r.runtimeStatus, history }, null, 1)}\n`);
  process.stdout.write(`${name}: ${r.runtimeStatus}, ${history.length} events\n`);
}
await engine.stop();
