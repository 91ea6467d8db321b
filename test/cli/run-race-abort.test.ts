/**
 * @module test/cli/run-race-abort.test
 * Issue 18, lifecycle: `swirl run` exits as soon as its instance ends. In a parallel
 * `completionType: atLeast, numCompleted: 1` race the losing branch's HTTP call is aborted (its
 * activity's abort signal fires and the connection is closed), not awaited: the process, launched
 * as bin/swirl launches it (exit code set, not forced), ends long before the slow server answers.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const launcher = fileURLToPath(new URL('./run-cli-natural-exit.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'swirl-run-race-'));
const SLOW_MS = 10_000;

/** What the slow server saw of each call: when it came, and whether the client hung up before the answer. */
const calls: Array<{ path: string; at: number; abortedAt?: number }> = [];
const stub = createServer((req, res) => {
  if (req.url === '/api.json') {
    const port = (stub.address() as AddressInfo).port;
    const op = (id: string) => ({ get: { operationId: id, responses: { '200': { description: 'ok' } } } });
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ openapi: '3.0.0', info: { title: 'race', version: '1' }, servers: [{ url: `http://127.0.0.1:${port}` }], paths: { '/slow': op('slow'), '/fast': op('fast') } }));
    return;
  }
  const call: (typeof calls)[number] = { path: req.url ?? '', at: Date.now() };
  calls.push(call);
  res.on('close', () => {
    if (!res.writableEnded) call.abortedAt = Date.now();
  });
  const answer = () => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ [call.path.slice(1)]: true }));
  };
  if (call.path === '/fast') answer();
  else setTimeout(answer, SLOW_MS).unref();
});
after(() => {
  stub.closeAllConnections();
  stub.close();
  rmSync(dir, { recursive: true, force: true });
});

test('a parallel atLeast-1 race: swirl run prints the winner and exits in well under the slow call’s 10 s; the slow server sees its request aborted', { timeout: 60_000 }, async () => {
  await new Promise<void>((r) => stub.listen(0, '127.0.0.1', r));
  const port = (stub.address() as AddressInfo).port;
  const file = join(dir, 'race.yaml');
  writeFileSync(
    file,
    `id: race
specVersion: '0.8'
functions:
  - { name: slow, operation: 'http://127.0.0.1:${port}/api.json#slow' }
  - { name: fast, operation: 'http://127.0.0.1:${port}/api.json#fast' }
states:
  - name: Race
    type: parallel
    completionType: atLeast
    numCompleted: 1
    branches:
      - name: Slow
        actions: [{ functionRef: { refName: slow } }]
      - name: Fast
        actions: [{ functionRef: { refName: fast } }]
    end: true
`,
  );
  const t0 = Date.now();
  const proc = spawn(process.execPath, ['--import', 'tsx', launcher, 'run', file, '--store', `sqlite:${join(dir, 'race.db')}`], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((r) => proc.on('exit', (c) => r(c)));
  const exitedAt = Date.now();
  assert.equal(code, 0, stderr);
  assert.deepEqual(JSON.parse(stdout), { fast: true });
  const slow = calls.find((c) => c.path === '/slow');
  assert.ok(slow, `the slow branch called the server; calls: ${JSON.stringify(calls)}`);
  // Process start (tsx compiling the CLI) is most of the time; the race itself ends at once.
  console.log(`swirl run exited ${exitedAt - t0} ms after spawn, ${exitedAt - slow.at} ms after the slow call began (it answers after ${SLOW_MS} ms)`);
  assert.ok(exitedAt - slow.at < SLOW_MS / 2, `exited ${exitedAt - slow.at} ms after the slow call began: it was awaited`);
  for (let n = 0; n < 40 && slow.abortedAt === undefined; n++) await new Promise((r) => setTimeout(r, 25));
  assert.ok(slow.abortedAt !== undefined, 'the slow request was aborted by the client (connection closed before the answer)');
  assert.ok(slow.abortedAt - slow.at < SLOW_MS / 2);
});
