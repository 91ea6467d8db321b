// Traces of work done by a remote app (issue 13): a Dapr SDK app connected over the Durable Task
// stream runs orchestrations and activities; Swirl emits their instance, activity and
// sub-orchestration spans (the app's code cannot), sends the app each span's trace context in the
// events it replays (TaskScheduled / SubOrchestrationInstanceCreated parentTraceContext,
// ExecutionStarted orchestrationSpanID), and a Serverless Workflow's action served by the app's
// activity is a child of its state span. Dapr's StartWorkflowBeta1 over gRPC, with traceparent
// metadata, parents the instance span. Asserted on the SDK's InMemorySpanExporter.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { SpanStatusCode } from '@opentelemetry/api';
import { CommunicationProtocolEnum, DaprClient, WorkflowRuntime, type WorkflowActivityContext, type WorkflowContext } from '@dapr/dapr';
import { createHost, type SwirlHost } from '../../src/index.js';
import { startGrpcServer } from '../../src/grpc/index.js';
import { rawClient } from '../grpc/raw-client.js';

/** The gRPC implementation behind `DaprClient#daprClient` (a CommonJS default export). */
type GRPCClient = import('@dapr/dapr/implementation/Client/GRPCClient/GRPCClient.js').default;

const dirs: string[] = [];
const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const CALLER_SPAN = '00f067aa0ba902b7';
const TRACEPARENT = `00-${TRACE_ID}-${CALLER_SPAN}-01`;

