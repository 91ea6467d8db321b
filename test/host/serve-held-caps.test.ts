/**
 * One sender cannot starve the rest (issue 18), against a real `swirl serve`: early events are
 * held per CloudEvent source and per target instance within caps (`--max-held-events-per-source`,
 * `--max-held-events-per-target`); a source that filled its share gets 429 ERR_EVENT_BACKLOG_FULL
 * naming the cap, while another source's events are still held; a released hold frees the share.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServe, type Server } from './serve-child.js';

const started: ChildProcess[] = [];
let dir: string;
let s: Server;

// A start event state (admission) binds the instance to `patientid`; readings from any source
// that arrive before the admission are held for it.
const WARD = `
id: ward
specVersion: '0.8'
events:
  - { name: Admitted, type: ward.admitted, source: /desk, correlation: [{ contextAttributeName: patientid }] }
  - { name: ReadingA, type: ward.reading, source: /sensor-a, correlation: [{ contextAttributeName: patientid }] }
  - { name: ReadingB, type: ward.reading, source: /sensor-b, correlation: [{ contextAttributeName: patientid }] }
  - { name: ReadingC, type: ward.reading, source: /sensor-c, correlation: [{ contextAttributeName: patientid }] }
  - { name: ReadingD, type: ward.reading, source: /sensor-d, correlation: [{ contextAttributeName: patientid }] }
  - { name: ReadingE, type: ward.reading, source: /sensor-e, correlation: [{ contextAttributeName: patientid }] }
states:
  - { name: Admit, type: event, onEvents: [{ eventRefs: [Admitted] }], transition: Watch }
  - { name: Watch, type: event, onEvents: [{ eventRefs: [ReadingA, ReadingB, ReadingC, ReadingD, ReadingE] }], end: true }
`;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'swirl-serve-held-caps-'));
  mkdirSync(join(dir, 'workflows'));
  writeFileSync(join(dir, 'workflows', 'ward.yaml'), WARD);
  s = await startServe(dir, started, ['--max-held-events-per-source', '2', '--max-held-events-per-target', '3']);
});
after(() => {
  for (const p of started) p.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

let n = 0;
const reading = (source: string, patient: string) => ({ specversion: '1.0', id: `r-${++n}`, source, type: 'ward.reading', patientid: patient, data: { n } });
async function post(e: unknown): Promise<{ status: number; body: { errorCode?: string; message?: string; cap?: string; events?: { kept: string[]; started: string[] }[] } }> {
  const r = await fetch(`${s.base}/api/v1/events`, { method: 'POST', headers: { 'content-type': 'application/cloudevents+json' }, body: JSON.stringify(e) });
  return { status: r.status, body: (await r.json()) as { errorCode?: string; message?: string; cap?: string; events?: { kept: string[]; started: string[] }[] } };
}

test('source A fills its cap and gets 429 naming it; source B is still held; per-target cap likewise', async () => {
  for (const p of ['p1', 'p2']) {
    const r = await post(reading('/sensor-a', p));
    assert.equal(r.status, 202, JSON.stringify(r.body) + s.stderr());
    assert.equal(r.body.events![0].kept.length, 1);
  }
  const overA = await post(reading('/sensor-a', 'p3'));
  assert.equal(overA.status, 429);
  assert.equal(overA.body.errorCode, 'ERR_EVENT_BACKLOG_FULL');
  assert.equal(overA.body.cap, 'max-held-events-per-source');
  assert.match(overA.body.message!, /from '\/sensor-a' is not accepted: 2 events from this source already wait .*\(--max-held-events-per-source 2\); retry later/);

  const fromB = await post(reading('/sensor-b', 'p3'));
  assert.equal(fromB.status, 202, 'another sender is not starved by A');
  assert.equal(fromB.body.events![0].kept.length, 1);

  // p3 gets its per-target share from several sources, then no more.
  assert.equal((await post(reading('/sensor-c', 'p3'))).status, 202);
  assert.equal((await post(reading('/sensor-d', 'p3'))).status, 202);
  const overTarget = await post(reading('/sensor-e', 'p3'));
  assert.equal(overTarget.status, 429);
  assert.equal(overTarget.body.cap, 'max-held-events-per-target');
  assert.match(overTarget.body.message!, /3 events already wait for instance 'ward-[0-9a-f]+', which does not exist yet \(--max-held-events-per-target 3\)/);

  const metrics = await (await fetch(`${s.base}/metrics`)).text();
  assert.match(metrics, /^swirl_events_dropped_total\{reason="held-backlog-full"\} 2$/m);
  assert.match(s.stderr(), /dropped \(held-backlog-full\): event '.*' from '\/sensor-a' is not accepted/);

  // p1 is admitted: A's event for it is handed over, and A may hold one more.
  const admit = await post({ specversion: '1.0', id: 'admit-p1', source: '/desk', type: 'ward.admitted', patientid: 'p1', data: {} });
  assert.equal(admit.body.events![0].started.length, 1);
  const again = await post(reading('/sensor-a', 'p4'));
  assert.equal(again.status, 202);
  assert.equal(again.body.events![0].kept.length, 1);
});
