/**
 * A `?wait=` request whose client hangs up does no more work: the wait ends at once and the
 * instance is not read again for an answer nobody receives — the access log records 499
 * ERR_CLIENT_CLOSED_REQUEST — on the Dapr GET, Swirl's GET and the Dapr start with `?wait=`,
 * over a socket and through `app.fetch` (whose Request's signal is the hang-up).
 */
import { request as httpRequest } from 'node:http';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createApp, createHost, startServer, type App, type OrchestrationContext, type SwirlHost } from '../../src/index.js';
import type { Logger } from '../../src/engine/logger.js';

let host: SwirlHost;
/** Instance reads of the store so far. */
let reads = 0;
/** Access log lines: method, path, status. */
const logged: { method: string; path: string; status: number }[] = [];
let app: App;
let accessLog: Logger;

function* waiter(ctx: OrchestrationContext): Generator<unknown, unknown, any> {
  return yield ctx.waitForExternalEvent('go');
}

before(async () => {
  host = await createHost({ store: 'memory', engine: { pollIntervalMs: 20 } });
  host.engine.registerOrchestration('waiter', waiter);
  const store = host.engine.store;
  const getInstance = store.getInstance.bind(store);
  store.getInstance = (id: string) => {
    reads++;
    return getInstance(id);
  };
  await host.start();
  accessLog = {
    debug: () => undefined,
    info: (_msg, meta) => void logged.push({ method: String(meta?.method), path: String(meta?.path), status: Number(meta?.status) }),
    warn: () => undefined,
    error: () => undefined,
  };
  app = createApp(host, { accessLog });
});
after(() => host.stop());

async function startWaiter(id: string): Promise<void> {
  const res = await app.fetch(new Request(`http://swirl.test/v1.0/workflows/dapr/waiter/start?instanceID=${id}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }));
  assert.equal(res.status, 202);
  await host.engine.client.waitForStart(id, { timeoutMs: 60_000 });
}

/** Resolves once `reads` has not moved for a while (the wait's first read done, nothing else pending). */
async function settled(): Promise<void> {
  let last = -1;
  while (last !== reads) {
    last = reads;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Resolves when the access log has a line for `path`. */
async function loggedLine(path: string): Promise<{ status: number }> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const line = logged.find((l) => l.path === path);
    if (line) return line;
    if (Date.now() > deadline) assert.fail(`no access log line for ${path}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('a ?wait= request whose client hangs up', () => {
  for (const [label, id, path] of [
    ['Dapr GET', 'gone-dapr', '/v1.0/workflows/dapr/gone-dapr'],
    ['Swirl GET', 'gone-swirl', '/api/v1/instances/gone-swirl'],
  ] as const) {
    test(`over a socket (${label}): ends at once, reads nothing more, logged as 499`, async () => {
      // Its own app: a server that stops answers its app's waits for good (closeWaits).
      const server = await startServer(createApp(host, { accessLog }), { port: 0 });
      try {
        await startWaiter(id);
        const req = httpRequest({ host: '127.0.0.1', port: server.port, path: `${path}?wait=60s`, method: 'GET' });
        req.on('error', () => undefined);
        req.end();
        await settled();
        const before = reads;
        req.destroy();
        assert.equal((await loggedLine(path)).status, 499);
        await settled();
        assert.equal(reads, before, 'no instance read after the hang-up');
        // The instance is untouched.
        assert.equal((await host.engine.client.get(id))?.runtimeStatus, 'RUNNING');
      } finally {
        await server.close();
      }
    });
  }

  test('through app.fetch, a POST start?wait= ends when the Request signal aborts, reading nothing more', async () => {
    const ac = new AbortController();
    const path = '/v1.0/workflows/dapr/waiter/start';
    const answer = app.fetch(new Request(`http://swirl.test${path}?instanceID=gone-start&wait=60s`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}', signal: ac.signal }));
    while ((await host.engine.client.get('gone-start')) === undefined) await new Promise((r) => setTimeout(r, 10));
    await host.engine.client.waitForStart('gone-start', { timeoutMs: 60_000 });
    await settled();
    const before = reads;
    ac.abort();
    const res = await answer;
    assert.equal(res.status, 499);
    assert.equal(((await res.json()) as { errorCode: string }).errorCode, 'ERR_CLIENT_CLOSED_REQUEST');
    assert.equal(logged.at(-1)?.path, path);
    assert.equal(logged.at(-1)?.status, 499);
    await settled();
    assert.equal(reads, before, 'no instance read after the hang-up');
    // Started all the same: the start was committed before the wait.
    assert.equal((await host.engine.client.get('gone-start'))?.runtimeStatus, 'RUNNING');
  });

  test('a wait that is released still answers the finished instance', async () => {
    await startWaiter('kept');
    const waiting = app.fetch(new Request('http://swirl.test/v1.0/workflows/dapr/kept?wait=60s'));
    await settled();
    await host.engine.client.raiseEvent('kept', 'go', 'done');
    const res = await waiting;
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { runtimeStatus: string }).runtimeStatus, 'COMPLETED');
  });
});
