// OpenTelemetry traces (issue 13): a span per instance, state and action with their ids as
// attributes; the start request's traceparent is the instance span's parent; the action's span
// reaches the called services as their traceparent; a replayed turn or a restart never emits a
// span twice. Asserted on the SDK's InMemorySpanExporter, against a real local HTTP service.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { SpanStatusCode } from '@opentelemetry/api';
import { createApp, createHost } from '../../src/index.js';
import { loadComponents } from '../../src/components/index.js';
import { startGrpcServer } from '../../src/grpc/index.js';
import { rawClient } from '../grpc/raw-client.js';

const dirs: string[] = [];
const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const CALLER_SPAN = '00f067aa0ba902b7';

/** A local service: records each request's path and headers; answers JSON. */
async function service(): Promise<{ base: string; seen: { path: string; headers: IncomingHttpHeaders }[] }> {
  const seen: { path: string; headers: IncomingHttpHeaders }[] = [];
  const server = createServer((req, res) => {
    seen.push({ path: req.url ?? '', headers: req.headers });
    req.resume();
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ ok: true }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(() => new Promise((r) => server.close(() => r())));
  return { base: `http://127.0.0.1:${(server.address() as { port: number }).port}`, seen };
}

function folder(files: Record<string, string>): string {
  const d = mkdtempSync(join(tmpdir(), 'swirl-tracing-'));
  dirs.push(d);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(d, name), text);
  return d;
}

const ORDER = `
id: order
specVersion: '0.8'
start: Prepare
functions:
  - name: charge
    type: custom
    operation: invoke:backend/charge
  - name: notify
    operation: openapi.json#notify
states:
  - name: Prepare
    type: inject
    data: { amount: 5 }
    transition: Charge
  - name: Charge
    type: operation
    actions:
      - name: callCharge
        functionRef: { refName: charge, arguments: { amount: '\${ .amount }' } }
      - name: callNotify
        functionRef: { refName: notify, arguments: { text: paid } }
    end: true
`;

const byName = (spans: ReadableSpan[], name: string) => {
  const found = spans.filter((s) => s.name === name);
  assert.equal(found.length, 1, `one span '${name}' (spans: ${spans.map((s) => s.name).join(', ')})`);
  return found[0]!;
};

test('the span tree of an instance: the start request is its parent; the action spans reach the services as traceparent', async () => {
  const svc = await service();
  const openapi = JSON.stringify({ openapi: '3.0.0', info: { title: 'n', version: '1' }, servers: [{ url: svc.base }], paths: { '/notify': { post: { operationId: 'notify', responses: { 200: { description: 'ok' } } } } } });
  const dir = folder({ 'order.yaml': ORDER, 'openapi.json': openapi });
  const exporter = new InMemorySpanExporter();
  const components = await loadComponents(undefined, { appId: 'shop', appIds: { backend: svc.base }, env: {} });
  const lines: { level: string; msg: string; meta: Record<string, unknown> }[] = [];
  const capture = (level: string) => (msg: string, meta?: Record<string, unknown>) => void lines.push({ level, msg, meta: meta ?? {} });
  const logger = { debug: capture('debug'), info: capture('info'), warn: capture('warn'), error: capture('error') };
  const host = await createHost({ store: 'memory', workflowsDir: dir, components, appId: 'shop', logger, engine: { pollIntervalMs: 20 }, tracing: { spanProcessors: [new SimpleSpanProcessor(exporter)] } });
  cleanups.push(() => host.stop());
  await host.start();
  const app = createApp(host);
  const res = await app.fetch(
    new Request('http://swirl.test/v1.0/workflows/dapr/order/start?instanceID=o-1', { method: 'POST', headers: { 'content-type': 'application/json', traceparent: `00-${TRACE_ID}-${CALLER_SPAN}-01` }, body: '{}' }),
  );
  assert.equal(res.status, 202);
  assert.equal((await host.engine.client.waitForCompletion('o-1', { timeoutMs: 60_000 })).runtimeStatus, 'COMPLETED');
  await host.tracer!.flush();
  const spans = exporter.getFinishedSpans();

  const root = byName(spans, 'workflow order');
  assert.equal(root.spanContext().traceId, TRACE_ID, 'the instance joins the caller trace');
  assert.equal(root.parentSpanContext?.spanId, CALLER_SPAN, "the caller's span is the instance span's parent");
  assert.deepEqual(
    { workflow: root.attributes['swirl.workflow.id'], instance: root.attributes['swirl.instance.id'], status: root.attributes['swirl.instance.status'] },
    { workflow: 'order', instance: 'o-1', status: 'COMPLETED' },
  );
  assert.equal(root.resource.attributes['service.name'], 'shop');
  const prepare = byName(spans, 'state Prepare');
  const charge = byName(spans, 'state Charge');
  for (const s of [prepare, charge]) {
    assert.equal(s.parentSpanContext?.spanId, root.spanContext().spanId, `${s.name} hangs under the instance`);
    assert.equal(s.spanContext().traceId, TRACE_ID);
    assert.equal(s.attributes['swirl.instance.id'], 'o-1');
    assert.equal(s.attributes['swirl.workflow.id'], 'order');
  }
  assert.equal(prepare.attributes['swirl.state.name'], 'Prepare');
  assert.equal(charge.attributes['swirl.state.type'], 'operation');
  const callCharge = byName(spans, 'action callCharge');
  const callNotify = byName(spans, 'action callNotify');
  for (const a of [callCharge, callNotify]) {
    assert.equal(a.parentSpanContext?.spanId, charge.spanContext().spanId, `${a.name} hangs under its state`);
    assert.equal(a.attributes['swirl.state.name'], 'Charge');
    assert.equal(a.attributes['swirl.action.attempt'], 1);
  }
  assert.equal(callCharge.attributes['swirl.function.name'], 'charge');
  assert.equal(spans.length, 5, spans.map((s) => s.name).join(', '));
  // The spans are ordered in time as the instance ran.
  assert.ok(root.startTime[0] * 1e3 + root.startTime[1] / 1e6 <= prepare.startTime[0] * 1e3 + prepare.startTime[1] / 1e6 + 1);

  // Propagation: each call carried its action span as traceparent (invoke: and rest/OpenAPI).
  const chargeCall = svc.seen.find((r) => r.path === '/charge');
  const notifyCall = svc.seen.find((r) => r.path === '/notify');
  assert.equal(chargeCall?.headers.traceparent, `00-${TRACE_ID}-${callCharge.spanContext().spanId}-01`);
  assert.equal(notifyCall?.headers.traceparent, `00-${TRACE_ID}-${callNotify.spanContext().spanId}-01`);

  // Logs: every line about the instance carries its trace id (and the state where there is one).
  const mine = lines.filter((l) => l.meta.instanceId === 'o-1');
  assert.ok(mine.some((l) => l.msg === "state 'Charge' (operation)" && l.meta.state === 'Charge'), mine.map((l) => l.msg).join('; '));
  assert.ok(mine.some((l) => l.msg === "instance 'o-1' completed"));
  for (const l of mine) assert.equal(l.meta.traceId, TRACE_ID, `trace id on '${l.msg}'`);
});

