/**
 * `swirl serve --tracing` against a real OTLP/HTTP receiver (issue 13): a tiny node http server in
 * this test accepts POST /v1/traces (the exporter's JSON), `swirl serve` runs as a child process
 * with OTEL_EXPORTER_OTLP_ENDPOINT pointing at it, and the spans it receives form the instance's
 * tree under the start request's traceparent; a kill -9 between turns sends no span twice. Off
 * unless asked for (the flag or one variable); a bad tracing variable is refused (exit 2).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, type ChildProcess } from 'node:child_process';
import { createServer, type Server as HttpServer } from 'node:http';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServe } from './serve-child.js';
import { otlpProtocolProblem, tracingRequested } from '../../src/index.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const started: ChildProcess[] = [];
let dir: string;
let receiver: HttpServer;
let endpoint: string;

interface OtlpAttr {
  key: string;
  value: { stringValue?: string; intValue?: number | string; boolValue?: boolean };
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes: OtlpAttr[];
}
const received: { path: string; contentType: string; service?: string; spans: OtlpSpan[] }[] = [];

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'swirl-serve-tracing-'));
  mkdirSync(join(dir, 'workflows'));
  writeFileSync(
    join(dir, 'workflows', 'greet.json'),
    JSON.stringify({
      id: 'greet',
      specVersion: '0.8',
      start: 'Say',
      states: [
        { name: 'Say', type: 'inject', data: { greeting: 'hi' }, transition: 'Done' },
        { name: 'Done', type: 'inject', data: { done: true }, end: true },
      ],
    }),
  );
  writeFileSync(
    join(dir, 'workflows', 'waits.json'),
    JSON.stringify({
      id: 'waits',
      specVersion: '0.8',
      start: 'Say',
      events: [{ name: 'go', type: 'test.go', source: '/test' }],
      states: [
        { name: 'Say', type: 'inject', data: { greeting: 'hi' }, transition: 'Wait' },
        { name: 'Wait', type: 'event', onEvents: [{ eventRefs: ['go'] }], end: true },
      ],
    }),
  );
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const doc = JSON.parse(body) as { resourceSpans: { resource: { attributes: OtlpAttr[] }; scopeSpans: { spans: OtlpSpan[] }[] }[] };
      for (const rs of doc.resourceSpans) {
        const service = rs.resource.attributes.find((a) => a.key === 'service.name')?.value.stringValue;
        received.push({ path: req.url ?? '', contentType: String(req.headers['content-type']), ...(service !== undefined ? { service } : {}), spans: rs.scopeSpans.flatMap((s) => s.spans) });
      }
      res.setHeader('content-type', 'application/json');
      res.end('{}');
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  endpoint = `http://127.0.0.1:${(receiver.address() as { port: number }).port}`;
});
after(async () => {
  for (const p of started) p.kill('SIGKILL');
  await new Promise((r) => receiver.close(r));
  rmSync(dir, { recursive: true, force: true });
});

const attr = (s: OtlpSpan, key: string) => s.attributes.find((a) => a.key === key)?.value.stringValue;

test('swirl serve --tracing exports the span tree over OTLP/HTTP to OTEL_EXPORTER_OTLP_ENDPOINT', async () => {
  const env: NodeJS.ProcessEnv = { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_BSP_SCHEDULE_DELAY: '50', OTEL_SERVICE_NAME: 'swirl-under-test' };
  delete env.SWIRL_TRACING;
  delete env.OTEL_TRACES_EXPORTER;
  const server = await startServe(dir, started, ['--tracing'], undefined, env);
  const traceId = '0af7651916cd43dd8448eb211c80319c';
  const caller = 'b7ad6b7169203331';
  const res = await fetch(`${server.base}/v1.0/workflows/dapr/greet/start?instanceID=g-1`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', traceparent: `00-${traceId}-${caller}-01` },
    body: '{}',
  });
  assert.equal(res.status, 202);
  const deadline = Date.now() + 15_000;
  const spans = () => received.flatMap((r) => r.spans);
  while (!spans().some((s) => s.name === 'workflow greet')) {
    assert.ok(Date.now() < deadline, `the instance span arrives (got: ${spans().map((s) => s.name).join(', ')}; stderr: ${server.stderr()})`);
    await new Promise((r) => setTimeout(r, 50));
  }
  // The last batch may still be on its way: a short grace for the state spans of the same turn.
  while (spans().length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  const all = spans();
  assert.deepEqual(all.map((s) => s.name).sort(), ['state Done', 'state Say', 'workflow greet']);
  assert.ok(received.every((r) => r.path === '/v1/traces' && r.contentType.startsWith('application/json') && r.service === 'swirl-under-test'));
  const root = all.find((s) => s.name === 'workflow greet')!;
  assert.equal(root.traceId, traceId);
  assert.equal(root.parentSpanId, caller);
  assert.equal(attr(root, 'swirl.instance.id'), 'g-1');
  assert.equal(attr(root, 'swirl.workflow.id'), 'greet');
  for (const name of ['state Say', 'state Done']) {
    const s = all.find((x) => x.name === name)!;
    assert.equal(s.traceId, traceId);
    assert.equal(s.parentSpanId, root.spanId);
    assert.equal(attr(s, 'swirl.state.name'), name.slice('state '.length));
    assert.equal(attr(s, 'swirl.instance.id'), 'g-1');
  }
  server.proc.kill('SIGTERM');
  assert.equal(await server.exited, 0);
});

test('off by default: without --tracing nothing reaches OTEL_EXPORTER_OTLP_ENDPOINT, even at the stop that flushes; SWIRL_TRACING=true alone turns it on', async () => {
  const base: NodeJS.ProcessEnv = { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_BSP_SCHEDULE_DELAY: '50' };
  delete base.SWIRL_TRACING;
  delete base.OTEL_TRACES_EXPORTER;
  const of = (id: string) => received.flatMap((r) => r.spans).filter((s) => attr(s, 'swirl.instance.id') === id);
  const run = async (env: NodeJS.ProcessEnv, id: string) => {
    const server = await startServe(dir, started, [], undefined, env);
    const res = await fetch(`${server.base}/v1.0/workflows/dapr/greet/start?instanceID=${id}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal(res.status, 202);
    const deadline = Date.now() + 30_000;
    for (;;) {
      const st = (await (await fetch(`${server.base}/v1.0/workflows/dapr/${id}`)).json()) as { runtimeStatus: string };
      if (st.runtimeStatus === 'COMPLETED') break;
      assert.ok(Date.now() < deadline, `${id} completes (${st.runtimeStatus})`);
      await new Promise((r) => setTimeout(r, 50));
    }
    // A stopping server flushes its spans before it exits (specs/observability.md): after the exit, all have arrived.
    server.proc.kill('SIGTERM');
    assert.equal(await server.exited, 0);
  };
  await run(base, 'off-1');
  assert.deepEqual(of('off-1'), [], 'tracing is off unless asked for');
  await run({ ...base, SWIRL_TRACING: 'true' }, 'on-1');
  assert.deepEqual(of('on-1').map((s) => s.name).sort(), ['state Done', 'state Say', 'workflow greet']);
});

test('kill -9 between two turns, restarted on the same store: every span arrives once, the open state and the instance from the new process', async () => {
  const env: NodeJS.ProcessEnv = { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_BSP_SCHEDULE_DELAY: '50' };
  delete env.SWIRL_TRACING;
  delete env.OTEL_TRACES_EXPORTER;
  const of = (id: string) => received.flatMap((r) => r.spans).filter((s) => attr(s, 'swirl.instance.id') === id);
  const arrived = async (what: string, done: () => boolean) => {
    const deadline = Date.now() + 30_000;
    while (!done()) {
      assert.ok(Date.now() < deadline, `${what} (got: ${of('k-1').map((s) => s.name).join(', ')})`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const first = await startServe(dir, started, ['--tracing'], undefined, env);
  const res = await fetch(`${first.base}/v1.0/workflows/dapr/waits/start?instanceID=k-1`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  assert.equal(res.status, 202);
  // 'Say' ended in the first turn; 'Wait' is open, waiting for the event.
  await arrived("'state Say' from the first process", () => of('k-1').some((s) => s.name === 'state Say'));
  first.proc.kill('SIGKILL');
  await first.exited;
  const second = await startServe(dir, started, ['--tracing'], undefined, env);
  assert.equal((await fetch(`${second.base}/v1.0/workflows/dapr/k-1/raiseEvent/go`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).status, 202);
  await arrived('the instance span from the second process', () => of('k-1').some((s) => s.name === 'workflow waits'));
  second.proc.kill('SIGTERM');
  assert.equal(await second.exited, 0);
  const spans = of('k-1');
  assert.deepEqual(spans.map((s) => s.name).sort(), ['state Say', 'state Wait', 'workflow waits'], 'each span once: the replay after the crash emits nothing already sent');
  const root = spans.find((s) => s.name === 'workflow waits')!;
  for (const s of spans.filter((x) => x !== root)) {
    assert.equal(s.parentSpanId, root.spanId, s.name);
    assert.equal(s.traceId, root.traceId, s.name);
  }
});

test('a tracing variable that is neither on nor off is refused before the server starts (exit 2)', () => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'test', 'cli', 'run-cli.ts'), 'serve', '--port', '0', '--store', 'memory'], {
    cwd: root,
    env: { ...process.env, SWIRL_TRACING: 'maybe' },
    encoding: 'utf8',
    timeout: 30_000,
  });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /SWIRL_TRACING must be true or false, not 'maybe'/);
  // The other choices, in process (a CLI start costs seconds): flag, SWIRL_TRACING, OTEL_TRACES_EXPORTER, protocol.
  assert.deepEqual(tracingRequested(true, { SWIRL_TRACING: 'false' }), { on: true });
  assert.deepEqual(tracingRequested(undefined, {}), { on: false });
  assert.deepEqual(tracingRequested(undefined, { OTEL_TRACES_EXPORTER: 'otlp' }), { on: true });
  assert.deepEqual(tracingRequested(undefined, { OTEL_TRACES_EXPORTER: 'none' }), { on: false });
  assert.deepEqual(tracingRequested(undefined, { SWIRL_TRACING: 'off', OTEL_TRACES_EXPORTER: 'otlp' }), { on: false });
  assert.deepEqual(tracingRequested(undefined, { OTEL_TRACES_EXPORTER: 'zipkin' }), { error: "OTEL_TRACES_EXPORTER: only 'otlp' (or 'none') is supported, not 'zipkin'" });
  assert.equal(otlpProtocolProblem({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }), 'OTEL_EXPORTER_OTLP_PROTOCOL=grpc is not supported: Swirl exports traces as OTLP http/json (set OTEL_EXPORTER_OTLP_PROTOCOL=http/json or unset it)');
  assert.equal(otlpProtocolProblem({ OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }), undefined);
});
