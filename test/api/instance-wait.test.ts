/**
 * Long-poll completion waits (`?wait=` on GET of an instance, Swirl's and Dapr's routes): the
 * finished instance is answered as soon as it finishes, a wait that passes answers the running
 * state, bad values are 400 ERR_BAD_WAIT, unknown ids 404 as for GET, the cap on open waits, a
 * client that hangs up frees its wait, the API token, and a stopping server answers open waits;
 * and `?wait=` on the Dapr start (200 with the GET body once finished).
 */
import { request as httpRequest } from 'node:http';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createApp, createHost, startServer, type App, type OrchestrationContext, type SwirlHost } from '../../src/index.js';

let host: SwirlHost;
let app: App;

function* waiter(ctx: OrchestrationContext): Generator<unknown, unknown, any> {
  return yield ctx.waitForExternalEvent('go');
}

before(async () => {
  host = await createHost({ store: 'memory', engine: { pollIntervalMs: 20 } });
  host.engine.registerOrchestration('waiter', waiter);
  await host.start();
  app = createApp(host);
});
after(() => host.stop());

const call = (target: App, method: string, path: string, body?: string, headers: Record<string, string> = {}) =>
  target.fetch(new Request(`http://swirl.test${path}`, { method, headers: { 'content-type': 'application/json', ...headers }, ...(body !== undefined ? { body } : {}) }));
const get = (path: string, target: App = app) => call(target, 'GET', path);

async function startWaiter(id: string, target: App = app, headers: Record<string, string> = {}): Promise<void> {
  const res = await call(target, 'POST', `/v1.0/workflows/dapr/waiter/start?instanceID=${id}`, '{}', headers);
  assert.equal(res.status, 202);
  await host.engine.client.waitForStart(id, { timeoutMs: 60_000 });
}

const release = (id: string, target: App = app, headers: Record<string, string> = {}) => call(target, 'POST', `/v1.0/workflows/dapr/${id}/raiseEvent/go`, '"done"', headers);

async function errorOf(res: Response): Promise<{ status: number; errorCode: string; message: string }> {
  const body = (await res.json()) as { errorCode: string; message: string };
  return { status: res.status, ...body };
}

/** Resolves once `target` has `cap` waits open: a probe wait is then refused with 503. */
async function untilWaitsOpen(target: App, probeId: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const res = await get(`/api/v1/instances/${probeId}?wait=1ms`, target);
    if (res.status === 503) {
      assert.equal((await errorOf(res)).errorCode, 'ERR_TOO_MANY_WAITERS');
      return;
    }
    await res.arrayBuffer();
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.fail('the wait never became open');
}

