/**
 * @module test/store/postgres-races
 * The races SQLite's single writer hides, on the real PostgreSQL server: two nodes migrating one
 * fresh schema at once, concurrent creates of one id from two stores, concurrent enqueuers of one
 * instance (per-instance order = id order = commit order), enqueue vs purge (no orphan inbox
 * rows), two turns writing each other's instances (sorted lock order: no deadlock, both commit),
 * SKIP LOCKED claims from two stores (disjoint), and clock skew between two stores.
 */

import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import { LATEST_SCHEMA_VERSION, MIGRATIONS, SCHEMA_VERSION_TABLE } from '../../src/store/migrations.js';
import { openPostgresStore, type PostgresStore } from '../../src/store/postgres.js';
import { ReusePolicy } from '../../src/store/types.js';
import { claimOne, createRequest, turnFor } from './contract-helpers.js';
import { freshPgUrl, pgSkipReason, PG_URL } from './postgres-fixture.js';

const open: PostgresStore[] = [];
after(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

/**
 * Two nodes on one fresh schema. Sticky claims off: these races have each node claim the other's
 * work at once (which node prefers what is test/store/postgres-sticky.test.ts's subject).
 */
async function pair(label: string, options: { clockA?: () => number; clockB?: () => number } = {}): Promise<[PostgresStore, PostgresStore, string]> {
  const url = freshPgUrl(label);
  const a = await openPostgresStore({ url, poolSize: 8, stickyClaimsMs: 0, ...(options.clockA ? { clock: options.clockA } : {}) });
  const b = await openPostgresStore({ url, poolSize: 8, stickyClaimsMs: 0, ...(options.clockB ? { clock: options.clockB } : {}) });
  open.push(a, b);
  return [a, b, url];
}

describe('PostgreSQL store races', { skip: pgSkipReason }, () => {
  it('two nodes opening one fresh schema at once migrate it exactly once', async () => {
    const url = freshPgUrl('mig');
    const stores = await Promise.all([1, 2, 3].map(() => openPostgresStore({ url, poolSize: 2 })));
    open.push(...stores);
    const schema = new URL(url).searchParams.get('schema');
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    const rows = (await client.query(`SELECT version, name FROM "${schema}".${SCHEMA_VERSION_TABLE} ORDER BY version`)).rows;
    await client.end();
    assert.deepEqual(
      rows,
      MIGRATIONS.map((m) => ({ version: m.version, name: m.name })),
    );
    assert.equal(rows.length, LATEST_SCHEMA_VERSION);
  });

  it('concurrent creates of one id from two nodes: exactly one wins, the other gets INSTANCE_EXISTS', async () => {
    const [a, b] = await pair('dup');
    for (let round = 0; round < 10; round++) {
      const id = `dup-${round}`;
      const results = await Promise.allSettled([
        a.createInstance(createRequest(id, 1000, { reusePolicy: ReusePolicy.REJECT })),
        b.createInstance(createRequest(id, 2000, { reusePolicy: ReusePolicy.REJECT })),
      ]);
      const won = results.filter((r) => r.status === 'fulfilled');
      const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      assert.equal(won.length, 1, `round ${round}: one create wins`);
      assert.equal(lost[0].reason.code, 'INSTANCE_EXISTS');
      const claimed = await claimOne(a, id, 5000);
      assert.equal(claimed.messages.length, 1, 'one start message, not two');
      await a.commitTurn(turnFor(claimed, 'RUNNING'));
    }
  });

  it('concurrent enqueuers on two nodes: the inbox ids of one instance follow commit order, and nothing is lost', async () => {
    const [a, b] = await pair('order');
    await a.createInstance(createRequest('target', 1000));
    const senders = [a, b, a, b];
    await Promise.all(
      senders.map(async (store, s) => {
        for (let i = 0; i < 25; i++) await store.enqueueMessages([{ instanceId: 'target', data: `${s}:${i}`, visibleAt: 1000 }]);
      }),
    );
    const item = await claimOne(a, 'target', 5000);
    const events = item.messages.slice(1).map((m) => m.data);
    assert.equal(events.length, 100);
    // Each sender's own messages keep their order (each waited for the previous commit).
    for (let s = 0; s < senders.length; s++) {
      const mine = events.filter((e) => e.startsWith(`${s}:`)).map((e) => Number(e.split(':')[1]));
      assert.deepEqual(mine, [...Array(25).keys()]);
    }
    const ids = item.messages.map((m) => m.id);
    assert.deepEqual(ids, [...ids].sort((x, y) => x - y));
  });

  it('enqueue racing purge leaves no orphan inbox rows: the message is either refused or purged with the instance', async () => {
    const [a, b, url] = await pair('purge');
    for (let i = 0; i < 20; i++) await a.createInstance(createRequest(`p${i}`, 1000));
    const all = await a.claimOrchestrations({ leaseId: 'run', now: 1000, leaseMs: 30_000, limit: 100 });
    assert.equal(all.length, 20);
    for (const item of all) await a.commitTurn(turnFor(item, 'COMPLETED'));
    const outcomes = await Promise.allSettled(
      [...Array(20).keys()].flatMap((i) => [b.enqueueMessages([{ instanceId: `p${i}`, data: 'late', visibleAt: 1000 }]), a.purgeInstances([`p${i}`])]),
    );
    for (const o of outcomes) if (o.status === 'rejected') assert.equal(o.reason.code, 'INSTANCE_NOT_FOUND');
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    const schema = new URL(url).searchParams.get('schema');
    const orphans = (await client.query(`SELECT COUNT(*)::int AS n FROM "${schema}".inbox m WHERE NOT EXISTS (SELECT 1 FROM "${schema}".instances i WHERE i.instance_id = m.instance_id)`)).rows[0].n;
    await client.end();
    assert.equal(orphans, 0);
    assert.equal((await a.queryInstances({})).instances.length, 0);
  });

  it('two turns sending to each other commit without deadlock (sorted lock order), many times over', async () => {
    const [a, b] = await pair('dead');
    for (let round = 0; round < 15; round++) {
      const x = `x${round}`;
      const y = `y${round}`;
      await a.createInstance(createRequest(x, 1000));
      await a.createInstance(createRequest(y, 1000));
      // Oldest ready first, then by id: x before y.
      const [ix] = await a.claimOrchestrations({ leaseId: `a${round}`, now: 1000, leaseMs: 30_000, limit: 1 });
      const [iy] = await b.claimOrchestrations({ leaseId: `b${round}`, now: 1000, leaseMs: 30_000, limit: 1 });
      assert.deepEqual([ix.instance.instanceId, iy.instance.instanceId], [x, y]);
      await Promise.all([
        a.commitTurn(turnFor(ix, 'RUNNING', 1, { messages: [{ instanceId: y, data: `from-${x}`, visibleAt: 1000 }] })),
        b.commitTurn(turnFor(iy, 'RUNNING', 1, { messages: [{ instanceId: x, data: `from-${y}`, visibleAt: 1000 }] })),
      ]);
      const next = await a.claimOrchestrations({ leaseId: `c${round}`, now: 2000, leaseMs: 30_000, limit: 10 });
      assert.deepEqual(
        next.map((n) => [n.instance.instanceId, n.messages.map((m) => m.data)]),
        [
          [x, [`from-${y}`]],
          [y, [`from-${x}`]],
        ],
      );
      for (const n of next) await a.commitTurn(turnFor(n, 'COMPLETED'));
    }
  });

  it('two nodes claiming at once take disjoint instances (FOR UPDATE SKIP LOCKED) and together all of them', async () => {
    const [a, b] = await pair('skip');
    for (let i = 0; i < 40; i++) await a.createInstance(createRequest(`s${String(i).padStart(2, '0')}`, 1000));
    const claims = await Promise.all([a, b, a, b].map((s, k) => s.claimOrchestrations({ leaseId: `L${k}`, now: 2000, leaseMs: 30_000, limit: 15 })));
    const ids = claims.flat().map((c) => c.instance.instanceId);
    assert.equal(new Set(ids).size, ids.length, 'no instance claimed twice');
    const rest = await a.claimOrchestrations({ leaseId: 'L9', now: 2000, leaseMs: 30_000, limit: 100 });
    assert.equal(ids.length + rest.length, 40);
  });

  it('clock skew: a node whose clock runs 5 s ahead neither steals a live lease nor misses a visible message', async () => {
    const SKEW = 5000;
    const [slow, fast] = await pair('skew', { clockB: () => Date.now() + SKEW });
    await slow.createInstance(createRequest('held', Date.now()));
    // The slow node leases it for 2 s of its time; in the fast node's time that lease "ended" 3 s ago.
    const lease = await slow.claimOrchestrations({ leaseId: 'slow', now: Date.now(), leaseMs: 2000, limit: 10 });
    assert.equal(lease.length, 1);
    assert.deepEqual(await fast.claimOrchestrations({ leaseId: 'fast', now: Date.now() + SKEW, leaseMs: 2000, limit: 10 }), [], 'live lease not stolen');
    await slow.commitTurn(turnFor(lease[0], 'RUNNING'));
    // The fast node enqueues a message "visible now" by its clock: the slow node sees it at once.
    await fast.enqueueMessages([{ instanceId: 'held', data: 'now', visibleAt: Date.now() + SKEW }]);
    const got = await slow.claimOrchestrations({ leaseId: 'slow-2', now: Date.now(), leaseMs: 2000, limit: 10 });
    assert.deepEqual(
      got.map((g) => g.messages.map((m) => m.data)),
      [['now']],
      'visible message not missed',
    );
    // Each node reads times back in its own clock's frame.
    assert.ok(Math.abs(got[0].messages[0].visibleAt - (Date.now() - 0)) < 1000);
    assert.ok(Math.abs(slow.offsetMs) < 250 && Math.abs(fast.offsetMs - SKEW) < 250, `offsets ${slow.offsetMs}, ${fast.offsetMs}`);
  });
});
