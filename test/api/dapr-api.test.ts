/**
 * The Dapr workflow routes through the fetch app (no socket): daprd's status codes, error codes
 * and bodies for every route and API version, the API token, and malformed input.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createApp, createHost, type App, type OrchestrationContext, type SwirlHost } from '../../src/index.js';

let host: SwirlHost;
let app: App;

function* waiter(ctx: OrchestrationContext): Generator<unknown, unknown, any> {
  return yield ctx.waitForExternalEvent('go');
}

before(async () => {
  host = await createHost({ store: 'memory', engine: { pollIntervalMs: 20 } });
  host.engine.registerOrchestration('waiter', waiter);
  host.engine.registerOrchestration('echo', (_ctx: OrchestrationContext, input: unknown) => input);
  await host.start();
  app = createApp(host);
});
after(() => host.stop());

const call = (method: string, path: string, body?: string, headers: Record<string, string> = {}) =>
  app.fetch(new Request(`http://swirl.test${path}`, { method, headers: { 'content-type': 'application/json', ...headers }, ...(body !== undefined ? { body } : {}) }));

async function expectError(res: Response, status: number, errorCode: string, message?: RegExp): Promise<void> {
  assert.equal(res.status, status);
  const body = (await res.json()) as { errorCode: string; message: string };
  assert.equal(body.errorCode, errorCode, body.message);
  if (message) assert.match(body.message, message);
}

describe('Dapr workflow API: start', () => {
  for (const v of ['v1.0', 'v1.0-beta1', 'v1.0-alpha1']) {
    test(`${v}: 202 with the instance id, then GET shows it`, async () => {
      const id = `start-${v.replace('.', '_')}`;
      const res = await call('POST', `/${v}/workflows/dapr/echo/start?instanceID=${id}`, '{"n":1}');
      assert.equal(res.status, 202);
      assert.deepEqual(await res.json(), { instanceID: id });
      await host.engine.client.waitForCompletion(id, { timeoutMs: 60_000 });
      const got = await call('GET', `/${v}/workflows/dapr/${id}`);
      assert.equal(got.status, 200);
      const body = (await got.json()) as Record<string, any>;
      assert.deepEqual(Object.keys(body).sort(), ['createdAt', 'instanceID', 'lastUpdatedAt', 'properties', 'runtimeStatus', 'workflowName']);
      assert.equal(body.runtimeStatus, 'COMPLETED');
      assert.equal(body.workflowName, 'echo');
      assert.match(body.createdAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
      assert.deepEqual(body.properties, { 'dapr.workflow.input': '{"n":1}', 'dapr.workflow.output': '{"n":1}' });
    });
  }

  test('without instanceID a UUID is generated', async () => {
    const res = await call('POST', '/v1.0/workflows/dapr/echo/start', '');
    assert.equal(res.status, 202);
    const { instanceID } = (await res.json()) as { instanceID: string };
    assert.match(instanceID, /^[0-9a-f-]{36}$/);
  });

  test('malformed JSON input is a 400 and starts nothing', async () => {
    await expectError(await call('POST', '/v1.0/workflows/dapr/echo/start?instanceID=bad-json', '{"n":'), 400, 'ERR_MALFORMED_REQUEST', /not valid JSON/);
    assert.equal(await host.engine.client.get('bad-json'), undefined);
  });

  test('an input over the 4 MiB payload limit is 413 ERR_PAYLOAD_TOO_LARGE naming the limit, and starts nothing', async () => {
    const big = JSON.stringify({ a: 'x'.repeat(5_000_000) });
    await expectError(await call('POST', '/v1.0/workflows/dapr/echo/start?instanceID=too-big', big), 413, 'ERR_PAYLOAD_TOO_LARGE', /over the limit of 4194304 bytes/);
    assert.equal(await host.engine.client.get('too-big'), undefined);
  });

  test('invalid and too long instance ids', async () => {
    await expectError(await call('POST', '/v1.0/workflows/dapr/echo/start?instanceID=a.b', '{}'), 400, 'ERR_INSTANCE_ID_INVALID', /^workflow instance ID 'a\.b' is invalid: only alphanumeric and underscore characters are allowed$/);
    await expectError(await call('POST', `/v1.0/workflows/dapr/echo/start?instanceID=${'x'.repeat(65)}`, '{}'), 400, 'ERR_INSTANCE_ID_TOO_LONG', /^workflow instance ID exceeds the max length of 64 characters$/);
  });

  test('empty workflow name', async () => {
    await expectError(await call('POST', '/v1.0/workflows/dapr//start', '{}'), 400, 'ERR_WORKFLOW_NAME_MISSING', /^workflow name is not configured$/);
  });

  test('unknown workflow: 500 ERR_START_WORKFLOW naming it and the workflow ids, not the engine internals', async () => {
    const def = "id: listed\nversion: '1.0'\nspecVersion: '0.8'\nstates:\n  - name: S\n    type: inject\n    data: {}\n    end: true\n";
    assert.equal((await call('POST', '/api/v1/workflows', def, { 'content-type': 'application/yaml' })).status, 201);
    const res = await call('POST', '/v1.0/workflows/dapr/nope/start', '{}');
    const body = (await res.clone().json()) as { message: string };
    await expectError(res, 500, 'ERR_START_WORKFLOW', /^error starting workflow 'nope': no workflow named 'nope' is registered \(workflow definitions: listed\)$/);
    assert.doesNotMatch(body.message, /swirl\.mailbox|@/, body.message);
  });

  test('a second start with the id of a running instance is refused', async () => {
    assert.equal((await call('POST', '/v1.0/workflows/dapr/waiter/start?instanceID=dup-1')).status, 202);
    await expectError(await call('POST', '/v1.0/workflows/dapr/waiter/start?instanceID=dup-1'), 500, 'ERR_START_WORKFLOW', /dup-1/);
    await host.engine.client.terminate('dup-1');
  });
});

describe('Dapr workflow API: instance operations', () => {
  test('raiseEvent delivers JSON data; 202 {}', async () => {
    await call('POST', '/v1.0-beta1/workflows/dapr/waiter/start?instanceID=raise-1');
    const res = await call('POST', '/v1.0-beta1/workflows/dapr/raise-1/raiseEvent/go', '{"ok":true}');
    assert.equal(res.status, 202);
    assert.deepEqual(await res.json(), {});
    const done = await host.engine.client.waitForCompletion('raise-1', { timeoutMs: 60_000 });
    assert.deepEqual(done.output, { ok: true });
  });

  test('raiseEvent without an event name is a 400, as in daprd', async () => {
    await expectError(await call('POST', '/v1.0/workflows/dapr/raise-x/raiseEvent/', '{}'), 400, 'ERR_WORKFLOW_EVENT_NAME_MISSING');
    await expectError(await call('POST', '/v1.0-beta1/workflows/dapr/raise-x/raiseEvent', '{}'), 400, 'ERR_WORKFLOW_EVENT_NAME_MISSING');
  });

  test('raiseEvent with malformed JSON is a 400', async () => {
    await call('POST', '/v1.0/workflows/dapr/waiter/start?instanceID=raise-2');
    await expectError(await call('POST', '/v1.0/workflows/dapr/raise-2/raiseEvent/go', '{oops'), 400, 'ERR_MALFORMED_REQUEST');
    await host.engine.client.terminate('raise-2');
  });

  test('unknown instance: 404 for get, terminate, purge; 500 with the operation code for the rest', async () => {
    await expectError(await call('GET', '/v1.0/workflows/dapr/ghost'), 404, 'ERR_INSTANCE_ID_NOT_FOUND', /^unable to find workflow with the provided instance ID: ghost$/);
    await expectError(await call('POST', '/v1.0/workflows/dapr/ghost/terminate'), 404, 'ERR_INSTANCE_ID_NOT_FOUND');
    await expectError(await call('GET', '/v1.0/workflows/dapr/%C3%A9t%C3%A9%20x'), 404, 'ERR_INSTANCE_ID_NOT_FOUND', /été x$/);
    await expectError(await call('POST', '/v1.0/workflows/dapr/ghost/purge'), 404, 'ERR_INSTANCE_ID_NOT_FOUND');
    await expectError(await call('POST', '/v1.0/workflows/dapr/ghost/pause'), 500, 'ERR_PAUSE_WORKFLOW', /error pausing workflow ghost/);
    await expectError(await call('POST', '/v1.0/workflows/dapr/ghost/resume'), 500, 'ERR_RESUME_WORKFLOW');
    await expectError(await call('POST', '/v1.0/workflows/dapr/ghost/raiseEvent/go', '1'), 500, 'ERR_RAISE_EVENT_WORKFLOW');
  });

  test('purging a running instance is refused; after terminate it works', async () => {
    await call('POST', '/v1.0/workflows/dapr/waiter/start?instanceID=purge-1');
    await expectError(await call('POST', '/v1.0/workflows/dapr/purge-1/purge'), 500, 'ERR_PURGE_WORKFLOW', /only COMPLETED, FAILED or TERMINATED/);
    assert.equal((await call('POST', '/v1.0/workflows/dapr/purge-1/terminate')).status, 202);
    await host.engine.client.waitForCompletion('purge-1', { timeoutMs: 60_000 });
    assert.equal((await call('POST', '/v1.0/workflows/dapr/purge-1/purge')).status, 202);
    await expectError(await call('GET', '/v1.0/workflows/dapr/purge-1'), 404, 'ERR_INSTANCE_ID_NOT_FOUND');
  });

  test('metadata answers like daprd', async () => {
    const res = await call('GET', '/v1.0/metadata');
    assert.equal(res.status, 200);
    const body = (await res.json()) as Record<string, unknown>;
    assert.equal(body.id, 'swirl');
    assert.deepEqual(body.components, []);
  });

  test('unknown routes and methods', async () => {
    await expectError(await call('GET', '/v1.0/nothing'), 404, 'ERR_NOT_FOUND');
    await expectError(await call('DELETE', '/v1.0/workflows/dapr/x'), 405, 'ERR_METHOD_NOT_ALLOWED', /GET/);
  });

  test('a path segment that is not valid percent-encoding is 400, not an unknown route', async () => {
    await expectError(await call('GET', '/v1.0/workflows/dapr/%ff'), 400, 'ERR_MALFORMED_REQUEST', /the path segment '%ff' is not valid percent-encoding/);
    await expectError(await call('GET', '/api/v1/instances/a%zz'), 400, 'ERR_MALFORMED_REQUEST', /'a%zz'/);
    await expectError(await call('POST', '/v1.0/workflows/dapr/%E0%A4%A/start', '{}'), 400, 'ERR_MALFORMED_REQUEST');
  });
});

describe('API token', () => {
  test('every route but health needs the dapr-api-token header', async () => {
    const guarded = createApp(host, { apiToken: 't0k3n' });
    const get = (path: string, headers: Record<string, string> = {}) => guarded.fetch(new Request(`http://swirl.test${path}`, { headers }));
    await expectError(await get('/v1.0/metadata'), 401, 'ERR_UNAUTHORIZED', /missing api token/);
    await expectError(await get('/v1.0/metadata', { 'dapr-api-token': 'wrong' }), 401, 'ERR_UNAUTHORIZED', /invalid api token/);
    await expectError(await get('/api/v1/instances'), 401, 'ERR_UNAUTHORIZED');
    await expectError(await get('/metrics'), 401, 'ERR_UNAUTHORIZED');
    assert.equal((await get('/v1.0/metadata', { 'dapr-api-token': 't0k3n' })).status, 200);
    assert.equal((await get('/healthz')).status, 200);
    assert.equal((await get('/v1.0/healthz')).status, 204);
  });
});