describe('?wait= on GET of an instance', () => {
  test('completion answers the open wait with the finished instance (Swirl API)', async () => {
    // A cap of one shows that the wait is open (a second one is refused) before the event is raised.
    const single = createApp(host, { maxWaiters: 1 });
    await startWaiter('wake-swirl');
    await startWaiter('wake-probe');
    const waiting = get('/api/v1/instances/wake-swirl?wait=60s', single);
    await untilWaitsOpen(single, 'wake-probe');
    assert.equal((await release('wake-swirl')).status, 202);
    const res = await waiting;
    assert.equal(res.status, 200);
    const body = (await res.json()) as Record<string, any>;
    assert.equal(body.instanceID, 'wake-swirl');
    assert.equal(body.runtimeStatus, 'COMPLETED');
    assert.equal(body.output, 'done');
    // The wait is freed: the next one is accepted again (and a finished instance answers at once).
    assert.equal((await get('/api/v1/instances/wake-swirl?wait=60s', single)).status, 200);
  });

  test('completion answers the open wait with the finished instance (Dapr API, daprd body)', async () => {
    const single = createApp(host, { maxWaiters: 1 });
    await startWaiter('wake-dapr');
    await startWaiter('wake-dapr-probe');
    const waiting = get('/v1.0/workflows/dapr/wake-dapr?wait=60000', single);
    await untilWaitsOpen(single, 'wake-dapr-probe');
    await release('wake-dapr');
    const res = await waiting;
    assert.equal(res.status, 200);
    const body = (await res.json()) as Record<string, any>;
    assert.equal(body.runtimeStatus, 'COMPLETED');
    assert.deepEqual(body.properties, { 'dapr.workflow.input': '{}', 'dapr.workflow.output': '"done"' });
  });

  test('a wait that passes answers the current (running) state with 200, as a plain GET', async () => {
    await startWaiter('still-running');
    for (const path of ['/api/v1/instances/still-running?wait=50ms', '/v1.0/workflows/dapr/still-running?wait=0.05s', '/api/v1/instances/still-running?wait=0']) {
      const res = await get(path);
      assert.equal(res.status, 200, path);
      assert.equal(((await res.json()) as { runtimeStatus: string }).runtimeStatus, 'RUNNING', path);
    }
  });

  test('a bad wait is 400 ERR_BAD_WAIT naming the value, on both APIs', async () => {
    await startWaiter('bad-wait');
    const cases: [string, RegExp][] = [
      ['abc', /wait 'abc' is not a duration/],
      ['-5', /wait '-5' is not a duration/],
      ['1h', /wait '1h' is longer than the limit of 60s/],
      ['1d', /wait '1d' is not a duration/],
      ['', /wait '' is not a duration/],
      ['61s', /wait '61s' is longer than the limit of 60s/],
      ['2m', /wait '2m' is longer than the limit of 60s/],
    ];
    for (const [value, message] of cases) {
      for (const base of ['/api/v1/instances/bad-wait', '/v1.0/workflows/dapr/bad-wait']) {
        const e = await errorOf(await get(`${base}?wait=${encodeURIComponent(value)}`));
        assert.equal(e.status, 400, `${base} ${value}`);
        assert.equal(e.errorCode, 'ERR_BAD_WAIT');
        assert.match(e.message, message);
      }
    }
  });

  test('an unknown id is 404 exactly as GET answers it', async () => {
    for (const base of ['/api/v1/instances/no-such-instance', '/v1.0/workflows/dapr/no-such-instance', '/api/v1/instances/swirl.mailbox:x']) {
      const plain = await errorOf(await get(base));
      const waited = await errorOf(await get(`${base}?wait=30s`));
      assert.equal(plain.status, 404, base);
      assert.deepEqual(waited, plain, base);
    }
  });

  test('the cap: one wait more than maxWaiters is 503 ERR_TOO_MANY_WAITERS; a plain GET still answers', async () => {
    const two = createApp(host, { maxWaiters: 2 });
    await startWaiter('cap-1');
    await startWaiter('cap-2');
    const open = [get('/api/v1/instances/cap-1?wait=60s', two), get('/v1.0/workflows/dapr/cap-1?wait=60s', two)];
    await untilWaitsOpen(two, 'cap-2');
    const e = await errorOf(await get('/v1.0/workflows/dapr/cap-2?wait=5s', two));
    assert.equal(e.status, 503);
    assert.equal(e.errorCode, 'ERR_TOO_MANY_WAITERS');
    assert.match(e.message, /2 waits are open on this server/);
    assert.equal((await get('/api/v1/instances/cap-2', two)).status, 200);
    await release('cap-1');
    for (const res of await Promise.all(open)) assert.equal(((await res.json()) as { runtimeStatus: string }).runtimeStatus, 'COMPLETED');
  });

  test('the API token applies to waits', async () => {
    const guarded = createApp(host, { apiToken: 'w417' });
    await startWaiter('token-wait');
    const refused = await errorOf(await get('/api/v1/instances/token-wait?wait=30s', guarded));
    assert.equal(refused.status, 401);
    assert.equal(refused.errorCode, 'ERR_UNAUTHORIZED');
    const waiting = call(guarded, 'GET', '/api/v1/instances/token-wait?wait=60s', undefined, { 'dapr-api-token': 'w417' });
    await release('token-wait');
    const res = await waiting;
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { runtimeStatus: string }).runtimeStatus, 'COMPLETED');
  });
});

