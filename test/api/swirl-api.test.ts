/**
 * Swirl's own API through the fetch app: workflow definitions (register, validate, list),
 * instances (list with filters and pages, detail, history, bulk purge), CloudEvents ingress in
 * structured, batch and binary modes with correlation, and the metrics page.
 */
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createApp, createHost, correlatedInstanceId, type App, type OrchestrationContext, type SwirlHost } from '../../src/index.js';

let host: SwirlHost;
let app: App;

const GREET = `
id: greet
version: '1.0'
specVersion: '0.8'
states:
  - name: Greet
    type: inject
    data: { greeting: Hello }
    stateDataFilter:
      output: '\${ {message: "\\(.greeting), \\(.name)!"} }'
    end: true
`;

// A start event state: each patient's admission starts an instance; vitals correlate by the
// `patientid` extension attribute.
const PATIENT = readFileSync(new URL('../host/fixtures/patient.yaml', import.meta.url), 'utf8');

// A start event state too, but instances are started over the API: the payment event reaches the
// one whose input has the same orderid instead of starting another.
const ORDER = `
id: await-payment
specVersion: '0.8'
events:
  - name: Paid
    type: shop.paid
    source: /psp
    correlation: [{ contextAttributeName: orderid }]
states:
  - name: Wait
    type: event
    onEvents:
      - eventRefs: [Paid]
        eventDataFilter: { data: '\${ .payment }', toStateData: '\${ .payment }' }
    end: true
`;

const req = (method: string, path: string, body?: string, headers: Record<string, string> = {}) =>
  app.fetch(new Request(`http://swirl.test${path}`, { method, headers, ...(body !== undefined ? { body } : {}) }));
const jsonOf = async (res: Response) => (await res.json()) as any;

/** Polls GET /api/v1/instances/{id} until its current state waits for an event (30 s at most). */
async function untilWaitingForEvent(id: string): Promise<void> {
  for (const deadline = Date.now() + 30_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 10))) {
    const res = await req('GET', `/api/v1/instances/${id}`);
    if (res.status !== 200) continue;
    const body = (await res.json()) as { currentStates?: { waitingFor?: { kind?: string } }[] };
    if (body.currentStates?.some((s) => s.waitingFor?.kind === 'event')) return;
  }
  throw new Error(`instance ${id} did not start waiting for an event within 30 s`);
}

before(async () => {
  host = await createHost({ store: 'memory', engine: { pollIntervalMs: 20 } });
  await host.start();
  app = createApp(host);
});
after(() => host.stop());

