/**
 * @module test/store/postgres-nodes
 * Two engines on one PostgreSQL schema, on the real server: LISTEN/NOTIFY wakes the other node
 * (a start on node B is run by node A, and B's waitForCompletion returns without waiting for a
 * poll — both poll only every 30 s here), and a store whose connections are all killed by the
 * server (pg_terminate_backend: what a PostgreSQL restart does to them) recovers — the pool
 * reconnects, the LISTEN connection comes back, and the engine keeps completing instances.
 */

import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import { createEngine, type Engine } from '../../src/engine/engine.js';
import { openPostgresStore, type PostgresStore } from '../../src/store/postgres.js';
import { freshPgUrl, pgSkipReason, PG_URL } from './postgres-fixture.js';

const engines: Engine[] = [];
const stores: PostgresStore[] = [];
after(async () => {
  await Promise.all(engines.splice(0).map((e) => e.stop()));
  await Promise.all(stores.splice(0).map((s) => s.close()));
});

/** Polling far slower than the test: only notifications can explain a quick answer. */
const SLOW_POLL_MS = 30_000;

async function node(url: string, run: boolean): Promise<{ engine: Engine; store: PostgresStore }> {
  const store = await openPostgresStore({ url, poolSize: 4 });
  stores.push(store);
  const engine = await createEngine({ store, pollIntervalMs: SLOW_POLL_MS });
  engines.push(engine);
  engine.registerActivity('double', (x: number) => x * 2);
  engine.registerOrchestration('chain', function* (ctx, x: number) {
    const a: number = yield ctx.callActivity('double', x);
    return yield ctx.callActivity('double', a);
  });
  if (run) await engine.start();
  return { engine, store };
}

async function until(check: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('PostgreSQL: several nodes on one schema', { skip: pgSkipReason }, () => {
  it('a start on node B is run by node A and B sees it finish, woken by notifications rather than polling', async () => {
    const url = freshPgUrl('nodes');
    const a = await node(url, true);
    const b = await node(url, false); // a client only: it runs nothing
    // Let A's workers reach their first (long) idle sleep.
    await new Promise((r) => setTimeout(r, 300));
    const started = Date.now();
    const id = await b.engine.client.start('chain', 5);
    const done = await b.engine.client.waitForCompletion(id, { timeoutMs: 10_000 });
    assert.equal(done.runtimeStatus, 'COMPLETED');
    assert.equal(done.output, 20);
    assert.ok(Date.now() - started < SLOW_POLL_MS / 3, `finished after ${Date.now() - started} ms: the nodes were woken by NOTIFY`);
    assert.ok(a.store.notificationCounts.received > 0 && b.store.notificationCounts.received > 0);
  });

  it('recovers when the server kills every connection of the store (as a PostgreSQL restart does)', async () => {
    const url = freshPgUrl('kill');
    const a = await node(url, true);
    const before = await a.engine.client.start('chain', 1);
    assert.equal((await a.engine.client.waitForCompletion(before, { timeoutMs: 10_000 })).output, 4);
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    const killed = (
      await admin.query('SELECT COUNT(*)::int AS n FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1) k', [
        `swirl/${a.store.location.schema}`.slice(0, 63),
      ])
    ).rows[0].n;
    await admin.end();
    assert.ok(killed >= 2, `killed ${killed} connections (pool and LISTEN)`);
    await until(() => a.store.notificationCounts.reconnects >= 1, 10_000, 'the LISTEN connection to come back');
    // The engine goes on: a failed store call is retried, the pool opens new connections.
    const after = await a.engine.client.start('chain', 2);
    assert.equal((await a.engine.client.waitForCompletion(after, { timeoutMs: 20_000 })).output, 8);
    assert.equal(a.engine.health().healthy, true);
  });
});
