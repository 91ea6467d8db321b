/**
 * @module store/postgres-schema
 * Connecting the PostgreSQL store: the store URL (which schema), the pool (search_path set per
 * connection, BIGINT parsed as numbers) and the versioned migrations of migrations.ts, applied in
 * one transaction under `pg_advisory_xact_lock` so that nodes starting together do not race.
 */

import pg from 'pg';
import { DefinitionError, InfrastructureError } from '../errors.js';
import { pendingMigrations, SCHEMA_VERSION_TABLE } from './migrations.js';

/** Where the store lives, from its URL. */
export interface PostgresLocation {
  /** The connection string handed to `pg` (without the Swirl-only `schema` parameter). */
  connectionString: string;
  /** The schema holding Swirl's tables (created if missing). @default 'swirl' */
  schema: string;
}

/** The default schema when the URL names none. */
export const DEFAULT_SCHEMA = 'swirl';

/** A schema name we accept: a plain SQL identifier (it is spliced into `search_path` and DDL). */
const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/**
 * Parses `postgres://user@host:port/db?schema=name` (or `postgresql://`). The schema comes from
 * `?schema=`, else from `options=-c search_path=name`, else {@link DEFAULT_SCHEMA}.
 * @throws DefinitionError INVALID_STORE_URL for a malformed URL or schema name.
 */
export function parsePostgresUrl(url: string): PostgresLocation {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new DefinitionError('INVALID_STORE_URL', `store URL '${redact(url)}' is not a valid URL (expected postgres://user@host:port/database?schema=name)`);
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new DefinitionError('INVALID_STORE_URL', `store URL '${redact(url)}' is not a postgres:// URL`);
  }
  let schema = parsed.searchParams.get('schema') ?? undefined;
  parsed.searchParams.delete('schema');
  if (schema === undefined) {
    const match = /search_path\s*=\s*([^\s,]+)/.exec(parsed.searchParams.get('options') ?? '');
    if (match !== null) schema = match[1];
  }
  schema ??= DEFAULT_SCHEMA;
  if (!SCHEMA_NAME.test(schema)) {
    throw new DefinitionError('INVALID_STORE_URL', `store URL '${redact(url)}': schema '${schema}' is not a plain identifier (letters, digits, _; at most 63)`);
  }
  return { connectionString: parsed.toString(), schema };
}

/** The URL with its password replaced, for messages. */
export function redact(url: string): string {
  return url.replace(/(\/\/[^:/@]*:)[^@]*@/, '$1***@');
}

/** Options of the pool. */
export interface PoolSettings {
  max: number;
  connectionTimeoutMs: number;
}

/** BIGINT (oid 20) as a JS number: every BIGINT we store (ms times, ids, epochs) is far below 2^53. */
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === 20 ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

/** A pool whose connections all use `schema` (quoted, so its case is kept). */
export function createPool(location: PostgresLocation, settings: PoolSettings): pg.Pool {
  return new pg.Pool({
    connectionString: location.connectionString,
    max: settings.max,
    connectionTimeoutMillis: settings.connectionTimeoutMs,
    options: `-c search_path="${location.schema}"`,
    application_name: applicationName(location),
    types,
  });
}

/** How the store's connections show in pg_stat_activity: `swirl/<schema>`. */
export function applicationName(location: PostgresLocation): string {
  return `swirl/${location.schema}`.slice(0, 63);
}

/** Key of the advisory lock that serializes migrations of one database (any schema). */
const MIGRATION_LOCK_KEY = 0x5357_524c; // 'SWRL'

/**
 * Creates the schema if missing and applies the pending migrations in one transaction, holding a
 * transaction-scoped advisory lock: a second node opening at the same time waits, then sees the
 * versions the first recorded and applies nothing.
 * @throws InfrastructureError STORE_SCHEMA_TOO_NEW (a newer Swirl wrote the schema) or STORE_OPEN_FAILED.
 */
export async function migrate(pool: pg.Pool, schema: string): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    await client.query(`CREATE TABLE IF NOT EXISTS ${SCHEMA_VERSION_TABLE} (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`);
    const row = (await client.query<{ v: number | null }>(`SELECT MAX(version) AS v FROM ${SCHEMA_VERSION_TABLE}`)).rows[0];
    let pending;
    try {
      pending = pendingMigrations(row.v ?? 0);
    } catch (cause) {
      throw new InfrastructureError('STORE_SCHEMA_TOO_NEW', (cause as Error).message, { cause });
    }
    for (const m of pending) {
      for (const sql of m.postgres) await client.query(sql);
      // Bookkeeping for humans reading the database, not engine state: the database clock.
      await client.query(`INSERT INTO ${SCHEMA_VERSION_TABLE} (version, name, applied_at) VALUES ($1, $2, (extract(epoch FROM now()) * 1000)::bigint)`, [
        m.version,
        m.name,
      ]);
    }
    await client.query('COMMIT');
  } catch (cause) {
    await client.query('ROLLBACK').catch(() => undefined);
    if (cause instanceof InfrastructureError) throw cause;
    throw new InfrastructureError('STORE_OPEN_FAILED', `cannot prepare PostgreSQL schema '${schema}': ${(cause as Error).message}`, { cause });
  } finally {
    client.release();
  }
}

/** The schema version recorded (0 for an empty schema). */
export async function schemaVersion(pool: pg.Pool): Promise<number> {
  const row = (await pool.query<{ v: number | null }>(`SELECT MAX(version) AS v FROM ${SCHEMA_VERSION_TABLE}`)).rows[0];
  return row.v ?? 0;
}

/**
 * How far the caller's clock is ahead of the database clock, in ms (see specs/store-postgres.md,
 * "clock rule"): measured once at open, halfway through the round trip.
 */
export async function measureClockOffset(pool: pg.Pool, clock: () => number): Promise<number> {
  const before = clock();
  const row = (await pool.query<{ t: number }>('SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint AS t')).rows[0];
  const after = clock();
  return Math.round((before + after) / 2 - row.t);
}
