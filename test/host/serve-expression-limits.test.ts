/**
 * `swirl serve` under a runaway expression: the instance fails with EXPRESSION_LIMIT (the
 * server's own limit, set by --expression-steps), and the server keeps answering everyone else.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServe } from './serve-child.js';
import { expressionWorkflow } from './expression-workflow.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const started: ChildProcess[] = [];
let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'swirl-serve-limits-'));
  mkdirSync(join(dir, 'workflows'));
  writeFileSync(join(dir, 'workflows', 'spin.json'), expressionWorkflow('spin', 'until(false; .)'));
  writeFileSync(join(dir, 'workflows', 'count.json'), expressionWorkflow('count', 'reduce range(500) as $i (0; . + 1)'));
  // Catastrophic backtracking on the input's string: with lookahead, beyond RE2, so searched off
  // the main thread, bounded in time.
  writeFileSync(join(dir, 'workflows', 'backtrack.json'), expressionWorkflow('backtrack', '.s | test("(a+)+(?=b)")'));
  // The classic catastrophic pattern RE2 expresses: searched in linear time, it just answers.
  writeFileSync(join(dir, 'workflows', 'linear.json'), expressionWorkflow('linear', '.s | test("(a+)+$")'));
  // An endless loop of states that need no durable step (each within every expression limit).
  writeFileSync(
    join(dir, 'workflows', 'churn.json'),
    JSON.stringify({
      id: 'churn',
      version: '1.0',
      specVersion: '0.8',
      start: 'Work',
      functions: [{ name: 'work', type: 'expression', operation: 'reduce range(20000) as $i (0; . + 1)' }],
      states: [
        { name: 'Work', type: 'operation', actions: [{ functionRef: 'work', actionDataFilter: { toStateData: '${ .n }' } }], transition: 'Again' },
        { name: 'Again', type: 'inject', data: { again: true }, transition: 'Work' },
      ],
    }),
  );
});
after(() => {
  for (const p of started) p.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

async function status(base: string, id: string): Promise<{ runtimeStatus: string; properties: Record<string, string> }> {
  return (await (await fetch(`${base}/v1.0/workflows/dapr/${id}`)).json()) as { runtimeStatus: string; properties: Record<string, string> };
}

test('a runaway expression fails its instance with EXPRESSION_LIMIT; the server keeps serving', async () => {
  const s = await startServe(dir, started, ['--expression-steps', '100000', '--expression-regex-time', '200']);
  const start = (name: string, id: string) => fetch(`${s.base}/v1.0/workflows/dapr/${name}/start?instanceID=${id}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  for (let i = 0; i < 5; i++) assert.equal((await start('spin', `spin-${i}`)).status, 202);
  assert.equal((await start('count', 'count-1')).status, 202);
  const deadline = Date.now() + 20_000;
  let spin = await status(s.base, 'spin-4');
  while (spin.runtimeStatus !== 'FAILED' && Date.now() < deadline) {
    assert.equal((await fetch(`${s.base}/healthz`)).status, 200);
    await new Promise((r) => setTimeout(r, 50));
    spin = await status(s.base, 'spin-4');
  }
  assert.equal(spin.runtimeStatus, 'FAILED');
  const failure = ((await (await fetch(`${s.base}/api/v1/instances/spin-4`)).json()) as { failure: { code: string; message: string } }).failure;
  assert.equal(failure.code, 'EXPRESSION_LIMIT', JSON.stringify(failure));
  assert.match(failure.message, /state 'Go'.*100,000 evaluation steps/);
  assert.match(spin.properties['dapr.workflow.failure.error_message'] ?? '', /exceeded a limit/);
  // Under the same limit an ordinary computation completes.
  let count = await status(s.base, 'count-1');
  while (count.runtimeStatus !== 'COMPLETED' && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    count = await status(s.base, 'count-1');
  }
  assert.equal(count.runtimeStatus, 'COMPLETED');
  assert.deepEqual(JSON.parse(count.properties['dapr.workflow.output']!), { out: 500 });

  // --expression-regex-time bounds a backtracking regex on a long string; the server answers meanwhile.
  const r = await fetch(`${s.base}/v1.0/workflows/dapr/backtrack/start?instanceID=regex-1`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ s: `${'a'.repeat(5000)}!` }) });
  assert.equal(r.status, 202);
  const regexDeadline = Date.now() + 60_000;
  let regex = await status(s.base, 'regex-1');
  while (regex.runtimeStatus !== 'FAILED' && Date.now() < regexDeadline) {
    assert.equal((await fetch(`${s.base}/healthz`)).status, 200);
    await new Promise((r) => setTimeout(r, 50));
    regex = await status(s.base, 'regex-1');
  }
  assert.equal(regex.runtimeStatus, 'FAILED');
  const regexFailure = ((await (await fetch(`${s.base}/api/v1/instances/regex-1`)).json()) as { failure: { code: string; message: string } }).failure;
  assert.equal(regexFailure.code, 'EXPRESSION_LIMIT', JSON.stringify(regexFailure));
  assert.match(regexFailure.message, /state 'Go'.*more than 200 ms in one regex search/);

  // test("(a+)+$") on 100,000 characters completes (false) under the same 200 ms regex budget.
  const l = await fetch(`${s.base}/v1.0/workflows/dapr/linear/start?instanceID=linear-1`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ s: `${'a'.repeat(100_000)}!` }) });
  assert.equal(l.status, 202);
  let linear = await status(s.base, 'linear-1');
  while (linear.runtimeStatus !== 'COMPLETED' && linear.runtimeStatus !== 'FAILED' && Date.now() < regexDeadline) {
    await new Promise((r) => setTimeout(r, 50));
    linear = await status(s.base, 'linear-1');
  }
  assert.equal(linear.runtimeStatus, 'COMPLETED', JSON.stringify(linear.properties));
  assert.equal((JSON.parse(linear.properties['dapr.workflow.output']!) as { out: unknown }).out, false);
});

test('an endless loop of states without a durable step does not hold the server: /healthz and other starts answer, terminate stops it', async () => {
  // Its own store: the first test's server (on swirl.db) is still running.
  const s = await startServe(dir, started, ['--store', `sqlite:${join(dir, 'loop.db')}`]);
  const start = (name: string, id: string) => fetch(`${s.base}/v1.0/workflows/dapr/${name}/start?instanceID=${id}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  assert.equal((await start('churn', 'churn-1')).status, 202);
  // The loop runs turn after turn (its yields are timers in the history) while the server answers.
  const deadline = Date.now() + 60_000;
  const fired = async () => ((await (await fetch(`${s.base}/api/v1/instances/churn-1/history`)).json()) as { events: { type: string }[] }).events.filter((e) => e.type === 'TimerFired').length;
  while ((await fired()) < 3) {
    if (Date.now() > deadline) assert.fail('the loop did not hand the thread back');
    assert.equal((await fetch(`${s.base}/healthz`)).status, 200);
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal((await start('count', 'count-2')).status, 202);
  let count = await status(s.base, 'count-2');
  while (count.runtimeStatus !== 'COMPLETED' && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    count = await status(s.base, 'count-2');
  }
  assert.equal(count.runtimeStatus, 'COMPLETED', 'another instance runs beside the loop');
  assert.equal((await fetch(`${s.base}/v1.0/workflows/dapr/churn-1/terminate`, { method: 'POST' })).status, 202);
  let churn = await status(s.base, 'churn-1');
  while (churn.runtimeStatus !== 'TERMINATED' && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    churn = await status(s.base, 'churn-1');
  }
  assert.equal(churn.runtimeStatus, 'TERMINATED');
});

test('expression limit flags must be positive whole numbers', () => {
  for (const [flag, value] of [
    ['--expression-steps', '0'],
    ['--expression-regex-time', '-5'],
    ['--expression-fallback-time', 'soon'],
  ]) {
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'test', 'cli', 'run-cli.ts'), 'serve', '--port', '0', '--store', 'memory', flag!, value!], { cwd: root, encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, new RegExp(`${flag} must be a positive whole number, not '${value}'`));
  }
});
