/**
 * Swirl's internal instances — the held-event mailboxes `swirl.mailbox:<target>` — do not exist
 * for the public APIs (issue 18), against a real `swirl serve`: a held event's mailbox cannot be
 * read, raised on, suspended, terminated, purged, re-run or shown as a timeline (each route answers
 * as for an id that does not exist), cannot be started by id or by name, is not listed (nor found by
 * an id prefix), not counted by name nor in the per-workflow metrics — over HTTP and over the gRPC
 * port alike; the events it holds still reach the
 * instance when it starts.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import { rawClient } from '../grpc/raw-client.js';
import { freePort } from './free-port.js';
import { startServe, type Server } from './serve-child.js';

const started: ChildProcess[] = [];
let dir: string;
let s: Server;
let grpcPort: number;

const WARD = `
id: ward
specVersion: '0.8'
events:
  - { name: Admitted, type: ward.admitted, source: /desk, correlation: [{ contextAttributeName: patientid }] }
  - { name: Reading, type: ward.reading, source: /sensor, correlation: [{ contextAttributeName: patientid }] }
states:
  - { name: Admit, type: event, onEvents: [{ eventRefs: [Admitted] }], transition: Watch }
  - name: Watch
    type: event
    onEvents: [{ eventRefs: [Reading], eventDataFilter: { toStateData: '\${ .reading }' } }]
    end: true
`;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'swirl-serve-internal-'));
  mkdirSync(join(dir, 'workflows'));
  writeFileSync(join(dir, 'workflows', 'ward.yaml'), WARD);
  grpcPort = await freePort();
  s = await startServe(dir, started, ['--grpc-port', String(grpcPort)]);
});
after(() => {
  for (const p of started) p.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

const call = (method: string, path: string, body?: unknown, contentType = 'application/json') =>
  fetch(s.base + path, { method, ...(body !== undefined ? { headers: { 'content-type': contentType }, body: JSON.stringify(body) } : {}) });
const event = (id: string, type: string, source: string, data: unknown) =>
  call('POST', '/api/v1/events', { specversion: '1.0', id, type, source, patientid: 'p1', data }, 'application/cloudevents+json');

test('a held event\'s mailbox is invisible to the APIs, and its event still reaches the instance', async () => {
  const held = await event('r-1', 'ward.reading', '/sensor', { bpm: 61 });
  const body = (await held.json()) as { events: { kept: string[] }[] };
  assert.equal(held.status, 202);
  assert.equal(body.events[0].kept.length, 1, JSON.stringify(body));
  const mailbox = `swirl.mailbox:${body.events[0].kept[0]}`;
  const id = encodeURIComponent(mailbox);

  // Every by-id route answers for the mailbox exactly what it answers for an id that does not exist.
  const expectNotFound = async (method: string, path: string, payload?: unknown) => {
    const r = await call(method, path, payload);
    const b = (await r.json()) as { errorCode: string };
    const u = await call(method, path.replace(id, 'no-such-instance'), payload);
    const ub = (await u.json()) as { errorCode: string };
    assert.ok(r.status >= 400 && r.status !== 409, `${method} ${path}: ${r.status} ${JSON.stringify(b)}`);
    assert.deepEqual([r.status, b.errorCode], [u.status, ub.errorCode], `${method} ${path}: ${JSON.stringify(b)}`);
  };
  await expectNotFound('GET', `/api/v1/instances/${id}`);
  await expectNotFound('GET', `/api/v1/instances/${id}/history`);
  await expectNotFound('GET', `/v1.0/workflows/dapr/${id}`);
  await expectNotFound('POST', `/v1.0/workflows/dapr/${id}/raiseEvent/swirl.mailbox`, { op: 'release' });
  await expectNotFound('POST', `/v1.0/workflows/dapr/${id}/pause`);
  await expectNotFound('POST', `/v1.0/workflows/dapr/${id}/resume`);
  await expectNotFound('POST', `/v1.0/workflows/dapr/${id}/terminate`);
  await expectNotFound('POST', `/v1.0/workflows/dapr/${id}/purge`);
  await expectNotFound('GET', `/api/v1/instances/${id}/timeline`);
  await expectNotFound('POST', `/api/v1/instances/${id}/rerun`, { fromState: 'Run' });

  const byId = await call('POST', `/v1.0/workflows/dapr/ward/start?instanceID=${encodeURIComponent('swirl.mailbox:x')}`, {});
  assert.equal(byId.status, 400);
  assert.equal(((await byId.json()) as { errorCode: string }).errorCode, 'ERR_INSTANCE_ID_INVALID');
  const byName = await call('POST', '/v1.0/workflows/dapr/swirl.mailbox/start?instanceID=m-1', { target: 'x' });
  const unknown = await call('POST', '/v1.0/workflows/dapr/no-such-workflow/start?instanceID=m-2', {});
  assert.deepEqual([byName.status, ((await byName.json()) as { errorCode: string }).errorCode], [unknown.status, ((await unknown.json()) as { errorCode: string }).errorCode], 'the internal workflow is as unknown as one never registered');
  assert.equal((await call('GET', '/api/v1/instances/m-1')).status, 404, 'nothing was started');

  const list = (await (await call('GET', '/api/v1/instances')).json()) as { instances: { instanceID: string }[] };
  assert.deepEqual(list.instances.filter((i) => i.instanceID.startsWith('swirl.')), []);
  // Nor found by an id prefix, nor counted by name, nor shown as a workflow.
  const byPrefix = (await (await call('GET', '/api/v1/instances?idPrefix=swirl.')).json()) as { instances: unknown[] };
  assert.deepEqual(byPrefix.instances, []);
  const counts = (await (await call('GET', '/api/v1/workflows/swirl.mailbox/counts')).json()) as { total: number };
  assert.equal(counts.total, 0);
  const workflows = (await (await call('GET', '/api/v1/workflows')).json()) as { workflows: { id: string }[] };
  assert.deepEqual(workflows.workflows.map((w) => w.id), ['ward']);
  assert.equal((await call('GET', '/api/v1/workflows/swirl.mailbox')).status, 404);
  const metrics = await (await call('GET', '/metrics')).text();
  assert.doesNotMatch(metrics, /workflow="swirl\.mailbox"/);

  // The gRPC port (durabletask's TaskHubSidecarService) answers by id as for an unknown id.
  const raw = rawClient(grpcPort);
  try {
    const failure = (p: Promise<unknown>) => p.then((r) => ({ ok: r }), (e: { code: number }) => ({ code: e.code }));
    assert.deepEqual(await raw.call('GetInstance', { instanceId: mailbox }), await raw.call('GetInstance', { instanceId: 'no-such-instance' }));
    for (const rpc of ['TerminateInstance', 'SuspendInstance', 'ResumeInstance', 'PurgeInstances']) {
      const got = await failure(raw.call(rpc, { instanceId: mailbox, recursive: true }));
      assert.deepEqual(got, await failure(raw.call(rpc, { instanceId: 'no-such-instance', recursive: true })), rpc);
    }
    const queried = await raw.call('QueryInstances', { query: { maxInstanceCount: 100, instanceIdPrefix: { value: 'swirl.' } } });
    assert.deepEqual(queried.orchestrationState ?? [], []);
    const all = await raw.call('QueryInstances', { query: { maxInstanceCount: 100 } });
    assert.deepEqual((all.orchestrationState ?? []).filter((o: { instanceId: string }) => o.instanceId.startsWith('swirl.')), []);
    // (An unknown name is accepted there — a worker elsewhere may serve it — the internal one is not.)
    assert.deepEqual(await failure(raw.call('StartInstance', { name: 'swirl.mailbox', instanceId: 'g-1', input: { value: '{}' } })), { code: status.NOT_FOUND });
    assert.deepEqual(await raw.call('GetInstance', { instanceId: 'g-1' }), { exists: false }, 'nothing was started');
  } finally {
    raw.close();
  }

  // The mailbox survived every attempt: admitting the patient hands the held reading over.
  const admitted = await event('a-1', 'ward.admitted', '/desk', {});
  const started = ((await admitted.json()) as { events: { started: string[] }[] }).events[0].started;
  assert.equal(started.length, 1);
  for (let i = 0; i < 100; i++) {
    const d = (await (await call('GET', `/api/v1/instances/${encodeURIComponent(started[0])}`)).json()) as { runtimeStatus: string; output?: unknown };
    if (d.runtimeStatus === 'COMPLETED') {
      assert.deepEqual(d.output, { reading: { bpm: 61 } });
      return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail('the admitted instance did not complete with the held reading');
});
