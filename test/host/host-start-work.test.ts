/**
 * `host.start({ work: false })` then `host.startWork()` (what `swirl serve` does so that its
 * listeners open before a backlog is worked on): in between the API answers and instances can be
 * started, but nothing runs them (readiness says so); once the work starts they complete.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createApp, createHost, type SwirlHost } from '../../src/index.js';

const GREET = `
id: greet
specVersion: '0.8'
states:
  - name: Hello
    type: inject
    data: { greeting: hello }
    end: true
`;

const hosts: SwirlHost[] = [];
after(async () => {
  for (const h of hosts) await h.stop().catch(() => undefined);
});

test('start({ work: false }) serves the API but runs nothing until startWork()', async () => {
  const host = await createHost({ store: 'memory', engine: { pollIntervalMs: 20 } });
  hosts.push(host);
  await host.start({ work: false });
  const app = createApp(host);
  const call = (method: string, path: string, body?: string, headers: Record<string, string> = {}) =>
    app.fetch(new Request(`http://swirl.test${path}`, { method, headers, ...(body !== undefined ? { body } : {}) }));
  assert.equal((await call('POST', '/api/v1/workflows', GREET, { 'content-type': 'application/yaml' })).status, 201);
  assert.equal((await call('POST', '/v1.0/workflows/dapr/greet/start?instanceID=g-1', '{}', { 'content-type': 'application/json' })).status, 202);
  // Answered with the instance as stored; no worker has run it, so a bounded wait sees it still pending.
  const waiting = (await (await call('GET', '/v1.0/workflows/dapr/g-1?wait=0.3s')).json()) as { runtimeStatus: string };
  assert.equal(waiting.runtimeStatus, 'PENDING');
  assert.equal(host.engine.running, false);
  assert.deepEqual(host.readiness(), { ready: false, reasons: ['the engine workers are not running'] });

  await host.startWork();
  assert.deepEqual(host.readiness(), { ready: true, reasons: [] });
  await host.startWork(); // idempotent
  const done = await host.engine.client.waitForCompletion('g-1', { timeoutMs: 60_000 });
  assert.equal(done.runtimeStatus, 'COMPLETED');
  assert.deepEqual(done.output, { greeting: 'hello' });
});

test('startWork() after stop() does nothing', async () => {
  const host = await createHost({ store: 'memory' });
  await host.start({ work: false });
  await host.stop();
  await host.startWork();
  assert.equal(host.engine.running, false);
});
