/**
 * Remote documents fetched at validation time are read with a size cap (definition/remote-text):
 * an external functions file whose server would stream without end is refused once it passes the
 * document limit (4 MiB) — a FILE_NOT_FOUND diagnostic at the reference naming the URL and the
 * limit — with the stream cancelled, not read to its end; a normal remote file still loads.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { validateText } from '../../src/definition/validate.js';
import { streamEndlessly } from '../fixtures/endless-response.js';

/** The endless answer stops here: a reader without a cap would read this far. */
const STREAM_CAP = 64 * 1024 * 1024;
let server: Server;
let base = '';
const written: number[] = [];

before(async () => {
  const chunk = Buffer.alloc(64 * 1024, ' ');
  server = createServer((req, res) => {
    if (req.url === '/functions.json') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify([{ name: 'f', type: 'expression', operation: '.a' }]));
      return;
    }
    streamEndlessly(res, { chunk, cap: STREAM_CAP, written, open: '[', close: ']' });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const wf = (functions: string) => [`id: w`, "specVersion: '0.8'", `functions: ${JSON.stringify(functions)}`, 'states:', '  - { name: S, type: inject, data: {}, end: true }', ''].join('\n');

test('a remote functions file past the document limit is refused while it arrives, naming the URL and the limit', async () => {
  const r = await validateText(wf(`${base}/endless.json`), 'w.yaml');
  const errors = r.diagnostics.filter((d) => d.severity === 'error');
  assert.equal(errors.length, 1, JSON.stringify(errors));
  assert.equal(errors[0]!.code, 'FILE_NOT_FOUND');
  assert.equal(errors[0]!.pointer, '/functions');
  assert.match(errors[0]!.message, /the response of http:\/\/127\.0\.0\.1:\d+\/endless\.json is larger than 4194304 bytes/);
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(written.length, 1);
  assert.ok(written[0]! < STREAM_CAP / 2, `the server wrote ${written[0]} bytes`);
});

test('a remote functions file of ordinary size loads', async () => {
  const r = await validateText(wf(`${base}/functions.json`), 'w.yaml');
  assert.deepEqual(r.diagnostics.filter((d) => d.severity === 'error'), []);
});