const WAIT = `
id: waiter
specVersion: '0.8'
start: Prepare
events:
  - name: go
    type: test.go
    source: /test
functions:
  - name: ping
    type: custom
    operation: invoke:backend/ping
states:
  - name: Prepare
    type: operation
    actions: [{ name: callPing, functionRef: { refName: ping } }]
    transition: Wait
  - name: Wait
    type: event
    onEvents: [{ eventRefs: [go] }]
    transition: Done
  - name: Done
    type: inject
    data: { done: true }
    end: true
`;

test('no span twice: every turn replayed from the store (no cache), then a restart on the same store', async () => {
  const svc = await service();
  const dir = folder({ 'waiter.yaml': WAIT });
  const db = join(folder({}), 'swirl.db');
  const components = await loadComponents(undefined, { appId: 'swirl', appIds: { backend: svc.base }, env: {} });
  const first = new InMemorySpanExporter();
  // cacheSize 0: each turn rebuilds the runtime by replaying the history (its notes are replayed ones).
  const opts = { store: `sqlite:${db}`, workflowsDir: dir, components, engine: { pollIntervalMs: 20, cacheSize: 0 } } as const;
  const host1 = await createHost({ ...opts, tracing: { spanProcessors: [new SimpleSpanProcessor(first)] } });
  let stopped1 = false;
  cleanups.push(async () => {
    if (!stopped1) await host1.stop();
  });
  await host1.start();
  await host1.engine.client.start('waiter', {}, { instanceId: 'w-1', traceparent: `00-${TRACE_ID}-${CALLER_SPAN}-01` });
  // Wait until the instance waits for `go` (Prepare and its action ended, in several turns).
  const deadline = Date.now() + 10_000;
  while (!first.getFinishedSpans().some((s) => s.name === 'state Prepare')) {
    assert.ok(Date.now() < deadline, 'Prepare ended');
    await new Promise((r) => setTimeout(r, 20));
  }
  await new Promise((r) => setTimeout(r, 200)); // a few idle polls more: nothing may be re-emitted
  await host1.tracer!.flush();
  // Kept before the stop: shutting the provider down empties the in-memory exporter.
  const before = [...first.getFinishedSpans()];
  assert.deepEqual(before.map((s) => s.name).sort(), ['action callPing', 'state Prepare']);
  stopped1 = true;
  await host1.stop();

  // A restart: the new host rebuilds the instance by replay; only what ends now is emitted.
  const second = new InMemorySpanExporter();
  const host2 = await createHost({ ...opts, components: await loadComponents(undefined, { appId: 'swirl', appIds: { backend: svc.base }, env: {} }), tracing: { spanProcessors: [new SimpleSpanProcessor(second)] } });
  cleanups.push(() => host2.stop());
  await host2.start();
  await host2.engine.client.raiseEvent('w-1', 'go', { x: 1 });
  assert.equal((await host2.engine.client.waitForCompletion('w-1', { timeoutMs: 60_000 })).runtimeStatus, 'COMPLETED');
  await host2.tracer!.flush();
  const later = second.getFinishedSpans();
  assert.deepEqual(later.map((s) => s.name).sort(), ['state Done', 'state Wait', 'workflow waiter']);
  const all = [...before, ...later];
  assert.equal(new Set(all.map((s) => s.spanContext().spanId)).size, all.length, 'every span id once');
  const root = byName(later, 'workflow waiter');
  for (const s of all) assert.equal(s.spanContext().traceId, TRACE_ID);
  for (const name of ['state Prepare', 'state Wait', 'state Done']) assert.equal(byName(all, name).parentSpanContext?.spanId, root.spanContext().spanId, `${name} under the instance across the restart`);
  // The Wait state's span began before the restart (its start time comes from history).
  const wait = byName(later, 'state Wait');
  const prepare = byName(all, 'state Prepare');
  const ms = (t: [number, number]) => t[0] * 1e3 + t[1] / 1e6;
  assert.ok(Math.abs(ms(wait.startTime) - ms(prepare.endTime)) < 5_000 && ms(wait.startTime) <= ms(wait.endTime));
  assert.equal(root.status.code, SpanStatusCode.UNSET);
  // The ping call carried the action span's id.
  assert.equal(svc.seen.find((r) => r.path === '/ping')?.headers.traceparent, `00-${TRACE_ID}-${byName(all, 'action callPing').spanContext().spanId}-01`);
});

