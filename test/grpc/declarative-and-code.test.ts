/**
 * Declarative and code together on one `swirl serve` (real process, gRPC on): a Serverless
 * Workflow calls an activity a connected @dapr/dapr 3.18 `WorkflowRuntime` registered (custom
 * function `activity:<name>`, specs/custom-operations.md), and an app orchestration calls a
 * Serverless Workflow by its id as a child workflow; each shows in the other's history.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DaprWorkflowClient, WorkflowRuntime, WorkflowRuntimeStatus, type WorkflowActivityContext, type WorkflowContext } from '@dapr/dapr';
import { startGrpcServe, type GrpcServer } from './grpc-child.js';

const started: ChildProcess[] = [];
let dir: string;
let s: GrpcServer;
let client: DaprWorkflowClient;
let runtime: WorkflowRuntime;
/** Each run of the app activity: the instance it ran for and its input. */
const charges: Array<{ instance: string; input: unknown }> = [];

/** A Serverless Workflow whose custom function is the app's `chargeCard` activity. */
const CHECKOUT = `
id: checkout
specVersion: '0.8'
functions:
  - name: charge
    type: custom
    operation: activity:chargeCard
  - name: refuse
    type: custom
    operation: activity:declineCard
errors:
  - name: Declined
    code: CardDeclined
states:
  - name: Charge
    type: operation
    actions:
      - functionRef:
          refName: charge
          arguments:
            amount: \${ .total }
            card: \${ .card }
        actionDataFilter:
          toStateData: \${ .receipt }
    transition: Decline
  - name: Decline
    type: operation
    actions:
      - functionRef: refuse
    onErrors:
      - errorRef: Declined
        transition: Done
    end: true
  - name: Done
    type: inject
    data: { declined: true }
    end: true
`;

/** A Serverless Workflow whose retry policy retries an app activity that fails twice. */
const QUOTE = `
id: quote
specVersion: '0.8'
autoRetries: true
functions:
  - name: quote
    type: custom
    operation: activity:flakyQuote
retries:
  - name: Quick
    delay: PT0.2S
    maxAttempts: 3
states:
  - name: Quote
    type: operation
    actions:
      - functionRef:
          refName: quote
          arguments:
            symbol: \${ .symbol }
        retryRef: Quick
        actionDataFilter:
          toStateData: \${ .price }
    end: true
`;

/** A Serverless Workflow the app orchestration calls as a child. */
const DOUBLE = `
id: double
specVersion: '0.8'
states:
  - name: Double
    type: inject
    data: {}
    stateDataFilter:
      output: '\${ {doubled: (.n * 2), by: "serverless-workflow"} }'
    end: true
`;

const chargeCard = async (ctx: WorkflowActivityContext, input: { amount: number; card: string }): Promise<string> => {
  charges.push({ instance: ctx.getWorkflowInstanceId(), input });
  return `receipt:${input.card}:${input.amount}`;
};

/** Attempts of flakyQuote per symbol: the first two fail. */
const quoteAttempts = new Map<string, number>();
const flakyQuote = async (_ctx: WorkflowActivityContext, input: { symbol: string }): Promise<number> => {
  const n = (quoteAttempts.get(input.symbol) ?? 0) + 1;
  quoteAttempts.set(input.symbol, n);
  if (n < 3) throw new Error(`quote service busy (attempt ${n})`);
  return 101.5;
};

class CardDeclined extends Error {
  constructor() {
    super('card declined');
    this.name = 'CardDeclined';
  }
}
const declineCard = async (): Promise<never> => {
  throw new CardDeclined();
};

const parent = async function* (ctx: WorkflowContext, n: number): any {
  const fromSw = yield ctx.callChildWorkflow('double', { n }, `${ctx.getWorkflowInstanceId()}-child`);
  return { fromSw, app: 'done' };
};

type HistoryEvent = { type: string; name?: string; eventId: number; result?: string; input?: string; parent?: { instanceId: string; name: string } };
async function history(id: string): Promise<HistoryEvent[]> {
  const r = await fetch(`${s.base}/api/v1/instances/${id}/history`);
  assert.equal(r.status, 200);
  return ((await r.json()) as { events: HistoryEvent[] }).events;
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'swirl-grpc-mixed-'));
  mkdirSync(join(dir, 'workflows'));
  writeFileSync(join(dir, 'workflows', 'checkout.yaml'), CHECKOUT);
  writeFileSync(join(dir, 'workflows', 'double.yaml'), DOUBLE);
  writeFileSync(join(dir, 'workflows', 'quote.yaml'), QUOTE);
  s = await startGrpcServe(dir, started);
  const opts = { daprHost: '127.0.0.1', daprPort: String(s.grpcPort) };
  client = new DaprWorkflowClient(opts);
  runtime = new WorkflowRuntime(opts).registerWorkflow(parent).registerActivity(chargeCard).registerActivity(declineCard).registerActivity(flakyQuote);
  await runtime.start();
});

