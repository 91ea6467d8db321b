/**
 * Dapr's runtime gRPC API (`dapr.proto.runtime.v1.Dapr`) on swirl serve's gRPC port, driven by
 * the real @dapr/dapr 3.18 `DaprClient` with `CommunicationProtocolEnum.GRPC`: its start
 * (GetMetadata) and `metadata.get()`. Its `client.workflow.*` methods throw GRPCNotSupportedError
 * over gRPC in 3.18, so the workflow methods are driven through the generated ConnectRPC stub the
 * same DaprClient uses internally (`daprClient.getClient()`, built from the SDK's dapr_pb.js) —
 * the calls an older Dapr SDK's DaprClient makes — managing a Serverless Workflow.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CommunicationProtocolEnum, DaprClient } from '@dapr/dapr';
import { GRPCNotSupportedError } from '@dapr/dapr/errors/GRPCNotSupportedError.js';
import { startGrpcServe, type GrpcServer } from './grpc-child.js';
import { APPROVE_WORKFLOW } from '../host/fixtures/workflows.js';

/** The gRPC implementation behind `DaprClient#daprClient` (a CommonJS default export). */
type GRPCClient = import('@dapr/dapr/implementation/Client/GRPCClient/GRPCClient.js').default;

const TOKEN = 'dapr-s3cret';
const started: ChildProcess[] = [];
let dir: string;
let s: GrpcServer;
let dapr: DaprClient;
/** The SDK's generated client of dapr.proto.runtime.v1.Dapr (ConnectRPC over the gRPC protocol). */
let stub: Awaited<ReturnType<GRPCClient['getClient']>>;

const APPROVE = APPROVE_WORKFLOW;

const enc = (v: unknown): Uint8Array => Buffer.from(JSON.stringify(v));

/** The ConnectError `fn` fails with: code (the gRPC status number) and the server's message. */
async function failure(fn: () => Promise<unknown>): Promise<{ code: number; rawMessage: string }> {
  try {
    await fn();
  } catch (e) {
    return e as { code: number; rawMessage: string };
  }
  return assert.fail('expected a gRPC error');
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'swirl-grpc-dapr-'));
  mkdirSync(join(dir, 'workflows'));
  writeFileSync(join(dir, 'workflows', 'approve.yaml'), APPROVE);
  s = await startGrpcServe(dir, started, ['--api-token', TOKEN]);
  dapr = new DaprClient({ daprHost: '127.0.0.1', daprPort: String(s.grpcPort), communicationProtocol: CommunicationProtocolEnum.GRPC, daprApiToken: TOKEN });
  await dapr.start();
  stub = await (dapr.daprClient as unknown as GRPCClient).getClient();
});

