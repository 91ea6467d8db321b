/**
 * Crashes with real processes and the real @dapr/dapr 3.18 `WorkflowRuntime` (in this test
 * process, with activities) against `swirl serve` on a SQLite file:
 * - kill -9 of swirl serve while app orchestrations are mid-run, restarted on the same store and
 *   port: every instance completes with the right output, and an activity runs twice only when it
 *   was in flight at the kill (a redelivery);
 * - the app stops (runtime.stop()) mid-run: the work waits (visible in /metrics) and is re-sent
 *   when an app connects again;
 * - a worker that takes a turn and disconnects: the turn is re-sent to another worker, and the
 *   first worker's late answer is refused (NOT_FOUND), so nothing is lost or committed twice.
 *
 * The 3.18 worker does not reconnect after its first stream fails with an error (kill -9 resets
 * the connection; `internalRunWorker` rethrows on the first attempt, it retries only after a clean
 * end), so after the kill the test starts a new runtime, as a user restarting the app would
 * (specs/grpc.md "Crashes"). A restarted app process has fresh gRPC channels; in this one test
 * process grpc-js would share its global subchannel pool, still in reconnect backoff after the
 * kill, so every runtime and client here gets its own (`grpc.use_local_subchannel_pool`).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DaprWorkflowClient, WorkflowRuntime, WorkflowRuntimeStatus, type WorkflowActivityContext, type WorkflowContext } from '@dapr/dapr';
import { freePort, startGrpcServe, type GrpcServer } from './grpc-child.js';
import { rawClient } from './raw-client.js';

const started: ChildProcess[] = [];
let dir: string;
let port: number;
let s: GrpcServer;
let client: DaprWorkflowClient;
let runtime: WorkflowRuntime | undefined;

/** Every run of `step`, by input: when it started and (if it returned) ended. */
const runs = new Map<string, Array<{ start: number; end?: number }>>();
const starts = (prefix: string): number => [...runs].filter(([k]) => k.startsWith(prefix)).reduce((n, [, r]) => n + r.length, 0);

const step = async (_ctx: WorkflowActivityContext, key: string): Promise<string> => {
  const run: { start: number; end?: number } = { start: Date.now() };
  runs.set(key, [...(runs.get(key) ?? []), run]);
  await new Promise((r) => setTimeout(r, 250));
  run.end = Date.now();
  return `done ${key}`;
};

const chain3 = async function* (ctx: WorkflowContext, id: string): any {
  const out: string[] = [];
  for (let i = 0; i < 3; i++) out.push(yield ctx.callActivity(step, `${id}#${i}`));
  return out;
};

const expected = (id: string): string[] => [0, 1, 2].map((i) => `done ${id}#${i}`);

/** What a freshly started app process would have: its own connection (see the module comment). */
const appOptions = () => ({ daprHost: '127.0.0.1', daprPort: String(port), grpcOptions: { 'grpc.use_local_subchannel_pool': 1 } });

async function startRuntime(): Promise<void> {
  runtime = new WorkflowRuntime(appOptions()).registerWorkflow(chain3).registerActivity(step);
  await runtime.start();
}

async function stopRuntime(): Promise<void> {
  const r = runtime;
  runtime = undefined;
  // A worker whose stream already failed may never settle its stop: bounded.
  await Promise.race([r?.stop().catch(() => undefined), new Promise((res) => setTimeout(res, 3000))]);
}

async function until(ok: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Each step of `ids` ran at least once; a second run only for a step whose first run was in
 * flight during the crash [`from`, `to`] (or ended just before it: its result may not have been
 * recorded yet).
 */
function assertRedeliveriesOnly(ids: string[], from: number, to = from): void {
  for (const id of ids) {
    for (let i = 0; i < 3; i++) {
      const key = `${id}#${i}`;
      const r = runs.get(key) ?? [];
      assert.ok(r.length >= 1 && r.length <= 2, `${key} ran ${r.length} times`);
      if (r.length === 2) assert.ok(r[0]!.start <= to && (r[0]!.end === undefined || r[0]!.end > from - 1000), `${key} ran twice without being in flight at the crash: ${JSON.stringify(r)} (crash ${from}..${to})`);
    }
  }
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'swirl-grpc-crash-'));
  mkdirSync(join(dir, 'workflows'));
  port = await freePort();
  s = await startGrpcServe(dir, started, [], port);
  client = new DaprWorkflowClient(appOptions());
});