after(async () => {
  await runtime?.stop().catch(() => undefined);
  await client?.stop().catch(() => undefined);
  for (const p of started) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('Serverless Workflows and Dapr SDK app code on one swirl serve', () => {
  test("a Serverless Workflow's custom function activity:chargeCard runs the app's activity; an app error is caught by onErrors", async () => {
    const id = await client.scheduleNewWorkflow('checkout', { total: 42, card: 'visa' }, 'sw-checkout-1');
    const done = await client.waitForWorkflowCompletion(id, true, 20);
    assert.equal(done?.runtimeStatus, WorkflowRuntimeStatus.COMPLETED, done?.workflowFailureDetails?.getErrorMessage());
    assert.deepEqual(JSON.parse(done!.serializedOutput!), { total: 42, card: 'visa', receipt: 'receipt:visa:42', declined: true });
    // The app saw the Serverless Workflow's instance, with the function's arguments, once.
    assert.deepEqual(charges, [{ instance: 'sw-checkout-1', input: { amount: 42, card: 'visa' } }]);
    // The Serverless Workflow's history names the app's activities.
    const events = await history(id);
    const tasks = events.filter((e) => e.type.startsWith('Task')).map((e) => [e.type, e.name ?? '']);
    assert.deepEqual(tasks, [
      ['TaskScheduled', 'chargeCard'],
      ['TaskCompleted', ''],
      ['TaskScheduled', 'declineCard'],
      ['TaskFailed', ''],
    ]);
    assert.equal(JSON.parse(events.find((e) => e.type === 'TaskCompleted')!.result!), 'receipt:visa:42');
  });

  test("a Serverless Workflow's retry policy retries a failing app activity: three attempts, each a task in the history", async () => {
    const id = await client.scheduleNewWorkflow('quote', { symbol: 'SWRL' }, 'sw-quote-1');
    const done = await client.waitForWorkflowCompletion(id, true, 20);
    assert.equal(done?.runtimeStatus, WorkflowRuntimeStatus.COMPLETED, done?.workflowFailureDetails?.getErrorMessage());
    assert.deepEqual(JSON.parse(done!.serializedOutput!), { symbol: 'SWRL', price: 101.5 });
    assert.equal(quoteAttempts.get('SWRL'), 3);
    const tasks = (await history(id)).filter((e) => e.type.startsWith('Task') || e.type.startsWith('Timer')).map((e) => e.type);
    assert.deepEqual(tasks, ['TaskScheduled', 'TaskFailed', 'TimerCreated', 'TimerFired', 'TaskScheduled', 'TaskFailed', 'TimerCreated', 'TimerFired', 'TaskScheduled', 'TaskCompleted']);
  });

  test('an app orchestration calls a Serverless Workflow by its id as a child workflow', async () => {
    const id = await client.scheduleNewWorkflow(parent, 21, 'app-parent-1');
    const done = await client.waitForWorkflowCompletion(id, true, 20);
    assert.equal(done?.runtimeStatus, WorkflowRuntimeStatus.COMPLETED, done?.workflowFailureDetails?.getErrorMessage());
    assert.deepEqual(JSON.parse(done!.serializedOutput!), { fromSw: { doubled: 42, by: 'serverless-workflow' }, app: 'done' });
    // The app's history holds the child; the child's (a Serverless Workflow's) names its parent.
    const mine = await history(id);
    const created = mine.find((e) => e.type === 'SubOrchestrationInstanceCreated');
    assert.equal(created?.name, 'double');
    assert.deepEqual(JSON.parse(mine.find((e) => e.type === 'SubOrchestrationInstanceCompleted')!.result!), { doubled: 42, by: 'serverless-workflow' });
    const child = await history('app-parent-1-child');
    const start = child.find((e) => e.type === 'ExecutionStarted');
    assert.equal(start?.name, 'double');
    assert.equal(start?.parent?.instanceId, 'app-parent-1');
    assert.equal(start?.parent?.name, 'parent');
    const meta = (await (await fetch(`${s.base}/api/v1/instances/app-parent-1-child`)).json()) as { runtimeStatus: string; definitionHash?: string };
    assert.equal(meta.runtimeStatus, 'COMPLETED');
  });
});
