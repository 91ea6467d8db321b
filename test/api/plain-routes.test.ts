/**
 * The hot routes over a socket (api/plain.ts): Dapr start and get and Swirl's get of an instance
 * are answered straight from node:http, every other route through `app.fetch`. What a client
 * sees must not depend on that: the same requests give the same status, content type and body
 * over the socket as through `app.fetch`, and the socket's own code — the body limit, chunked
 * bodies, UTF-8 with a BOM, the API token, the access log, a stopping server — answers as the
 * other routes do.
 */
import { request as httpRequest } from 'node:http';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createApp, createHost, startServer, type App, type OrchestrationContext, type RunningServer, type SwirlHost } from '../../src/index.js';
import type { Logger } from '../../src/engine/logger.js';

let host: SwirlHost;

before(async () => {
  host = await createHost({ store: 'memory', engine: { pollIntervalMs: 20 } });
  host.engine.registerOrchestration('echo', (_ctx: OrchestrationContext, input: unknown) => input);
  await host.start();
});
after(() => host.stop());

interface Answer {
  status: number;
  type: string | undefined;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

/** One request over a real socket; `chunks` are written one by one (no content-length: chunked). */
function overSocket(port: number, method: string, path: string, body?: string | Buffer | string[], headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method, path, headers: { ...(body !== undefined && !Array.isArray(body) ? { 'content-length': String(Buffer.byteLength(body)) } : {}), ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode!, type: res.headers['content-type'], headers: res.headers, body: text === '' ? undefined : (JSON.parse(text) as unknown) });
      });
    });
    req.on('error', reject);
    if (Array.isArray(body)) for (const c of body) req.write(c);
    else if (body !== undefined) req.write(body);
    req.end();
  });
}

/** The same request through app.fetch. */
async function throughFetch(app: App, method: string, path: string, body?: string | Buffer, headers: Record<string, string> = {}): Promise<Answer> {
  const res = await app.fetch(new Request(`http://127.0.0.1${path}`, { method, headers, ...(body !== undefined ? { body } : {}) }));
  const text = await res.text();
  return { status: res.status, type: res.headers.get('content-type') ?? undefined, headers: {}, body: text === '' ? undefined : (JSON.parse(text) as unknown) };
}

const json = { 'content-type': 'application/json' };

/** A start body and what the instance then holds as its input. */
const STARTS: { name: string; body: string | Buffer; headers: Record<string, string>; query?: string }[] = [
  { name: 'a JSON object', body: '{"n":1}', headers: json },
  { name: 'no body', body: '', headers: {} },
  { name: 'text/plain that is not JSON', body: 'hello', headers: { 'content-type': 'text/plain' } },
  { name: 'text/plain that is JSON', body: '42', headers: { 'content-type': 'text/plain; charset=utf-8' } },
  { name: 'UTF-8 with a BOM', body: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"name":"Zoë"}')]), headers: json },
  { name: 'bad JSON', body: '{"n":', headers: json },
  { name: 'JSON nested too deep', body: '['.repeat(600) + ']'.repeat(600), headers: json },
  { name: 'an unsupported content type', body: '<n/>', headers: { 'content-type': 'application/xml' } },
  { name: "curl -d's default form content type", body: '{"n":2}', headers: { 'content-type': 'application/x-www-form-urlencoded' } },
  { name: 'an instance id too long', body: '{}', headers: json, query: `instanceID=${'x'.repeat(65)}` },
  { name: 'an instance id with bad characters', body: '{}', headers: json, query: 'instanceID=a.b' },
];

