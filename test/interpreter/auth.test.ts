// Auth definitions (basic, bearer, oauth2 client credentials) applied to the OpenAPI document fetch and the invocation.
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from './harness.js';

const DOC_AUTH = `Basic ${Buffer.from('docs:pa55').toString('base64')}`;
const TOKEN = 'bearer-SECRET-token-77';

describe('auth definitions', () => {
  let server: Server;
  let base = '';
  const seen: { path: string; authorization?: string; body: string }[] = [];
  let tokenRequests = 0;

  before(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        const path = req.url!;
        seen.push({ path, authorization: req.headers.authorization, body });
        if (path === '/api.json') {
          if (req.headers.authorization !== DOC_AUTH) return void res.writeHead(401).end();
          const doc = { openapi: '3.0.0', info: { title: 't', version: '1' }, servers: [{ url: base }], paths: { '/hello': { get: { operationId: 'hello', responses: { '200': { description: 'ok' } } } } } };
          return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(doc));
        }
        if (path === '/token') {
          tokenRequests += 1;
          return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ access_token: `oauth-${tokenRequests}`, token_type: 'Bearer', expires_in: 3600 }));
        }
        // Never echo credentials: the result lands in the history.
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ hello: true, authorized: req.headers.authorization !== undefined }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));
  beforeEach(() => {
    seen.length = 0;
    tokenRequests = 0;
  });

  const basicDocs = { name: 'docs', scheme: 'basic', properties: { username: 'docs', password: '${ $SECRETS.DOC_PASSWORD }' } };
  const workflow = (authRef: string, auth: unknown[], calls = 1, invocation?: string) => ({
    id: 'authed',
    secrets: ['DOC_PASSWORD', 'API_TOKEN', 'CLIENT_SECRET'],
    auth,
    functions: [{ name: 'hello', operation: `${base}/api.json#hello`, authRef, ...(invocation ? { metadata: { invocationAuthRef: invocation } } : {}) }],
    states: [{ name: 'Call', type: 'operation', actions: Array.from({ length: calls }, () => ({ functionRef: 'hello' })), end: true }],
  });
  const secrets = { DOC_PASSWORD: 'pa55', API_TOKEN: TOKEN, CLIENT_SECRET: 'cl1ent-s3cret' };

  it('auth definitions from an external file (auth: <path>) are loaded and applied', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'swirl-auth-'));
    const file = join(dir, 'auth.json');
    writeFileSync(file, JSON.stringify({ auth: [basicDocs] }));
    try {
      const r = await run(workflow('docs', file as never), {}, { secrets });
      assert.equal(r.runtimeStatus, 'COMPLETED', JSON.stringify(r.failure));
      assert.equal(seen.find((x) => x.path === '/api.json')?.authorization, DOC_AUTH);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('authRef as a string authenticates fetching the OpenAPI document only (spec §Auth Definition)', async () => {
    const r = await run(workflow('docs', [basicDocs]), {}, { secrets });
    assert.equal(r.runtimeStatus, 'COMPLETED', JSON.stringify(r.failure));
    assert.deepEqual(r.output, { hello: true, authorized: false });
    assert.equal(seen.find((s) => s.path === '/api.json')?.authorization, DOC_AUTH);
    assert.equal(seen.find((s) => s.path === '/hello')?.authorization, undefined);
  });

  it('metadata.invocationAuthRef: bearer from $SECRETS on the invocation, never in history', async () => {
    const r = await run(workflow('docs', [basicDocs, { name: 'api', scheme: 'bearer', properties: { token: '${ $SECRETS.API_TOKEN }' } }], 1, 'api'), {}, { secrets });
    assert.equal(r.runtimeStatus, 'COMPLETED', JSON.stringify(r.failure));
    assert.equal(seen.find((s) => s.path === '/hello')?.authorization, `Bearer ${TOKEN}`);
    const history = JSON.stringify(await r.engine.client.history(r.instanceId));
    for (const v of Object.values(secrets)) assert.ok(!history.includes(v), `history leaks ${v}`);
  });

  it('oauth2 client credentials: one token request, cached for later calls', async () => {
    const oauth = { name: 'oauth', scheme: 'oauth2', properties: { grantType: 'clientCredentials', authority: `${base}/token`, clientId: 'swirl', clientSecret: '${ $SECRETS.CLIENT_SECRET }', scopes: ['read', 'write'] } };
    const r = await run(workflow('docs', [basicDocs, oauth], 3, 'oauth'), {}, { secrets });
    assert.equal(r.runtimeStatus, 'COMPLETED', JSON.stringify(r.failure));
    assert.equal(tokenRequests, 1);
    const calls = seen.filter((s) => s.path === '/hello');
    assert.equal(calls.length, 3);
    for (const c of calls) assert.equal(c.authorization, 'Bearer oauth-1');
    const tokenReq = seen.find((s) => s.path === '/token')!;
    assert.equal(tokenReq.authorization, `Basic ${Buffer.from('swirl:cl1ent-s3cret').toString('base64')}`);
    const form = new URLSearchParams(tokenReq.body);
    assert.equal(form.get('grant_type'), 'client_credentials');
    assert.equal(form.get('scope'), 'read write');
  });

  it('wrong credentials for the document fail with the HTTP status as the code', async () => {
    const r = await run(workflow('docs', [basicDocs]), {}, { secrets: { ...secrets, DOC_PASSWORD: 'wrong' } });
    assert.equal(r.runtimeStatus, 'FAILED');
    assert.equal(r.failure?.code, '401');
  });
});

describe('oauth2 token cache', () => {
  it('requests a new token once the cached one expires', async () => {
    const { AuthorizationProvider } = await import('../../src/components/rest/auth.js');
    let n = 0;
    const server = createServer((_req, res) => {
      n += 1;
      // expires_in 0: expired as soon as it is issued (the renewal margin makes it stale at once).
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ access_token: `t${n}`, expires_in: n === 1 ? 0 : 3600 }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const auth = { scheme: 'oauth2' as const, tokenEndpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}/t`, grantType: 'clientCredentials' as const, clientId: 'c' };
      const p = new AuthorizationProvider();
      assert.equal(await p.header(auth), 'Bearer t1');
      assert.equal(await p.header(auth), 'Bearer t2');
      assert.equal(await p.header(auth), 'Bearer t2');
      assert.equal(n, 2);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
