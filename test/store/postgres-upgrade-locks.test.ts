/**
 * @module test/store/postgres-upgrade-locks
 * Migration 12 against a live version-11 node: the version-11 turn function (commit_turns) locks
 * instance rows first (PERFORM … FOR UPDATE) and reaches tasks later in the same statement. The
 * migration must not take its table locks in the opposite order (tasks first, then instances), or
 * such a turn and the migration deadlock and the new node fails to open (STORE_OPEN_FAILED).
 */

import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import { MIGRATIONS, SCHEMA_VERSION_TABLE } from '../../src/store/migrations.js';
import { openPostgresStore, type PostgresStore } from '../../src/store/postgres.js';
import { freshPgUrl, pgSkipReason, PG_URL } from './postgres-fixture.js';

const stores: PostgresStore[] = [];
after(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
});

describe('PostgreSQL: migration 12 while a version-11 turn runs', { skip: pgSkipReason }, () => {
  it('does not deadlock with a transaction that holds instance rows and then touches tasks', async () => {
    const url = freshPgUrl('upglock');
    const schema = new URL(url).searchParams.get('schema')!;
    const old = new pg.Client({ connectionString: PG_URL });
    await old.connect();
    try {
      await old.query(`CREATE SCHEMA "${schema}"`);
      await old.query(`SET search_path = "${schema}"`);
      await old.query(`CREATE TABLE ${SCHEMA_VERSION_TABLE} (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`);
      await old.query('BEGIN');
      for (const m of MIGRATIONS.filter((x) => x.version <= 11)) {
        for (const sql of m.postgres) await old.query(sql);
        await old.query(`INSERT INTO ${SCHEMA_VERSION_TABLE} VALUES ($1, $2, 0)`, [m.version, m.name]);
      }
      await old.query('COMMIT');
      // The old node's turn, as commit_turns orders it: instance rows locked first ...
      await old.query('BEGIN');
      await old.query('SELECT 1 FROM instances FOR UPDATE');
      // ... while a node of this build opens the database and starts migration 12 ...
      const opening = openPostgresStore({ url, poolSize: 2 }).then(
        (s) => (stores.push(s), 'opened'),
        (e: Error) => `open failed: ${e.message}`,
      );
      await new Promise((r) => setTimeout(r, 300));
      // ... then the turn reaches the tasks table.
      const turn = old.query('SELECT 1 FROM tasks LIMIT 1').then(
        () => 'turn ok',
        (e: Error) => `turn failed: ${e.message}`,
      );
      const turnResult = await turn;
      await old.query(turnResult === 'turn ok' ? 'COMMIT' : 'ROLLBACK');
      assert.deepEqual([turnResult, await opening], ['turn ok', 'opened']);
    } finally {
      await old.end();
    }
  });
});
