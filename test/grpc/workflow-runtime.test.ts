/**
 * Remote orchestrations: the real @dapr/dapr 3.18 `WorkflowRuntime` connects to a real
 * `swirl serve` process over gRPC (GetWorkItems) and runs its orchestrators and activities there
 * while Swirl's engine owns history, timers, events and persistence; `DaprWorkflowClient` manages
 * the instances. Also the @dapr/durabletask-js 1.0 `TaskHubGrpcWorker`.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DaprWorkflowClient, WorkflowRuntime, WorkflowRuntimeStatus, type WorkflowActivityContext, type WorkflowContext } from '@dapr/dapr';
import { TaskHubGrpcClient, TaskHubGrpcWorker } from '@dapr/durabletask-js';
import { startGrpcServe, type GrpcServer } from './grpc-child.js';

const started: ChildProcess[] = [];
let dir: string;
let s: GrpcServer;
let client: DaprWorkflowClient;
let runtime: WorkflowRuntime;
/** How often each activity input ran (at-least-once: no duplicates without a redelivery here). */
const runs = new Map<string, number>();

const hello = async (_ctx: WorkflowActivityContext, who: string): Promise<string> => {
  runs.set(who, (runs.get(who) ?? 0) + 1);
  return `Hello ${who}!`;
};
const explode = async (_ctx: WorkflowActivityContext, why: string): Promise<never> => {
  throw new RangeError(`exploded: ${why}`);
};

const chain = async function* (ctx: WorkflowContext, input: { a: string; b: string }): any {
  const x = yield ctx.callActivity(hello, input.a);
  const y = yield ctx.callActivity(hello, input.b);
  yield ctx.createTimer(1);
  return [x, y];
};

const approval = async function* (ctx: WorkflowContext, item: string): any {
  ctx.setCustomStatus('waiting-for-approval');
  const decision = yield ctx.waitForExternalEvent('approve');
  return { item, decision };
};

const fanOut = async function* (ctx: WorkflowContext, names: string[]): any {
  const all = yield ctx.whenAll(names.map((n) => ctx.callActivity(hello, n)));
  const child = yield ctx.callChildWorkflow(chain, { a: 'child-a', b: 'child-b' });
  const first = yield ctx.whenAny([ctx.waitForExternalEvent('never'), ctx.createTimer(1)]);
  return { all, child, timerWon: first !== undefined };
};

const counter = async function* (ctx: WorkflowContext, n: number): any {
  if (n < 3) {
    yield ctx.callActivity(hello, `count-${n}`);
    ctx.continueAsNew(n + 1, false);
    return;
  }
  return n;
};

/** Generation 0 waits for 'go' and continues as new keeping the 'item' events it got meanwhile; generation 1 consumes them. */
const carrier = async function* (ctx: WorkflowContext, gen: number): any {
  if (gen === 0) {
    yield ctx.waitForExternalEvent('go');
    ctx.continueAsNew(1, true);
    return;
  }
  const a = yield ctx.waitForExternalEvent('item');
  const b = yield ctx.waitForExternalEvent('item');
  return [gen, a, b];
};

const failing = async function* (ctx: WorkflowContext): any {
  yield ctx.callActivity(explode, 'on purpose');
};

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'swirl-grpc-runtime-'));
  mkdirSync(join(dir, 'workflows'));
  s = await startGrpcServe(dir, started);
  const opts = { daprHost: '127.0.0.1', daprPort: String(s.grpcPort) };
  client = new DaprWorkflowClient(opts);
  runtime = new WorkflowRuntime(opts)
    .registerWorkflow(chain)
    .registerWorkflow(approval)
    .registerWorkflow(fanOut)
    .registerWorkflow(counter)
    .registerWorkflow(failing)
    .registerWorkflow(carrier)
    .registerActivity(hello)
    .registerActivity(explode);
  await runtime.start();
});