const GREET = `
id: greet
specVersion: '0.8'
start: Say
events:
  - name: hello
    type: test.hello
    source: /test
states:
  - name: Say
    type: inject
    data: { said: hi }
    end: true
`;

const STARTED_BY_EVENT = `
id: onhello
specVersion: '0.8'
start: Greet
events:
  - name: hello
    type: test.hello
    source: /test
states:
  - name: Greet
    type: event
    onEvents: [{ eventRefs: [hello] }]
    end: true
`;

test('the other start requests: a CloudEvent traceparent extension, gRPC StartInstance metadata, a rerun; an invalid traceparent starts a trace here', async () => {
  const dir = folder({ 'greet.yaml': GREET, 'onhello.yaml': STARTED_BY_EVENT });
  const exporter = new InMemorySpanExporter();
  const host = await createHost({ store: 'memory', workflowsDir: dir, engine: { pollIntervalMs: 20 }, tracing: { spanProcessors: [new SimpleSpanProcessor(exporter)] } });
  cleanups.push(() => host.stop());
  await host.start();
  const app = createApp(host);
  const grpc = await startGrpcServer(host, { port: 0 });
  cleanups.push(() => grpc.close());
  const viaGrpcTrace = 'a'.repeat(31) + '1';
  const raw = rawClient(grpc.port, undefined, { traceparent: `00-${viaGrpcTrace}-${'c'.repeat(16)}-01` });
  cleanups.push(async () => raw.close());
  await raw.call('StartInstance', { name: 'greet', instanceId: 'g-grpc', input: { value: '{}' } });
  const viaEventTrace = 'b'.repeat(31) + '2';
  const ce = { specversion: '1.0', id: 'ev-1', source: '/test', type: 'test.hello', traceparent: `00-${viaEventTrace}-${'d'.repeat(16)}-01`, data: {} };
  assert.equal((await app.fetch(new Request('http://swirl.test/api/v1/events', { method: 'POST', headers: { 'content-type': 'application/cloudevents+json' }, body: JSON.stringify(ce) }))).status, 202);
  const bad = await app.fetch(new Request('http://swirl.test/v1.0/workflows/dapr/greet/start?instanceID=g-bad', { method: 'POST', headers: { 'content-type': 'application/json', traceparent: '00-not-a-trace-01' }, body: '{}' }));
  assert.equal(bad.status, 202, 'an invalid traceparent is ignored, not refused');
  await host.engine.client.waitForCompletion('g-grpc', { timeoutMs: 60_000 });
  await host.engine.client.waitForCompletion('g-bad', { timeoutMs: 60_000 });
  // A rerun is a start request too: its traceparent header parents the new instance.
  const rerunTrace = 'e'.repeat(31) + '3';
  const rr = await app.fetch(
    new Request('http://swirl.test/api/v1/instances/g-grpc/rerun', { method: 'POST', headers: { 'content-type': 'application/json', traceparent: `00-${rerunTrace}-${'f'.repeat(16)}-01` }, body: JSON.stringify({ fromState: 'Say', instanceID: 'g-rerun' }) }),
  );
  assert.equal(rr.status, 202, await rr.clone().text());
  await host.engine.client.waitForCompletion('g-rerun', { timeoutMs: 60_000 });
  const deadline = Date.now() + 10_000;
  const roots = () => exporter.getFinishedSpans().filter((s) => s.name.startsWith('workflow '));
  while (roots().length < 4) {
    assert.ok(Date.now() < deadline, `three instance spans (got ${roots().map((s) => s.attributes['swirl.instance.id']).join(', ')})`);
    await new Promise((r) => setTimeout(r, 20));
  }
  const rootOf = (id: string) => roots().find((s) => s.attributes['swirl.instance.id'] === id);
  assert.equal(rootOf('g-grpc')?.spanContext().traceId, viaGrpcTrace);
  assert.equal(rootOf('g-grpc')?.parentSpanContext?.spanId, 'c'.repeat(16));
  const byEvent = roots().find((s) => s.name === 'workflow onhello');
  assert.equal(byEvent?.spanContext().traceId, viaEventTrace);
  assert.equal(byEvent?.parentSpanContext?.spanId, 'd'.repeat(16));
  assert.equal(rootOf('g-rerun')?.spanContext().traceId, rerunTrace);
  assert.equal(rootOf('g-rerun')?.parentSpanContext?.spanId, 'f'.repeat(16));
  const own = rootOf('g-bad');
  assert.equal(own?.parentSpanContext, undefined, 'no parent: a trace of its own');
  assert.match(own?.spanContext().traceId ?? '', /^[0-9a-f]{32}$/);
  assert.notEqual(own?.spanContext().traceId, viaGrpcTrace);
});

