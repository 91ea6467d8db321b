/**
 * The Dapr workflow HTTP API driven by the real @dapr/dapr SDK (`DaprClient.workflow` over HTTP)
 * against `swirl serve`'s app on a loopback port.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CommunicationProtocolEnum, DaprClient, LogLevel } from '@dapr/dapr';
import { createApp, createHost, startServer, type RunningServer, type SwirlHost, type OrchestrationContext } from '../../src/index.js';

let host: SwirlHost;
let server: RunningServer;
let client: DaprClient;

function* approval(ctx: OrchestrationContext, input: { item: string }): Generator<unknown, unknown, any> {
  ctx.setCustomStatus({ stage: 'waiting' });
  const decision = yield ctx.waitForExternalEvent('approve');
  return { item: input.item, approvedBy: decision.by };
}

function failing(_ctx: OrchestrationContext, input: { reason: string }): never {
  throw new TypeError(`cannot do it: ${input.reason}`);
}

before(async () => {
  host = await createHost({ store: 'memory', engine: { pollIntervalMs: 20 } });
  host.engine.registerOrchestration('approval', approval);
  host.engine.registerOrchestration('failing', failing);
  host.engine.registerOrchestration('echo', (_ctx: OrchestrationContext, input: unknown) => input);
  await host.start();
  server = await startServer(createApp(host, { apiToken: 'secret-token' }), { port: 0, host: '127.0.0.1' });
  client = new DaprClient({
    daprHost: '127.0.0.1',
    daprPort: String(server.port),
    communicationProtocol: CommunicationProtocolEnum.HTTP,
    daprApiToken: 'secret-token',
    // The SDK logs expected 404s as errors: keep the test output quiet.
    logger: { level: LogLevel.Error, service: { error() {}, warn() {}, info() {}, verbose() {}, debug() {} } },
  });
});

after(async () => {
  await client.stop();
  await server.close();
  await host.stop();
});

describe('@dapr/dapr DaprClient.workflow against swirl serve', () => {
  test('start, get with custom status, raise event, completed output', async () => {
    const id = await client.workflow.start('approval', { item: 'laptop' }, 'approval-1');
    assert.equal(id, 'approval-1');
    await host.engine.client.waitForStart(id, { timeoutMs: 60_000 });
    let state = await client.workflow.get(id);
    assert.equal(state.instanceID, 'approval-1');
    assert.equal(state.workflowName, 'approval');
    assert.ok(state.createdAt instanceof Date && !Number.isNaN(state.createdAt.getTime()));
    assert.deepEqual(JSON.parse(state.properties['dapr.workflow.input']!), { item: 'laptop' });
    await client.workflow.raise(id, 'approve', { by: 'ada' });
    await host.engine.client.waitForCompletion(id, { timeoutMs: 60_000 });
    state = await client.workflow.get(id);
    assert.equal(state.runtimeStatus, 'COMPLETED');
    assert.deepEqual(JSON.parse(state.properties['dapr.workflow.output']!), { item: 'laptop', approvedBy: 'ada' });
    assert.deepEqual(JSON.parse(state.properties['dapr.workflow.custom_status']!), { stage: 'waiting' });
  });

  test('a failed workflow reports failure fields and no output', async () => {
    const id = await client.workflow.start('failing', { reason: 'no stock' });
    await host.engine.client.waitForCompletion(id, { timeoutMs: 60_000 });
    const state = await client.workflow.get(id);
    assert.equal(state.runtimeStatus, 'FAILED');
    assert.equal(state.properties['dapr.workflow.failure.error_type'], 'TypeError');
    assert.equal(state.properties['dapr.workflow.failure.error_message'], 'cannot do it: no stock');
    assert.equal(state.properties['dapr.workflow.output'], undefined);
  });

  test('pause, resume, terminate, purge', async () => {
    const id = await client.workflow.start('approval', { item: 'desk' });
    await host.engine.client.waitForStart(id, { timeoutMs: 60_000 });
    await client.workflow.pause(id);
    await waitStatus(id, 'SUSPENDED');
    await client.workflow.resume(id);
    await waitStatus(id, 'RUNNING');
    await client.workflow.terminate(id);
    await waitStatus(id, 'TERMINATED');
    await client.workflow.purge(id);
    assert.equal(await host.engine.client.get(id), undefined);
  });

  test('strings and numbers travel as text/plain and arrive as JSON values', async () => {
    const a = await client.workflow.start('echo', 'hello');
    const b = await client.workflow.start('echo', 42);
    assert.equal((await host.engine.client.waitForCompletion(a, { timeoutMs: 60_000 })).output, 'hello');
    assert.equal((await host.engine.client.waitForCompletion(b, { timeoutMs: 60_000 })).output, 42);
  });

  test('errors surface through the SDK: unknown instance', async () => {
    await assert.rejects(client.workflow.get('no-such-instance'), /ERR_INSTANCE_ID_NOT_FOUND|404/);
  });
});

async function waitStatus(id: string, status: string): Promise<void> {
  for (let i = 0; i < 250; i++) {
    const s = await client.workflow.get(id);
    if (s.runtimeStatus === status) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.fail(`instance ${id} never reached ${status}`);
}
