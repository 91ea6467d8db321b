/**
 * kill -9 of `swirl serve` (default options: SQLite file store, the default worker id) while
 * instances are mid-activity — their `invoke:` calls held open by the app — and a restart on the
 * same store: the restarted server takes the killed run's leases back at once (it logs how many),
 * so every instance completes although the lease (--lease PT1H here) has not expired; each held
 * call is executed exactly once more, every other call once, and every instance completes once
 * with its output.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { createServer, type Server as HttpServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServe, type Server } from '../host/serve-child.js';

const N = 5;
const WORK = `
id: work
specVersion: '0.8'
functions:
  - name: call
    type: custom
    operation: invoke:app/work
    metadata: { httpVerb: POST }
states:
  - name: Slow
    type: operation
    actions:
      - functionRef: { refName: call, arguments: { k: '\${ .k }', step: 1 } }
    transition: Fast
  - name: Fast
    type: operation
    actions:
      - functionRef: { refName: call, arguments: { k: '\${ .k }', step: 2 } }
    end: true
`;

let dir: string;
const started: ChildProcess[] = [];
let app: HttpServer;
/** Executions per call `k:step`; the first execution of step 1 is held open (never answered). */
const executions = new Map<string, number>();
const held = new Map<string, ServerResponse>();

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'swirl-serve-kill-'));
  app = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const { k, step } = JSON.parse(body) as { k: number; step: number };
      const key = `${k}:${step}`;
      const n = (executions.get(key) ?? 0) + 1;
      executions.set(key, n);
      if (step === 1 && n === 1) {
        held.set(key, res);
        res.once('close', () => held.delete(key));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ [`s${step}`]: n }));
    });
  });
  await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
  mkdirSync(join(dir, 'workflows'));
  mkdirSync(join(dir, 'components'));
  writeFileSync(join(dir, 'workflows', 'work.yaml'), WORK);
  writeFileSync(
    join(dir, 'components', 'apps.yaml'),
    `apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata: { name: apps }\nspec:\n  type: nameresolution.static\n  version: v1\n  metadata:\n    - { name: app, value: "http://127.0.0.1:${(app.address() as AddressInfo).port}" }\n`,
  );
});
after(() => {
  for (const p of started) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  app.close();
  rmSync(dir, { recursive: true, force: true });
});

async function until(what: string, probe: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 60_000; // deadlock detection, not a speed check
  while (!(await probe())) {
    if (Date.now() > deadline) assert.fail(`${what}: not within 60 s`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('serve restarted after kill -9 takes its leases back at once: held calls re-executed once, every instance completes once', async () => {
  const serve = (): Promise<Server> => startServe(dir, started, ['--components', join(dir, 'components'), '--lease', 'PT1H']);
  const first = await serve();
  for (let k = 0; k < N; k++) {
    const res = await fetch(`${first.base}/v1.0/workflows/dapr/work/start?instanceID=w-${k}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ k }) });
    assert.equal(res.status, 202);
  }
  await until('every first call held by the app', () => held.size === N);
  first.proc.kill('SIGKILL');
  await first.exited;

  const second = await serve();
  for (let k = 0; k < N; k++) {
    const res = await fetch(`${second.base}/v1.0/workflows/dapr/w-${k}?wait=60s`);
    const body = (await res.json()) as { runtimeStatus: string; properties: Record<string, string> };
    assert.equal(body.runtimeStatus, 'COMPLETED', `w-${k}`);
    assert.deepEqual(JSON.parse(body.properties['dapr.workflow.output']!), { k, s1: 2, s2: 1 });
  }
  // Taken back at start (the lease has an hour to run), by the default worker id of this store file.
  const released = second
    .stderr()
    .split('\n')
    .filter((l) => l.includes('"lease.released-at-start"'))
    .map((l) => JSON.parse(l) as { instances: number; tasks: number });
  assert.equal(released.length, 1, second.stderr());
  assert.equal(released[0]!.tasks, N);
  for (let k = 0; k < N; k++) {
    assert.equal(executions.get(`${k}:1`), 2, `call ${k}:1: held when killed, executed once more`);
    assert.equal(executions.get(`${k}:2`), 1, `call ${k}:2`);
  }
  assert.equal(executions.size, 2 * N);
  const counts = (await (await fetch(`${second.base}/api/v1/workflows/work/counts`)).json()) as { counts: Record<string, number>; total: number };
  assert.equal(counts.total, N);
  assert.equal(counts.counts.COMPLETED, N);
  second.proc.kill('SIGTERM');
  assert.equal(await second.exited, 0);
});
