// Trace propagation through components (issue 13): a `binding:` call (bindings.http, a local HTTP
// server) sends its action span as the traceparent header; a `publish:` function and a produced
// event (pubsub.redis, real Redis) carry the CloudEvent traceparent extension — the action span
// for the function, the instance span for the event produced at the end. An asyncapi publish
// operation (over the same pubsub.redis) carries the action span's traceparent as well.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { createHost, type CloudEventJson } from '../../src/index.js';
import { componentDir, componentYaml, redisHostOf, serviceUrl, uniqueName, waitFor } from '../components/support.js';

const redis = serviceUrl('redis');
const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

const TRACE_ID = '5bf92f3577b34da6a3ce929d0e0e4737';

test('binding and pub/sub calls carry the trace: traceparent header, CloudEvent traceparent extension', { skip: redis.skip }, async () => {
  const seen: { path: string; headers: IncomingHttpHeaders }[] = [];
  const server = createServer((req, res) => {
    seen.push({ path: req.url ?? '', headers: req.headers });
    req.resume();
    req.on('end', () => res.end('{}'));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(() => new Promise((r) => server.close(() => r())));
  const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  const topic = uniqueName('swirl_trace');
  const d = await componentDir({
    'api.yaml': componentYaml('api', 'bindings.http', { url: `${base}/api` }),
    'bus.yaml': componentYaml('bus', 'pubsub.redis', { redisHost: redisHostOf(redis.url), consumerID: uniqueName('c') }),
  });
  cleanups.push(d.cleanup);
  const w = await componentDir({
    'fanout.yaml': `
id: fanout
specVersion: '0.8'
start: Work
functions:
  - name: store
    type: custom
    operation: binding:api/post
  - name: announce
    type: custom
    operation: publish:bus/${topic}
events:
  - name: finished
    kind: produced
    type: fanout.finished
    source: /fanout
    metadata: { pubsub: bus, topic: ${topic} }
states:
  - name: Work
    type: operation
    actions:
      - name: callStore
        functionRef: { refName: store, arguments: { x: 1 } }
      - name: callAnnounce
        functionRef: { refName: announce, arguments: { y: 2 } }
    end:
      produceEvents: [{ eventRef: finished, data: { z: 3 } }]
`,
  });
  cleanups.push(w.cleanup);
  const exporter = new InMemorySpanExporter();
  const host = await createHost({ store: 'memory', workflowsDir: w.dir, componentsDir: d.dir, engine: { pollIntervalMs: 20 }, tracing: { spanProcessors: [new SimpleSpanProcessor(exporter)] } });
  cleanups.push(() => host.stop());
  const got: CloudEventJson[] = [];
  await host.start();
  const sub = await host.components!.subscribe({ pubsub: 'bus', topic, handler: async (e) => void got.push(e) });
  cleanups.push(() => sub.close());
  await host.engine.client.start('fanout', {}, { instanceId: 'f-1', traceparent: `00-${TRACE_ID}-${'e'.repeat(16)}-01` });
  assert.equal((await host.engine.client.waitForCompletion('f-1', { timeoutMs: 60_000 })).runtimeStatus, 'COMPLETED');
  await waitFor(() => got.length >= 2, 15_000, 'both CloudEvents');
  await host.tracer!.flush();
  const spans = exporter.getFinishedSpans();
  const idOf = (name: string) => spans.find((s) => s.name === name)?.spanContext().spanId;

  assert.equal(seen.find((r) => r.path === '/api')?.headers.traceparent, `00-${TRACE_ID}-${idOf('action callStore')}-01`);
  const announced = got.find((e) => (e.data as { y?: number } | undefined)?.y === 2);
  const finished = got.find((e) => e.type === 'fanout.finished');
  assert.equal(announced?.traceparent, `00-${TRACE_ID}-${idOf('action callAnnounce')}-01`, 'publish: the action span');
  assert.equal(finished?.traceparent, `00-${TRACE_ID}-${idOf('workflow fanout')}-01`, 'a produced event at the end: the instance span');
  assert.ok(idOf('action callStore') && idOf('workflow fanout'));
});

test('an asyncapi publish carries the action span as the CloudEvent traceparent extension', { skip: redis.skip }, async () => {
  const topic = uniqueName('swirl_trace_async');
  const d = await componentDir({ 'bus.yaml': componentYaml('bus', 'pubsub.redis', { redisHost: redisHostOf(redis.url), consumerID: uniqueName('c') }) });
  cleanups.push(d.cleanup);
  const w = await componentDir({
    'events.asyncapi.yaml': `
asyncapi: '2.6.0'
info: { title: Trace, version: '1.0.0' }
servers:
  cache: { url: '${redis.url}', protocol: redis }
channels:
  ${topic}:
    servers: [cache]
    publish:
      operationId: announce
      message: { name: Announced }
`,
    'notify.yaml': `
id: notify
specVersion: '0.8'
start: Work
functions:
  - name: announce
    type: asyncapi
    operation: events.asyncapi.yaml#announce
states:
  - name: Work
    type: operation
    actions:
      - name: callAsync
        functionRef: { refName: announce, arguments: { y: 2 } }
    end: true
`,
  });
  cleanups.push(w.cleanup);
  const exporter = new InMemorySpanExporter();
  const host = await createHost({ store: 'memory', workflowsDir: w.dir, componentsDir: d.dir, engine: { pollIntervalMs: 20 }, tracing: { spanProcessors: [new SimpleSpanProcessor(exporter)] } });
  cleanups.push(() => host.stop());
  const got: CloudEventJson[] = [];
  await host.start();
  const sub = await host.components!.subscribe({ pubsub: 'bus', topic, handler: async (e) => void got.push(e) });
  cleanups.push(() => sub.close());
  await host.engine.client.start('notify', {}, { instanceId: 'n-1', traceparent: `00-${TRACE_ID}-${'e'.repeat(16)}-01` });
  assert.equal((await host.engine.client.waitForCompletion('n-1', { timeoutMs: 60_000 })).runtimeStatus, 'COMPLETED');
  await waitFor(() => got.length >= 1, 15_000, 'the asyncapi CloudEvent');
  await host.tracer!.flush();
  const span = exporter.getFinishedSpans().find((s) => s.name === 'action callAsync')?.spanContext().spanId;
  assert.ok(span, 'the action has a span');
  assert.equal(got[0]!.type, 'Announced');
  assert.deepEqual(got[0]!.data, { y: 2 });
  assert.equal(got[0]!.traceparent, `00-${TRACE_ID}-${span}-01`);
});
