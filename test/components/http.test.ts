/**
 * Service invocation (`invoke:<appId>/<method>`) and `bindings.http`, against a loopback HTTP
 * server started by the test: verbs, JSON bodies, idempotency-key and traceparent headers, error
 * statuses as WorkflowError coded by the status, timeouts and refused connections as
 * InfrastructureError.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { InfrastructureError, WorkflowError } from '../../src/errors.js';
import { loadComponents, type ComponentHost } from '../../src/components/index.js';
import { componentDir, componentYaml } from './support.js';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

describe('service invocation and bindings.http', () => {
  let server: Server;
  let base: string;
  let host: ComponentHost;
  let cleanup: () => Promise<void>;
  const seen: Seen[] = [];

  before(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
        const path = req.url!.split('?')[0];
        if (path.endsWith('/missing')) {
          res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'no such order' }));
        } else if (path.endsWith('/boom')) {
          res.writeHead(503).end('try later');
        } else if (path.endsWith('/slow')) {
          setTimeout(() => res.writeHead(200).end('late'), 2000).unref();
        } else if (path.endsWith('/text')) {
          res.writeHead(200, { 'content-type': 'text/plain' }).end('plain words');
        } else if (path.endsWith('/empty')) {
          res.writeHead(204).end();
        } else {
          res.writeHead(200, { 'content-type': 'application/json', 'x-answer': '42' }).end(JSON.stringify({ method: req.method, path, got: body ? JSON.parse(body) : null }));
        }
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const d = await componentDir({
      'apps.yaml': componentYaml('apps', 'nameresolution.static', { orders: `${base}/orders-app`, down: 'http://127.0.0.1:1' }),
      'api.yaml': componentYaml('api', 'bindings.http', { url: `${base}/api` }),
      'lenient.yaml': componentYaml('lenient', 'bindings.http', { url: base, errorIfNot2XX: 'false' }),
    });
    cleanup = d.cleanup;
    host = await loadComponents(d.dir, { appId: 'swirl-test', appIds: { extra: `${base}/extra` }, env: {} });
  });

  after(async () => {
    await host?.close();
    await cleanup();
    await new Promise((r) => server.close(r));
  });

  it('POSTs JSON to <base>/<method> by default, with idempotency-key, traceparent and caller id', async () => {
    const tp = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const res = await host.invokeService({ appId: 'orders', method: 'orders/new', data: { id: 7 }, idempotencyKey: 'inst-1:3', traceparent: tp, headers: { 'x-tenant': 'acme' } });
    assert.equal(res.status, 200);
    assert.deepEqual(res.data, { method: 'POST', path: '/orders-app/orders/new', got: { id: 7 } });
    assert.equal(res.headers['x-answer'], '42');
    const req = seen.at(-1)!;
    assert.equal(req.headers['content-type'], 'application/json');
    assert.equal(req.headers['idempotency-key'], 'inst-1:3');
    assert.equal(req.headers.traceparent, tp);
    assert.equal(req.headers['dapr-caller-app-id'], 'swirl-test');
    assert.equal(req.headers['x-tenant'], 'acme');
  });

  it('takes the verb from httpVerb; GET sends no body and keeps the query string', async () => {
    const res = await host.invokeService({ appId: 'orders', method: '/orders/7?full=1', verb: 'get', data: { ignored: true } });
    assert.deepEqual(res.data, { method: 'GET', path: '/orders-app/orders/7', got: null });
    assert.equal(seen.at(-1)!.url, '/orders-app/orders/7?full=1');
    assert.equal(seen.at(-1)!.body, '');
    const put = await host.invokeService({ appId: 'extra', method: 'x', verb: 'PUT', data: [1, 2] });
    assert.deepEqual(put.data, { method: 'PUT', path: '/extra/x', got: [1, 2] });
  });

  it('text and empty answers come back as a string and null', async () => {
    assert.equal((await host.invokeService({ appId: 'orders', method: 'text', verb: 'GET' })).data, 'plain words');
    const empty = await host.invokeService({ appId: 'orders', method: 'empty' });
    assert.equal(empty.status, 204);
    assert.equal(empty.data, null);
  });

  it('an error status is a WorkflowError whose code is the status', async () => {
    await assert.rejects(host.invokeService({ appId: 'orders', method: 'missing' }), (err: WorkflowError) => {
      assert.ok(err instanceof WorkflowError);
      assert.equal(err.code, '404');
      assert.equal(err.nonRetryable, true);
      assert.deepEqual(err.details, { status: 404, body: { error: 'no such order' } });
      assert.match(err.message, /invoke orders\/missing answered 404: \{"error":"no such order"\}/);
      return true;
    });
    await assert.rejects(host.invokeService({ appId: 'orders', method: 'boom' }), (err: WorkflowError) => err instanceof WorkflowError && err.code === '503' && !err.nonRetryable);
  });

  it('an unknown app id is a non-retryable ERR_DIRECT_INVOKE', async () => {
    await assert.rejects(host.invokeService({ appId: 'nobody', method: 'x' }), (err: WorkflowError) => err instanceof WorkflowError && err.code === 'ERR_DIRECT_INVOKE' && err.nonRetryable && /cannot resolve app id 'nobody'/.test(err.message));
  });

  it('a refused connection is an InfrastructureError; an aborted or timed-out call too', async () => {
    await assert.rejects(host.invokeService({ appId: 'down', method: 'x' }), (err: InfrastructureError) => err instanceof InfrastructureError && err.code === 'COMPONENT_UNAVAILABLE' && /ECONNREFUSED/.test(err.message));
    await assert.rejects(host.invokeService({ appId: 'orders', method: 'slow', signal: AbortSignal.timeout(100) }), (err: InfrastructureError) => err instanceof InfrastructureError && err.code === 'TIMEOUT');
    const ac = new AbortController();
    const p = host.invokeService({ appId: 'orders', method: 'slow', signal: ac.signal });
    ac.abort();
    await assert.rejects(p, (err: InfrastructureError) => err instanceof InfrastructureError && err.code === 'ABORTED');
  });

  it("the host's own call timeout is a TIMEOUT; a signal aborted before the call is ABORTED and sends nothing", async () => {
    const d = await componentDir({ 'apps.yaml': componentYaml('apps', 'nameresolution.static', { orders: `${base}/orders-app` }) });
    const quick = await loadComponents(d.dir, { appId: 'swirl-test', env: {}, timeoutMs: 150 });
    try {
      const t0 = Date.now();
      await assert.rejects(quick.invokeService({ appId: 'orders', method: 'slow' }), (err: InfrastructureError) => err instanceof InfrastructureError && err.code === 'TIMEOUT' && /timed out/.test(err.message));
      assert.ok(Date.now() - t0 < 1900, 'the call ended at its timeout, not when the slow answer came');
      // A caller's signal that ends first still wins over the host's timeout (and the other way round above).
      const ac = new AbortController();
      ac.abort();
      const before = seen.length;
      await assert.rejects(quick.invokeService({ appId: 'orders', method: 'new', signal: ac.signal }), (err: InfrastructureError) => err instanceof InfrastructureError && err.code === 'ABORTED');
      assert.equal(seen.length, before);
      // A call that answers in time is untouched by the timer.
      assert.deepEqual((await quick.invokeService({ appId: 'orders', method: 'new', data: { id: 7 } })).data, { method: 'POST', path: '/orders-app/new', got: { id: 7 } });
    } finally {
      await quick.close();
      await d.cleanup();
    }
  });

  it('bindings.http: operation = verb, metadata path and headers, statusCode in the response metadata', async () => {
    const res = await host.invokeBinding({ name: 'api', operation: 'create', data: { a: 1 }, metadata: { path: '/items', 'x-trace': 't1' }, idempotencyKey: 'k-9' });
    assert.deepEqual(res.data, { method: 'POST', path: '/api/items', got: { a: 1 } });
    assert.equal(res.metadata.statusCode, '200');
    assert.equal(res.metadata.status, '200 OK');
    assert.equal(res.metadata['x-answer'], '42');
    assert.equal(seen.at(-1)!.headers['x-trace'], 't1');
    assert.equal(seen.at(-1)!.headers['idempotency-key'], 'k-9');
    const got = await host.invokeBinding({ name: 'api', operation: 'get' });
    assert.deepEqual(got.data, { method: 'GET', path: '/api', got: null });
  });

  it('bindings.http: error statuses fail unless errorIfNot2XX is false', async () => {
    await assert.rejects(host.invokeBinding({ name: 'api', operation: 'get', metadata: { path: 'missing' } }), (err: WorkflowError) => err instanceof WorkflowError && err.code === '404');
    const res = await host.invokeBinding({ name: 'lenient', operation: 'get', metadata: { path: 'missing' } });
    assert.equal(res.metadata.statusCode, '404');
    assert.deepEqual(res.data, { error: 'no such order' });
  });

  it('unknown binding or operation: non-retryable ERR_INVOKE_OUTPUT_BINDING naming what exists', async () => {
    await assert.rejects(host.invokeBinding({ name: 'nope', operation: 'get' }), (err: WorkflowError) => err.code === 'ERR_INVOKE_OUTPUT_BINDING' && /no output binding named 'nope' \(configured: api, lenient\)/.test(err.message));
    await assert.rejects(host.invokeBinding({ name: 'api', operation: 'exec' }), (err: WorkflowError) => err.code === 'ERR_INVOKE_OUTPUT_BINDING' && /has no operation 'exec' \(supported: create, get/.test(err.message));
  });

  it('publish to an unknown pub/sub is ERR_PUBSUB_NOT_FOUND', async () => {
    await assert.rejects(
      host.publish({ pubsub: 'none', topic: 't', event: { specversion: '1.0', id: '1', source: 's', type: 't' } }),
      (err: WorkflowError) => err.code === 'ERR_PUBSUB_NOT_FOUND',
    );
  });
});