describe('workflow definitions', () => {
  test('register (201), list, get, and a second registration of the same text is idempotent', async () => {
    for (const text of [GREET, PATIENT, ORDER]) {
      const res = await req('POST', '/api/v1/workflows', text, { 'content-type': 'application/yaml' });
      assert.equal(res.status, 201, JSON.stringify(await res.clone().json()));
    }
    assert.equal((await req('POST', '/api/v1/workflows', GREET)).status, 201);
    const list = await jsonOf(await req('GET', '/api/v1/workflows'));
    assert.deepEqual(list.workflows.map((w: { id: string }) => w.id), ['await-payment', 'greet', 'patient']);
    assert.deepEqual(list.workflows.find((w: { id: string }) => w.id === 'patient').startEvents, ['Admitted']);
    const one = await jsonOf(await req('GET', '/api/v1/workflows/greet'));
    assert.equal(one.version, '1.0');
    assert.equal(one.definition.states[0].name, 'Greet');
  });

  test('finding 9: a changed definition under a registered id is its new current version; the earlier one is listed while registered', async () => {
    const before = (await jsonOf(await req('GET', '/api/v1/workflows'))).workflows.find((w: { id: string }) => w.id === 'greet');
    const res = await req('POST', '/api/v1/workflows', GREET.replace('Hello', 'Hi'));
    assert.equal(res.status, 201);
    const changed = (await jsonOf(res)).workflow;
    assert.notEqual(changed.hash, before.hash);
    const listed = (await jsonOf(await req('GET', '/api/v1/workflows'))).workflows.find((w: { id: string }) => w.id === 'greet');
    assert.equal(listed.hash, changed.hash);
    assert.deepEqual(listed.olderVersions, [{ hash: before.hash, version: '1.0', source: '<api>' }]);
    // Back to the first text (a rollback): current again, and the later tests see 'Hello'.
    assert.equal((await req('POST', '/api/v1/workflows', GREET)).status, 201);
    const back = (await jsonOf(await req('GET', '/api/v1/workflows'))).workflows.find((w: { id: string }) => w.id === 'greet');
    assert.equal(back.hash, before.hash);
    assert.deepEqual(back.olderVersions.map((v: { hash: string }) => v.hash), [changed.hash]);
  });

  test('an invalid definition is refused with the validator diagnostics', async () => {
    const bad = GREET.replace('id: greet', 'id: broken').replace('end: true', 'transition: Gret');
    const res = await req('POST', '/api/v1/workflows', bad);
    assert.equal(res.status, 400);
    const body = await jsonOf(res);
    assert.equal(body.errorCode, 'ERR_DEFINITION_INVALID');
    assert.equal(body.valid, false);
    const d = body.diagnostics.find((x: { severity: string }) => x.severity === 'error');
    assert.match(d.message, /Gret/);
    assert.equal(typeof d.line, 'number');
    assert.equal((await req('GET', '/api/v1/workflows/broken')).status, 404);
  });

  test('validate only', async () => {
    const ok = await jsonOf(await req('POST', '/api/v1/workflows/validate', GREET));
    assert.deepEqual(ok, { valid: true, diagnostics: [] });
    const bad = await jsonOf(await req('POST', '/api/v1/workflows/validate', 'id: x\nspecVersion: "0.8"\nstates: []\n'));
    assert.equal(bad.valid, false);
  });
});

