/**
 * @module test/host/serve-fatal.test
 * Issue 9, finding 8, end to end: `swirl serve` on a SQLite file whose WAL fsync starts failing
 * (a real EIO from fs.fdatasync, injected under the unmodified CLI by fsync-fault-launcher.ts)
 * answers the start it could not make durable as an unknown outcome, turns unhealthy, and exits
 * with code 3 so that a supervisor restarts it; the restarted server has the instance.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startServe } from './serve-child.js';

const launcher = fileURLToPath(new URL('./fsync-fault-launcher.ts', import.meta.url));
const started: ChildProcess[] = [];
const dir = mkdtempSync(join(tmpdir(), 'swirl-serve-fatal-'));
after(() => {
  for (const p of started) p.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

const WAITER = `id: waiter
version: '1.0'
specVersion: '0.8'
events:
  - name: Go
    type: go
    source: test
    kind: consumed
states:
  - name: Wait
    type: event
    onEvents:
      - eventRefs: [Go]
    end: true
`;

test('finding 8: a failed fsync under swirl serve: the start is an unknown outcome (503 ERR_OUTCOME_UNKNOWN), serve logs the cause and exits with code 3; after a restart the instance is there', { timeout: 60_000 }, async () => {
  mkdirSync(join(dir, 'workflows'));
  writeFileSync(join(dir, 'workflows', 'waiter.yaml'), WAITER);
  const trigger = join(dir, 'fail-fsync');
  const s = await startServe(dir, started, [], launcher, { ...process.env, SWIRL_TEST_FSYNC_TRIGGER: trigger });
  assert.equal((await fetch(`${s.base}/healthz`)).status, 200);
  assert.equal((await fetch(`${s.base}/v1.0/workflows/dapr/waiter/start?instanceID=before`, { method: 'POST' })).status, 202);

  // Quiet first (the first instance's turn committed), so that the start is the write that meets the fault.
  for (let i = 0; i < 200; i++) {
    const got = (await (await fetch(`${s.base}/v1.0/workflows/dapr/before`)).json()) as { runtimeStatus?: string };
    if (got.runtimeStatus === 'RUNNING') break;
    await new Promise((r) => setTimeout(r, 25));
  }
  writeFileSync(trigger, '');
  const res = await fetch(`${s.base}/v1.0/workflows/dapr/waiter/start?instanceID=during`, { method: 'POST' });
  const body = (await res.json()) as { errorCode: string; message: string; instanceID?: string };
  assert.equal(res.status, 503);
  // Normally the start's own sync fails: committed, not durable → unknown. Should another write
  // have met the fault first, the store already refuses writes: nothing of the start was written.
  assert.ok(['ERR_OUTCOME_UNKNOWN', 'ERR_STORE_FAILED'].includes(body.errorCode), body.errorCode);
  const unknown = body.errorCode === 'ERR_OUTCOME_UNKNOWN';
  if (unknown) {
    assert.equal(body.instanceID, 'during');
    assert.match(body.message, /may have been recorded/);
  }

  const code = await Promise.race([s.exited, new Promise<string>((r) => setTimeout(() => r('still running'), 20_000))]);
  assert.equal(code, 3, `serve should exit with code 3 (store failed); stderr:\n${s.stderr()}`);
  assert.match(s.stderr(), /store failed/i);

  // A supervisor's restart (the disk is fine again): the "unknown" start had in fact been
  // committed before its sync failed, so it exists.
  rmSync(trigger);
  const again = await startServe(dir, started);
  assert.equal((await fetch(`${again.base}/healthz`)).status, 200);
  for (const id of unknown ? ['before', 'during'] : ['before']) {
    const got = await fetch(`${again.base}/v1.0/workflows/dapr/${id}`);
    assert.equal(got.status, 200, `instance ${id} after the restart`);
    assert.equal(((await got.json()) as { runtimeStatus: string }).runtimeStatus, 'RUNNING');
  }
  if (!unknown) assert.notEqual((await fetch(`${again.base}/v1.0/workflows/dapr/during`)).status, 200, 'a refused start wrote nothing');
  again.proc.kill('SIGTERM');
  await again.exited;
});
