// The HTTP face of store faults and unserved work (issue 9, findings 2 and 8): health turns 503
// with the reason once the store failed, a start whose outcome is unknown is a 503
// ERR_OUTCOME_UNKNOWN carrying the instance id, and /metrics shows work no registration serves.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp, createEngine, createHost, openStore, type SwirlHost } from '../../src/index.js';
import { failingSqlite } from '../engine/fault-store.js';

const dir = mkdtempSync(join(tmpdir(), 'swirl-api-faults-'));
const hosts: SwirlHost[] = [];
after(async () => {
  await Promise.all(hosts.map((h) => h.stop().catch(() => undefined)));
  rmSync(dir, { recursive: true, force: true });
});

const GREET = `
id: greet
specVersion: '0.8'
states:
  - name: Greet
    type: inject
    data: { greeting: Hello }
    end: true
`;

describe('store faults over HTTP', () => {
  test('finding 8: after a failed fsync, start answers 503 ERR_OUTCOME_UNKNOWN with the id, and both health routes 503 with the reason', async () => {
    const { store, fail } = await failingSqlite(join(dir, 'api.db'));
    const host = await createHost({ store, engine: { pollIntervalMs: 20 } });
    hosts.push(host);
    await host.start();
    const app = createApp(host);
    const req = (method: string, path: string, body?: string, headers: Record<string, string> = {}) =>
      app.fetch(new Request(`http://swirl.test${path}`, { method, headers, ...(body !== undefined ? { body } : {}) }));
    assert.equal((await req('POST', '/api/v1/workflows', GREET, { 'content-type': 'application/yaml' })).status, 201);
    assert.equal((await req('GET', '/healthz')).status, 200);
    assert.equal((await req('GET', '/v1.0/healthz')).status, 204);

    fail.now = true;
    const res = await req('POST', '/v1.0/workflows/dapr/greet/start?instanceID=maybe-http', '{}', { 'content-type': 'application/json' });
    const body = (await res.json()) as { errorCode: string; message: string; instanceID?: string };
    assert.equal(res.status, 503, JSON.stringify(body));
    assert.equal(body.errorCode, 'ERR_OUTCOME_UNKNOWN');
    assert.equal(body.instanceID, 'maybe-http');
    assert.match(body.message, /may have been recorded.*retry with the same instance id 'maybe-http'/);

    const h = await req('GET', '/healthz');
    assert.equal(h.status, 503);
    const hb = (await h.json()) as { status: string; reason: string };
    assert.equal(hb.status, 'unhealthy');
    assert.match(hb.reason, /store failed/);
    const dh = await req('GET', '/v1.0/healthz');
    assert.equal(dh.status, 503);
    assert.equal(((await dh.json()) as { errorCode: string }).errorCode, 'ERR_UNHEALTHY');
    // A later write is refused outright (nothing recorded): 503, not a 500.
    const refused = await req('POST', '/v1.0/workflows/dapr/greet/start?instanceID=later', '{}', { 'content-type': 'application/json' });
    assert.equal(refused.status, 503);
    assert.equal(((await refused.json()) as { errorCode: string }).errorCode, 'ERR_STORE_FAILED');
  });
});

describe('unserved work in /metrics and in the instance API', () => {
  test('finding 2: swirl_unserved_work names the work of an orchestration this node does not serve; get says why it waits', async () => {
    const store = await openStore('memory');
    const host = await createHost({ store, engine: { pollIntervalMs: 20 } });
    hosts.push(host);
    await host.start();
    const app = createApp(host);
    // Another (not running) node's client starts an instance of a workflow only it has.
    const other = await createEngine({ store });
    other.registerOrchestration('elsewhere', () => 'done elsewhere');
    const id = await other.client.start('elsewhere');
    await new Promise((r) => setTimeout(r, 200));
    const text = await (await app.fetch(new Request('http://swirl.test/metrics'))).text();
    assert.match(text, /^swirl_unserved_work\{kind="orchestration",name="elsewhere"\} 1$/m);
    assert.match(text, /^swirl_queued_work\{kind="orchestration",name="elsewhere"\} 1$/m);
    assert.match(text, /^swirl_healthy 1$/m);
    const inst = (await (await app.fetch(new Request(`http://swirl.test/api/v1/instances/${id}`))).json()) as { runtimeStatus: string; waitingFor?: string };
    assert.equal(inst.runtimeStatus, 'PENDING');
    assert.match(inst.waitingFor ?? '', /no worker registered for 'elsewhere'/);
    await other.start();
    assert.equal((await other.client.waitForCompletion(id, { timeoutMs: 60_000 })).output, 'done elsewhere');
    await other.stop();
  });
});
