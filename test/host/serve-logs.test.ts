/**
 * `swirl serve` logs and metrics port, asserted on a real child process (issue 13): pino JSON
 * lines on stderr with instanceId/workflow/state keys, the access log (no bodies, no query, no
 * tokens; the caller's trace id), a failed instance at warn with its reason by default,
 * --log-format pretty and --log-level, --metrics-port, and bad flags refused with exit code 2.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServe, type Server } from './serve-child.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const started: ChildProcess[] = [];
let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'swirl-serve-logs-'));
  mkdirSync(join(dir, 'workflows'));
  writeFileSync(
    join(dir, 'workflows', 'hello.json'),
    JSON.stringify({ id: 'hello', version: '1.0', specVersion: '0.8', start: 'Say', states: [{ name: 'Say', type: 'inject', data: { greeting: 'hi' }, end: true }] }),
  );
  // A function call that fails for good: no components are configured for invoke:.
  writeFileSync(
    join(dir, 'workflows', 'charge.json'),
    JSON.stringify({
      id: 'charge',
      version: '1.0',
      specVersion: '0.8',
      start: 'Charge',
      functions: [{ name: 'pay', type: 'custom', operation: 'invoke:payments/charge' }],
      states: [{ name: 'Charge', type: 'operation', actions: [{ name: 'callPay', functionRef: 'pay' }], end: true }],
    }),
  );
});
after(() => {
  for (const p of started) p.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

type Line = Record<string, unknown>;

/** The JSON log lines of stderr (other stderr text — diagnostics of refused files — is not a log line). */
function jsonLines(stderr: string): Line[] {
  return stderr
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Line);
}

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function start(s: Server, name: string, id: string, headers: Record<string, string> = {}): Promise<number> {
  const res = await fetch(`${s.base}/v1.0/workflows/dapr/${name}/start?instanceID=${id}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: '{"card":"4111-secret"}' });
  await res.arrayBuffer();
  return res.status;
}

async function statusOf(s: Server, id: string): Promise<string> {
  return ((await (await fetch(`${s.base}/v1.0/workflows/dapr/${id}`)).json()) as { runtimeStatus: string }).runtimeStatus;
}

test('JSON logs by default: access lines with the trace id and no secrets, instance lines keyed by instanceId, workflow, state and trace id, a failure at warn with its reason', async () => {
  const s = await startServe(dir, started, ['--api-token', 'tok-123']);
  const auth = { 'dapr-api-token': 'tok-123' };
  assert.equal(await start(s, 'hello', 'h-1', { ...auth, traceparent: TRACEPARENT }), 202);
  assert.equal(await start(s, 'charge', 'c-1', auth), 202);
  await until('c-1 failed', async () => ((await (await fetch(`${s.base}/v1.0/workflows/dapr/c-1`, { headers: auth })).json()) as { runtimeStatus: string }).runtimeStatus === 'FAILED' || undefined);
  const failed = await until('the failure line', () => jsonLines(s.stderr()).find((l) => l.event === 'instance.failed'));

  const lines = jsonLines(s.stderr());
  for (const l of lines) {
    assert.equal(typeof l.time, 'string', JSON.stringify(l));
    assert.ok(['debug', 'info', 'warn', 'error'].includes(l.level as string), JSON.stringify(l));
    assert.equal(typeof l.msg, 'string', JSON.stringify(l));
    assert.equal(l.app, 'swirl');
  }
  // The access log: one line per request, no query string, no body, no token anywhere.
  const access = lines.filter((l) => l.event === 'http.request');
  const helloStart = access.find((l) => l.path === '/v1.0/workflows/dapr/hello/start');
  assert.ok(helloStart, JSON.stringify(access));
  assert.equal(helloStart.method, 'POST');
  assert.equal(helloStart.status, 202);
  assert.equal(helloStart.component, 'http');
  assert.equal(helloStart.level, 'info');
  assert.equal(typeof helloStart.durationMs, 'number');
  assert.equal(helloStart.traceId, '4bf92f3577b34da6a3ce929d0e0e4736');
  assert.equal(helloStart.spanId, '00f067aa0ba902b7');
  assert.ok(access.some((l) => l.path === '/v1.0/workflows/dapr/charge/start' && l.status === 202 && l.traceId === undefined));
  assert.doesNotMatch(s.stderr(), /tok-123|4111-secret|instanceID=/);

  // Instance lines carry instanceId and workflow (the engine's name, renamed).
  const completed = lines.find((l) => l.event === 'instance.completed' && l.instanceId === 'h-1');
  assert.ok(completed, JSON.stringify(lines.filter((l) => l.instanceId !== undefined)));
  assert.equal(completed.workflow, 'hello');
  assert.equal(completed.level, 'info');
  assert.equal(failed.level, 'warn');
  assert.equal(failed.instanceId, 'c-1');
  assert.equal(failed.workflow, 'charge');
  assert.match(failed.msg as string, /^instance 'c-1' failed: \[COMPONENTS_NOT_CONFIGURED\] state 'Charge': action 'callPay': function 'pay' \(invoke:payments\/charge\) needs components/);
  assert.deepEqual(Object.keys(failed.error as object).sort(), ['code', 'message', 'type']);
  // The failing call itself, with the state and function it ran for.
  const action = lines.find((l) => l.event === 'action.failed' && l.instanceId === 'c-1');
  assert.ok(action, JSON.stringify(lines));
  assert.equal(action.workflow, 'charge');
  assert.equal(action.state, 'Charge');
  assert.equal(action.function, 'pay');
  assert.equal(action.attempt, 1);
  assert.equal((action.error as { code: string }).code, 'COMPONENTS_NOT_CONFIGURED');
  // Lines about an instance carry its trace id: the start request's, else the one derived for it.
  assert.equal(completed.traceId, '4bf92f3577b34da6a3ce929d0e0e4736');
  assert.match(failed.traceId as string, /^[0-9a-f]{32}$/);
  assert.notEqual(failed.traceId, completed.traceId);
  assert.equal(action.traceId, failed.traceId, 'the failing call is in its instance trace');
  // The interpreter's progress lines name the state, with the instance, workflow and trace.
  const say = lines.find((l) => l.instanceId === 'h-1' && l.state === 'Say');
  assert.ok(say, JSON.stringify(lines.filter((l) => l.instanceId === 'h-1')));
  assert.equal(say.workflow, 'hello');
  assert.equal(say.traceId, '4bf92f3577b34da6a3ce929d0e0e4736');
  assert.equal(say.level, 'info');
});

test('--log-format pretty --log-level warn: human lines, the failure with its reason, no info lines; --metrics-port serves /metrics alone', async () => {
  const s = await startServe(dir, started, ['--log-format', 'pretty', '--log-level', 'warn', '--metrics-port', '0', '--store', `sqlite:${join(dir, 'pretty.db')}`]);
  const m = /metrics on (http:\/\/127\.0\.0\.1:\d+)\/metrics/.exec(s.stdout());
  assert.ok(m, s.stdout());
  assert.equal(await start(s, 'hello', 'h-2'), 202);
  assert.equal(await start(s, 'charge', 'c-2'), 202);
  await until('c-2 failed', async () => (await statusOf(s, 'c-2')) === 'FAILED' || undefined);
  await until('h-2 completed', async () => (await statusOf(s, 'h-2')) === 'COMPLETED' || undefined);
  const warn = await until('the pretty failure line', () => s.stderr().split('\n').find((l) => /WARN.*instance 'c-2' failed: \[COMPONENTS_NOT_CONFIGURED\]/.test(l)));
  assert.doesNotMatch(warn, /^\{/);
  assert.doesNotMatch(s.stderr(), /INFO/);
  assert.doesNotMatch(s.stderr(), /http\.request/);

  const metrics = await fetch(`${m[1]}/metrics`);
  assert.equal(metrics.status, 200);
  assert.match(metrics.headers.get('content-type')!, /^text\/plain; version=0.0.4/);
  const text = await metrics.text();
  assert.match(text, /^swirl_instances_failed_total\{workflow="charge"\} 1$/m);
  assert.match(text, /^swirl_instances_completed_total\{workflow="hello"\} 1$/m);
  assert.match(text, /^swirl_action_seconds_count\{workflow="charge",state="Charge",function="pay",outcome="error"\} [1-9]\d*$/m);
  const other = await fetch(`${m[1]}/v1.0/workflows/dapr/h-2`);
  assert.equal(other.status, 404);
  assert.equal(((await other.json()) as { errorCode: string }).errorCode, 'ERR_NOT_FOUND');
});

test('bad --log-format, --log-level and --metrics-port are usage errors (exit 2) naming the flag', () => {
  const run = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', join(root, 'test', 'cli', 'run-cli.ts'), 'serve', '--store', 'memory', '--port', '0', '--grpc-port', '0', ...args], { cwd: root, encoding: 'utf8', timeout: 30_000 });
  const format = run('--log-format', 'xml');
  assert.equal(format.status, 2, format.stderr);
  assert.match(format.stderr, /^swirl serve: --log-format must be json or pretty, not 'xml'$/m);
  const level = run('--log-level', 'loud');
  assert.equal(level.status, 2, level.stderr);
  assert.match(level.stderr, /^swirl serve: --log-level must be one of debug, info, warn, error, not 'loud'$/m);
  const port = run('--metrics-port', '99999');
  assert.equal(port.status, 2, port.stderr);
  assert.match(port.stderr, /^swirl serve: --metrics-port must be a port number, not '99999'$/m);
});
