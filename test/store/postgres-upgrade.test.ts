/**
 * @module test/store/postgres-upgrade
 * Opening a database that main's build wrote (schema version 11) with this build: migration 12
 * (src/store/migrations-postgres-v12.ts) is applied on open under the advisory lock, the work the
 * old schema held stays claimable through the new indexes — queued starts, raised events, and an
 * instance leased by a node that died — and workflows run to completion on it.
 *
 * The version-11 database is built from MIGRATIONS 1–11 (released migrations are never edited, so
 * these are main's statements) and filled with the rows of in-flight instances: they are made on a
 * scratch schema by an engine of this build and copied over (the tables' columns are the same in
 * both versions; only indexes and a collation change), then one of them is marked leased by a dead
 * node, as version 11 would have left it.
 */

import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import { createEngine, type Engine } from '../../src/engine/engine.js';
import { LATEST_SCHEMA_VERSION, MIGRATIONS, SCHEMA_VERSION_TABLE } from '../../src/store/migrations.js';
import { openPostgresStore, type PostgresStore } from '../../src/store/postgres.js';
import { freshPgUrl, pgSkipReason, PG_URL } from './postgres-fixture.js';

const engines: Engine[] = [];
const stores: PostgresStore[] = [];
after(async () => {
  await Promise.all(engines.splice(0).map((e) => e.stop()));
  await Promise.all(stores.splice(0).map((s) => s.close()));
});

/** An engine on `url` running the gated doubling workflow (workers started when `run`). */
async function engineOn(url: string, run: boolean): Promise<Engine> {
  const store = await openPostgresStore({ url, poolSize: 4 });
  stores.push(store);
  const engine = await createEngine({ store, pollIntervalMs: 50 });
  engines.push(engine);
  engine.registerActivity('double', (x: number) => x * 2);
  engine.registerOrchestration('gated', function* (ctx, x: number) {
    const go: number = yield ctx.waitForExternalEvent('go');
    return yield ctx.callActivity('double', x + go);
  });
  if (run) await engine.start();
  return engine;
}

const schemaOf = (url: string): string => new URL(url).searchParams.get('schema')!;