const PARENT = `
id: parent
specVersion: '0.8'
start: Call
states:
  - name: Call
    type: operation
    actions: [{ name: callChild, subFlowRef: child }]
    transition: Again
  - name: Again
    type: switch
    dataConditions: [{ condition: '\${ (.round // 0) < 1 }', transition: Loop }]
    defaultCondition: { end: true }
  - name: Loop
    type: inject
    data: { round: 1 }
    end: { continueAs: parent }
`;

const CHILD = `
id: child
specVersion: '0.8'
start: Work
states:
  - name: Work
    type: inject
    data: { worked: true }
    end: true
`;

test("a subflow's instance hangs under its calling action; a continue-as-new stays in the trace", async () => {
  const dir = folder({ 'parent.yaml': PARENT, 'child.yaml': CHILD });
  const exporter = new InMemorySpanExporter();
  const host = await createHost({ store: 'memory', workflowsDir: dir, engine: { pollIntervalMs: 20 }, tracing: { spanProcessors: [new SimpleSpanProcessor(exporter)] } });
  cleanups.push(() => host.stop());
  await host.start();
  await host.engine.client.start('parent', {}, { instanceId: 'p-1', traceparent: `00-${TRACE_ID}-${CALLER_SPAN}-01` });
  assert.equal((await host.engine.client.waitForCompletion('p-1', { timeoutMs: 60_000 })).runtimeStatus, 'COMPLETED');
  const deadline = Date.now() + 10_000;
  const spans = () => exporter.getFinishedSpans();
  while (spans().filter((s) => s.name === 'workflow child').length < 2 || spans().filter((s) => s.name === 'workflow parent').length < 2) {
    assert.ok(Date.now() < deadline, `two executions of parent and two children (got ${spans().map((s) => s.name).join(', ')})`);
    await new Promise((r) => setTimeout(r, 20));
  }
  const all = spans();
  for (const s of all) assert.equal(s.spanContext().traceId, TRACE_ID, `${s.name} in the caller's trace`);
  const parents = all.filter((s) => s.name === 'workflow parent');
  assert.deepEqual(parents.map((s) => s.parentSpanContext?.spanId), [CALLER_SPAN, CALLER_SPAN], 'both executions under the start request');
  assert.notEqual(parents[0]!.spanContext().spanId, parents[1]!.spanContext().spanId, 'one span per execution');
  const actions = all.filter((s) => s.name === 'action callChild').map((s) => s.spanContext().spanId);
  const children = all.filter((s) => s.name === 'workflow child');
  assert.deepEqual(children.map((c) => c.parentSpanContext?.spanId).sort(), [...actions].sort(), "each child instance's span is a child of its calling action's span");
  assert.equal(new Set(all.map((s) => s.spanContext().spanId)).size, all.length);
});