describe('instances', () => {
  test('list with workflow/status filters and pages; detail; history', async () => {
    for (let i = 0; i < 5; i++) {
      const res = await req('POST', `/v1.0/workflows/dapr/greet/start?instanceID=greet-${i}`, JSON.stringify({ name: `n${i}` }), { 'content-type': 'application/json' });
      assert.equal(res.status, 202);
    }
    for (let i = 0; i < 5; i++) await host.engine.client.waitForCompletion(`greet-${i}`, { timeoutMs: 60_000 });
    const seen: string[] = [];
    let token: string | undefined;
    do {
      const page = await jsonOf(await req('GET', `/api/v1/instances?workflow=greet&status=COMPLETED&pageSize=2${token ? `&pageToken=${encodeURIComponent(token)}` : ''}`));
      assert.ok(page.instances.length <= 2);
      for (const m of page.instances) {
        assert.deepEqual(Object.keys(m).sort(), ['createdAt', 'instanceID', 'lastUpdatedAt', 'runtimeStatus', 'workflowName']);
        seen.push(m.instanceID);
      }
      token = page.nextPageToken;
    } while (token);
    assert.deepEqual(seen.sort(), ['greet-0', 'greet-1', 'greet-2', 'greet-3', 'greet-4']);
    const none = await jsonOf(await req('GET', '/api/v1/instances?workflow=greet&status=RUNNING'));
    assert.deepEqual(none.instances, []);
    const future = await jsonOf(await req('GET', `/api/v1/instances?workflow=greet&createdFrom=${new Date(Date.now() + 60_000).toISOString()}`));
    assert.deepEqual(future.instances, []);

    const detail = await jsonOf(await req('GET', '/api/v1/instances/greet-3'));
    assert.deepEqual(detail.output, { message: 'Hello, n3!' });
    const history = await jsonOf(await req('GET', '/api/v1/instances/greet-3/history'));
    const types = history.events.map((e: { type: string }) => e.type);
    assert.equal(types[0], 'OrchestratorStarted');
    assert.ok(types.includes('ExecutionStarted') && types.includes('ExecutionCompleted'), types.join(','));
  });

  test('bad filters are 400s', async () => {
    assert.equal((await jsonOf(await req('GET', '/api/v1/instances?status=DONE'))).errorCode, 'ERR_BAD_REQUEST');
    assert.equal((await req('GET', '/api/v1/instances?createdFrom=yesterday')).status, 400);
    assert.equal((await req('GET', '/api/v1/instances?pageSize=0')).status, 400);
    assert.equal((await req('GET', '/api/v1/instances/nobody/history')).status, 404);
    // A misspelt filter is refused, not ignored (which would list every instance).
    const typo = await req('GET', '/api/v1/instances?workflowName=greet');
    assert.equal(typo.status, 400);
    assert.deepEqual(await typo.json(), {
      errorCode: 'ERR_BAD_REQUEST',
      message: "unknown query parameter 'workflowName' (allowed: workflow, status, createdFrom, createdTo, idPrefix, order, pageSize, pageToken)",
    });
  });

  test('bulk purge by filter deletes finished instances only', async () => {
    await req('POST', '/v1.0/workflows/dapr/await-payment/start?instanceID=keep-running', '{"orderid":"o-keep"}');
    const res = await req('POST', '/api/v1/instances/purge', JSON.stringify({ workflow: 'greet', status: ['COMPLETED'] }));
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { deletedInstanceCount: 5 });
    assert.equal((await req('GET', '/api/v1/instances/greet-0')).status, 404);
    assert.equal((await req('GET', '/api/v1/instances/keep-running')).status, 200);
    const refused = await req('POST', '/api/v1/instances/purge', JSON.stringify({ status: 'RUNNING' }));
    assert.equal(refused.status, 400);
    await host.engine.client.terminate('keep-running');
  });

  test('bulk purge: an unknown filter key or an empty filter is a 400 and deletes nothing; "all": true purges every finished instance', async () => {
    await req('POST', '/v1.0/workflows/dapr/greet/start?instanceID=purge-guard', '{"name":"g"}');
    await host.engine.client.waitForCompletion('purge-guard', { timeoutMs: 60_000 });
    const typo = await req('POST', '/api/v1/instances/purge', JSON.stringify({ worklfow: 'greet' }));
    assert.equal(typo.status, 400);
    assert.deepEqual(await typo.json(), { errorCode: 'ERR_BAD_REQUEST', message: "unknown purge filter key 'worklfow' (allowed: workflow, status, createdFrom, createdTo, recursive, all)" });
    for (const body of ['', '{}', '{"recursive":true}']) {
      const empty = await req('POST', '/api/v1/instances/purge', body);
      assert.equal(empty.status, 400, body);
      assert.equal((await jsonOf(empty)).errorCode, 'ERR_PURGE_FILTER_EMPTY', body);
    }
    assert.equal((await jsonOf(await req('POST', '/api/v1/instances/purge', '{"status":[["COMPLETED"]]}'))).errorCode, 'ERR_BAD_REQUEST');
    assert.equal((await jsonOf(await req('POST', '/api/v1/instances/purge', '{"workflow":"greet","all":true}'))).errorCode, 'ERR_BAD_REQUEST');
    assert.equal((await req('GET', '/api/v1/instances/purge-guard')).status, 200, 'nothing was purged');
    const finished = (await jsonOf(await req('GET', '/api/v1/instances?status=COMPLETED,FAILED,TERMINATED&pageSize=1000'))).instances.length;
    assert.ok(finished >= 1);
    const all = await req('POST', '/api/v1/instances/purge', '{"all":true}');
    assert.equal(all.status, 200);
    assert.deepEqual(await all.json(), { deletedInstanceCount: finished });
    assert.equal((await req('GET', '/api/v1/instances/purge-guard')).status, 404);
  });
});