describe('PostgreSQL: upgrading a version-11 database (main) to this build', { skip: pgSkipReason }, () => {
  it('applies migration 12 on open, keeps queued and dead-leased work claimable, and runs workflows to completion', async () => {
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    try {
      // 1. In-flight instances, made on a scratch schema by this build: 4 waiting for 'go' (2 of
      //    them with 'go' raised while no worker runs), 2 whose start is still queued.
      const scratchUrl = freshPgUrl('upg_src');
      const maker = await engineOn(scratchUrl, true);
      const waiting = await Promise.all([1, 2, 3, 4].map((i) => maker.client.start('gated', i, { instanceId: `w${i}` })));
      for (const id of waiting) assert.equal((await maker.client.waitForStart(id, { timeoutMs: 10_000 })).runtimeStatus, 'RUNNING');
      await maker.stop();
      const client = (await engineOn(scratchUrl, false)).client; // no workers: what it writes stays queued
      await client.raiseEvent('w1', 'go', 10);
      await client.raiseEvent('w2', 'go', 20);
      await client.start('gated', 5, { instanceId: 'q5' });
      await client.start('gated', 6, { instanceId: 'q6' });

      // 2. Main's schema (versions 1–11) on a fresh schema, recorded as migrate() records it.
      const url = freshPgUrl('upg');
      const schema = schemaOf(url);
      const src = schemaOf(scratchUrl);
      await admin.query(`CREATE SCHEMA "${schema}"`);
      await admin.query(`SET search_path = "${schema}"`);
      await admin.query(`CREATE TABLE ${SCHEMA_VERSION_TABLE} (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`);
      await admin.query('BEGIN');
      for (const m of MIGRATIONS.filter((x) => x.version <= 11)) {
        for (const sql of m.postgres) await admin.query(sql);
        await admin.query(`INSERT INTO ${SCHEMA_VERSION_TABLE} VALUES ($1, $2, 0)`, [m.version, m.name]);
      }
      await admin.query('COMMIT');
      const v11Indexes = (await admin.query<{ n: string }>(`SELECT indexname AS n FROM pg_indexes WHERE schemaname = $1 ORDER BY 1`, [schema])).rows.map((r) => r.n);
      assert.ok(v11Indexes.includes('inbox_by_instance') && v11Indexes.includes('instances_by_lease'), 'the version-11 indexes');

      // 3. The in-flight rows copied in; the sequences moved past their ids.
      for (const t of ['instances', 'history', 'inbox', 'tasks', 'wait_keys']) await admin.query(`INSERT INTO ${t} SELECT * FROM "${src}".${t}`);
      for (const t of ['inbox', 'tasks']) {
        await admin.query(`SELECT setval(pg_get_serial_sequence('${t}', 'id'), GREATEST((SELECT MAX(id) FROM ${t}), 1))`);
      }
      // w2 (its 'go' queued) leased by a node that died a second ago: version 11's claim left
      // ready_at = GREATEST(lock expiry, first visible message).
      const dead = await admin.query(
        `UPDATE instances SET locked_by = 'dead-node/1', lock_expires_at = (extract(epoch FROM now()) * 1000)::bigint - 1000, lease_epoch = lease_epoch + 1,
           ready_at = GREATEST((extract(epoch FROM now()) * 1000)::bigint - 1000, (SELECT MIN(visible_at) FROM inbox m WHERE m.instance_id = instances.instance_id))
         WHERE instance_id = 'w2' AND ready_at IS NOT NULL`,
      );
      assert.equal(dead.rowCount, 1, 'w2 has its event queued');

      // 4. This build opens it: version 12 applied, its indexes in place.
      const engine = await engineOn(url, true);
      const versions = (await admin.query<{ v: number }>(`SELECT version AS v FROM ${SCHEMA_VERSION_TABLE} ORDER BY version`)).rows.map((r) => r.v);
      assert.deepEqual(versions, Array.from({ length: LATEST_SCHEMA_VERSION }, (_, i) => i + 1));
      const indexes = (await admin.query<{ n: string; d: string }>(`SELECT indexname AS n, indexdef AS d FROM pg_indexes WHERE schemaname = $1`, [schema])).rows;
      const def = (n: string): string | undefined => indexes.find((r) => r.n === n)?.d;
      assert.equal(def('inbox_by_instance'), undefined);
      assert.equal(def('instances_by_lease'), undefined);
      assert.match(def('instances_leased') ?? '', /WHERE \(locked_by IS NOT NULL\)/);
      assert.match(def('tasks_leased') ?? '', /WHERE \(locked_by IS NOT NULL\)/);
      assert.match(def('tasks_by_name_ready') ?? '', /WHERE \(locked_by IS NULL\)/);
      assert.match(def('instances_by_name_ready') ?? '', /locked_by IS NULL/);
      const collation = (await admin.query<{ c: string }>(`SELECT collation_name AS c FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'inbox' AND column_name = 'instance_id'`, [schema])).rows[0].c;
      assert.equal(collation, 'C');

      // 5. Everything completes: the queued starts and events, the dead node's lease taken over.
      for (const id of ['w3', 'w4', 'q5', 'q6']) await engine.client.raiseEvent(id, 'go', 100);
      const expected: Record<string, number> = { w1: 22, w2: 44, w3: 206, w4: 208, q5: 210, q6: 212 };
      for (const [id, output] of Object.entries(expected)) {
        const done = await engine.client.waitForCompletion(id, { timeoutMs: 20_000 });
        assert.equal(done.runtimeStatus, 'COMPLETED', id);
        assert.equal(done.output, output, id);
      }
      const left = (await admin.query<{ i: number; t: number }>(`SELECT (SELECT COUNT(*) FROM inbox)::int AS i, (SELECT COUNT(*) FROM tasks)::int AS t`)).rows[0];
      assert.deepEqual(left, { i: 0, t: 0 }, 'no queued work left behind');
    } finally {
      await admin.end();
    }
  });
});