after(async () => {
  await runtime?.stop().catch(() => undefined);
  await client?.stop().catch(() => undefined);
  for (const p of started) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('WorkflowRuntime (@dapr/dapr 3.18) on swirl serve', () => {
  test('activities and a durable timer: output, history in Swirl, each activity once', async () => {
    const id = await client.scheduleNewWorkflow(chain, { a: 'Tokyo', b: 'Paris' }, 'rt-chain');
    const done = await client.waitForWorkflowCompletion(id, true, 15);
    assert.equal(done?.runtimeStatus, WorkflowRuntimeStatus.COMPLETED, done?.workflowFailureDetails?.getErrorMessage());
    assert.deepEqual(JSON.parse(done!.serializedOutput!), ['Hello Tokyo!', 'Hello Paris!']);
    assert.equal(runs.get('Tokyo'), 1);
    assert.equal(runs.get('Paris'), 1);
    // Swirl's engine holds the history in Durable Task vocabulary.
    const history = (await (await fetch(`${s.base}/api/v1/instances/${id}/history`)).json()) as { events: Array<{ type: string; name?: string; eventId: number }> };
    const types = history.events.map((e) => e.type);
    assert.deepEqual(types.filter((t) => t === 'TaskScheduled' || t === 'TaskCompleted' || t === 'TimerCreated' || t === 'TimerFired'), ['TaskScheduled', 'TaskCompleted', 'TaskScheduled', 'TaskCompleted', 'TimerCreated', 'TimerFired']);
    assert.deepEqual(history.events.filter((e) => e.type === 'TaskScheduled').map((e) => [e.name, e.eventId]), [['hello', 1], ['hello', 2]]);
    assert.equal(types.at(-2), 'ExecutionCompleted');
  });

  test('external event with custom status; suspend, resume, terminate, purge', async () => {
    const id = await client.scheduleNewWorkflow(approval, 'laptop', 'rt-approval');
    await client.waitForWorkflowStart(id, false, 10);
    let st = await waitFor(() => client.getWorkflowState(id, true), (x) => x?.customStatus !== undefined);
    assert.equal(JSON.parse(st!.customStatus!), 'waiting-for-approval');
    await client.raiseEvent(id, 'approve', { by: 'ada' });
    st = await client.waitForWorkflowCompletion(id, true, 10);
    assert.equal(st?.runtimeStatus, WorkflowRuntimeStatus.COMPLETED);
    assert.deepEqual(JSON.parse(st!.serializedOutput!), { item: 'laptop', decision: { by: 'ada' } });

    const id2 = await client.scheduleNewWorkflow(approval, 'desk', 'rt-approval-2');
    await client.waitForWorkflowStart(id2, false, 10);
    await client.suspendWorkflow(id2);
    assert.equal((await client.getWorkflowState(id2, false))?.runtimeStatus, WorkflowRuntimeStatus.SUSPENDED);
    await client.resumeWorkflow(id2);
    assert.equal((await client.getWorkflowState(id2, false))?.runtimeStatus, WorkflowRuntimeStatus.RUNNING);
    await client.terminateWorkflow(id2, 'cancelled');
    st = await client.waitForWorkflowCompletion(id2, true, 10);
    assert.equal(st?.runtimeStatus, WorkflowRuntimeStatus.TERMINATED);
    assert.equal(await client.purgeWorkflow(id2), true);
    assert.equal(await client.getWorkflowState(id2, false), undefined);
  });

  test('whenAll over activities, a child workflow, whenAny of an event and a timer', async () => {
    const id = await client.scheduleNewWorkflow(fanOut, ['x1', 'x2', 'x3'], 'rt-fan');
    const done = await client.waitForWorkflowCompletion(id, true, 15);
    assert.equal(done?.runtimeStatus, WorkflowRuntimeStatus.COMPLETED, done?.workflowFailureDetails?.getErrorMessage());
    assert.deepEqual(JSON.parse(done!.serializedOutput!), { all: ['Hello x1!', 'Hello x2!', 'Hello x3!'], child: ['Hello child-a!', 'Hello child-b!'], timerWon: true });
    const children = (await (await fetch(`${s.base}/api/v1/instances?idPrefix=${encodeURIComponent('rt-fan:')}`)).json()) as { instances?: Array<{ instanceID?: string; instanceId?: string }> };
    assert.ok(JSON.stringify(children).includes('rt-fan:'), JSON.stringify(children));
  });

  test('continue-as-new and a failing activity', async () => {
    const id = await client.scheduleNewWorkflow(counter, 0, 'rt-counter');
    const done = await client.waitForWorkflowCompletion(id, true, 15);
    assert.equal(done?.runtimeStatus, WorkflowRuntimeStatus.COMPLETED, done?.workflowFailureDetails?.getErrorMessage());
    assert.equal(JSON.parse(done!.serializedOutput!), 3);
    assert.deepEqual([runs.get('count-0'), runs.get('count-1'), runs.get('count-2')], [1, 1, 1]);

    const f = await client.scheduleNewWorkflow(failing, undefined, 'rt-failing');
    const failed = await client.waitForWorkflowCompletion(f, true, 15);
    assert.equal(failed?.runtimeStatus, WorkflowRuntimeStatus.FAILED);
    assert.match(failed!.workflowFailureDetails!.getErrorMessage(), /exploded: on purpose/);
  });
});

describe('continue-as-new keeping unconsumed events (saveEvents)', () => {
  test('events received but not consumed before continueAsNew(…, true) reach the new execution', async () => {
    const id = await client.scheduleNewWorkflow(carrier, 0, 'rt-carry');
    await client.waitForWorkflowStart(id, false, 10);
    await client.raiseEvent(id, 'item', { n: 1 });
    await client.raiseEvent(id, 'item', { n: 2 });
    // Both items are in the history before 'go' (the next turn sees all three, or the items first).
    await waitFor(
      async () => ((await (await fetch(`${s.base}/api/v1/instances/${id}/history`)).json()) as { events: Array<{ type: string }> }).events.filter((e) => e.type === 'EventRaised').length,
      (n) => n >= 2,
    );
    await client.raiseEvent(id, 'go');
    const done = await client.waitForWorkflowCompletion(id, true, 15);
    assert.equal(done?.runtimeStatus, WorkflowRuntimeStatus.COMPLETED, done?.workflowFailureDetails?.getErrorMessage());
    assert.deepEqual(JSON.parse(done!.serializedOutput!), [1, { n: 1 }, { n: 2 }]);
    // The new execution's history starts with the carried events.
    const history = (await (await fetch(`${s.base}/api/v1/instances/${id}/history`)).json()) as { events: Array<{ type: string; name?: string; input?: string }> };
    assert.deepEqual(
      history.events.filter((e) => e.type === 'EventRaised').map((e) => [e.name, JSON.parse(e.input!)]),
      [
        ['item', { n: 1 }],
        ['item', { n: 2 }],
      ],
    );
  });
});

describe('TaskHubGrpcWorker (@dapr/durabletask-js 1.0) on swirl serve', () => {
  test('an orchestrator with an activity completes', async () => {
    const greet = async (_ctx: unknown, who: string) => `Hi ${who}`;
    const seq = async function* (ctx: any, who: string): any {
      const a = yield ctx.callActivity(greet, who);
      return a.toUpperCase();
    };
    // A second app on the same sidecar: Swirl offers work to any worker until it shows it lacks the name.
    await runtime.stop();
    const worker = new TaskHubGrpcWorker(`127.0.0.1:${s.grpcPort}`);
    worker.addOrchestrator(seq);
    worker.addActivity(greet);
    await worker.start();
    const dt = new TaskHubGrpcClient(`127.0.0.1:${s.grpcPort}`);
    try {
      const id = await dt.scheduleNewOrchestration(seq, 'ada', 'dt-seq');
      const done = await dt.waitForOrchestrationCompletion(id, true, 15);
      assert.equal(JSON.parse(done!.serializedOutput!), 'HI ADA');
    } finally {
      await dt.stop();
      await worker.stop();
    }
  });
});

async function waitFor<T>(get: () => Promise<T>, ok: (v: T) => boolean, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await get();
    if (ok(v) || Date.now() > end) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
}
