/**
 * @module test/host/serve-lifecycle.test
 * Issue 18, "Lifecycle", against real `swirl serve` processes: a start whose listen fails exits 1
 * at once with the reason; without --workflows the working directory's workflows/ is served (or
 * nothing), and the server says which; component files of building blocks Swirl does not
 * implement (`state.redis` from `dapr init`) are skipped with a warning; a node restarted after
 * kill -9 continues its in-flight work at once, long before its lease (PT60S) would expire.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server as HttpServer } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { startServe, type Server } from './serve-child.js';

const started: ChildProcess[] = [];
const dirs: string[] = [];
const closers: Array<() => void> = [];
after(() => {
  for (const p of started) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  for (const c of closers) c();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const HELLO = `id: hello
version: '1.0'
specVersion: '0.8'
states:
  - name: Greet
    type: inject
    data: { greeting: hello }
    end: true
`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A fresh folder with `workflows/` holding the given files (none: no workflows/ folder). */
function folder(workflows?: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'swirl-serve-lifecycle-'));
  dirs.push(dir);
  if (workflows) {
    mkdirSync(join(dir, 'workflows'));
    for (const [name, text] of Object.entries(workflows)) writeFileSync(join(dir, 'workflows', name), text);
  }
  return dir;
}

/** A port something else already listens on. */
async function busyPort(): Promise<number> {
  const blocker = createNetServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
  closers.push(() => blocker.close());
  return (blocker.address() as AddressInfo).port;
}

async function instance(s: Server, id: string): Promise<{ status: number; body: { runtimeStatus?: string; output?: unknown } }> {
  const res = await fetch(`${s.base}/api/v1/instances/${id}`);
  return { status: res.status, body: (await res.json()) as { runtimeStatus?: string; output?: unknown } };
}

async function waitStatus(s: Server, id: string, status: string, timeoutMs: number): Promise<{ runtimeStatus?: string; output?: unknown }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const got = await instance(s, id);
    if (got.body.runtimeStatus === status || Date.now() > deadline) return got.body;
    await sleep(50);
  }
}

test('HTTP port in use: swirl serve exits 1 at once, saying it cannot listen and why (no hang, nothing left running)', { timeout: 60_000 }, async () => {
  const port = await busyPort();
  const dir = folder({ 'hello.yaml': HELLO });
  const t0 = Date.now();
  await assert.rejects(startServe(dir, started, ['--port', String(port)]), (err: Error) => {
    assert.match(err.message, /exited with 1 before listening/);
    assert.match(err.message, new RegExp(`swirl serve: cannot listen on 127\\.0\\.0\\.1:${port} \\(HTTP\\): listen EADDRINUSE`));
    assert.doesNotMatch(err.message, /\n\s+at /, 'no stack trace');
    return true;
  });
  // The process start (tsx compiling the CLI) is most of it; the failure itself ends it at once.
  assert.ok(Date.now() - t0 < 30_000, `exited after ${Date.now() - t0} ms`);
});

test('gRPC port in use: swirl serve exits 1 at once, naming the gRPC address and the --grpc-port way out', { timeout: 60_000 }, async () => {
  const port = await busyPort();
  const dir = folder({ 'hello.yaml': HELLO });
  await assert.rejects(startServe(dir, started, ['--grpc-port', String(port)]), (err: Error) => {
    assert.match(err.message, /exited with 1 before listening/);
    assert.match(err.message, new RegExp(`swirl serve: cannot listen for gRPC on 127\\.0\\.0\\.1:${port}`));
    // What to do about it: a second node on this machine needs its own gRPC port (or none).
    assert.match(err.message, new RegExp(`hint: another process \\(another swirl serve\\?\\) listens on port ${port}: pass --grpc-port <a free port>, or --grpc-port 0 to serve no gRPC`));
    // grpc-js's own log line goes to the logger (debug), not bare stderr before Swirl's message.
    assert.doesNotMatch(err.message, /^E .*No address added/m);
    return true;
  });
});