after(async () => {
  await stopRuntime();
  await client?.stop().catch(() => undefined);
  for (const p of started) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('crashes with WorkflowRuntime (@dapr/dapr 3.18) on swirl serve (SQLite)', () => {
  test('kill -9 of swirl serve mid-run, restarted on the same store and port: every instance completes, only in-flight activities run again', async () => {
    await startRuntime();
    const ids = ['k1', 'k2', 'k3', 'k4'];
    for (const id of ids) await client.scheduleNewWorkflow(chain3, id, id);
    await until(() => starts('k') >= 5);
    s.proc.kill('SIGKILL');
    await s.exited;
    const killedAt = Date.now();
    await stopRuntime();
    s = await startGrpcServe(dir, started, [], port);
    await client.stop();
    client = new DaprWorkflowClient(appOptions());
    await startRuntime();
    for (const id of ids) {
      const done = await client.waitForWorkflowCompletion(id, true, 30);
      assert.equal(done?.runtimeStatus, WorkflowRuntimeStatus.COMPLETED, `${id}: ${done?.workflowFailureDetails?.getErrorMessage()}`);
      assert.deepEqual(JSON.parse(done!.serializedOutput!), expected(id));
    }
    assertRedeliveriesOnly(ids, killedAt);
  });

  test('the app stops mid-run: the work waits (swirl_unserved_work) and is re-sent when an app connects again', async () => {
    if (!runtime) await startRuntime();
    const ids = ['a1', 'a2', 'a3'];
    for (const id of ids) await client.scheduleNewWorkflow(chain3, id, id);
    await until(() => starts('a') >= 4);
    const stoppingAt = Date.now();
    await stopRuntime();
    const stoppedAt = Date.now();
    // Let in-flight runs finish in this process; nothing new may start while no app is connected.
    await new Promise((r) => setTimeout(r, 400));
    const frozen = starts('a');
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(starts('a'), frozen, 'no activity starts while no app is connected');
    for (const id of ids) assert.notEqual((await client.getWorkflowState(id, false))?.runtimeStatus, WorkflowRuntimeStatus.COMPLETED, `${id} cannot finish without the app`);
    const metrics = await (await fetch(`${s.base}/metrics`)).text();
    assert.match(metrics, /^swirl_unserved_work\{kind="(orchestration|activity)",name="(chain3|step)"\} [1-9]\d*$/m, metrics.split('\n').filter((l) => l.includes('unserved')).join('\n'));
    await startRuntime();
    for (const id of ids) {
      const done = await client.waitForWorkflowCompletion(id, true, 30);
      assert.equal(done?.runtimeStatus, WorkflowRuntimeStatus.COMPLETED, `${id}: ${done?.workflowFailureDetails?.getErrorMessage()}`);
      assert.deepEqual(JSON.parse(done!.serializedOutput!), expected(id));
    }
    assertRedeliveriesOnly(ids, stoppingAt, stoppedAt);
    assert.doesNotMatch(await (await fetch(`${s.base}/metrics`)).text(), /^swirl_unserved_work\{.*name="(chain3|step)"\} [1-9]/m);
  });

  test('a worker that takes a turn and disconnects: the turn is re-sent to another worker; its late answer is refused and changes nothing', async () => {
    await stopRuntime();
    const raw = rawClient(port);
    try {
      const stream = raw.stream('GetWorkItems', {});
      const item = new Promise<any>((resolve) => stream.on('data', (w: { request?: string; orchestratorRequest?: { instanceId: string } }) => w.request === 'orchestratorRequest' && w.orchestratorRequest!.instanceId === 'd1' && resolve(w)));
      stream.on('error', () => undefined);
      await client.scheduleNewWorkflow(chain3, 'd1', 'd1');
      const taken = await item;
      assert.equal(taken.orchestratorRequest.instanceId, 'd1');
      // Gone mid-turn, without an answer.
      stream.cancel();
      await startRuntime();
      const done = await client.waitForWorkflowCompletion('d1', true, 30);
      assert.equal(done?.runtimeStatus, WorkflowRuntimeStatus.COMPLETED);
      assert.deepEqual(JSON.parse(done!.serializedOutput!), expected('d1'));
      // The first worker answers late, with something else: refused, nothing changes.
      const late = await raw.call('CompleteOrchestratorTask', {
        instanceId: 'd1',
        actions: [{ id: 1, completeOrchestration: { orchestrationStatus: 'ORCHESTRATION_STATUS_COMPLETED', result: { value: '"WRONG"' } } }],
      }).then(
        () => assert.fail('a late completion must be refused'),
        (e: { code: number; details: string }) => e,
      );
      assert.equal(late.code, 5 /* NOT_FOUND */, late.details);
      const after = await client.getWorkflowState('d1', true);
      assert.deepEqual(JSON.parse(after!.serializedOutput!), expected('d1'));
      const history = (await (await fetch(`${s.base}/api/v1/instances/d1/history`)).json()) as { events: Array<{ type: string }> };
      assert.equal(history.events.filter((e) => e.type === 'ExecutionCompleted').length, 1);
      assert.equal(history.events.filter((e) => e.type === 'TaskScheduled').length, 3);
      assert.deepEqual([0, 1, 2].map((i) => runs.get(`d1#${i}`)?.length), [1, 1, 1]);
    } finally {
      raw.close();
    }
  });
});
