/**
 * @module test/store/postgres-fixture
 * Fresh PostgreSQL schemas for tests: the server from SWIRL_TEST_PG_URL (default the local
 * postgres user on 127.0.0.1:5432), one new schema per store, every schema dropped after the file.
 * `pgAvailable` is false when no server answers (the suites then skip, saying why).
 */

import { after } from 'node:test';
import pg from 'pg';
import { openPostgresStore, type PostgresStore, type PostgresStoreOptions } from '../../src/store/postgres.js';

/** The server the tests use. */
export const PG_URL = process.env.SWIRL_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

async function reachable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Whether a PostgreSQL server answers at PG_URL. */
export const pgAvailable: boolean = await reachable();

/** Why PostgreSQL suites skip, when they do. */
export const pgSkipReason = pgAvailable ? false : `no PostgreSQL server at ${PG_URL} (set SWIRL_TEST_PG_URL)`;

const created: string[] = [];
let counter = 0;

/** A new schema name (not created yet: the store creates it) and its store URL. */
export function freshPgUrl(label = 't'): string {
  const schema = `swirl_test_${label}_${process.pid}_${Date.now().toString(36)}_${++counter}`;
  created.push(schema);
  const url = new URL(PG_URL);
  url.searchParams.set('schema', schema);
  return url.toString();
}

/** Drops every schema this process made. */
export async function dropPgSchemas(): Promise<void> {
  if (!pgAvailable || created.length === 0) return;
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    for (const schema of created.splice(0)) await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}

after(dropPgSchemas);

const opened: PostgresStore[] = [];
after(async () => {
  await Promise.all(opened.splice(0).map((s) => s.close()));
});

/**
 * A store on a fresh schema (`label` names it; a pool of 4 unless `options` say otherwise). Every
 * store opened so is closed after the file's tests.
 */
export async function openFreshPgStore(label: string, options: Omit<PostgresStoreOptions, 'url'> = {}): Promise<PostgresStore> {
  const s = await openPostgresStore({ poolSize: 4, ...options, url: freshPgUrl(label) });
  opened.push(s);
  return s;
}