test('without --workflows: the working directory’s workflows/ is served, and stderr says so', { timeout: 60_000 }, async () => {
  const dir = folder({ 'hello.yaml': HELLO });
  const s = await startServe(dir, started, [], undefined, process.env, { defaultWorkflows: true });
  assert.match(s.stderr(), new RegExp(`no --workflows given: serving the workflows in ${join(dir, 'workflows').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  const listed = (await (await fetch(`${s.base}/api/v1/workflows`)).json()) as { workflows: Array<{ id: string }> };
  assert.deepEqual(listed.workflows.map((w) => w.id), ['hello']);
  s.proc.kill('SIGTERM');
  assert.equal(await s.exited, 0);
});

test('without --workflows and no ./workflows: nothing is served (not the bundled samples), and stderr says so', { timeout: 60_000 }, async () => {
  const dir = folder();
  const s = await startServe(dir, started, [], undefined, process.env, { defaultWorkflows: true });
  assert.match(s.stderr(), /no --workflows given and no \.\/workflows folder here: serving no workflow definitions/);
  assert.match(s.stdout(), /loaded 0 workflows: \(none\)/);
  const listed = (await (await fetch(`${s.base}/api/v1/workflows`)).json()) as { workflows: unknown[] };
  assert.deepEqual(listed.workflows, []);
  s.proc.kill('SIGTERM');
  assert.equal(await s.exited, 0);
});

test('a components folder from `dapr init` (state.redis): the state store is skipped with a warning naming the file and type; the server serves', { timeout: 60_000 }, async () => {
  const dir = folder({ 'hello.yaml': HELLO });
  mkdirSync(join(dir, 'components'));
  // What `dapr init` writes to ~/.dapr/components/statestore.yaml.
  writeFileSync(
    join(dir, 'components', 'statestore.yaml'),
    'apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata:\n  name: statestore\nspec:\n  type: state.redis\n  version: v1\n  metadata:\n  - name: redisHost\n    value: localhost:6379\n  - name: redisPassword\n    value: ""\n  - name: actorStateStore\n    value: "true"\n',
  );
  writeFileSync(join(dir, 'components', 'secrets.yaml'), 'apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata:\n  name: env\nspec:\n  type: secretstores.local.env\n  version: v1\n  metadata: []\n');
  const s = await startServe(dir, started, ['--components', join(dir, 'components')]);
  assert.match(s.stderr(), /"level":"warn".*statestore\.yaml:2: component 'statestore' of type 'state\.redis' skipped: Swirl does not implement the 'state' building block/);
  const meta = (await (await fetch(`${s.base}/v1.0/metadata`)).json()) as { components: Array<{ name: string; type: string }> };
  assert.deepEqual(meta.components.map((c) => `${c.name}:${c.type}`), ['env:secretstores.local.env']);
  assert.equal((await fetch(`${s.base}/v1.0/workflows/dapr/hello/start?instanceID=h-1`, { method: 'POST' })).status, 202);
  assert.deepEqual((await waitStatus(s, 'h-1', 'COMPLETED', 10_000)).output, { greeting: 'hello' });
});

test('kill -9 and restart with --lease PT60S: the restarted node takes its in-flight activity back at once and the instance completes within seconds', { timeout: 90_000 }, async () => {
  // The first call never answers (the node is killed during it); the retry answers at once.
  const calls: number[] = [];
  const stub: HttpServer = createServer((req, res) => {
    if (req.url === '/api.json') {
      const port = (stub.address() as AddressInfo).port;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ openapi: '3.0.0', info: { title: 'slow', version: '1' }, servers: [{ url: `http://127.0.0.1:${port}` }], paths: { '/slow': { get: { operationId: 'slow', responses: { '200': { description: 'ok' } } } } } }));
      return;
    }
    calls.push(Date.now());
    if (calls.length === 1) return; // hangs until the client (the killed node) is gone
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ done: calls.length }));
  });
  await new Promise<void>((r) => stub.listen(0, '127.0.0.1', r));
  closers.push(() => stub.close());
  closers.push(() => stub.closeAllConnections());
  const port = (stub.address() as AddressInfo).port;
  const dir = folder({
    'slow.yaml': `id: slow
specVersion: '0.8'
functions:
  - { name: slowCall, operation: 'http://127.0.0.1:${port}/api.json#slow' }
states:
  - name: Call
    type: operation
    actions: [{ functionRef: { refName: slowCall } }]
    end: true
`,
  });
  // No --worker-id: the default (host name + store path) is the same after the restart.
  const first = await startServe(dir, started, ['--lease', 'PT60S']);
  assert.equal((await fetch(`${first.base}/v1.0/workflows/dapr/slow/start?instanceID=inflight`, { method: 'POST' })).status, 202);
  for (let n = 0; n < 400 && calls.length === 0; n++) await sleep(25);
  assert.equal(calls.length, 1, 'the activity was in flight');
  first.proc.kill('SIGKILL');
  await first.exited;
  const again = await startServe(dir, started, ['--lease', 'PT60S']);
  const restartedAt = Date.now();
  const done = await waitStatus(again, 'inflight', 'COMPLETED', 20_000);
  const tookMs = Date.now() - restartedAt;
  console.log(`kill -9 + restart: in-flight activity completed ${tookMs} ms after the restarted node listened (lease 60000 ms)`);
  assert.equal(done.runtimeStatus, 'COMPLETED');
  assert.deepEqual(done.output, { done: 2 });
  assert.ok(tookMs < 10_000, `completed ${tookMs} ms after the restart; the 60 s lease was waited for`);
});
