/**
 * @module test/store/postgres-wakeups
 * What an idle PostgreSQL node asks the database and what it is woken for, on the real server:
 * another node's start is announced as instance work only (its activity worker has nothing to
 * claim), a notification of an earlier version (no kind) still wakes both workers, an idle
 * claim's probe answers the claim loop's next-wake question without a second statement, and that
 * answer is not reused once the store itself committed new work.
 */

import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import { openPostgresStore, type PostgresStore } from '../../src/store/postgres.js';
import { roundTrips } from '../../src/store/postgres-sql.js';
import type { StoreChange } from '../../src/store/types.js';
import { createRequest, turnFor } from './contract-helpers.js';
import { freshPgUrl, pgSkipReason, PG_URL } from './postgres-fixture.js';

const open: PostgresStore[] = [];
after(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

const T = 10_000;

async function store(url: string): Promise<PostgresStore> {
  const s = await openPostgresStore({ url, poolSize: 4 });
  open.push(s);
  return s;
}

/** Collects `s`'s work changes until `count` arrived (or 5 s passed). */
async function workHeard(s: PostgresStore, count: number, act: () => Promise<void>): Promise<Array<StoreChange & { kind: 'work' }>> {
  const heard: Array<StoreChange & { kind: 'work' }> = [];
  let done!: () => void;
  const enough = new Promise<void>((r) => (done = r));
  const stop = s.onChange((c) => {
    if (c.kind !== 'work') return;
    heard.push(c);
    if (heard.length >= count) done();
  });
  try {
    await act();
    await Promise.race([enough, new Promise((r) => setTimeout(r, 5000))]);
  } finally {
    stop();
  }
  return heard;
}

describe('PostgreSQL wake-ups and idle probes', { skip: pgSkipReason }, () => {
  it("another node's start is instance work: its activity worker is not woken for it", async () => {
    const url = freshPgUrl('wake_kind');
    const a = await store(url);
    const b = await store(url);
    const heard = await workHeard(b, 1, () => a.createInstance(createRequest('w1', T)).then(() => undefined));
    assert.deepEqual(heard, [{ kind: 'work', what: 'instances' }]);
  });

  it('a notification without a kind (a node of an earlier version) wakes both workers', async () => {
    const url = freshPgUrl('wake_old');
    const b = await store(url);
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    try {
      const channel = `swirl_${b.location.schema.toLowerCase()}`;
      const heard = await workHeard(b, 2, async () => {
        await client.query('SELECT pg_notify($1, $2)', [channel, JSON.stringify({ n: 'old-node', w: 1 })]);
        await client.query('SELECT pg_notify($1, $2)', [channel, JSON.stringify({ n: 'new-node', w: 1, k: 't' })]);
      });
      assert.deepEqual(heard, [{ kind: 'work' }, { kind: 'work', what: 'tasks' }]);
    } finally {
      await client.end();
    }
  });

  it("an empty idle claim's probe answers the next-wake question that follows it, in no extra statement", async () => {
    const url = freshPgUrl('wake_probe');
    const s = await store(url);
    await s.createInstance(createRequest('later', T + 5000));
    const claim = () => s.claimOrchestrations({ leaseId: 'L', now: T, leaseMs: 30_000, limit: 10 });
    assert.deepEqual(await claim(), []);
    const trips = roundTrips.count;
    assert.equal(await s.nextWakeAt(T), T + 5000);
    assert.equal(roundTrips.count, trips, 'the probe of the claim already read it');
    // Asked again, or at another time: read from the database.
    assert.equal(await s.nextWakeAt(T), T + 5000);
    assert.equal(roundTrips.count, trips + 1);
  });

  it('a next wake read by a probe is not reused after this store committed new work', async () => {
    const url = freshPgUrl('wake_stale');
    const s = await store(url);
    await s.createInstance(createRequest('later', T + 5000));
    const claim = () => s.claimOrchestrations({ leaseId: 'L', now: T, leaseMs: 30_000, limit: 10 });
    assert.deepEqual(await claim(), []);
    await s.createInstance(createRequest('sooner', T + 1000));
    assert.equal(await s.nextWakeAt(T), T + 1000, 'the start committed after the probe is seen');
  });

  it('a next wake read by a probe is not reused after a turn of this store committed', async () => {
    const url = freshPgUrl('wake_turn');
    const s = await store(url);
    await s.createInstance(createRequest('busy', T));
    await s.enqueueMessages([{ instanceId: 'busy', data: 'timer', visibleAt: T + 1000 }]);
    await s.createInstance(createRequest('later', T + 5000));
    const [item] = await s.claimOrchestrations({ leaseId: 'L1', now: T, leaseMs: 30_000, limit: 1 });
    assert.equal(item?.instance.instanceId, 'busy');
    // 'busy' is leased: claimable again only when its lease expires, though its timer is due at T + 1000.
    assert.deepEqual(await s.claimOrchestrations({ leaseId: 'L2', now: T, leaseMs: 30_000, limit: 10 }), []);
    // A turn that schedules nothing new (no work announced) but unlocks the instance.
    await s.commitTurn(turnFor(item, 'RUNNING', 1));
    assert.equal(await s.nextWakeAt(T), T + 1000, 'the unlocked instance’s timer is seen');
  });
});
