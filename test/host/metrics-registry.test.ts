// The metrics registry (issue 13): a scrape reads no stored instance (only the ready-work summary),
// instance counters follow committed turns per workflow, and CloudEvent routing is counted by outcome.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createApp, createEngine, createHost, openStore, type SwirlHost } from '../../src/index.js';
import { MAX_STATE_SERIES } from '../../src/host/metrics-registry.js';

const hosts: SwirlHost[] = [];
after(async () => {
  await Promise.all(hosts.map((h) => h.stop().catch(() => undefined)));
});

const ORDER = `
id: order
specVersion: '0.8'
events:
  - name: paid
    type: shop.paid
    source: /shop
    correlation: [{ contextAttributeName: orderid }]
states:
  - name: WaitPaid
    type: event
    onEvents: [{ eventRefs: [paid] }]
    end: true
`;

/** The value of one sample line, or undefined when the series is absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(series + ' '));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

test('a scrape reads no stored instance; instance and routing counters follow what this node did', async () => {
  const host = await createHost({ store: 'memory', engine: { pollIntervalMs: 20 } });
  hosts.push(host);
  await host.start();
  const app = createApp(host);
  const call = (method: string, path: string, body?: string, headers: Record<string, string> = {}) =>
    app.fetch(new Request(`http://swirl.test${path}`, { method, headers, ...(body !== undefined ? { body } : {}) }));
  assert.equal((await call('POST', '/api/v1/workflows', ORDER, { 'content-type': 'application/yaml' })).status, 201);
  // The input's orderid is the instance's correlation value.
  for (const id of ['o-1', 'o-2', 'o-3']) assert.equal((await call('POST', `/v1.0/workflows/dapr/order/start?instanceID=${id}`, JSON.stringify({ orderid: id }), { 'content-type': 'application/json' })).status, 202);
  for (const id of ['o-1', 'o-2', 'o-3']) await host.engine.client.waitForStart(id, { timeoutMs: 60_000 });
  await host.engine.client.terminate('o-3', { reason: 'cancelled' });
  const ce = (id: string, orderid: string) => JSON.stringify({ specversion: '1.0', id, source: '/shop', type: 'shop.paid', orderid });
  const ingest = (body: string) => call('POST', '/api/v1/events', body, { 'content-type': 'application/cloudevents+json' });
  assert.equal((await ingest(ce('e-1', 'o-1'))).status, 202);
  assert.equal((await ingest(ce('e-1', 'o-1'))).status, 202); // the same (source, id) again
  assert.equal((await ingest(JSON.stringify({ specversion: '1.0', id: 'e-2', source: '/elsewhere', type: 'other.thing' }))).status, 404); // reaches nothing: refused (ERR_EVENT_NOT_DELIVERED), still routed as unmatched
  assert.equal((await host.engine.client.waitForCompletion('o-1', { timeoutMs: 60_000 })).runtimeStatus, 'COMPLETED');
  await host.engine.client.waitForCompletion('o-3', { timeoutMs: 60_000 });

  const scrape = async () => (await call('GET', '/metrics')).text();
  const first = await scrape();
  const queries = (t: string) => sample(t, 'swirl_store_operation_seconds_count{operation="queryInstances"}') ?? 0;
  const gets = (t: string) => sample(t, 'swirl_store_operation_seconds_count{operation="getInstance"}') ?? 0;
  const second = await scrape();
  const third = await scrape();
  // Scrapes between them made no instance reads at all (the old page listed every instance per status).
  assert.equal(queries(third), queries(first));
  assert.equal(gets(third), gets(first));
  assert.equal(sample(third, 'swirl_store_operation_seconds_count{operation="queuedWork"}'), (sample(second, 'swirl_store_operation_seconds_count{operation="queuedWork"}') ?? 0) + 1, 'one ready-work read per scrape');

  assert.equal(sample(third, 'swirl_instances_started_total{workflow="order"}'), 3);
  assert.equal(sample(third, 'swirl_instances_completed_total{workflow="order"}'), 1);
  assert.equal(sample(third, 'swirl_instances_terminated_total{workflow="order"}'), 1);
  assert.equal(sample(third, 'swirl_instances_failed_total{workflow="order"}'), undefined);
  assert.equal(sample(third, 'swirl_cloudevents_routed_total{outcome="delivered"}'), 1);
  assert.equal(sample(third, 'swirl_cloudevents_routed_total{outcome="duplicate"}'), 1);
  assert.equal(sample(third, 'swirl_cloudevents_routed_total{outcome="unmatched"}'), 1);
  // The refused event was not accepted: it is counted as dropped, with its reason.
  assert.equal(sample(third, 'swirl_cloudevents_received_total'), 1);
  assert.equal(sample(third, 'swirl_events_dropped_total{reason="no-workflow"}'), 1);
  assert.equal(sample(third, 'swirl_instance_leases'), 0);
  assert.equal(sample(third, 'swirl_leases_lost_total'), 0);
  assert.match(third, /^# TYPE swirl_queue_lag_seconds gauge$/m);
  // Every store operation made has its error counter, at 0 when none failed (a rate() exists at once).
  const operations = [...third.matchAll(/^swirl_store_operation_seconds_count\{operation="([^"]+)"\}/gm)].map((m) => m[1]!);
  assert.ok(operations.includes('commitTurn') && operations.includes('getInstance'), operations.join(', '));
  for (const op of operations) assert.equal(sample(third, `swirl_store_operation_errors_total{operation="${op}"}`), 0, op);
});

const PAUSE = `
id: pause
specVersion: '0.8'
start: Prepare
states:
  - name: Prepare
    type: inject
    data: { x: 1 }
    transition: Nap
  - name: Nap
    type: sleep
    duration: PT0.3S
    transition: Fail
  - name: Fail
    type: operation
    actions: [{ name: broken, functionRef: { refName: nowhere } }]
    end: true
functions:
  - name: nowhere
    type: custom
    operation: invoke:missing-app/x
`;

test('state durations: swirl_state_seconds by workflow, state and outcome, with a bounded number of series', async () => {
  const host = await createHost({ store: 'memory', engine: { pollIntervalMs: 20 } });
  hosts.push(host);
  await host.start();
  const app = createApp(host);
  const call = (method: string, path: string, body?: string, headers: Record<string, string> = {}) =>
    app.fetch(new Request(`http://swirl.test${path}`, { method, headers, ...(body !== undefined ? { body } : {}) }));
  assert.equal((await call('POST', '/api/v1/workflows', PAUSE, { 'content-type': 'application/yaml' })).status, 201);
  assert.equal((await call('POST', '/v1.0/workflows/dapr/pause/start?instanceID=p-1', '{}', { 'content-type': 'application/json' })).status, 202);
  assert.equal((await host.engine.client.waitForCompletion('p-1', { timeoutMs: 60_000 })).runtimeStatus, 'FAILED');
  const text = await (await call('GET', '/metrics')).text();
  assert.match(text, /^# TYPE swirl_state_seconds histogram$/m);
  assert.equal(sample(text, 'swirl_state_seconds_count{workflow="pause",state="Prepare",outcome="ok"}'), 1);
  assert.equal(sample(text, 'swirl_state_seconds_count{workflow="pause",state="Nap",outcome="ok"}'), 1);
  assert.equal(sample(text, 'swirl_state_seconds_count{workflow="pause",state="Fail",outcome="error"}'), 1);
  // The sleep state lasted its 0.3 s (history time: entered in one turn, left in the timer's).
  assert.ok((sample(text, 'swirl_state_seconds_sum{workflow="pause",state="Nap",outcome="ok"}') ?? 0) >= 0.3);
  assert.equal(sample(text, 'swirl_state_seconds_bucket{le="0.1",workflow="pause",state="Nap",outcome="ok"}'), 0);

  // Cardinality: past MAX_STATE_SERIES pairs, new states of a known workflow count as _other.
  const step = (workflow: string, state: string) =>
    host.prometheus.step({ kind: 'state', name: `state ${state}`, traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), parentRemote: false, sampled: true, startMs: 0, endMs: 1000, outcome: 'ok', workflow, instanceId: 'x', state, attributes: {} });
  for (let i = 0; i < MAX_STATE_SERIES; i++) step('many', `S${i}`);
  step('many', 'OneTooMany');
  step('unknown', 'Any');
  const after = await (await call('GET', '/metrics')).text();
  assert.equal(sample(after, 'swirl_state_seconds_count{workflow="many",state="OneTooMany",outcome="ok"}'), undefined);
  // The budget held pause's 3 pairs already: the last 3 S-states and OneTooMany went over it.
  assert.equal(sample(after, 'swirl_state_seconds_count{workflow="many",state="_other",outcome="ok"}'), 4);
  assert.equal(sample(after, `swirl_state_seconds_count{workflow="many",state="S${MAX_STATE_SERIES - 4}",outcome="ok"}`), 1);
  assert.equal(sample(after, 'swirl_state_seconds_count{workflow="_other",state="_other",outcome="ok"}'), 1);
  assert.equal(sample(after, 'swirl_state_seconds_count{workflow="pause",state="Nap",outcome="ok"}'), 1, 'known series keep counting');
});

test('leases and queue lag: a running activity holds a task lease until it is done; ready work nobody serves shows its depth and lag', async () => {
  const store = await openStore('memory');
  const host = await createHost({ store, engine: { pollIntervalMs: 20 } });
  hosts.push(host);
  let running = false;
  let release!: () => void;
  const gate = new Promise<string>((r) => (release = () => r('open')));
  host.engine.registerActivity('gate', () => {
    running = true;
    return gate;
  });
  host.engine.registerOrchestration('hold', function* (ctx) {
    return yield ctx.callActivity('gate');
  });
  await host.start();
  const app = createApp(host);
  const scrape = async () => (await app.fetch(new Request('http://swirl.test/metrics'))).text();
  const id = await host.engine.client.start('hold');
  // Another (not running) node's client starts an instance only it serves: it stays ready here.
  const other = await createEngine({ store });
  other.registerOrchestration('elsewhere', () => 'done elsewhere');
  await other.client.start('elsewhere');
  const deadline = Date.now() + 30_000;
  let text = await scrape();
  while (!running || sample(text, 'swirl_task_leases') !== 1 || !((sample(text, 'swirl_queue_lag_seconds{kind="orchestration",name="elsewhere"}') ?? 0) > 0)) {
    assert.ok(Date.now() < deadline, `the gate activity running, one task lease, a lag for 'elsewhere':\n${text.split('\n').filter((l) => /leases|queue/.test(l)).join('\n')}`);
    await new Promise((r) => setTimeout(r, 20));
    text = await scrape();
  }
  assert.equal(sample(text, 'swirl_task_leases'), 1, 'the gate activity is running on this node');
  assert.equal(sample(text, 'swirl_queued_work{kind="orchestration",name="elsewhere"}'), 1);
  assert.equal(sample(text, 'swirl_unserved_work{kind="orchestration",name="elsewhere"}'), 1);
  assert.equal(sample(text, 'swirl_queued_work{kind="orchestration",name="hold"}'), undefined, 'the waiting instance is not ready work');
  release();
  assert.equal((await host.engine.client.waitForCompletion(id, { timeoutMs: 60_000 })).output, 'open');
  // The worker lets go of the task after its result is committed (which may already have ended the instance).
  let after = await scrape();
  while (sample(after, 'swirl_task_leases') !== 0 || sample(after, 'swirl_instance_leases') !== 0) {
    assert.ok(Date.now() < deadline + 30_000, `no lease left once the instance completed:\n${after.split('\n').filter((l) => /leases/.test(l)).join('\n')}`);
    await new Promise((r) => setTimeout(r, 20));
    after = await scrape();
  }
});
