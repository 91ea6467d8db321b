/**
 * The response size limit of outbound HTTP calls (components/bounded-http): service invocation
 * (`invoke:`), `bindings.http` and rest (OpenAPI) functions fail with a non-retryable
 * RESPONSE_TOO_LARGE naming the limit and the URL once a response passes the engine's payload
 * limit (4 MiB), the body cut off while it arrives — against a loopback server that would
 * otherwise stream without end.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WorkflowError } from '../../src/errors.js';
import { DEFAULT_RESPONSE_LIMIT_BYTES as MAX_RESPONSE_BYTES } from '../../src/components/response-limit.js';
import { loadComponents, type ComponentHost } from '../../src/components/index.js';
import { ENGINE_DEFAULTS } from '../../src/engine/options.js';
import { run } from '../interpreter/harness.js';
import { componentDir, componentYaml } from './support.js';
import { streamEndlessly } from '../fixtures/endless-response.js';

/** The endless answer stops here: a client that reads past the limit would get this far. */
const STREAM_CAP = 64 * 1024 * 1024;

describe('outbound HTTP response size limit', () => {
  let server: Server;
  let base: string;
  let host: ComponentHost;
  let cleanup: () => Promise<void>;
  let docDir: string;
  /** Bytes the server had written on each endless answer when its socket closed. */
  const written: number[] = [];

  before(async () => {
    const chunk = Buffer.alloc(64 * 1024, 'a');
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        const path = req.url!.split('?')[0]!;
        if (path.endsWith('/exact')) {
          // A JSON string of exactly the limit: still accepted.
          res.writeHead(200, { 'content-type': 'application/json' }).end(`"${'b'.repeat(MAX_RESPONSE_BYTES - 2)}"`);
          return;
        }
        if (!path.endsWith('/endless')) {
          res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
          return;
        }
        streamEndlessly(res, { chunk, cap: STREAM_CAP, written });
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const d = await componentDir({
      'apps.yaml': componentYaml('apps', 'nameresolution.static', { big: `${base}/app` }),
      'api.yaml': componentYaml('api', 'bindings.http', { url: `${base}/api` }),
    });
    cleanup = d.cleanup;
    host = await loadComponents(d.dir, { appId: 'swirl-test', env: {} });
    docDir = mkdtempSync(join(tmpdir(), 'swirl-limit-'));
    writeFileSync(
      join(docDir, 'big.yaml'),
      ['openapi: 3.0.0', 'info: {title: big, version: "1"}', `servers: [{url: "${base}"}]`, 'paths:', '  /rest/endless:', '    get:', '      operationId: endless', '      responses: {"200": {description: ok}}'].join('\n'),
    );
  });

  after(async () => {
    await host?.close();
    await cleanup();
    rmSync(docDir, { recursive: true, force: true });
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('the limit is the engine default payload limit, 4 MiB', () => {
    assert.equal(MAX_RESPONSE_BYTES, ENGINE_DEFAULTS.maxPayloadBytes);
    assert.equal(MAX_RESPONSE_BYTES, 4 * 1024 * 1024);
  });

  const tooLarge = (url: RegExp) => (err: WorkflowError) => {
    assert.ok(err instanceof WorkflowError, String(err));
    assert.equal(err.code, 'RESPONSE_TOO_LARGE');
    assert.equal(err.nonRetryable, true);
    assert.match(err.message, url);
    assert.match(err.message, /the response is larger than 4194304 bytes \(4 MiB, the limit of a payload\)/);
    return true;
  };

  it('invoke: a response past the limit fails the call, cut off while it arrives', async () => {
    const before = written.length;
    await assert.rejects(host.invokeService({ appId: 'big', method: 'endless' }), tooLarge(/invoke big\/endless \(POST http:\/\/127\.0\.0\.1:\d+\/app\/endless\)/));
    // The server saw its socket closed long before it had written its whole answer.
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(written.length, before + 1);
    assert.ok(written.at(-1)! < STREAM_CAP / 2, `the server wrote ${written.at(-1)} bytes`);
    // The agent still works after the cut (a fresh connection).
    assert.deepEqual((await host.invokeService({ appId: 'big', method: 'small' })).data, { ok: true });
  });

  it('invoke: a response of exactly the limit is accepted', async () => {
    const res = await host.invokeService({ appId: 'big', method: 'exact' });
    assert.equal((res.data as string).length, MAX_RESPONSE_BYTES - 2);
  });

  it('bindings.http: a response past the limit fails the call', async () => {
    await assert.rejects(host.invokeBinding({ name: 'api', operation: 'get', metadata: { path: '/endless' } }), tooLarge(/GET http:\/\/127\.0\.0\.1:\d+\/api\/endless/));
  });

  it('a workflow calling a rest function whose response passes the limit fails with RESPONSE_TOO_LARGE naming the URL, no stack', async () => {
    const r = await run(
      {
        id: 'restbig',
        functions: [{ name: 'endless', operation: 'big.yaml#endless' }],
        states: [{ name: 'Call', type: 'operation', actions: [{ functionRef: { refName: 'endless', arguments: {} } }], end: true }],
      },
      {},
      { baseDir: docDir },
    );
    assert.equal(r.runtimeStatus, 'FAILED');
    assert.equal(r.failure?.code, 'RESPONSE_TOO_LARGE');
    assert.match(r.failure!.message, /GET http:\/\/127\.0\.0\.1:\d+\/rest\/endless: the response is larger than 4194304 bytes \(4 MiB, the limit of a payload\)/);
    assert.doesNotMatch(JSON.stringify(r.failure), /\n\s+at /);
    await r.engine.stop();
  });

  it('a workflow calling invoke: sees the same failure, no stack', async () => {
    const r = await run(
      {
        id: 'invokebig',
        functions: [{ name: 'endless', type: 'custom', operation: 'invoke:big/endless' }],
        states: [{ name: 'Call', type: 'operation', actions: [{ functionRef: { refName: 'endless', arguments: {} } }], end: true }],
      },
      {},
      { components: host },
    );
    assert.equal(r.runtimeStatus, 'FAILED');
    assert.equal(r.failure?.code, 'RESPONSE_TOO_LARGE');
    assert.match(r.failure!.message, /invoke big\/endless \(POST http:\/\/127\.0\.0\.1:\d+\/app\/endless\): the response is larger than 4194304 bytes/);
    assert.doesNotMatch(JSON.stringify(r.failure), /\n\s+at /);
    await r.engine.stop();
  });
});