describe('CloudEvents ingress', () => {
  test('structured: a start event creates the correlated instance; binary: a later event reaches it', async () => {
    const admitted = { specversion: '1.0', id: 'adm-1', source: '/ward', type: 'hospital.admitted', patientid: 'p-7', data: { admission: { bed: 12 } } };
    const res = await req('POST', '/api/v1/events', JSON.stringify(admitted), { 'content-type': 'application/cloudevents+json' });
    assert.equal(res.status, 202);
    const out = await jsonOf(res);
    const id = correlatedInstanceId('patient', [['patientid', 'p-7']], admitted);
    assert.deepEqual(out.events[0].started, [id]);
    // The same admission again reaches the running instance instead of starting another.
    const again = await jsonOf(await req('POST', '/api/v1/events', JSON.stringify({ ...admitted, id: 'adm-2' }), { 'content-type': 'application/cloudevents+json' }));
    assert.deepEqual(again.events[0].started, []);
    const vitals = await req('POST', '/api/v1/events', JSON.stringify({ vitals: { pulse: 71 } }), {
      'content-type': 'application/json',
      'ce-specversion': '1.0',
      'ce-id': 'v-1',
      'ce-source': '/monitor',
      'ce-type': 'hospital.vitals',
      'ce-patientid': 'p-7',
    });
    assert.equal(vitals.status, 202);
    assert.deepEqual((await jsonOf(vitals)).events[0].delivered, [id]);
    const done = await host.engine.client.waitForCompletion(id, { timeoutMs: 60_000 });
    assert.equal(done.runtimeStatus, 'COMPLETED');
    assert.deepEqual(done.output, { admission: { bed: 12 }, vitals: { pulse: 71 } });
  });

  test('an event that arrives before its instance starts is kept for it', async () => {
    const vitals = { specversion: '1.0', id: 'v-early', source: '/monitor', type: 'hospital.vitals', patientid: 'p-8', data: { vitals: { pulse: 90 } } };
    const early = await jsonOf(await req('POST', '/api/v1/events', JSON.stringify(vitals), { 'content-type': 'application/cloudevents+json' }));
    const id = correlatedInstanceId('patient', [['patientid', 'p-8']], vitals);
    assert.deepEqual(early.events[0].kept, [id]);
    const admitted = { specversion: '1.0', id: 'adm-8', source: '/ward', type: 'hospital.admitted', patientid: 'p-8', data: { admission: { bed: 3 } } };
    await req('POST', '/api/v1/events', JSON.stringify(admitted), { 'content-type': 'application/cloudevents+json' });
    const done = await host.engine.client.waitForCompletion(id, { timeoutMs: 60_000 });
    assert.deepEqual(done.output, { admission: { bed: 3 }, vitals: { pulse: 90 } });
  });

  test('batch: events correlate with API-started instances by input field', async () => {
    await req('POST', '/v1.0/workflows/dapr/await-payment/start?instanceID=order-a', '{"orderid":"A"}');
    await req('POST', '/v1.0/workflows/dapr/await-payment/start?instanceID=order-b', '{"orderid":"B"}');
    // An API-started instance is found by its wait's correlation key once its first turn has
    // registered the wait (an event before that is not delivered to it).
    for (const id of ['order-a', 'order-b']) await untilWaitingForEvent(id);
    const batch = [
      { specversion: '1.0', id: 'pay-b', source: '/psp', type: 'shop.paid', orderid: 'B', data: { payment: { amount: 20 } } },
      { specversion: '1.0', id: 'pay-a', source: '/psp', type: 'shop.paid', orderid: 'A', data: { payment: { amount: 10 } } },
    ];
    const res = await req('POST', '/api/v1/events', JSON.stringify(batch), { 'content-type': 'application/cloudevents-batch+json' });
    assert.equal(res.status, 202);
    assert.deepEqual((await jsonOf(res)).events.map((e: { delivered: string[] }) => e.delivered), [['order-b'], ['order-a']]);
    assert.deepEqual((await host.engine.client.waitForCompletion('order-a', { timeoutMs: 60_000 })).output, { orderid: 'A', payment: { amount: 10 } });
    assert.deepEqual((await host.engine.client.waitForCompletion('order-b', { timeoutMs: 60_000 })).output, { orderid: 'B', payment: { amount: 20 } });
  });

  test('invalid CloudEvents are 400s that say what is wrong, and change nothing', async () => {
    const noType = await req('POST', '/api/v1/events', JSON.stringify({ specversion: '1.0', id: 'x', source: '/s' }), { 'content-type': 'application/cloudevents+json' });
    assert.equal(noType.status, 400);
    const body = await jsonOf(noType);
    assert.equal(body.errorCode, 'ERR_CLOUDEVENT_INVALID');
    assert.match(body.message, /type/);
    const plain = await jsonOf(await req('POST', '/api/v1/events', '{}', { 'content-type': 'application/json' }));
    assert.match(plain.message, /not a CloudEvent/);
    const notJson = await req('POST', '/api/v1/events', '{', { 'content-type': 'application/cloudevents+json' });
    assert.equal(notJson.status, 400);
    const badBatch = [{ specversion: '1.0', id: 'ok', source: '/s', type: 'shop.paid', orderid: 'Z' }, { specversion: '1.0', id: 'bad', source: '/s' }];
    const batch = await req('POST', '/api/v1/events', JSON.stringify(badBatch), { 'content-type': 'application/cloudevents-batch+json' });
    assert.equal(batch.status, 400);
    assert.equal((await jsonOf(batch)).errorCode, 'ERR_CLOUDEVENT_INVALID');
  });
});

