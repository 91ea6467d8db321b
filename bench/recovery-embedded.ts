/**
 * @module bench/recovery-embedded
 * The embedded-engine process of bench/recovery.ts: an engine on the SQLite file argv[2]
 * (default options, a stable workerId so that a restart takes its leases back), the recovery mix
 * as code (`recover`: a 1 s timer then call 3, or calls 1, 2, 3 — each call an activity POSTing to
 * the counting app on port argv[3]). `start <total>`: prints `ready` once started, starts the
 * instances, prints `started`. `resume <total>`: prints `ready`, then `done` once every instance
 * is COMPLETED (counts by status every 50 ms), then one JSON line with the problems found in
 * their outputs, and exits.
 */

import { request } from 'undici';
import { createEngine } from '../src/engine/engine.js';
import { kindOf, stepsOf, type Kind } from './recovery-workload.js';

const [dbPath, appPort, mode, totalArg] = process.argv.slice(2);
const total = Number(totalArg);
const engine = await createEngine({ store: `sqlite:${dbPath}`, workerId: 'recovery-embedded' });
engine.registerActivity('work', async (x: { k: number; kind: Kind; step: number }) => {
  const res = await request(`http://127.0.0.1:${appPort}/work`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(x) });
  return ((await res.body.json()) as Record<string, number>)[`s${x.step}`];
});
engine.registerOrchestration('recover', function* (ctx, input: { k: number; kind: Kind }) {
  const out: Record<string, unknown> = { k: input.k };
  if (input.kind === 'sleep') yield ctx.createTimer(1000);
  for (const step of stepsOf(input.kind)) out[`s${step}`] = yield ctx.callActivity('work', { ...input, step });
  return out;
});
await engine.start();
console.log('ready');

if (mode === 'start') {
  for (let i = 0; i < total; i += 200) {
    await Promise.all(Array.from({ length: Math.min(200, total - i) }, (_, j) => engine.client.start('recover', { k: i + j, kind: kindOf(i + j, total) }, { instanceId: `rec-${i + j}` })));
  }
  console.log('started');
} else {
  for (;;) {
    const counts = await engine.store.countInstances({ name: 'recover' });
    if (counts.find((c) => c.status === 'COMPLETED')?.count === total) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  console.log('done');
  const problems: string[] = [];
  for (let i = 0; i < total; i++) {
    const m = await engine.client.get(`rec-${i}`);
    const out = m?.output as Record<string, unknown> | undefined;
    if (m?.runtimeStatus !== 'COMPLETED' || out?.k !== i || stepsOf(kindOf(i, total)).some((s) => out[`s${s}`] === undefined)) problems.push(`rec-${i}: ${m?.runtimeStatus} ${JSON.stringify(out)}`);
  }
  console.log(JSON.stringify(problems));
  await engine.stop();
  process.exit(0);
}