describe('hot routes over the socket answer as app.fetch does', () => {
  let app: App;
  let server: RunningServer;
  before(async () => {
    app = createApp(host);
    server = await startServer(app, { port: 0 });
  });
  after(() => server.close());

  for (const [i, s] of STARTS.entries()) {
    test(`Dapr start with ${s.name}`, async () => {
      // Each side starts its own instance (ids differ only by the side's prefix).
      const path = (side: string) => `/v1.0/workflows/dapr/echo/start?${s.query ?? `instanceID=plain-${side}-${i}`}`;
      const viaSocket = await overSocket(server.port, 'POST', path('sock'), s.body, s.headers);
      const viaFetch = await throughFetch(app, 'POST', path('fetch'), s.body, s.headers);
      assert.equal(viaSocket.status, viaFetch.status);
      assert.equal(viaSocket.type, 'application/json');
      assert.equal(viaFetch.type, 'application/json');
      assert.deepEqual(JSON.parse(JSON.stringify(viaSocket.body).replaceAll('plain-sock-', 'plain-fetch-')), viaFetch.body);
      if (viaSocket.status !== 202) return;
      // Both instances hold the same input, and a GET of one answers alike on both paths.
      const [a, b] = await Promise.all(['sock', 'fetch'].map((side) => host.engine.client.waitForCompletion(`plain-${side}-${i}`, { timeoutMs: 30_000 })));
      assert.deepEqual(a!.input, b!.input);
      for (const get of [`/v1.0/workflows/dapr/plain-sock-${i}`, `/v1.0/workflows/dapr/plain-sock-${i}?wait=5s`, `/v1.0-beta1/workflows/dapr/plain-sock-${i}`, `/api/v1/instances/plain-sock-${i}?wait=1s`]) {
        const sock = await overSocket(server.port, 'GET', get);
        assert.equal(sock.status, 200, get);
        assert.deepEqual(sock, { ...(await throughFetch(app, 'GET', get)), headers: sock.headers }, get);
      }
    });
  }

  test('the instance input a start records', async () => {
    await overSocket(server.port, 'POST', '/v1.0/workflows/dapr/echo/start?instanceID=plain-input-bom', STARTS[4]!.body, json);
    await overSocket(server.port, 'POST', '/v1.0/workflows/dapr/echo/start?instanceID=plain-input-text', 'hello', { 'content-type': 'text/plain' });
    await overSocket(server.port, 'POST', '/v1.0/workflows/dapr/echo/start?instanceID=plain-input-form', '{"n":2}', { 'content-type': 'application/x-www-form-urlencoded' });
    await overSocket(server.port, 'POST', '/v1.0/workflows/dapr/echo/start?instanceID=plain-input-form-text', 'n=2', { 'content-type': 'application/x-www-form-urlencoded' });
    assert.deepEqual((await host.engine.client.waitForCompletion('plain-input-bom', { timeoutMs: 30_000 })).output, { name: 'Zoë' });
    assert.equal((await host.engine.client.waitForCompletion('plain-input-text', { timeoutMs: 30_000 })).output, 'hello');
    assert.deepEqual((await host.engine.client.waitForCompletion('plain-input-form', { timeoutMs: 30_000 })).output, { n: 2 });
    assert.equal((await host.engine.client.waitForCompletion('plain-input-form-text', { timeoutMs: 30_000 })).output, 'n=2');
  });

  for (const get of ['/v1.0/workflows/dapr/no-such-instance', '/v1.0/workflows/dapr/no-such-instance?wait=10ms', '/v1.0/workflows/dapr/x?wait=soon', '/v1.0/workflows/dapr/x?wait=2m', '/api/v1/instances/no-such-instance', '/api/v1/instances/no-such-instance?wait=5ms', '/api/v1/instances/x?wait=-1', '/v1.0/workflows/dapr/swirl.mailbox:x', '/v1.0/workflows/dapr/%ff', '/api/v1/instances/%zz?wait=1s']) {
    test(`GET ${get}`, async () => {
      const sock = await overSocket(server.port, 'GET', get);
      assert.ok(sock.status >= 400, `${get}: ${sock.status}`);
      assert.deepEqual(sock, { ...(await throughFetch(app, 'GET', get)), headers: sock.headers });
    });
  }

  test('a hot-route answer has the headers of an answer through app.fetch', async () => {
    // Both 404 JSON bodies: GET of an instance (hot) and GET of its history (app.fetch).
    const hot = await overSocket(server.port, 'GET', '/api/v1/instances/no-such-instance');
    const other = await overSocket(server.port, 'GET', '/api/v1/instances/no-such-instance/history');
    assert.equal(hot.status, 404);
    assert.equal(other.status, 404);
    const shape = (a: Answer) => Object.keys(a.headers).sort();
    assert.deepEqual(shape(hot), shape(other));
    assert.equal(hot.headers['content-length'], String(Buffer.byteLength(JSON.stringify(hot.body))));
    assert.equal(hot.headers.connection, other.headers.connection);
  });

  test('a start of an unknown workflow, and the routes beside the hot ones', async () => {
    for (const [method, path] of [
      ['POST', '/v1.0/workflows/dapr/no-such-workflow/start'],
      ['PUT', '/v1.0/workflows/dapr/echo/start'],
      ['DELETE', '/api/v1/instances/x'],
      ['GET', '//v1.0/workflows/dapr/x'],
    ] as const) {
      const sock = await overSocket(server.port, method, path, method === 'GET' ? undefined : '{}', json);
      assert.deepEqual(sock, { ...(await throughFetch(app, method, path, method === 'GET' ? undefined : '{}', json)), headers: sock.headers }, `${method} ${path}`);
      assert.ok(sock.status >= 400);
    }
  });
});