async function tracedHost(files: Record<string, string> = {}): Promise<{ host: SwirlHost; port: number; exporter: InMemorySpanExporter }> {
  const dir = mkdtempSync(join(tmpdir(), 'swirl-tracing-remote-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  const exporter = new InMemorySpanExporter();
  const host = await createHost({ store: 'memory', workflowsDir: dir, engine: { pollIntervalMs: 20 }, tracing: { spanProcessors: [new SimpleSpanProcessor(exporter)] } });
  cleanups.push(() => host.stop());
  await host.start();
  const grpc = await startGrpcServer(host, { port: 0 });
  cleanups.push(() => grpc.close());
  return { host, port: grpc.port, exporter };
}

/** Waits (deadlock detection, not a speed check) until `count` spans named `name` are exported. */
async function spansNamed(exporter: InMemorySpanExporter, name: string, count = 1): Promise<ReadableSpan[]> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const found = exporter.getFinishedSpans().filter((s) => s.name === name);
    if (found.length >= count) return found;
    assert.ok(Date.now() < deadline, `${count} span(s) '${name}' (spans: ${exporter.getFinishedSpans().map((s) => s.name).join(', ')})`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const greet = async (_ctx: WorkflowActivityContext, who: string): Promise<string> => `Hello ${who}!`;
const refuse = async (_ctx: WorkflowActivityContext, why: string): Promise<never> => {
  throw new RangeError(`refused: ${why}`);
};

const childFlow = async function* (ctx: WorkflowContext, who: string): any {
  return yield ctx.callActivity(greet, `child ${who}`);
};

const parentFlow = async function* (ctx: WorkflowContext, who: string): any {
  const a = yield ctx.callActivity(greet, who);
  const b = yield ctx.callChildWorkflow(childFlow, who);
  let caught = '';
  try {
    yield ctx.callActivity(refuse, 'no');
  } catch (e) {
    caught = (e as Error).message;
  }
  return { a, b, caught };
};

/** A Serverless Workflow whose function is the app's `greet` activity (specs/custom-operations.md). */
const DECLARATIVE = `
id: declarative
specVersion: '0.8'
functions:
  - name: greet
    type: custom
    operation: activity:greet
states:
  - name: Greet
    type: operation
    actions:
      - name: callGreet
        functionRef: { refName: greet, arguments: { who: ada } }
        actionDataFilter: { toStateData: '\${ .greeting }' }
    end: true
`;

test("a Dapr SDK app's workflow: Swirl's spans for its instance, activities and child workflow, under the start request; an SW action served by the app is a child of its state", async () => {
  const { host, port, exporter } = await tracedHost({ 'declarative.yaml': DECLARATIVE });
  const runtime = new WorkflowRuntime({ daprHost: '127.0.0.1', daprPort: String(port) }).registerWorkflow(parentFlow).registerWorkflow(childFlow).registerActivity(greet).registerActivity(refuse);
  await runtime.start();
  cleanups.push(() => runtime.stop());
  const raw = rawClient(port, undefined, { traceparent: TRACEPARENT });
  cleanups.push(async () => raw.close());
  await raw.call('StartInstance', { name: 'parentFlow', instanceId: 'r-1', input: { value: '"ada"' } });
  const done = await host.engine.client.waitForCompletion('r-1', { timeoutMs: 60_000 });
  assert.equal(done.runtimeStatus, 'COMPLETED', JSON.stringify(done.failure));
  assert.deepEqual(done.output, { a: 'Hello ada!', b: 'Hello child ada!', caught: 'r-1: Activity task #3 failed: refused: no' });

  const [root] = await spansNamed(exporter, 'workflow parentFlow');
  const [childRoot] = await spansNamed(exporter, 'workflow childFlow');
  const greets = await spansNamed(exporter, 'activity greet', 2);
  const [refused] = await spansNamed(exporter, 'activity refuse');
  const [call] = await spansNamed(exporter, 'suborchestration childFlow');
  // One trace, continued from the start request's traceparent.
  for (const s of [root!, childRoot!, ...greets, refused!, call!]) assert.equal(s.spanContext().traceId, TRACE_ID, s.name);
  assert.equal(root!.parentSpanContext?.spanId, CALLER_SPAN);
  assert.equal(root!.attributes['swirl.instance.id'], 'r-1');
  assert.equal(root!.attributes['swirl.workflow.id'], 'parentFlow');
  assert.equal(root!.status.code, SpanStatusCode.UNSET);
  const parentGreet = greets.find((s) => s.attributes['swirl.instance.id'] === 'r-1');
  const childGreet = greets.find((s) => s.attributes['swirl.instance.id'] !== 'r-1');
  assert.equal(parentGreet?.parentSpanContext?.spanId, root!.spanContext().spanId, 'the activity hangs under its instance');
  assert.equal(parentGreet?.attributes['swirl.activity.name'], 'greet');
  assert.equal(refused!.parentSpanContext?.spanId, root!.spanContext().spanId);
  assert.equal(refused!.status.code, SpanStatusCode.ERROR);
  assert.match(refused!.status.message ?? '', /refused: no/);
  // The child workflow's instance is a child of the call that created it.
  assert.equal(call!.parentSpanContext?.spanId, root!.spanContext().spanId);
  assert.equal(call!.attributes['swirl.subflow.instance.id'], childRoot!.attributes['swirl.instance.id']);
  assert.equal(childRoot!.parentSpanContext?.spanId, call!.spanContext().spanId);
  assert.equal(childGreet?.parentSpanContext?.spanId, childRoot!.spanContext().spanId);
  // Each span once.
  const ids = exporter.getFinishedSpans().map((s) => s.spanContext().spanId);
  assert.equal(new Set(ids).size, ids.length, 'no span twice');

  // A Serverless Workflow's action whose function is the app's activity: as for in-process functions.
  await raw.call('StartInstance', { name: 'declarative', instanceId: 'd-1', input: { value: '{}' } });
  const declared = await host.engine.client.waitForCompletion('d-1', { timeoutMs: 60_000 });
  assert.equal(declared.runtimeStatus, 'COMPLETED', JSON.stringify(declared.failure));
  const [state] = await spansNamed(exporter, 'state Greet');
  const [action] = await spansNamed(exporter, 'action callGreet');
  const [wf] = await spansNamed(exporter, 'workflow declarative');
  assert.equal(wf!.parentSpanContext?.spanId, CALLER_SPAN);
  assert.equal(state!.parentSpanContext?.spanId, wf!.spanContext().spanId);
  assert.equal(action!.parentSpanContext?.spanId, state!.spanContext().spanId);
  assert.equal(action!.attributes['swirl.function.name'], 'greet');
  assert.equal(action!.spanContext().traceId, TRACE_ID);
});

test('what the app receives: TaskScheduled and SubOrchestrationInstanceCreated carry their span as parentTraceContext, ExecutionStarted the instance span as orchestrationSpanID', async () => {
  const { host, port, exporter } = await tracedHost();
  const raw = rawClient(port, undefined, { traceparent: TRACEPARENT });
  cleanups.push(async () => raw.close());
  // A worker speaking the protocol itself, as an SDK that reads the trace fields would.
  const stream = raw.stream('GetWorkItems', {});
  stream.on('error', () => undefined);
  cleanups.push(async () => stream.cancel());
  const turns: any[] = [];
  stream.on('data', (w: any) => {
    if (w.request === 'orchestratorRequest') {
      const r = w.orchestratorRequest;
      turns.push(r);
      const events = [...(r.pastEvents ?? []), ...(r.newEvents ?? [])];
      const done = (result: string) => [{ id: 99, completeOrchestration: { orchestrationStatus: 'ORCHESTRATION_STATUS_COMPLETED', result: { value: result } } }];
      let actions: object[] = [];
      if (r.instanceId === 'w-child') actions = done('"child done"');
      else if (!events.some((e: any) => e.taskScheduled)) {
        actions = [
          { id: 1, scheduleTask: { name: 'work', input: { value: '1' } } },
          { id: 2, createSubOrchestration: { instanceId: 'w-child', name: 'wireChild', input: { value: '2' } } },
        ];
      } else if (events.some((e: any) => e.taskCompleted) && events.some((e: any) => e.subOrchestrationInstanceCompleted)) actions = done('"parent done"');
      void raw.call('CompleteOrchestratorTask', { instanceId: r.instanceId, actions });
    } else if (w.request === 'activityRequest') {
      const a = w.activityRequest;
      void raw.call('CompleteActivityTask', { instanceId: a.orchestrationInstance.instanceId, taskId: a.taskId, result: { value: '"worked"' } });
    }
  });
  await raw.call('StartInstance', { name: 'wireFlow', instanceId: 'w-1', input: { value: '0' } });
  const done = await host.engine.client.waitForCompletion('w-1', { timeoutMs: 60_000 });
  assert.equal(done.runtimeStatus, 'COMPLETED', JSON.stringify(done.failure));
  assert.equal(done.output, 'parent done');

  const [root] = await spansNamed(exporter, 'workflow wireFlow');
  const [task] = await spansNamed(exporter, 'activity work');
  const [call] = await spansNamed(exporter, 'suborchestration wireChild');
  const [childRoot] = await spansNamed(exporter, 'workflow wireChild');
  for (const s of [root!, task!, call!, childRoot!]) assert.equal(s.spanContext().traceId, TRACE_ID, s.name);
  assert.equal(root!.parentSpanContext?.spanId, CALLER_SPAN);
  assert.equal(task!.parentSpanContext?.spanId, root!.spanContext().spanId);
  const tp = (s: ReadableSpan) => `00-${TRACE_ID}-${s.spanContext().spanId}-01`;
  const last = turns.filter((t) => t.instanceId === 'w-1').at(-1);
  const events = [...(last.pastEvents ?? []), ...(last.newEvents ?? [])];
  const started = events.find((e: any) => e.executionStarted).executionStarted;
  assert.deepEqual(started.parentTraceContext?.traceParent, TRACEPARENT, "the caller's context");
  assert.equal(started.orchestrationSpanID?.value, root!.spanContext().spanId, "Swirl's instance span");
  assert.equal(events.find((e: any) => e.taskScheduled).taskScheduled.parentTraceContext?.traceParent, tp(task!));
  assert.equal(events.find((e: any) => e.subOrchestrationInstanceCreated).subOrchestrationInstanceCreated.parentTraceContext?.traceParent, tp(call!));
  // The child's ExecutionStarted names the call's span as its parent, its own span as orchestrationSpanID.
  const child = turns.find((t) => t.instanceId === 'w-child');
  const childStarted = [...(child.pastEvents ?? []), ...(child.newEvents ?? [])].find((e: any) => e.executionStarted).executionStarted;
  assert.equal(childStarted.parentTraceContext?.traceParent, tp(call!));
  assert.equal(childStarted.orchestrationSpanID?.value, childRoot!.spanContext().spanId);
  assert.equal(childRoot!.parentSpanContext?.spanId, call!.spanContext().spanId);
});

test("Dapr's StartWorkflowBeta1 over gRPC with traceparent metadata parents the instance span", async () => {
  const { host, port, exporter } = await tracedHost({
    'hello.yaml': `
id: hello
specVersion: '0.8'
start: Say
states:
  - name: Say
    type: inject
    data: { said: hi }
    end: true
`,
  });
  const dapr = new DaprClient({ daprHost: '127.0.0.1', daprPort: String(port), communicationProtocol: CommunicationProtocolEnum.GRPC });
  await dapr.start();
  cleanups.push(() => dapr.stop());
  // The SDK's generated client of dapr.proto.runtime.v1.Dapr (client.workflow.* throws over gRPC in 3.18).
  const stub = await (dapr.daprClient as unknown as GRPCClient).getClient();
  const res = await stub.startWorkflowBeta1({ workflowComponent: 'dapr', workflowName: 'hello', instanceId: 'dapr-1', input: Buffer.from('{}') }, { headers: { traceparent: TRACEPARENT } });
  assert.equal(res.instanceId, 'dapr-1');
  const done = await host.engine.client.waitForCompletion('dapr-1', { timeoutMs: 60_000 });
  assert.equal(done.runtimeStatus, 'COMPLETED');
  const [root] = await spansNamed(exporter, 'workflow hello');
  assert.equal(root!.spanContext().traceId, TRACE_ID);
  assert.equal(root!.parentSpanContext?.spanId, CALLER_SPAN);
  assert.equal(root!.attributes['swirl.instance.id'], 'dapr-1');
  const [state] = await spansNamed(exporter, 'state Say');
  assert.equal(state!.parentSpanContext?.spanId, root!.spanContext().spanId);
});
