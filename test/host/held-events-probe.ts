/**
 * Probe of held CloudEvents on SQLite (not a test; numbers go to the report): N early events for
 * N patients not admitted yet (each held in a durable mailbox), a host restart (time to start and
 * recover the mailboxes), then N admissions and the time until all N instances completed with
 * their held event. Compare with N events delivered to instances that already wait.
 *   npx tsx test/host/held-events-probe.ts [N=300]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp, createHost, correlatedInstanceId, type App } from '../../src/index.js';

const N = Number(process.argv[2] ?? 300);
const PATIENT = `
id: patient
specVersion: '0.8'
events:
  - { name: Admitted, type: hospital.admitted, source: /ward, correlation: [{ contextAttributeName: patientid }] }
  - { name: Vitals, type: hospital.vitals, source: /monitor, correlation: [{ contextAttributeName: patientid }] }
states:
  - name: Admit
    type: event
    onEvents: [{ eventRefs: [Admitted] }]
    transition: Watch
  - name: Watch
    type: event
    onEvents: [{ eventRefs: [Vitals] }]
    end: true
`;
const dir = mkdtempSync(join(tmpdir(), 'swirl-held-probe-'));
const store = `sqlite:${join(dir, 'probe.db')}` as const;
const ev = (type: string, source: string, p: string) => ({ specversion: '1.0', id: `${type}-${p}`, source, type, patientid: p, data: {} });
const post = (app: App, e: unknown) => app.fetch(new Request('http://probe/api/v1/events', { method: 'POST', headers: { 'content-type': 'application/cloudevents+json' }, body: JSON.stringify(e) }));
const ms = (t: bigint) => Number(process.hrtime.bigint() - t) / 1e6;

async function allDone(host: Awaited<ReturnType<typeof createHost>>, prefix: string): Promise<void> {
  for (let i = 0; i < N; i++) await host.engine.client.waitForCompletion(correlatedInstanceId('patient', [['patientid', `${prefix}${i}`]], ev('x', 'y', '')), { timeoutMs: 120_000 });
}

let host = await createHost({ store });
await host.start();
let app = createApp(host);
await app.fetch(new Request('http://probe/api/v1/workflows', { method: 'POST', body: PATIENT }));

let t = process.hrtime.bigint();
for (let i = 0; i < N; i++) await post(app, ev('hospital.vitals', '/monitor', `h${i}`));
const holdMs = ms(t);
await host.stop();

t = process.hrtime.bigint();
host = await createHost({ store });
await host.start();
const restartMs = ms(t);
app = createApp(host);
const recovered = host.events.mailboxes.held;
t = process.hrtime.bigint();
for (let i = 0; i < N; i++) await post(app, ev('hospital.admitted', '/ward', `h${i}`));
await allDone(host, 'h');
const heldPathMs = ms(t);

// Baseline: admitted first, then the event goes straight to the waiting instance.
for (let i = 0; i < N; i++) await post(app, ev('hospital.admitted', '/ward', `d${i}`));
t = process.hrtime.bigint();
for (let i = 0; i < N; i++) await post(app, ev('hospital.vitals', '/monitor', `d${i}`));
const directMs = ms(t);
await allDone(host, 'd');
await host.stop();
rmSync(dir, { recursive: true, force: true });

console.log(`N=${N} on SQLite
hold an early event (202):          ${(holdMs / N).toFixed(2)} ms/event
deliver an event to a waiting inst: ${(directMs / N).toFixed(2)} ms/event
restart (createHost + start) with ${recovered} held events recovered: ${restartMs.toFixed(0)} ms
admit N + all complete with their held event: ${heldPathMs.toFixed(0)} ms (${(heldPathMs / N).toFixed(2)} ms/instance)`);
