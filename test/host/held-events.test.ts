/**
 * CloudEvents held for instances that do not exist yet (host/event-mailbox), in process on the
 * memory store: a redelivered event is held once, a held event expires after its time-to-live
 * (dropped with a warning, never delivered late), and a batch that overflows the backlog is a 429
 * naming the limit while the events before the overflow stay held.
 */
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createApp, createHost, correlatedInstanceId, type App, type Logger, type SwirlHost } from '../../src/index.js';

const PATIENT = readFileSync(new URL('./fixtures/patient.yaml', import.meta.url), 'utf8');

const TTL_MS = 300;
let host: SwirlHost;
let app: App;
const warnings: string[] = [];

const vitals = (patient: string, id = `v-${patient}`) => ({ specversion: '1.0', id, source: '/monitor', type: 'hospital.vitals', patientid: patient, data: { vitals: { pulse: 80 } } });
const admitted = (patient: string) => ({ specversion: '1.0', id: `a-${patient}`, source: '/ward', type: 'hospital.admitted', patientid: patient, data: { admission: { bed: 1 } } });
const post = (body: unknown, type = 'application/cloudevents+json') =>
  app.fetch(new Request('http://swirl.test/api/v1/events', { method: 'POST', headers: { 'content-type': type }, body: JSON.stringify(body) }));
const target = (patient: string) => correlatedInstanceId('patient', [['patientid', patient]], vitals(patient));

before(async () => {
  const logger: Logger = { debug: () => undefined, info: () => undefined, warn: (m) => warnings.push(m), error: () => undefined };
  host = await createHost({ store: 'memory', logger, engine: { pollIntervalMs: 20 }, heldEvents: { maxHeldEvents: 3, heldEventTtlMs: TTL_MS } });
  await host.start();
  app = createApp(host);
  assert.equal((await app.fetch(new Request('http://swirl.test/api/v1/workflows', { method: 'POST', body: PATIENT }))).status, 201);
});
after(() => host.stop());

test('a redelivered early event is held once', async () => {
  assert.equal((await post(vitals('d1'))).status, 202);
  assert.equal((await post(vitals('d1'))).status, 202);
  assert.equal(host.events.mailboxes.held, 1);
  await post(admitted('d1'));
  const done = await host.engine.client.waitForCompletion(target('d1'), { timeoutMs: 5000 });
  assert.deepEqual(done.output, { admission: { bed: 1 }, vitals: { pulse: 80 } });
  assert.equal(host.events.mailboxes.held, 0);
});

test('a held event expires after its time-to-live and is not delivered late', async () => {
  assert.equal((await post(vitals('e1'))).status, 202);
  await new Promise((r) => setTimeout(r, TTL_MS + 50));
  assert.equal(await host.events.expire(), 1);
  assert.equal(host.events.mailboxes.held, 0);
  assert.ok(warnings.some((w) => /dropped 1 held event\(s\) for 'patient-[0-9a-f]+': the instance did not start within 300 ms/.test(w)), warnings.join('\n'));
  // Counted by its reason in /metrics, as every dropped event is.
  const metrics = await (await app.fetch(new Request('http://swirl.test/metrics'))).text();
  assert.match(metrics, /^swirl_events_dropped_total\{reason="held-expired"\} 1$/m);
  await post(admitted('e1'));
  // Admitted, then waiting for vitals that never come: the expired one was not handed over.
  const id = target('e1');
  for (let i = 0; i < 100; i++) {
    const h = await host.engine.client.history(id).catch(() => []);
    if (h.some((e) => e.type === 'EventRaised' && e.name === 'Admitted')) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  await new Promise((r) => setTimeout(r, 200));
  assert.equal((await host.engine.client.get(id))!.runtimeStatus, 'RUNNING');
  assert.ok(!(await host.engine.client.history(id)).some((e) => e.type === 'EventRaised' && e.name === 'Vitals'));
});

test('a batch over the backlog limit is a 429; the events before the overflow stay held', async () => {
  const batch = ['b1', 'b2', 'b3', 'b4'].map((p) => vitals(p));
  const res = await post(batch, 'application/cloudevents-batch+json');
  assert.equal(res.status, 429);
  const body = (await res.json()) as { errorCode: string; message: string; cap: string };
  assert.equal(body.errorCode, 'ERR_EVENT_BACKLOG_FULL');
  assert.equal(body.cap, 'max-held-events');
  assert.match(body.message, /event 'v-b4' from '\/monitor' is not accepted: 3 events already wait .*\(--max-held-events 3\)/);
  assert.equal(host.events.mailboxes.held, 3);
  await post(admitted('b2'));
  const done = await host.engine.client.waitForCompletion(target('b2'), { timeoutMs: 5000 });
  assert.deepEqual(done.output, { admission: { bed: 1 }, vitals: { pulse: 80 } });
});
