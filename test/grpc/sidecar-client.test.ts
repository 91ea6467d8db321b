/**
 * The Durable Task gRPC sidecar's management RPCs, driven by the real SDK clients a Dapr user
 * writes — @dapr/dapr `DaprWorkflowClient` and @dapr/durabletask-js `TaskHubGrpcClient` — against
 * a real `swirl serve` process running Serverless Workflow definitions; malformed requests through
 * a plain gRPC client built from the same .proto get daprd's statuses with a message.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InterceptingCall, status, type Interceptor } from '@grpc/grpc-js';
import { DaprWorkflowClient, WorkflowRuntimeStatus } from '@dapr/dapr';
import { TaskHubGrpcClient } from '@dapr/durabletask-js';
import { OrchestrationStatus } from '@dapr/durabletask-js/orchestration/enum/orchestration-status.enum.js';
import { PurgeInstanceCriteria } from '@dapr/durabletask-js/orchestration/orchestration-purge-criteria.js';
import { startGrpcServe, type GrpcServer } from './grpc-child.js';
import { rawClient } from './raw-client.js';
import { APPROVE_WORKFLOW } from '../host/fixtures/workflows.js';

const TOKEN = 's3cr3t';
const started: ChildProcess[] = [];
let dir: string;
let s: GrpcServer;
let dapr: DaprWorkflowClient;
let raw: ReturnType<typeof rawClient>;

const APPROVE = APPROVE_WORKFLOW;

const NAP = `
id: nap
specVersion: '0.8'
states:
  - name: Sleep
    type: sleep
    duration: PT1S
    transition: Done
  - name: Done
    type: inject
    data: { rested: true }
    end: true
`;

const GREET = `
id: greet
specVersion: '0.8'
states:
  - name: Greet
    type: inject
    data: {}
    stateDataFilter:
      output: '\${ {greeting: ("Hello " + .name)} }'
    end: true
`;

/** Adds the api token to every call (durabletask-js has no token option; a user adds it the same way). */
const withToken: Interceptor = (options, next) =>
  new InterceptingCall(next(options), {
    start: (md, listener, nextStart) => {
      md.set('dapr-api-token', TOKEN);
      nextStart(md, listener);
    },
  });

/** Rejects with the gRPC error `fn` fails with. */
async function grpcFailure(fn: () => Promise<unknown>): Promise<{ code: number; details: string }> {
  try {
    await fn();
  } catch (e) {
    return e as { code: number; details: string };
  }
  return assert.fail('expected a gRPC error');
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'swirl-grpc-client-'));
  mkdirSync(join(dir, 'workflows'));
  writeFileSync(join(dir, 'workflows', 'approve.yaml'), APPROVE);
  writeFileSync(join(dir, 'workflows', 'nap.yaml'), NAP);
  writeFileSync(join(dir, 'workflows', 'greet.yaml'), GREET);
  s = await startGrpcServe(dir, started, ['--api-token', TOKEN]);
  dapr = new DaprWorkflowClient({ daprHost: '127.0.0.1', daprPort: String(s.grpcPort), daprApiToken: TOKEN });
  raw = rawClient(s.grpcPort, TOKEN);
});