describe('the socket side of the hot routes', () => {
  test('a chunked start body is read whole', async () => {
    const server = await startServer(createApp(host), { port: 0 });
    try {
      const res = await overSocket(server.port, 'POST', '/v1.0/workflows/dapr/echo/start?instanceID=plain-chunked', ['{"parts":', '[1,2,', '3]}'], json);
      assert.deepEqual(res.body, { instanceID: 'plain-chunked' });
      assert.equal(res.status, 202);
      assert.deepEqual((await host.engine.client.waitForCompletion('plain-chunked', { timeoutMs: 30_000 })).output, { parts: [1, 2, 3] });
    } finally {
      await server.close();
    }
  });

  test('a start body over the 16 MiB limit is 413 ERR_REQUEST_TOO_LARGE and the connection closes; nothing starts', async () => {
    const server = await startServer(createApp(host), { port: 0 });
    try {
      const big = Buffer.alloc(16 * 1024 * 1024 + 1, 0x20);
      const res = await overSocket(server.port, 'POST', '/v1.0/workflows/dapr/echo/start?instanceID=plain-too-large', big, json).catch((err: unknown) => err);
      // The server may close before the client has written everything: then the client sees a reset.
      if (res instanceof Error) assert.match((res as NodeJS.ErrnoException).code ?? '', /ECONNRESET|EPIPE/);
      else {
        assert.equal((res as Answer).status, 413);
        assert.equal(((res as Answer).body as { errorCode: string }).errorCode, 'ERR_REQUEST_TOO_LARGE');
        assert.equal((res as Answer).headers.connection, 'close');
      }
      assert.equal(await host.engine.client.get('plain-too-large'), undefined);
    } finally {
      await server.close();
    }
  });

  test('the API token guards the hot routes as every other', async () => {
    const app = createApp(host, { apiToken: 's3cret' });
    const server = await startServer(app, { port: 0 });
    try {
      const start = '/v1.0/workflows/dapr/echo/start?instanceID=plain-token';
      for (const headers of [{}, { 'dapr-api-token': 'wrong' }] as Record<string, string>[]) {
        const sock = await overSocket(server.port, 'POST', start, '{}', { ...json, ...headers });
        assert.equal(sock.status, 401);
        assert.deepEqual(sock.body, (await throughFetch(app, 'POST', start, '{}', { ...json, ...headers })).body);
        assert.equal((await overSocket(server.port, 'GET', '/api/v1/instances/plain-token?wait=1s', undefined, headers)).status, 401);
      }
      assert.equal(await host.engine.client.get('plain-token'), undefined);
      const ok = await overSocket(server.port, 'POST', start, '{}', { ...json, 'dapr-api-token': 's3cret' });
      assert.equal(ok.status, 202);
      const got = await overSocket(server.port, 'GET', '/v1.0/workflows/dapr/plain-token?wait=30s', undefined, { 'dapr-api-token': 's3cret' });
      assert.equal((got.body as { runtimeStatus: string }).runtimeStatus, 'COMPLETED');
    } finally {
      await server.close();
    }
  });

  test('the access log has one line per hot-route request, with the trace of its traceparent', async () => {
    const lines: Record<string, unknown>[] = [];
    const log: Logger = { debug: () => undefined, info: (_m, meta) => lines.push(meta ?? {}), warn: () => undefined, error: () => undefined };
    const server = await startServer(createApp(host, { accessLog: log }), { port: 0 });
    try {
      const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
      await overSocket(server.port, 'POST', '/v1.0/workflows/dapr/echo/start?instanceID=plain-logged', '{}', { ...json, traceparent });
      await overSocket(server.port, 'GET', '/api/v1/instances/plain-logged?wait=30s');
      assert.deepEqual(
        lines.map((l) => [l.event, l.method, l.path, l.status, l.traceId]),
        [
          ['http.request', 'POST', '/v1.0/workflows/dapr/echo/start', 202, '0af7651916cd43dd8448eb211c80319c'],
          ['http.request', 'GET', '/api/v1/instances/plain-logged', 200, undefined],
        ],
      );
      assert.equal(typeof lines[0]!.durationMs, 'number');
    } finally {
      await server.close();
    }
  });

  test('a stopping server answers an open wait at once and closes the connection', async () => {
    host.engine.registerOrchestration('plain-waiter', function* (ctx: OrchestrationContext): Generator<unknown, unknown, unknown> {
      return yield ctx.waitForExternalEvent('go');
    });
    const server = await startServer(createApp(host), { port: 0 });
    await host.engine.client.start('plain-waiter', undefined, { instanceId: 'plain-held' });
    await host.engine.client.waitForStart('plain-held', { timeoutMs: 30_000 });
    const waiting = overSocket(server.port, 'GET', '/v1.0/workflows/dapr/plain-held?wait=60s');
    await new Promise((r) => setTimeout(r, 200));
    const t0 = Date.now();
    await server.close();
    const res = await waiting;
    assert.ok(Date.now() - t0 < 10_000);
    assert.equal(res.status, 200);
    assert.equal((res.body as { runtimeStatus: string }).runtimeStatus, 'RUNNING');
    assert.equal(res.headers.connection, 'close');
  });
});
