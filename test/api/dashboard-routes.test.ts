/**
 * The dashboard's HTTP side without a socket (specs/dashboard.md): the static files at /ui (content
 * types, cache headers, ETag revalidation, no traversal, public while the API keeps its token) and
 * the diagram routes GET /api/v1/workflows/{id}/diagram(.svg).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp, createHost, type App, type SwirlHost } from '../../src/index.js';

const TOKEN = 't0ken';
let host: SwirlHost;
let app: App;
let dir: string;
let outside: string;

const get = (path: string, headers: Record<string, string> = {}) => app.fetch(new Request(`http://127.0.0.1${path}`, { headers }));
const auth = { 'dapr-api-token': TOKEN };

before(async () => {
  // A built folder of our own: the route serves whatever the build wrote, nothing else.
  dir = mkdtempSync(join(tmpdir(), 'swirl-ui-route-'));
  outside = join(dir, 'secret.txt');
  writeFileSync(outside, 'not for the web');
  mkdirSync(join(dir, 'ui', 'assets'), { recursive: true });
  writeFileSync(join(dir, 'ui', 'index.html'), '<!doctype html><title>Swirl</title>');
  writeFileSync(join(dir, 'ui', 'app.js'), 'console.log(1)');
  writeFileSync(join(dir, 'ui', 'style.css'), 'body{}');
  writeFileSync(join(dir, 'ui', 'assets', 'logo.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  writeFileSync(join(dir, 'ui', 'notes.txt'), 'an extension the build never writes');
  host = await createHost({ store: 'memory', engine: { pollIntervalMs: 20 } });
  await host.start();
  app = createApp(host, { apiToken: TOKEN, uiDir: join(dir, 'ui') });
  const reg = await app.fetch(new Request('http://127.0.0.1/api/v1/workflows', { method: 'POST', headers: auth, body: ["id: two", "version: '1'", "specVersion: '0.8'", 'states:', '  - {name: First, type: inject, data: {}, transition: Second}', '  - {name: Second, type: inject, data: {}, end: {terminate: true}}'].join('\n') }));
  assert.equal(reg.status, 201, await reg.text());
});
after(async () => {
  await host.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('/ui static files', () => {
  test('the page and its files are served without the token, with their content types and security headers', async () => {
    const page = await get('/ui/');
    assert.equal(page.status, 200);
    assert.equal(page.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.equal(await page.text(), '<!doctype html><title>Swirl</title>');
    assert.equal(page.headers.get('cache-control'), 'no-cache');
    assert.match(page.headers.get('content-security-policy')!, /script-src 'self';/);
    assert.equal(page.headers.get('x-content-type-options'), 'nosniff');
    assert.equal((await get('/ui/app.js')).headers.get('content-type'), 'text/javascript; charset=utf-8');
    assert.equal((await get('/ui/style.css')).headers.get('content-type'), 'text/css; charset=utf-8');
    assert.equal((await get('/ui/assets/logo.svg')).headers.get('content-type'), 'image/svg+xml');
    const bare = await get('/ui');
    assert.equal(bare.status, 308);
    assert.equal(bare.headers.get('location'), '/ui/');
    const home = await get('/');
    assert.equal(home.status, 302, 'the server address leads to the dashboard');
    assert.equal(home.headers.get('location'), '/ui/');
  });

  test('the API still wants the token', async () => {
    const r = await get('/api/v1/workflows');
    assert.equal(r.status, 401);
    assert.equal(((await r.json()) as { errorCode: string }).errorCode, 'ERR_UNAUTHORIZED');
  });

  test('an unchanged file revalidates with 304 (ETag)', async () => {
    const first = await get('/ui/app.js');
    const etag = first.headers.get('etag')!;
    assert.match(etag, /^"[0-9a-f]{32}"$/);
    const again = await get('/ui/app.js', { 'if-none-match': etag });
    assert.equal(again.status, 304);
    assert.equal(await again.text(), '');
  });

  test('only files the build wrote are served: no traversal, no other extensions, no writes', async () => {
    for (const path of ['/ui/../secret.txt', '/ui/%2e%2e/secret.txt', '/ui/..%2fsecret.txt', '/ui/assets/..%2f..%2fsecret.txt', '/ui/%2Fetc%2Fpasswd', '/ui/notes.txt', '/ui/nothing.js']) {
      const r = await get(path);
      // '/ui/../x' is normalised to '/x' by the URL parser: outside /ui, so the token is asked for.
      assert.ok([400, 401, 404].includes(r.status), `${path} → ${r.status}`);
      assert.doesNotMatch(await r.text(), /not for the web|root:/);
    }
    const bad = await get('/ui/%E0%A4%A');
    assert.equal(bad.status, 400);
    const post = await app.fetch(new Request('http://127.0.0.1/ui/index.html', { method: 'POST', body: 'x' }));
    assert.equal(post.status, 405);
  });

  test('a server whose dashboard was not built says how to build it', async () => {
    const bare = createApp(host, { uiDir: join(dir, 'missing') });
    const r = await bare.fetch(new Request('http://127.0.0.1/ui/'));
    assert.equal(r.status, 404);
    assert.deepEqual(await r.json(), { errorCode: 'ERR_UI_NOT_BUILT', message: 'the dashboard is not built: run npm run build (it writes dist/ui/)' });
  });
});

describe('diagram routes', () => {
  test('GET …/diagram.svg draws the workflow; GET …/diagram gives the layout with the states by name', async () => {
    const svg = await get('/api/v1/workflows/two/diagram.svg', auth);
    assert.equal(svg.status, 200);
    assert.equal(svg.headers.get('content-type'), 'image/svg+xml; charset=utf-8');
    const text = await svg.text();
    assert.match(text, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    for (const s of ['First', 'Second', 'terminate']) assert.ok(text.includes(`>${s}</text>`), s);
    const layout = await get('/api/v1/workflows/two/diagram', auth);
    assert.equal(layout.status, 200);
    const d = (await layout.json()) as { workflowId: string; hash: string; nodes: { state?: string; kind: string; endKind?: string }[] };
    assert.equal(d.workflowId, 'two');
    assert.deepEqual(d.nodes.filter((n) => n.kind === 'state').map((n) => n.state), ['First', 'Second']);
    assert.deepEqual(d.nodes.filter((n) => n.kind === 'end').map((n) => n.endKind), ['terminate']);
    // The definition hash is the ETag: a client holding this version's drawing gets a 304.
    const again = await get('/api/v1/workflows/two/diagram.svg', { ...auth, 'if-none-match': svg.headers.get('etag')! });
    assert.equal(again.status, 304);
  });

  test('an unknown workflow is a 404 naming it; the token is needed', async () => {
    const r = await get('/api/v1/workflows/nope/diagram.svg', auth);
    assert.equal(r.status, 404);
    assert.deepEqual(await r.json(), { errorCode: 'ERR_WORKFLOW_NOT_FOUND', message: "no workflow definition with id 'nope' is registered" });
    assert.equal((await get('/api/v1/workflows/two/diagram')).status, 401);
  });
});