describe('?wait= on the Dapr start', () => {
  const startWaiting = (id: string, wait: string, target: App = app) => call(target, 'POST', `/v1.0/workflows/dapr/waiter/start?instanceID=${id}&wait=${wait}`, '{}');

  test('answers 200 with the GET body once the started instance has finished', async () => {
    const answering = startWaiting('start-wait', '60s');
    // The instance waits for its event: an answer before the release would show it RUNNING.
    while ((await host.engine.client.get('start-wait'))?.runtimeStatus !== 'RUNNING') await new Promise((r) => setTimeout(r, 5));
    assert.equal((await release('start-wait')).status, 202);
    const res = await answering;
    assert.equal(res.status, 200);
    const body = (await res.json()) as Record<string, any>;
    assert.deepEqual(body, (await (await get('/v1.0/workflows/dapr/start-wait')).json()) as Record<string, any>);
    assert.equal(body.instanceID, 'start-wait');
    assert.equal(body.runtimeStatus, 'COMPLETED');
    assert.equal(body.properties['dapr.workflow.output'], '"done"');
  });

  test('a wait that passes answers 200 with the running state; wait=0 and no wait are the plain 202', async () => {
    const res = await startWaiting('start-wait-passes', '50ms');
    assert.equal(res.status, 200);
    const body = (await res.json()) as Record<string, any>;
    assert.equal(body.instanceID, 'start-wait-passes');
    assert.ok(['PENDING', 'RUNNING'].includes(body.runtimeStatus), body.runtimeStatus);
    const zero = await startWaiting('start-wait-zero', '0');
    assert.equal(zero.status, 202);
    assert.deepEqual(await zero.json(), { instanceID: 'start-wait-zero' });
  });

  test('a bad wait is 400 ERR_BAD_WAIT and starts nothing', async () => {
    const res = await startWaiting('start-wait-bad', 'soon');
    assert.equal(res.status, 400);
    assert.equal((await errorOf(res)).errorCode, 'ERR_BAD_WAIT');
    assert.equal((await get('/v1.0/workflows/dapr/start-wait-bad')).status, 404);
  });

  test('with every wait slot taken the instance is still started: the plain 202', async () => {
    const single = createApp(host, { maxWaiters: 1 });
    await startWaiter('start-wait-full-holder');
    const holding = get('/api/v1/instances/start-wait-full-holder?wait=60s', single);
    await startWaiter('start-wait-full-probe');
    await untilWaitsOpen(single, 'start-wait-full-probe');
    const res = await startWaiting('start-wait-full', '60s', single);
    assert.equal(res.status, 202);
    assert.deepEqual(await res.json(), { instanceID: 'start-wait-full' });
    await host.engine.client.waitForStart('start-wait-full', { timeoutMs: 60_000 });
    await release('start-wait-full-holder');
    assert.equal((await holding).status, 200);
  });
});

describe('?wait= over a socket', () => {
  /** A GET that can be abandoned: resolves with the status and body, or never when destroyed. */
  function open(port: number, path: string): { answer: Promise<{ status: number; body: any }>; hangUp: () => void } {
    const req = httpRequest({ host: '127.0.0.1', port, path, method: 'GET' });
    const answer = new Promise<{ status: number; body: any }>((resolve, reject) => {
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) }));
      });
      req.on('error', reject);
    });
    req.end();
    return { answer, hangUp: () => req.destroy() };
  }

  /**
   * Opens `path` over the socket and resolves once it is the one open wait of `target` (cap 1): a
   * probe is then refused. The request reaches the app later than an in-process probe might, so a
   * wait refused because the probe held the one slot is opened again.
   */
  async function openWait(target: App, port: number, path: string, probeId: string): Promise<ReturnType<typeof open>> {
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const wait = open(port, path);
      let refused = false;
      wait.answer.then(
        (a) => (refused = a.status === 503),
        () => undefined,
      );
      while (!refused && Date.now() < deadline) {
        const res = await get(`/api/v1/instances/${probeId}?wait=1ms`, target);
        await res.arrayBuffer();
        if (res.status === 503 && !refused) return wait;
        await new Promise((r) => setTimeout(r, 10));
      }
    }
    assert.fail(`the wait ${path} never became open`);
  }

  test('a client that hangs up frees its wait (the cap admits the next one)', async () => {
    const single = createApp(host, { maxWaiters: 1 });
    const server = await startServer(single, { port: 0 });
    try {
      await startWaiter('hangup');
      await startWaiter('hangup-probe');
      const first = await openWait(single, server.port, '/api/v1/instances/hangup?wait=60s', 'hangup-probe');
      first.answer.catch(() => undefined);
      first.hangUp();
      // Freed: with a cap of one, a probe wait is admitted again (200, not 503).
      const deadline = Date.now() + 30_000;
      let admitted = false;
      while (!admitted && Date.now() < deadline) {
        const res = await get('/api/v1/instances/hangup-probe?wait=1ms', single);
        admitted = res.status === 200;
        await res.arrayBuffer();
        if (!admitted) await new Promise((r) => setTimeout(r, 10));
      }
      assert.ok(admitted, 'the abandoned wait was never freed');
      // The instance it waited on is untouched by the hang-up.
      assert.equal(((await (await get('/api/v1/instances/hangup')).json()) as { runtimeStatus: string }).runtimeStatus, 'RUNNING');
    } finally {
      await server.close();
    }
  });

  test('stopping the server answers open waits at once with the current state', async () => {
    const served = createApp(host, { maxWaiters: 1 });
    const server = await startServer(served, { port: 0 });
    await startWaiter('at-shutdown');
    await startWaiter('at-shutdown-probe');
    const waiting = await openWait(served, server.port, '/v1.0/workflows/dapr/at-shutdown?wait=60s', 'at-shutdown-probe');
    const closed = server.close();
    const answer = await waiting.answer;
    await closed;
    assert.equal(answer.status, 200);
    assert.equal(answer.body.instanceID, 'at-shutdown');
    assert.equal(answer.body.runtimeStatus, 'RUNNING');
  });
});
