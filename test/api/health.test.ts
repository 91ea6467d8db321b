// Health probes (issue 13): liveness (/healthz, /v1.0/healthz) apart from readiness (/readyz) and
// daprd's outbound health (/v1.0/healthz/outbound), through the fetch app: not ready before
// start() and after stop(), ready while the workers run, and neither once the store failed.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp, createHost, type SwirlHost } from '../../src/index.js';
import { failingSqlite } from '../engine/fault-store.js';

const dir = mkdtempSync(join(tmpdir(), 'swirl-api-health-'));
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

async function probe(app: ReturnType<typeof createApp>, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: unknown }> {
  const res = await app.fetch(new Request(`http://swirl.test${path}`, { headers }));
  const text = await res.text();
  return { status: res.status, body: text === '' ? undefined : JSON.parse(text) };
}

test('readiness and outbound health follow start, stop and a store failure; liveness only the store; all of them without the api token', async () => {
  const { store, fail } = await failingSqlite(join(dir, 'health.db'));
  const host = await createHost({ store, engine: { pollIntervalMs: 20 } });
  hosts.push(host);
  const app = createApp(host, { apiToken: 'secret' });

  // Created, not started: alive, but neither ready nor outbound-ready.
  assert.equal((await probe(app, '/healthz')).status, 200);
  assert.deepEqual(await probe(app, '/readyz'), { status: 503, body: { status: 'not ready', reasons: ['the host is starting'] } });
  assert.deepEqual(await probe(app, '/v1.0/healthz/outbound'), { status: 503, body: { errorCode: 'ERR_OUTBOUND_HEALTH_NOT_READY', message: 'components are being initialized' } });

  await host.start();
  assert.deepEqual(await probe(app, '/readyz'), { status: 200, body: { status: 'ready' } });
  assert.deepEqual(await probe(app, '/v1.0/healthz/outbound'), { status: 204, body: undefined });
  assert.equal((await probe(app, '/v1.0/healthz')).status, 204);
  // The other routes still need the token.
  assert.equal((await probe(app, '/metrics')).status, 401);
  assert.equal((await app.fetch(new Request('http://swirl.test/metrics', { headers: { 'dapr-api-token': 'secret' } }))).status, 200);

  // A failed fsync: every probe turns 503 and says why.
  assert.equal((await app.fetch(new Request('http://swirl.test/api/v1/workflows', { method: 'POST', headers: { 'dapr-api-token': 'secret', 'content-type': 'application/yaml' }, body: GREET }))).status, 201);
  fail.now = true;
  await app.fetch(new Request('http://swirl.test/v1.0/workflows/dapr/greet/start', { method: 'POST', headers: { 'dapr-api-token': 'secret', 'content-type': 'application/json' }, body: '{}' }));
  const ready = await probe(app, '/readyz');
  assert.equal(ready.status, 503);
  assert.match((ready.body as { reasons: string[] }).reasons.join(' '), /the store failed and refuses every write/);
  const outbound = await probe(app, '/v1.0/healthz/outbound');
  assert.equal(outbound.status, 503);
  assert.equal((outbound.body as { errorCode: string }).errorCode, 'ERR_OUTBOUND_HEALTH_NOT_READY');
  assert.equal((await probe(app, '/healthz')).status, 503);
  const metrics = await (await app.fetch(new Request('http://swirl.test/metrics', { headers: { 'dapr-api-token': 'secret' } }))).text();
  assert.match(metrics, /^swirl_ready 0$/m);
  assert.match(metrics, /^swirl_healthy 0$/m);
});

test('a stopping host is not ready any more (a load balancer drains it) while its liveness stays green', async () => {
  const host = await createHost({ store: 'memory' });
  hosts.push(host);
  await host.start();
  const app = createApp(host);
  assert.equal((await probe(app, '/readyz')).status, 200);
  await host.stop();
  assert.deepEqual(await probe(app, '/readyz'), { status: 503, body: { status: 'not ready', reasons: ['the host is stopping'] } });
  assert.deepEqual(await probe(app, '/v1.0/healthz/outbound'), { status: 503, body: { errorCode: 'ERR_OUTBOUND_HEALTH_NOT_READY', message: 'the host is stopping' } });
  assert.equal((await probe(app, '/healthz')).status, 200);
});
