/**
 * Issue 18, "/healthz stays 200 while the disk is full or the store has failed", against a real
 * `swirl serve` on its own PostgreSQL database: when the database refuses writes (read-only, as a
 * full disk does) or refuses connections, /healthz and /readyz answer 503 with the store's reason
 * within a poll or two, and 200 again once the database is back — the server keeps running and
 * completes work afterwards. (SQLite's fatal fault — durability lost — is test/host/serve-fatal.test.ts.)
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { PG_URL, pgSkipReason } from '../store/postgres-fixture.js';
import { startServe, type Server } from './serve-child.js';

const started: ChildProcess[] = [];
const dir = mkdtempSync(join(tmpdir(), 'swirl-serve-store-health-'));
const db = `swirl_health_${process.pid}_${Date.now().toString(36)}`;
let admin: pg.Client;
let s: Server;

/** Runs `sql` as the administrator, then closes every session of the test's database (new sessions see the change). */
async function alterAndKick(sql: string): Promise<void> {
  await admin.query(sql);
  await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [db]);
}

async function health(path = '/healthz'): Promise<{ status: number; body: { status?: string; reason?: string; reasons?: string[] } }> {
  const r = await fetch(`${s.base}${path}`);
  return { status: r.status, body: (await r.json()) as { status?: string; reason?: string; reasons?: string[] } };
}

/**
 * Polls /healthz every 100 ms until it answers `status` with a reason matching `reason` (a 60 s
 * deadlock guard, not a speed check). The kick that makes a change visible fails the claims in
 * flight first ("terminating connection"), so a 503 is awaited until it gives the cause under test.
 */
async function healthUntil(status: number, reason?: RegExp): Promise<{ status: number; body: { status?: string; reason?: string } }> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const h = await health();
    if (h.status === status && (reason === undefined || reason.test(h.body.reason ?? ''))) return h;
    if (Date.now() > deadline) assert.fail(`/healthz still answers ${h.status} ${JSON.stringify(h.body)}; stderr:\n${s.stderr().slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function runHello(id: string): Promise<void> {
  const r = await fetch(`${s.base}/v1.0/workflows/dapr/hello/start?instanceID=${id}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  assert.equal(r.status, 202, await r.text());
  const deadline = Date.now() + 60_000;
  for (;;) {
    const st = ((await (await fetch(`${s.base}/v1.0/workflows/dapr/${id}`)).json()) as { runtimeStatus: string }).runtimeStatus;
    if (st === 'COMPLETED') return;
    if (Date.now() > deadline) assert.fail(`${id} is still ${st}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('the store health in /healthz', { skip: pgSkipReason }, () => {
  before(async () => {
    admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE "${db}"`);
    mkdirSync(join(dir, 'workflows'));
    writeFileSync(join(dir, 'workflows', 'hello.yaml'), "id: hello\nspecVersion: '0.8'\nstates:\n  - { name: Hi, type: inject, data: { hello: world }, end: true }\n");
    const url = new URL(PG_URL);
    url.pathname = `/${db}`;
    s = await startServe(dir, started, ['--store', url.toString()]);
  });
  after(async () => {
    for (const p of started) p.kill('SIGKILL');
    await Promise.all(started.map((p) => (p.exitCode !== null || p.signalCode !== null ? undefined : new Promise((r) => p.once('exit', r)))));
    if (admin !== undefined) {
      await admin.query(`DROP DATABASE IF EXISTS "${db}" WITH (FORCE)`).catch(() => undefined);
      await admin.end();
    }
    rmSync(dir, { recursive: true, force: true });
  });

  test('a database that refuses writes (as a full disk does), then connections: 503 with the reason; 200 and working again once it is back', async () => {
    assert.equal((await healthUntil(200)).body.status, 'ok');
    await runHello('before');

    await alterAndKick(`ALTER DATABASE "${db}" SET default_transaction_read_only = on`);
    const readOnly = await healthUntil(503, /read-only transaction/);
    assert.equal(readOnly.body.status, 'unhealthy');
    assert.match(readOnly.body.reason ?? '', /^the store is failing: claiming (orchestrations|activities) fails since \d{4}-\d\d-\d\dT[\d:.]+Z: .*read-only transaction/, JSON.stringify(readOnly.body));
    const ready = await health('/readyz');
    assert.equal(ready.status, 503);
    assert.match((ready.body.reasons ?? []).join(' '), /the store is failing/);
    assert.equal(s.proc.exitCode, null, 'the server keeps running');

    await alterAndKick(`ALTER DATABASE "${db}" RESET default_transaction_read_only`);
    assert.equal((await healthUntil(200)).body.status, 'ok');

    await alterAndKick(`ALTER DATABASE "${db}" ALLOW_CONNECTIONS false`);
    const gone = await healthUntil(503, /not currently accepting connections/);
    assert.match(gone.body.reason ?? '', /^the store is failing: claiming (orchestrations|activities) fails since .*: .*not currently accepting connections/, JSON.stringify(gone.body));

    await admin.query(`ALTER DATABASE "${db}" ALLOW_CONNECTIONS true`);
    assert.equal((await healthUntil(200)).body.status, 'ok');
    assert.equal((await health('/readyz')).status, 200);
    await runHello('after');
  });
});
