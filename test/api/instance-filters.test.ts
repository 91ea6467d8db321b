/**
 * The list's id-prefix filter and order, and the counts route (specs/dashboard.md "Filters and
 * counts"): GET /api/v1/instances?idPrefix=&order= and GET /api/v1/workflows/{id}/counts, through
 * the fetch app on the memory store (the store side runs on every backend in test/store/contract.ts).
 * Swirl's own mailbox instances stay out of both.
 */
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createApp, createHost, type App, type SwirlHost } from '../../src/index.js';

const PATIENT = readFileSync(new URL('../host/fixtures/patient.yaml', import.meta.url), 'utf8');
const GREET = ['id: greet', "version: '1.0'", "specVersion: '0.8'", 'states:', '  - {name: Greet, type: inject, data: {greeting: Hello}, end: true}'].join('\n');

let host: SwirlHost;
let app: App;
const get = (path: string) => app.fetch(new Request(`http://swirl.test${path}`));
const jsonOf = async (res: Response) => (await res.json()) as any;
const ids = (body: { instances: { instanceID: string }[] }) => body.instances.map((i) => i.instanceID);

before(async () => {
  host = await createHost({ store: 'memory', engine: { pollIntervalMs: 20 } });
  await host.start();
  app = createApp(host);
  for (const text of [GREET, PATIENT]) assert.equal((await app.fetch(new Request('http://swirl.test/api/v1/workflows', { method: 'POST', body: text }))).status, 201);
  // 12 instances of greet, started one after the other (distinct creation times).
  for (let i = 0; i < 12; i++) {
    const id = `${i < 8 ? 'batch-a' : 'batch-b'}-${String(i).padStart(2, '0')}`;
    const res = await app.fetch(new Request('http://swirl.test/v1.0/workflows/dapr/greet/start?instanceID=' + id, { method: 'POST', body: '{}' }));
    assert.equal(res.status, 202, await res.text());
    await host.engine.client.waitForCompletion(id, { timeoutMs: 60_000 });
    await new Promise((r) => setTimeout(r, 2));
  }
  // An early event for a patient not admitted yet: held in a mailbox instance (swirl.mailbox:…).
  const vitals = { specversion: '1.0', id: 'v-1', source: '/monitor', type: 'hospital.vitals', patientid: 'p1', data: { vitals: { pulse: 80 } } };
  const res = await app.fetch(new Request('http://swirl.test/api/v1/events', { method: 'POST', headers: { 'content-type': 'application/cloudevents+json' }, body: JSON.stringify(vitals) }));
  assert.equal(res.status, 202);
});
after(() => host.stop());

describe('GET /api/v1/instances?idPrefix=&order=', () => {
  test('idPrefix finds the instances past the first page, and pages within the prefix', async () => {
    const first = await jsonOf(await get('/api/v1/instances?workflow=greet&pageSize=5'));
    assert.ok(ids(first).every((id) => id.startsWith('batch-a')), 'the first page holds none of batch-b');
    const b = await jsonOf(await get('/api/v1/instances?idPrefix=batch-b&pageSize=3'));
    assert.deepEqual(ids(b), ['batch-b-08', 'batch-b-09', 'batch-b-10']);
    const rest = await jsonOf(await get(`/api/v1/instances?idPrefix=batch-b&pageSize=3&pageToken=${b.nextPageToken}`));
    assert.deepEqual(ids(rest), ['batch-b-11']);
    assert.equal(rest.nextPageToken, undefined);
    assert.deepEqual(ids(await jsonOf(await get('/api/v1/instances?idPrefix=batch-a-0&workflow=greet&status=COMPLETED'))).length, 8);
    assert.deepEqual(ids(await jsonOf(await get('/api/v1/instances?idPrefix=Batch'))), [], 'the prefix is case-sensitive');
  });

  test('order=desc lists newest first and pages on; order=asc is the default', async () => {
    const desc = await jsonOf(await get('/api/v1/instances?workflow=greet&order=desc&pageSize=4'));
    assert.deepEqual(ids(desc), ['batch-b-11', 'batch-b-10', 'batch-b-09', 'batch-b-08']);
    const next = await jsonOf(await get(`/api/v1/instances?workflow=greet&order=desc&pageSize=4&pageToken=${desc.nextPageToken}`));
    assert.deepEqual(ids(next), ['batch-a-07', 'batch-a-06', 'batch-a-05', 'batch-a-04']);
    assert.deepEqual(ids(await jsonOf(await get('/api/v1/instances?workflow=greet&order=asc&pageSize=2'))), ['batch-a-00', 'batch-a-01']);
  });

  test('bad idPrefix or order is 400 ERR_BAD_REQUEST naming the parameter', async () => {
    for (const [q, word] of [
      ['idPrefix=a%20b', 'idPrefix'],
      [`idPrefix=${'x'.repeat(201)}`, 'idPrefix'],
      ['order=newest', 'order'],
    ] as const) {
      const res = await get(`/api/v1/instances?${q}`);
      assert.equal(res.status, 400, q);
      const body = await jsonOf(res);
      assert.equal(body.errorCode, 'ERR_BAD_REQUEST');
      assert.match(body.message, new RegExp(word));
      assert.ok(body.message.length < 200, 'a long value is shortened in the message');
    }
  });

  test("Swirl's mailbox instances are not listed, even by their prefix", async () => {
    assert.ok((await host.engine.client.list({ instanceIdPrefix: 'swirl.mailbox:' })).instances.length >= 1, 'the engine holds one');
    assert.deepEqual(ids(await jsonOf(await get('/api/v1/instances?idPrefix=swirl.'))), []);
  });
});

describe('GET /api/v1/workflows/{id}/counts', () => {
  test('counts every status of a workflow in one answer (zeros included), also by id prefix', async () => {
    const term = await app.fetch(new Request('http://swirl.test/v1.0/workflows/dapr/patient/start?instanceID=adm-1', { method: 'POST', body: '{}' }));
    assert.equal(term.status, 202);
    await app.fetch(new Request('http://swirl.test/v1.0/workflows/dapr/adm-1/terminate', { method: 'POST' }));
    await host.engine.client.waitForCompletion('adm-1', { timeoutMs: 60_000 });
    const greet = await jsonOf(await get('/api/v1/workflows/greet/counts'));
    assert.deepEqual(greet, { workflowName: 'greet', counts: { PENDING: 0, RUNNING: 0, SUSPENDED: 0, COMPLETED: 12, FAILED: 0, TERMINATED: 0, CONTINUED_AS_NEW: 0 }, total: 12 });
    const b = await jsonOf(await get('/api/v1/workflows/greet/counts?idPrefix=batch-b'));
    assert.equal(b.counts.COMPLETED, 4);
    assert.equal(b.total, 4);
    const patient = await jsonOf(await get('/api/v1/workflows/patient/counts'));
    assert.equal(patient.counts.TERMINATED, 1);
    assert.equal(patient.total, 1);
    const none = await jsonOf(await get('/api/v1/workflows/never-registered/counts'));
    assert.equal(none.total, 0);
  });

  test("Swirl's own workflows count nothing; a bad idPrefix is 400", async () => {
    assert.ok((await host.engine.client.count({ name: 'swirl.mailbox' })).length >= 1, 'the engine counts the mailbox');
    assert.equal((await jsonOf(await get('/api/v1/workflows/swirl.mailbox/counts'))).total, 0);
    const res = await get('/api/v1/workflows/greet/counts?idPrefix=%25');
    assert.equal(res.status, 400);
    assert.equal((await jsonOf(res)).errorCode, 'ERR_BAD_REQUEST');
  });
});