after(async () => {
  await dapr?.stop().catch(() => undefined);
  for (const p of started) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('DaprClient (@dapr/dapr 3.18, gRPC) against swirl serve --grpc-port', () => {
  test('start() sees the sidecar (GetMetadata); metadata.get() lists the workflows; client.workflow throws GRPCNotSupportedError in 3.18', async () => {
    const md = await dapr.metadata.get();
    assert.equal(md.id, 'swirl');
    assert.equal((md.extended as Record<string, string>)['swirl.workflows'], 'approve');
    assert.throws(() => dapr.workflow.start('approve', {}), GRPCNotSupportedError);
    const raw = await stub.getMetadata({});
    assert.equal(raw.runtimeVersion.startsWith('swirl-'), true);
    assert.equal(raw.workflows?.connectedWorkers, 0, 'no app worker on GetWorkItems');
  });

  test('StartWorkflowBeta1 / Get / Pause / Resume / RaiseEvent / Purge manage a Serverless Workflow', async () => {
    const started = await stub.startWorkflowBeta1({ workflowComponent: 'dapr', workflowName: 'approve', instanceId: 'dc-1', input: enc({ who: 'ada' }) });
    assert.equal(started.instanceId, 'dc-1');
    let st = await stub.getWorkflowBeta1({ instanceId: 'dc-1', workflowComponent: 'dapr' });
    assert.equal(st.workflowName, 'approve');
    assert.equal(st.properties['dapr.workflow.input'], '{"who":"ada"}');
    assert.ok(Number(st.createdAt!.seconds) * 1000 > Date.now() - 60_000);
    await stub.pauseWorkflowBeta1({ instanceId: 'dc-1' });
    assert.equal((await stub.getWorkflowBeta1({ instanceId: 'dc-1' })).runtimeStatus, 'SUSPENDED');
    await stub.resumeWorkflowBeta1({ instanceId: 'dc-1' });
    assert.equal((await stub.getWorkflowBeta1({ instanceId: 'dc-1' })).runtimeStatus, 'RUNNING');
    await stub.raiseEventWorkflowBeta1({ instanceId: 'dc-1', eventName: 'Approval', eventData: enc({ ok: true }) });
    st = await waitFor(() => stub.getWorkflowBeta1({ instanceId: 'dc-1' }), (x: typeof st) => x.runtimeStatus === 'COMPLETED');
    assert.equal(st.runtimeStatus, 'COMPLETED');
    assert.deepEqual(JSON.parse(st.properties['dapr.workflow.output']!), { who: 'ada', prepared: true, ok: true });
    await stub.purgeWorkflowBeta1({ instanceId: 'dc-1' });
    const gone = await failure(() => stub.getWorkflowBeta1({ instanceId: 'dc-1' }));
    assert.equal(gone.code, 5 /* NOT_FOUND */);
    assert.equal(gone.rawMessage, 'ERR_INSTANCE_ID_NOT_FOUND: unable to find workflow with the provided instance ID: dc-1');
  });

  test('the Alpha1 names: start, terminate (recursive), purge; a generated id', async () => {
    const { instanceId } = await stub.startWorkflowAlpha1({ workflowComponent: 'dapr', workflowName: 'approve', input: enc({ who: 'bob' }) });
    assert.ok(instanceId.length > 0);
    assert.equal((await stub.getWorkflowAlpha1({ instanceId })).runtimeStatus, 'RUNNING');
    await stub.terminateWorkflowAlpha1({ instanceId });
    assert.equal((await stub.getWorkflowAlpha1({ instanceId })).runtimeStatus, 'TERMINATED');
    await stub.purgeWorkflowAlpha1({ instanceId });
    assert.equal((await failure(() => stub.getWorkflowAlpha1({ instanceId }))).code, 5);
  });

  test('the dapr.workflow.start_time option schedules the start; a malformed one is INVALID_ARGUMENT', async () => {
    const at = new Date(Date.now() + 60_000).toISOString();
    await stub.startWorkflowBeta1({ workflowName: 'approve', instanceId: 'dc-later', input: enc({}), options: { 'dapr.workflow.start_time': at } });
    assert.equal((await stub.getWorkflowBeta1({ instanceId: 'dc-later' })).runtimeStatus, 'PENDING');
    await stub.terminateWorkflowBeta1({ instanceId: 'dc-later' });
    const bad = await failure(() => stub.startWorkflowBeta1({ workflowName: 'approve', options: { 'dapr.workflow.start_time': 'tomorrow' } }));
    assert.equal(bad.code, 3);
    assert.equal(bad.rawMessage, "ERR_START_WORKFLOW: option dapr.workflow.start_time 'tomorrow' is not an RFC 3339 timestamp");
  });

  test("errors carry daprd's statuses and codes", async () => {
    const noName = await failure(() => stub.startWorkflowBeta1({ instanceId: 'x' }));
    assert.equal(noName.code, 3 /* INVALID_ARGUMENT */);
    assert.equal(noName.rawMessage, 'ERR_WORKFLOW_NAME_MISSING: workflow name is not configured');
    const badId = await failure(() => stub.startWorkflowBeta1({ workflowName: 'approve', instanceId: 'has space' }));
    assert.equal(badId.code, 3);
    assert.match(badId.rawMessage, /^ERR_INSTANCE_ID_INVALID: workflow instance ID 'has space' is invalid/);
    const longId = await failure(() => stub.startWorkflowBeta1({ workflowName: 'approve', instanceId: 'x'.repeat(65) }));
    assert.match(longId.rawMessage, /^ERR_INSTANCE_ID_TOO_LONG: /);
    const notJson = await failure(() => stub.startWorkflowBeta1({ workflowName: 'approve', input: Buffer.from('{oops') }));
    assert.equal(notJson.code, 3);
    assert.match(notJson.rawMessage, /^ERR_MALFORMED_REQUEST: StartWorkflow 'approve': input is not JSON text/);
    const badInput = await failure(() => stub.startWorkflowBeta1({ workflowName: 'approve', input: enc([1, 2]) }));
    assert.equal(badInput.code, 3);
    assert.match(badInput.rawMessage, /INVALID_INPUT: input of workflow 'approve' is refused/);
    const noId = await failure(() => stub.pauseWorkflowBeta1({}));
    assert.equal(noId.code, 3);
    assert.equal(noId.rawMessage, 'ERR_INSTANCE_ID_PROVIDED_MISSING: no instance ID was provided');
    for (const call of [() => stub.terminateWorkflowBeta1({ instanceId: 'nobody' }), () => stub.resumeWorkflowBeta1({ instanceId: 'nobody' }), () => stub.raiseEventWorkflowBeta1({ instanceId: 'nobody', eventName: 'e' })]) {
      const nf = await failure(call);
      assert.equal(nf.code, 5);
      assert.match(nf.rawMessage, /ERR_INSTANCE_ID_NOT_FOUND: unable to find workflow with the provided instance ID: nobody/);
    }
    await stub.startWorkflowBeta1({ workflowName: 'approve', instanceId: 'dc-busy', input: enc({}) });
    const noEvent = await failure(() => stub.raiseEventWorkflowBeta1({ instanceId: 'dc-busy' }));
    assert.equal(noEvent.rawMessage, 'ERR_WORKFLOW_EVENT_NAME_MISSING: missing workflow event name');
    const twice = await failure(() => stub.startWorkflowBeta1({ workflowName: 'approve', instanceId: 'dc-busy', input: enc({}) }));
    assert.equal(twice.code, 6 /* ALREADY_EXISTS */);
    const running = await failure(() => stub.purgeWorkflowBeta1({ instanceId: 'dc-busy' }));
    assert.equal(running.code, 9 /* FAILED_PRECONDITION */);
    const unserved = await failure(() => stub.getState({ storeName: 's', key: 'k' }));
    assert.equal(unserved.code, 12 /* UNIMPLEMENTED */);
    assert.equal(unserved.rawMessage, 'GetState is not served by Swirl');
  });

  test('the api token is checked on dapr-api-token metadata', async () => {
    const none = new DaprClient({ daprHost: '127.0.0.1', daprPort: String(s.grpcPort), communicationProtocol: CommunicationProtocolEnum.GRPC });
    const bare = await (none.daprClient as unknown as GRPCClient).getClient(false);
    const missing = await failure(() => bare.getWorkflowBeta1({ instanceId: 'dc-busy' }));
    assert.equal(missing.code, 16 /* UNAUTHENTICATED */);
    assert.equal(missing.rawMessage, 'missing api token: send it in the dapr-api-token metadata');
    const wrong = new DaprClient({ daprHost: '127.0.0.1', daprPort: String(s.grpcPort), communicationProtocol: CommunicationProtocolEnum.GRPC, daprApiToken: 'nope' });
    const w = await (wrong.daprClient as unknown as GRPCClient).getClient(false);
    assert.equal((await failure(() => w.getMetadata({}))).rawMessage, 'invalid api token');
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