describe('metrics', () => {
  test('Prometheus text with per-workflow instance counters, engine, jq, store, activity, routing and default process series', async () => {
    host.engine.registerActivity('probe', async (n: number) => n + 1);
    host.engine.registerOrchestration('probing', function* (ctx: OrchestrationContext): Generator<unknown, unknown, any> {
      return yield ctx.callActivity('probe', 1);
    });
    const id = await host.engine.client.start('probing');
    assert.equal((await host.engine.client.waitForCompletion(id, { timeoutMs: 60_000 })).output, 2);
    const res = await req('GET', '/metrics');
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type')!, /^text\/plain; version=0.0.4/);
    const text = await res.text();
    // Counted by this node as its turns commit (specs/observability.md), not by scanning the store.
    assert.match(text, /^swirl_instances_started_total\{workflow="probing"\} 1$/m);
    assert.match(text, /^swirl_instances_completed_total\{workflow="probing"\} 1$/m);
    assert.match(text, /^swirl_instances_completed_total\{workflow="greet"\} [1-9]\d*$/m);
    assert.match(text, /^swirl_instances_terminated_total\{workflow="await-payment"\} [1-9]\d*$/m);
    assert.match(text, /^swirl_cloudevents_routed_total\{outcome="delivered"\} [1-9]\d*$/m);
    assert.match(text, /^process_cpu_seconds_total \d/m);
    assert.match(text, /^nodejs_heap_size_used_bytes \d/m);
    assert.match(text, /^swirl_ready 1$/m);
    assert.match(text, /^swirl_turns_total [1-9]\d*$/m);
    assert.match(text, /^swirl_jq_fallback_evaluations_total \d+$/m);
    assert.match(text, /^swirl_store_operation_seconds_count\{operation="commitTurn"\} [1-9]\d*$/m);
    assert.match(text, /^swirl_cloudevents_received_total [1-9]\d*$/m);
    assert.match(text, /^swirl_held_events 0$/m);
    assert.match(text, /^swirl_activity_seconds_count\{activity="probe"\} 1$/m);
    assert.match(text, /^swirl_activity_seconds_bucket\{le="\+Inf",activity="probe"\} 1$/m);
  });
});
