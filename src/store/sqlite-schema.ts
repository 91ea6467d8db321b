/**
 * @module store/sqlite-schema
 * Opens a SQLite database for the store: connection pragmas (WAL, synchronous level, busy timeout)
 * and the versioned migrations of `migrations.ts`, applied in one transaction on open.
 */

import Database from 'better-sqlite3';
import { InfrastructureError } from '../errors.js';
import { pendingMigrations, SCHEMA_VERSION_TABLE } from './migrations.js';
import type { RelaxedCommit } from './sqlite-group-commit.js';

/** SQLite `synchronous` levels the store accepts. */
export const SqliteSynchronous = {
  /** fsync on every commit: an acknowledged write survives power loss. The default. */
  FULL: 'FULL',
  /** WAL-mode NORMAL: survives kill -9, may lose the last commits on power loss. */
  NORMAL: 'NORMAL',
  /** No fsync at all: for throwaway databases (tests, benchmarks of the CPU path). */
  OFF: 'OFF',
} as const;
export type SqliteSynchronous = (typeof SqliteSynchronous)[keyof typeof SqliteSynchronous];

/** WAL frames after which a commit checkpoints the WAL into the database (SQLite's default). */
export const WAL_AUTOCHECKPOINT_PAGES = 1000;

/** Connection settings used by {@link openSqliteDatabase}. */
export interface SqliteConnectionOptions {
  /** Database file path, or ':memory:'. */
  path: string;
  /** @default SqliteSynchronous.FULL */
  synchronous?: SqliteSynchronous;
  /** How long a write waits for another process's lock before failing. @default 5000 */
  busyTimeoutMs?: number;
}

/**
 * Opens (creating if needed) the database, sets the pragmas and brings the schema up to date.
 * Throws an InfrastructureError `STORE_SCHEMA_TOO_NEW` when the file was written by a newer Swirl,
 * and `STORE_OPEN_FAILED` when the file cannot be opened or migrated.
 */
export function openSqliteDatabase(options: SqliteConnectionOptions): Database.Database {
  let db: Database.Database;
  try {
    db = new Database(options.path, { timeout: options.busyTimeoutMs ?? 5000 });
  } catch (cause) {
    throw new InfrastructureError('STORE_OPEN_FAILED', `cannot open SQLite database '${options.path}': ${String(cause)}`, { cause });
  }
  try {
    // WAL lets readers proceed during a commit and turns each commit into one sequential append +
    // one fsync of the WAL; synchronous is set per connection, so it is applied on every open.
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${options.synchronous ?? SqliteSynchronous.FULL}`);
    db.pragma(`wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}`);
    db.pragma('foreign_keys = OFF');
    // Group commit runs every write in its own SAVEPOINT, and SQLite copies each page an operation
    // first touches into a statement sub-journal so that ROLLBACK TO can restore it. Past 64 KiB
    // that sub-journal spills to a temp file: two pwrite calls per page, ~60 per workflow. It only
    // serves rollbacks inside an open transaction (crash recovery uses the WAL), so memory is enough.
    db.pragma('temp_store = MEMORY');
    migrate(db);
    return db;
  } catch (cause) {
    db.close();
    if (cause instanceof InfrastructureError) throw cause;
    throw new InfrastructureError('STORE_OPEN_FAILED', `cannot prepare SQLite database '${options.path}': ${String(cause)}`, { cause });
  }
}

/** Applies the pending migrations in one IMMEDIATE transaction (two processes opening at once serialize here). */
function migrate(db: Database.Database): void {
  db.exec(`CREATE TABLE IF NOT EXISTS ${SCHEMA_VERSION_TABLE} (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`);
  const run = db.transaction(() => {
    const row = db.prepare(`SELECT MAX(version) AS v FROM ${SCHEMA_VERSION_TABLE}`).get() as { v: number | null };
    const current = row.v ?? 0;
    let pending;
    try {
      pending = pendingMigrations(current);
    } catch (cause) {
      throw new InfrastructureError('STORE_SCHEMA_TOO_NEW', (cause as Error).message, { cause });
    }
    const record = db.prepare(`INSERT INTO ${SCHEMA_VERSION_TABLE} (version, name, applied_at) VALUES (?, ?, ?)`);
    for (const m of pending) {
      for (const sql of m.sqlite) db.exec(sql);
      // The applied-at stamp is bookkeeping for humans, not engine state, so the wall clock is fine here.
      record.run(m.version, m.name, Date.now());
    }
  });
  run.immediate();
}

/** The schema version recorded in an open database (0 for an empty file). */
export function schemaVersion(db: Database.Database): number {
  const row = db.prepare(`SELECT MAX(version) AS v FROM ${SCHEMA_VERSION_TABLE}`).get() as { v: number | null };
  return row.v ?? 0;
}

/**
 * Commits a claim-only batch without an fsync. Auto-checkpointing is switched off for that
 * transaction too: a checkpoint run under synchronous=OFF would copy frames into the database
 * file without syncing it, and a later writer could then recycle the WAL before the data is on
 * disk. The next durable commit runs the checkpoint instead, with the configured level.
 */
export function relaxedCommit(db: Database.Database, synchronous: SqliteSynchronous): RelaxedCommit {
  const off = [db.prepare('PRAGMA synchronous = OFF'), db.prepare('PRAGMA wal_autocheckpoint = 0')];
  const back = [db.prepare(`PRAGMA synchronous = ${synchronous}`), db.prepare(`PRAGMA wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}`)];
  return {
    enter: () => off.forEach((p) => p.run()),
    exit: () => back.forEach((p) => p.run()),
  };
}