after(async () => {
  raw?.close();
  for (const p of started) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  await dapr?.stop().catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

describe('DaprWorkflowClient (@dapr/dapr 3.18) against swirl serve --grpc-port', () => {
  test('schedule, wait for start, get with payloads, raise event, wait for completion, purge', async () => {
    const id = await dapr.scheduleNewWorkflow('approve', { who: 'ada' }, 'dapr-a1');
    assert.equal(id, 'dapr-a1');
    const startedState = await dapr.waitForWorkflowStart(id, true, 10);
    assert.equal(startedState?.runtimeStatus, WorkflowRuntimeStatus.RUNNING);
    const st = await dapr.getWorkflowState(id, true);
    assert.equal(st?.name, 'approve');
    assert.equal(st?.instanceId, 'dapr-a1');
    assert.deepEqual(JSON.parse(st!.serializedInput!), { who: 'ada' });
    assert.ok(st!.createdAt.getTime() > Date.now() - 60_000);
    await dapr.raiseEvent(id, 'Approval', { ok: true });
    const done = await dapr.waitForWorkflowCompletion(id, true, 10);
    assert.equal(done?.runtimeStatus, WorkflowRuntimeStatus.COMPLETED);
    assert.deepEqual(JSON.parse(done!.serializedOutput!), { who: 'ada', prepared: true, ok: true });
    assert.equal(await dapr.purgeWorkflow(id), true);
    assert.equal(await dapr.getWorkflowState(id, false), undefined);
  });

  test('suspend, resume, terminate', async () => {
    const id = await dapr.scheduleNewWorkflow('approve', { who: 'bob' }, 'dapr-s1');
    await dapr.waitForWorkflowStart(id, false, 10);
    await dapr.suspendWorkflow(id);
    assert.equal((await dapr.getWorkflowState(id, false))?.runtimeStatus, WorkflowRuntimeStatus.SUSPENDED);
    await dapr.resumeWorkflow(id);
    assert.equal((await dapr.getWorkflowState(id, false))?.runtimeStatus, WorkflowRuntimeStatus.RUNNING);
    await dapr.terminateWorkflow(id, { reason: 'no longer needed' });
    const st = await dapr.getWorkflowState(id, true);
    assert.equal(st?.runtimeStatus, WorkflowRuntimeStatus.TERMINATED);
    assert.deepEqual(JSON.parse(st!.serializedOutput!), { reason: 'no longer needed' });
  });

  test('errors: running duplicate ALREADY_EXISTS, bad instance id INVALID_ARGUMENT, raise on unknown id NOT_FOUND', async () => {
    await dapr.scheduleNewWorkflow('approve', { who: 'eve' }, 'dapr-dup');
    const dup = await grpcFailure(() => dapr.scheduleNewWorkflow('approve', {}, 'dapr-dup'));
    assert.equal(dup.code, status.ALREADY_EXISTS);
    assert.match(dup.details, /dapr-dup/);
    // A name no definition has belongs to an app worker (as in daprd): accepted, PENDING until one runs it.
    const unknown = await raw.call('StartInstance', { name: 'app-workflow', instanceId: 'dapr-app-1' });
    assert.equal(unknown.instanceId, 'dapr-app-1');
    assert.equal((await dapr.getWorkflowState('dapr-app-1', false))?.runtimeStatus, WorkflowRuntimeStatus.PENDING);
    const bad = await grpcFailure(() => dapr.scheduleNewWorkflow('greet', { name: 'x' }, 'not an id!'));
    assert.equal(bad.code, status.INVALID_ARGUMENT);
    assert.match(bad.details, /not an id!/);
    const raise = await grpcFailure(() => dapr.raiseEvent('never-started', 'Approval', {}));
    assert.equal(raise.code, status.NOT_FOUND);
    assert.match(raise.details, /never-started/);
    const purge = await grpcFailure(() => dapr.purgeWorkflow('dapr-dup'));
    assert.equal(purge.code, status.FAILED_PRECONDITION);
    assert.match(purge.details, /RUNNING/);
  });

  test('the api token is checked on dapr-api-token metadata', async () => {
    const none = new DaprWorkflowClient({ daprHost: '127.0.0.1', daprPort: String(s.grpcPort) });
    const wrong = new DaprWorkflowClient({ daprHost: '127.0.0.1', daprPort: String(s.grpcPort), daprApiToken: 'nope' });
    try {
      const missing = await grpcFailure(() => none.getWorkflowState('x', false));
      assert.equal(missing.code, status.UNAUTHENTICATED);
      assert.match(missing.details, /missing api token: send it in the dapr-api-token metadata/);
      const invalid = await grpcFailure(() => wrong.getWorkflowState('x', false));
      assert.equal(invalid.code, status.UNAUTHENTICATED);
      assert.match(invalid.details, /invalid api token/);
    } finally {
      await none.stop();
      await wrong.stop();
    }
  });
});

describe('TaskHubGrpcClient (@dapr/durabletask-js 1.0) against swirl serve --grpc-port', () => {
  test('schedule (it always sends a start time), wait for completion, purge by filter', async () => {
    const authed = new TaskHubGrpcClient(`127.0.0.1:${s.grpcPort}`, {
      interceptors: [withToken],
    } as never);
    try {
      const id = await authed.scheduleNewOrchestration('greet', { name: 'Ada' }, 'dt-g1');
      const done = await authed.waitForOrchestrationCompletion(id, true, 5);
      assert.equal(done?.runtimeStatus, OrchestrationStatus.COMPLETED);
      assert.deepEqual(JSON.parse(done!.serializedOutput!), { greeting: 'Hello Ada' });
      const nap = await authed.scheduleNewOrchestration('nap', undefined, 'dt-n1');
      assert.equal((await authed.waitForOrchestrationCompletion(nap, true, 5))?.runtimeStatus, OrchestrationStatus.COMPLETED);
      const criteria = new PurgeInstanceCriteria();
      criteria.setRuntimeStatusList([OrchestrationStatus.COMPLETED]);
      // The SDK races the call against a timer it never clears (default 5 min): keep it short.
      criteria.setTimeout(5000);
      const purged = await authed.purgeOrchestration(criteria);
      assert.ok((purged?.deletedInstanceCount ?? 0) >= 2, `purged ${purged?.deletedInstanceCount}`);
      assert.equal(await authed.getOrchestrationState('dt-g1'), undefined);
      assert.equal(await authed.getOrchestrationState('dt-n1'), undefined);
    } finally {
      await authed.stop();
    }
  });
});

describe('malformed requests (plain gRPC client over the shipped .proto)', () => {
  test('missing fields and non-JSON payloads are INVALID_ARGUMENT naming the field', async () => {
    const noName = await grpcFailure(() => raw.call('StartInstance', { instanceId: 'x' }));
    assert.equal(noName.code, status.INVALID_ARGUMENT);
    assert.match(noName.details, /StartInstance: name \(the workflow to start\) is required/);
    const notJson = await grpcFailure(() => raw.call('StartInstance', { name: 'greet', input: { value: '{oops' } }));
    assert.equal(notJson.code, status.INVALID_ARGUMENT);
    assert.match(notJson.details, /StartInstance 'greet': input is not JSON text/);
    const noId = await grpcFailure(() => raw.call('GetInstance', {}));
    assert.equal(noId.code, status.INVALID_ARGUMENT);
    assert.match(noId.details, /GetInstance: instanceId is required/);
    const badId = await grpcFailure(() => raw.call('StartInstance', { name: 'greet', instanceId: 'has space', input: { value: '{"name":"x"}' } }));
    assert.equal(badId.code, status.INVALID_ARGUMENT);
    assert.match(badId.details, /INVALID_INSTANCE_ID/);
    const unimpl = await grpcFailure(() => raw.call('RewindInstance', { instanceId: 'x' }));
    assert.equal(unimpl.code, status.UNIMPLEMENTED);
    assert.match(unimpl.details, /RewindInstance is not served by Swirl/);
    const notFound = await grpcFailure(() => raw.call('WaitForInstanceCompletion', { instanceId: 'nobody' }));
    assert.equal(notFound.code, status.NOT_FOUND);
  });

  test('GetInstance of an unknown id answers exists=false; QueryInstances lists with a status filter and pages', async () => {
    assert.deepEqual(await raw.call('GetInstance', { instanceId: 'nobody' }), { exists: false });
    for (const n of ['early', 'q1', 'q2', 'q3']) await raw.call('StartInstance', { name: 'greet', instanceId: n, input: { value: JSON.stringify({ name: n }) } });
    for (const n of ['early', 'q1', 'q2', 'q3']) await raw.call('WaitForInstanceCompletion', { instanceId: n });
    const page1 = await raw.call('QueryInstances', { query: { runtimeStatus: ['ORCHESTRATION_STATUS_COMPLETED'], maxInstanceCount: 2, instanceIdPrefix: { value: 'q' }, fetchInputsAndOutputs: true } });
    assert.equal(page1.orchestrationState.length, 2);
    assert.ok(page1.continuationToken?.value);
    const page2 = await raw.call('QueryInstances', { query: { runtimeStatus: ['ORCHESTRATION_STATUS_COMPLETED'], maxInstanceCount: 2, instanceIdPrefix: { value: 'q' }, continuationToken: page1.continuationToken } });
    const ids = [...page1.orchestrationState, ...(page2.orchestrationState ?? [])].map((o: { instanceId: string }) => o.instanceId).sort();
    assert.deepEqual(ids, ['q1', 'q2', 'q3']);
    // The prefix is applied by the store: a page of 3 holds the 3 matches, whatever was created before.
    const byPrefix = await raw.call('QueryInstances', { query: { maxInstanceCount: 3, instanceIdPrefix: { value: 'q' } } });
    assert.deepEqual(byPrefix.orchestrationState.map((o: { instanceId: string }) => o.instanceId), ['q1', 'q2', 'q3']);
    assert.equal(byPrefix.continuationToken, undefined);
    const q1 = page1.orchestrationState.find((o: { instanceId: string }) => o.instanceId === 'q1');
    if (q1) assert.deepEqual(JSON.parse(q1.output.value), { greeting: 'Hello q1' });
    const tooMany = await grpcFailure(() => raw.call('QueryInstances', { query: { maxInstanceCount: 5000 } }));
    assert.equal(tooMany.code, status.INVALID_ARGUMENT);
    const badFilter = await grpcFailure(() => raw.call('PurgeInstances', { purgeInstanceFilter: { runtimeStatus: ['ORCHESTRATION_STATUS_RUNNING'] } }));
    assert.equal(badFilter.code, status.INVALID_ARGUMENT);
    assert.match(badFilter.details, /not terminal/);
  });
});
