/**
 * `swirl serve` as a real process: definitions validated at start (invalid ones refused with
 * diagnostics, the rest served), graceful SIGTERM (exit 0), and restarts after SIGTERM and
 * SIGKILL that resume every instance where it was (a waiting event, a running timer).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServe, type Server } from './serve-child.js';
import { APPROVE_WORKFLOW } from './fixtures/workflows.js';

let dir: string;
/** Every server process started, so a failing assertion never leaves one running. */
const started: ChildProcess[] = [];

const WAIT_FOR_APPROVAL = APPROVE_WORKFLOW;

const NAP = `
id: nap
specVersion: '0.8'
states:
  - name: Sleep
    type: sleep
    duration: PT2S
    transition: Done
  - name: Done
    type: inject
    data: { rested: true }
    end: true
`;

function serve(): Promise<Server> {
  return startServe(dir, started);
}

async function post(base: string, path: string, body?: unknown): Promise<Response> {
  return fetch(base + path, { method: 'POST', headers: { 'content-type': 'application/json' }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
}

async function status(base: string, id: string): Promise<{ runtimeStatus: string; properties?: Record<string, string> }> {
  return (await (await fetch(`${base}/v1.0/workflows/dapr/${id}`)).json()) as { runtimeStatus: string; properties?: Record<string, string> };
}

async function until(base: string, id: string, want: string, ms = 10_000): Promise<{ runtimeStatus: string; properties?: Record<string, string> }> {
  const end = Date.now() + ms;
  for (;;) {
    const s = await status(base, id);
    if (s.runtimeStatus === want) return s;
    if (Date.now() > end) assert.fail(`${id} is ${s.runtimeStatus}, expected ${want}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'swirl-serve-'));
  const wf = join(dir, 'workflows');
  mkdirSync(wf, { recursive: true });
  writeFileSync(join(wf, 'approve.yaml'), WAIT_FOR_APPROVAL);
  writeFileSync(join(wf, 'nap.yaml'), NAP);
  writeFileSync(join(wf, 'broken.yaml'), NAP.replace('id: nap', 'id: broken').replace('transition: Done', 'transition: Dne'));
});
after(() => {
  for (const p of started) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

test('serve: invalid definitions refused, SIGTERM graceful, SIGKILL restart resumes waits and timers', async () => {
  // 1. First process: the broken definition is refused with its diagnostic, the others load.
  let s = await serve();
  assert.match(s.stdout(), /loaded 2 workflows/);
  assert.match(s.stderr(), /broken\.yaml:\d+:\d+: error .*Dne/);
  assert.match(s.stderr(), /refused .*broken\.yaml/);
  assert.equal((await post(s.base, '/v1.0/workflows/dapr/approve/start?instanceID=a1', { who: 'ada' })).status, 202);
  await until(s.base, 'a1', 'RUNNING');
  s.proc.kill('SIGTERM');
  assert.equal(await s.exited, 0);
  assert.match(s.stdout(), /SIGTERM: shutting down\nstopped\n/);

  // 2. After a graceful stop the instance is still waiting; start a timer, then kill -9 mid-sleep.
  s = await serve();
  assert.equal((await status(s.base, 'a1')).runtimeStatus, 'RUNNING');
  assert.equal((await post(s.base, '/v1.0/workflows/dapr/nap/start?instanceID=n1', {})).status, 202);
  await until(s.base, 'n1', 'RUNNING');
  s.proc.kill('SIGKILL');
  await s.exited;

  // 3. After the crash: the timer fires, and the waiting instance takes its event.
  s = await serve();
  const nap = await until(s.base, 'n1', 'COMPLETED');
  assert.deepEqual(JSON.parse(nap.properties!['dapr.workflow.output']!), { rested: true });
  assert.equal((await post(s.base, '/v1.0/workflows/dapr/a1/raiseEvent/Approval', { ok: true })).status, 202);
  const a1 = await until(s.base, 'a1', 'COMPLETED');
  assert.deepEqual(JSON.parse(a1.properties!['dapr.workflow.output']!), { who: 'ada', prepared: true, ok: true });
  s.proc.kill('SIGTERM');
  assert.equal(await s.exited, 0);
});
