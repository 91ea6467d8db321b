/**
 * `swirl serve` under a fork bomb (issue 18, "Unbounded fan-out"): a self-recursive parallel
 * subflow stops at the server's per-root bound (--max-instances-per-root) and fails with
 * FANOUT_LIMIT while /healthz and other workflows keep answering; a recursive terminate of a tree
 * that is still growing leaves every instance of it TERMINATED, counted through the API.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServe } from './serve-child.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const started: ChildProcess[] = [];
let dir: string;

/** A workflow whose every instance runs two copies of itself in parallel (after `sleep`, if given). */
function bomb(id: string, sleep?: string): string {
  const split = {
    name: 'Split',
    type: 'parallel',
    branches: [
      { name: 'left', actions: [{ subFlowRef: id }] },
      { name: 'right', actions: [{ subFlowRef: id }] },
    ],
    end: true,
  };
  const states = sleep === undefined ? [split] : [{ name: 'Pause', type: 'sleep', duration: sleep, transition: 'Split' }, split];
  return JSON.stringify({ id, version: '1.0', specVersion: '0.8', start: states[0]!.name, states });
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'swirl-serve-fanout-'));
  mkdirSync(join(dir, 'workflows'));
  writeFileSync(join(dir, 'workflows', 'bomb.json'), bomb('bomb'));
  writeFileSync(join(dir, 'workflows', 'grow.json'), bomb('grow', 'PT0.05S'));
  writeFileSync(
    join(dir, 'workflows', 'hello.json'),
    JSON.stringify({ id: 'hello', version: '1.0', specVersion: '0.8', start: 'Hi', states: [{ name: 'Hi', type: 'inject', data: { hello: 'world' }, end: true }] }),
  );
});
after(() => {
  for (const p of started) p.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

interface Summary {
  instanceID: string;
  runtimeStatus: string;
}

/** Every instance whose id is `rootId` or starts with `rootId:` (subflow ids are prefixed with their parent's), all pages. */
async function tree(base: string, rootId: string): Promise<Summary[]> {
  const out: Summary[] = [];
  let token: string | undefined;
  do {
    const res = await fetch(`${base}/api/v1/instances?pageSize=1000${token !== undefined ? `&pageToken=${encodeURIComponent(token)}` : ''}`);
    assert.equal(res.status, 200);
    const page = (await res.json()) as { instances: Summary[]; nextPageToken?: string };
    out.push(...page.instances.filter((i) => i.instanceID === rootId || i.instanceID.startsWith(`${rootId}:`)));
    token = page.nextPageToken;
  } while (token !== undefined);
  return out;
}

async function status(base: string, id: string): Promise<string> {
  return ((await (await fetch(`${base}/v1.0/workflows/dapr/${id}`)).json()) as { runtimeStatus: string }).runtimeStatus;
}

/** Polls `check` every 50 ms, asserting /healthz answers 200 each time, until it is true or 30 s pass. */
async function untilHealthy(base: string, check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!(await check())) {
    assert.equal((await fetch(`${base}/healthz`)).status, 200, '/healthz keeps answering');
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const start = (base: string, name: string, id: string) =>
  fetch(`${base}/v1.0/workflows/dapr/${name}/start?instanceID=${id}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });

test('a fork bomb stops at --max-instances-per-root and fails with FANOUT_LIMIT; the server keeps serving; a growing tree is terminated whole', async () => {
  const s = await startServe(dir, started, ['--max-instances-per-root', '60']);
  assert.equal((await start(s.base, 'bomb', 'bomb-1')).status, 202);
  await untilHealthy(s.base, async () => (await status(s.base, 'bomb-1')) === 'FAILED', 'the bomb to fail');
  const failure = ((await (await fetch(`${s.base}/api/v1/instances/bomb-1`)).json()) as { failure: unknown }).failure;
  assert.match(JSON.stringify(failure), /FANOUT_LIMIT/, JSON.stringify(failure));
  assert.match(JSON.stringify(failure), /root instance 'bomb-1' already has 60 instances created under it, the limit maxInstancesPerRoot = 60/);
  // The tree is bounded: the root and at most 60 under it, and it stops growing.
  await untilHealthy(s.base, async () => (await tree(s.base, 'bomb-1')).every((i) => !['RUNNING', 'PENDING'].includes(i.runtimeStatus)), 'the bomb tree to end');
  const bombTree = await tree(s.base, 'bomb-1');
  assert.ok(bombTree.length > 1 && bombTree.length <= 61, `the root and at most 60 under it (${bombTree.length})`);

  // Another workflow still runs.
  assert.equal((await start(s.base, 'hello', 'hello-1')).status, 202);
  await untilHealthy(s.base, async () => (await status(s.base, 'hello-1')) === 'COMPLETED', 'hello to complete');

  // A recursive terminate of a tree still growing (every instance sleeps 50 ms, then forks).
  assert.equal((await start(s.base, 'grow', 'grow-1')).status, 202);
  await untilHealthy(s.base, async () => (await tree(s.base, 'grow-1')).length >= 15, 'the tree to grow');
  assert.equal((await fetch(`${s.base}/v1.0/workflows/dapr/grow-1/terminate`, { method: 'POST' })).status, 202);
  await untilHealthy(s.base, async () => (await tree(s.base, 'grow-1')).every((i) => i.runtimeStatus === 'TERMINATED'), 'every instance of the tree terminated');
  const count = (await tree(s.base, 'grow-1')).length;
  await new Promise((r) => setTimeout(r, 500));
  const later = await tree(s.base, 'grow-1');
  assert.equal(later.length, count, 'nothing was created after the terminate ended the tree');
  assert.ok(later.every((i) => i.runtimeStatus === 'TERMINATED'), JSON.stringify(later.filter((i) => i.runtimeStatus !== 'TERMINATED')));
  assert.ok(count < 60, `the terminate stopped the growth well before the bound (${count})`);
});

test('fan-out limit flags must be positive whole numbers', async () => {
  const bad = [
    ['--max-subflow-depth', '0'],
    ['--max-instances-per-root', 'many'],
  ] as const;
  // Both at once (each start compiles the CLI): exit 2, the flag and the value named.
  await Promise.all(
    bad.map(async ([flag, value]) => {
      const proc = spawn(process.execPath, ['--import', 'tsx', join(root, 'test', 'cli', 'run-cli.ts'), 'serve', '--port', '0', '--store', 'memory', flag, value], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
      started.push(proc);
      let stderr = '';
      proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      const code = await new Promise<number | null>((r) => proc.on('exit', r));
      assert.equal(code, 2, stderr);
      assert.match(stderr, new RegExp(`${flag} must be a positive whole number, not '${value}'`));
    }),
  );
});
