/**
 * A runaway expression across kill -9: a real `swirl serve` on a SQLite file is killed while (or
 * right after) it evaluates two runaway instances, and restarted on the same store. The server
 * answers /healthz, another workflow completes, and each runaway ends FAILED with EXPRESSION_LIMIT
 * — the same failure after another kill -9 and replay. Nothing hangs.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServe, type Server } from './serve-child.js';
import { expressionWorkflow } from './expression-workflow.js';

const started: ChildProcess[] = [];
let dir: string;
// The same limits on every start: a replay meets the budget the first run met.
const LIMITS = ['--expression-steps', '100000', '--expression-fallback-time', '1500'];

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'swirl-serve-expr-kill-'));
  mkdirSync(join(dir, 'workflows'));
  // Step-counted by the compiled code: the same outcome on every run.
  writeFileSync(join(dir, 'workflows', 'spin.json'), expressionWorkflow('spin', 'until(false; .)'));
  // Deeper than the JS stack: the jq-wasm fallback in the worker, bounded by --expression-fallback-time.
  writeFileSync(join(dir, 'workflows', 'recurse.json'), expressionWorkflow('recurse', 'def f: f; f'));
  writeFileSync(join(dir, 'workflows', 'count.json'), expressionWorkflow('count', 'reduce range(500) as $i (0; . + 1)'));
});
after(() => {
  for (const p of started) p.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

async function kill9(s: Server): Promise<void> {
  s.proc.kill('SIGKILL');
  await s.exited;
}

const start = (s: Server, name: string, id: string) =>
  fetch(`${s.base}/v1.0/workflows/dapr/${name}/start?instanceID=${id}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });

interface Instance {
  runtimeStatus: string;
  output?: unknown;
  failure?: { code: string; message: string; details?: unknown };
}

/** Polls until `id` is `want` (a wait is deadlock detection: 60 s, not a speed check). */
async function until(s: Server, id: string, want: string): Promise<Instance> {
  const end = Date.now() + 60_000;
  for (;;) {
    const body = (await (await fetch(`${s.base}/api/v1/instances/${id}`)).json()) as Instance;
    if (body.runtimeStatus === want) return body;
    if (Date.now() > end) assert.fail(`${id} is ${body.runtimeStatus}, expected ${want}: ${JSON.stringify(body)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function healthy(s: Server): Promise<void> {
  const end = Date.now() + 60_000;
  for (;;) {
    const res = await fetch(`${s.base}/healthz`).catch(() => undefined);
    if (res?.status === 200) return;
    if (Date.now() > end) assert.fail(`/healthz answered ${res?.status ?? 'nothing'}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('kill -9 during a runaway expression: the restarted server serves, the runaway fails with EXPRESSION_LIMIT, the same after replay', async () => {
  const first = await startServe(dir, started, LIMITS);
  assert.equal((await start(first, 'spin', 'spin-1')).status, 202);
  assert.equal((await start(first, 'recurse', 'recurse-1')).status, 202);
  // Acknowledged, so durable: the server dies while it evaluates them (or just before it can).
  await kill9(first);

  const second = await startServe(dir, started, LIMITS);
  await healthy(second);
  assert.equal((await start(second, 'count', 'count-1')).status, 202);
  const count = await until(second, 'count-1', 'COMPLETED');
  assert.deepEqual(count.output, { out: 500 });
  const spin = await until(second, 'spin-1', 'FAILED');
  assert.equal(spin.failure?.code, 'EXPRESSION_LIMIT', JSON.stringify(spin.failure));
  assert.match(spin.failure!.message, /state 'Go'.*100,000 evaluation steps/);
  const recurse = await until(second, 'recurse-1', 'FAILED');
  assert.equal(recurse.failure?.code, 'EXPRESSION_LIMIT', JSON.stringify(recurse.failure));
  assert.match(recurse.failure!.message, /state 'Go'.*more than 1500 ms on the jq-wasm fallback/);
  await healthy(second);

  // Right after: kill -9 again and replay on the same store; the outcome is the one recorded.
  await kill9(second);
  const third = await startServe(dir, started, LIMITS);
  await healthy(third);
  assert.deepEqual((await until(third, 'spin-1', 'FAILED')).failure, spin.failure);
  assert.deepEqual((await until(third, 'recurse-1', 'FAILED')).failure, recurse.failure);
  assert.equal((await start(third, 'count', 'count-2')).status, 202);
  assert.deepEqual((await until(third, 'count-2', 'COMPLETED')).output, { out: 500 });
  // A new runaway on the restarted server ends the same way as the first one did.
  assert.equal((await start(third, 'spin', 'spin-2')).status, 202);
  const spin2 = await until(third, 'spin-2', 'FAILED');
  assert.equal(spin2.failure?.code, spin.failure!.code);
  assert.equal(spin2.failure?.message.replace('spin-2', 'spin-1'), spin.failure!.message);
  await kill9(third);
});
