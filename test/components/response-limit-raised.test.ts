/**
 * An engine created with a larger `maxPayloadBytes` raises the outbound response size limit for
 * the process (components/response-limit): a result it could store is not refused as
 * RESPONSE_TOO_LARGE, a bigger one still is, naming the raised limit; a later engine with a
 * smaller limit does not lower it. Its own file: the limit is process-wide.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WorkflowError } from '../../src/errors.js';
import { loadComponents, type ComponentHost } from '../../src/components/index.js';
import { responseLimitBytes } from '../../src/components/response-limit.js';
import { createEngine } from '../../src/engine/engine.js';
import type { Engine } from '../../src/engine/engine.js';
import { componentDir, componentYaml } from './support.js';

const MiB = 1024 * 1024;

describe('outbound HTTP response size limit raised by an engine', () => {
  let server: Server;
  let host: ComponentHost;
  let cleanup: () => Promise<void>;
  const engines: Engine[] = [];

  before(async () => {
    // /<n>: a JSON string of n MiB (n MiB + 2 bytes with its quotes).
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        const n = Number(req.url!.split('/').at(-1));
        res.writeHead(200, { 'content-type': 'application/json' }).end(`"${'b'.repeat(n * MiB)}"`);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    engines.push(await createEngine({ store: 'memory', maxPayloadBytes: 8 * MiB }));
    engines.push(await createEngine({ store: 'memory', maxPayloadBytes: 1 * MiB }));
    const d = await componentDir({ 'apps.yaml': componentYaml('apps', 'nameresolution.static', { big: `${base}/app` }) });
    cleanup = d.cleanup;
    host = await loadComponents(d.dir, { appId: 'swirl-test', env: {} });
  });

  after(async () => {
    await host?.close();
    await cleanup();
    for (const e of engines) await e.stop();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('the largest maxPayloadBytes of the engines is the limit', () => {
    assert.equal(responseLimitBytes(), 8 * MiB);
  });

  it('a 5 MiB response (over the 4 MiB default) is read', async () => {
    const res = await host.invokeService({ appId: 'big', method: '5' });
    assert.equal((res.data as string).length, 5 * MiB);
  });

  it('a response past the raised limit fails, naming it', async () => {
    await assert.rejects(host.invokeService({ appId: 'big', method: '9' }), (err: WorkflowError) => {
      assert.equal(err.code, 'RESPONSE_TOO_LARGE');
      assert.match(err.message, /the response is larger than 8388608 bytes \(8 MiB, the limit of a payload\)/);
      return true;
    });
  });
});
