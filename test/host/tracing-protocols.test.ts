// The rpc (gRPC), graphql and odata functions carry the trace too (issue 13: the trace context
// propagates into every outgoing call): each call's `traceparent` (gRPC metadata, HTTP header) is
// its action's span, as exported by the SDK's InMemorySpanExporter. Real local servers.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Server, ServerCredentials, type ServerUnaryCall, type sendUnaryData, type ServiceDefinition } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { createApp, createHost } from '../../src/index.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/rpc/', import.meta.url));
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const cleanups: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

test('rpc, graphql and odata calls send their action span as traceparent', async () => {
  // gRPC: the metadata each call carried.
  const rpcSeen: (string | undefined)[] = [];
  const def = loadSync(join(FIXTURES, 'pets.proto'), { keepCase: true, longs: String, enums: String, defaults: true, includeDirs: [FIXTURES] });
  const grpc = new Server();
  grpc.addService(def['pets.v1.PetService'] as ServiceDefinition, {
    GetPet(call: ServerUnaryCall<Record<string, unknown>, unknown>, cb: sendUnaryData<unknown>) {
      rpcSeen.push(call.metadata.get('traceparent')[0] as string | undefined);
      cb(null, { pet_id: String(call.request.pet_id), name: 'Rex' });
    },
    CreatePet(_call: ServerUnaryCall<Record<string, unknown>, unknown>, cb: sendUnaryData<unknown>) {
      cb(null, {});
    },
    WatchPets() {},
  });
  const rpcPort = await new Promise<number>((resolve, reject) => grpc.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
  cleanups.push(() => grpc.forceShutdown());
  // GraphQL and OData: the headers of each request, by path.
  const httpSeen: { path: string; headers: IncomingHttpHeaders; body: string }[] = [];
  const http = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      httpSeen.push({ path: req.url ?? '', headers: req.headers, body });
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(req.url?.startsWith('/graphql') ? { data: { hello: 'hi' } } : { value: [{ name: 'Ada' }] }));
    });
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  cleanups.push(() => new Promise<void>((r) => http.close(() => r())));
  const base = `http://127.0.0.1:${(http.address() as { port: number }).port}`;

  const dir = mkdtempSync(join(tmpdir(), 'swirl-tracing-protocols-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  for (const f of ['pets.proto', 'owner.proto']) copyFileSync(join(FIXTURES, f), join(dir, f));
  writeFileSync(
    join(dir, 'calls.yaml'),
    `
id: calls
specVersion: '0.8'
functions:
  - { name: getPet, type: rpc, operation: 'pets.proto#PetService#GetPet', metadata: { address: '127.0.0.1:${rpcPort}' } }
  - { name: hello, type: graphql, operation: '${base}/graphql#query#hello' }
  - { name: people, type: odata, operation: '${base}/odata#People' }
states:
  - name: Call
    type: operation
    actions:
      - name: callRpc
        functionRef: { refName: getPet, arguments: { pet_id: '7' } }
        actionDataFilter: { toStateData: '\${ .pet }' }
      - name: callGraphql
        functionRef: hello
        actionDataFilter: { toStateData: '\${ .greeting }' }
      - name: callOdata
        functionRef: { refName: people, arguments: {} }
        actionDataFilter: { toStateData: '\${ .people }' }
    end: true
`,
  );
  const exporter = new InMemorySpanExporter();
  const host = await createHost({ store: 'memory', workflowsDir: dir, engine: { pollIntervalMs: 20 }, tracing: { spanProcessors: [new SimpleSpanProcessor(exporter)] } });
  cleanups.push(() => host.stop());
  await host.start();
  const app = createApp(host);
  const res = await app.fetch(
    new Request('http://swirl.test/v1.0/workflows/dapr/calls/start?instanceID=p-1', { method: 'POST', headers: { 'content-type': 'application/json', traceparent: `00-${TRACE_ID}-00f067aa0ba902b7-01` }, body: '{}' }),
  );
  assert.equal(res.status, 202);
  const done = await host.engine.client.waitForCompletion('p-1', { timeoutMs: 60_000 });
  assert.equal(done.runtimeStatus, 'COMPLETED', JSON.stringify(done.failure));
  const out = done.output as { pet: { name: string }; greeting: unknown; people: unknown };
  assert.equal(out.pet.name, 'Rex');
  assert.deepEqual(out.greeting, { hello: 'hi' });
  assert.deepEqual(out.people, [{ name: 'Ada' }]);

  const deadline = Date.now() + 30_000;
  while (!exporter.getFinishedSpans().some((s) => s.name === 'workflow calls')) {
    assert.ok(Date.now() < deadline, 'the instance span is exported');
    await new Promise((r) => setTimeout(r, 20));
  }
  const spanOf = (name: string) => {
    const found = exporter.getFinishedSpans().filter((s) => s.name === name);
    assert.equal(found.length, 1, name);
    return `00-${TRACE_ID}-${found[0]!.spanContext().spanId}-01`;
  };
  assert.deepEqual(rpcSeen, [spanOf('action callRpc')]);
  // The call itself (the schema's introspection, cached across instances, is not part of one action).
  const calls = httpSeen.filter((s) => s.path.startsWith('/graphql') && s.body.includes('SwirlCall'));
  assert.deepEqual(calls.map((s) => s.headers.traceparent), [spanOf('action callGraphql')], JSON.stringify(httpSeen.map((s) => s.body)));
  assert.deepEqual(httpSeen.filter((s) => s.path.startsWith('/odata')).map((s) => s.headers.traceparent), [spanOf('action callOdata')]);
});
