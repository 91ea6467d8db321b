/**
 * specs/http-api.openapi.yaml stays true to the app: every documented path and method is served
 * (answers with something other than "no route"), under every documented API version; with an
 * API token, every one of them but the health probes refuses a request without it.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { load } from 'js-yaml';
import { createApp, createHost, type App, type SwirlHost } from '../../src/index.js';

let host: SwirlHost;
let app: App;
before(async () => {
  host = await createHost({ store: 'memory' });
  await host.start();
  app = createApp(host);
});
after(() => host.stop());

test('every documented route exists', async () => {
  const spec = load(readFileSync(new URL('../../specs/http-api.openapi.yaml', import.meta.url), 'utf8')) as { paths: Record<string, Record<string, unknown>> };
  const versions = ['v1.0', 'v1.0-beta1', 'v1.0-alpha1'];
  let checked = 0;
  for (const [path, ops] of Object.entries(spec.paths)) {
    for (const method of Object.keys(ops).filter((m) => ['get', 'post', 'delete', 'put'].includes(m))) {
      for (const v of path.includes('{apiVersion}') ? versions : [versions[0]!]) {
        const url = path.replace('{apiVersion}', v).replace('{workflowComponent}', 'dapr').replace(/\{[^}]+\}/g, 'x1');
        const res = await app.fetch(new Request(`http://swirl.test${url}`, { method: method.toUpperCase(), ...(method === 'post' ? { body: '{}', headers: { 'content-type': 'application/json' } } : {}) }));
        const body = res.status === 204 ? {} : ((await res.json().catch(() => ({}))) as { errorCode?: string });
        assert.ok(body.errorCode !== 'ERR_NOT_FOUND' && body.errorCode !== 'ERR_METHOD_NOT_ALLOWED', `${method.toUpperCase()} ${url}: ${res.status} ${body.errorCode}`);
        checked++;
      }
    }
  }
  assert.ok(checked >= 30, `checked ${checked} routes`);
});

test('with --api-token, every documented route but health answers 401 without the token', async () => {
  const guarded = createApp(host, { apiToken: 's3cret' });
  const spec = load(readFileSync(new URL('../../specs/http-api.openapi.yaml', import.meta.url), 'utf8')) as { paths: Record<string, Record<string, unknown>> };
  let checked = 0;
  for (const [path, ops] of Object.entries(spec.paths)) {
    for (const method of Object.keys(ops).filter((m) => ['get', 'post', 'delete', 'put'].includes(m))) {
      for (const v of path.includes('{apiVersion}') ? ['v1.0', 'v1.0-beta1', 'v1.0-alpha1'] : ['v1.0']) {
        const url = path.replace('{apiVersion}', v).replace('{workflowComponent}', 'dapr').replace(/\{[^}]+\}/g, 'x1');
        const init = { method: method.toUpperCase(), ...(method === 'post' ? { body: '{}', headers: { 'content-type': 'application/json' } } : {}) };
        const res = await guarded.fetch(new Request(`http://swirl.test${url}`, init));
        if (['/healthz', '/v1.0/healthz', '/readyz', '/v1.0/healthz/outbound'].includes(url)) {
          // Health probes take no token; readiness may answer 503 while the host starts.
          assert.ok([200, 204, 503].includes(res.status), `${url}: ${res.status}`);
          continue;
        }
        assert.equal(res.status, 401, `${init.method} ${url} without a token`);
        assert.equal(((await res.json()) as { errorCode: string }).errorCode, 'ERR_UNAUTHORIZED');
        checked++;
      }
    }
  }
  assert.ok(checked >= 30, `checked ${checked} routes`);
  // Nothing was started or registered by the refused requests.
  assert.deepEqual((await host.engine.client.list()).instances, []);
});
