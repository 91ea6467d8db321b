/**
 * @module store/migrations
 * The versioned schema of the SQL stores: an ordered list of migrations, each with its SQLite and
 * PostgreSQL statements. A backend records applied versions in `swirl_schema_version` and applies
 * the missing ones on open; a database newer than this list is refused (an older engine must not
 * write a schema it does not know). Tables follow durabletask-go: instances (with the lease),
 * history, inbox (new events with a visible-at time — how timers work) and an activity task queue.
 */

import { COMMIT_TURN_V8, COMMIT_TURN_V9, TRY_COMMIT_TURN, TRY_COMMIT_TURN_V9 } from './postgres-turn-sql.js';
import { COMMIT_TURN_V10, TRY_COMMIT_TURN_V10 } from './postgres-turn-sql-v10.js';
import { COMMIT_TURNS_V11 } from './postgres-turn-sql-v11.js';
import { MIGRATION_12 } from './migrations-postgres-v12.js';

/** One schema step. Versions are contiguous from 1; a released migration is never edited. */
export interface Migration {
  /** 1, 2, 3 … in order. */
  version: number;
  /** Short name recorded next to the version, for humans reading the database. */
  name: string;
  /** Statements for SQLite, run in one transaction. */
  sqlite: string[];
  /** Statements for PostgreSQL, run in one transaction under an advisory lock (store/postgres-schema.ts). */
  postgres: string[];
}

/** Name of the table that records applied migrations (one row per version). */
export const SCHEMA_VERSION_TABLE = 'swirl_schema_version';

/**
 * Every migration, oldest first.
 *
 * Column notes for version 1 (why they look the way they do):
 * - times are INTEGER milliseconds since the epoch, supplied by the engine's clock;
 * - payloads are TEXT (JSON kept byte-for-byte; the store never parses it);
 * - `history` is WITHOUT ROWID keyed by (instance_id, seq): the key is the idempotency guard of a
 *   turn and the table is read only by that key, so a separate rowid index would only cost bytes;
 * - `inbox.id` and `tasks.id` are AUTOINCREMENT so ids stay strictly increasing even after the
 *   newest row is deleted (the engine may rely on FIFO ids never being reused);
 * - partial indexes on lock/visibility columns keep `nextWakeAt` and claims index-only.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'instances, history, inbox, tasks',
    sqlite: [
      `CREATE TABLE instances (
        instance_id        TEXT PRIMARY KEY,
        execution_id       TEXT NOT NULL,
        name               TEXT NOT NULL,
        status             TEXT NOT NULL,
        created_at         INTEGER NOT NULL,
        last_updated_at    INTEGER NOT NULL,
        completed_at       INTEGER,
        scheduled_start_at INTEGER,
        input              TEXT,
        output             TEXT,
        custom_status      TEXT,
        failure            TEXT,
        parent_instance_id TEXT,
        history_length     INTEGER NOT NULL DEFAULT 0,
        locked_by          TEXT,
        lock_expires_at    INTEGER
      )`,
      `CREATE INDEX instances_by_created ON instances (created_at, instance_id)`,
      `CREATE INDEX instances_by_status ON instances (status, created_at, instance_id)`,
      `CREATE INDEX instances_by_name ON instances (name, created_at, instance_id)`,
      `CREATE INDEX instances_by_parent ON instances (parent_instance_id) WHERE parent_instance_id IS NOT NULL`,
      `CREATE INDEX instances_by_lock ON instances (lock_expires_at) WHERE lock_expires_at IS NOT NULL`,
      `CREATE TABLE history (
        instance_id TEXT NOT NULL,
        seq         INTEGER NOT NULL,
        type        TEXT NOT NULL,
        timestamp   INTEGER NOT NULL,
        data        TEXT NOT NULL,
        PRIMARY KEY (instance_id, seq)
      ) WITHOUT ROWID`,
      `CREATE TABLE inbox (
        id            INTEGER PRIMARY KEY AUTOINCREMENT,
        instance_id   TEXT NOT NULL,
        visible_at    INTEGER NOT NULL,
        dequeue_count INTEGER NOT NULL DEFAULT 0,
        locked_by     TEXT,
        data          TEXT NOT NULL
      )`,
      `CREATE INDEX inbox_by_instance ON inbox (instance_id, id)`,
      `CREATE INDEX inbox_by_visible ON inbox (visible_at, id)`,
      `CREATE TABLE tasks (
        id              INTEGER PRIMARY KEY AUTOINCREMENT,
        instance_id     TEXT NOT NULL,
        execution_id    TEXT NOT NULL,
        task_id         INTEGER NOT NULL,
        name            TEXT NOT NULL,
        visible_at      INTEGER NOT NULL,
        dequeue_count   INTEGER NOT NULL DEFAULT 0,
        locked_by       TEXT,
        lock_expires_at INTEGER,
        data            TEXT NOT NULL
      )`,
      `CREATE INDEX tasks_by_instance ON tasks (instance_id)`,
      `CREATE INDEX tasks_by_visible ON tasks (visible_at, id)`,
      `CREATE INDEX tasks_by_lock ON tasks (lock_expires_at) WHERE lock_expires_at IS NOT NULL`,
    ],
    postgres: [
      // PostgreSQL starts at the schema SQLite reached at version 3 (no PostgreSQL database
      // existed before it): versions 2 and 3 are recorded but change nothing here. Times are
      // BIGINT milliseconds; scheduling times (visible_at, lock_expires_at, ready_at, claim_now)
      // are in the database clock's frame (specs/store-postgres.md), the others as the engine
      // gave them. `inbox.id` / `tasks.id` come from sequences taken under the target instance's
      // row lock, so ids of one instance's messages are in commit order. Instance ids sort by
      // bytes (COLLATE "C"), as in SQLite and memory: page order and the lock order agree everywhere.
      `CREATE TABLE instances (
        instance_id        TEXT COLLATE "C" PRIMARY KEY,
        execution_id       TEXT NOT NULL,
        name               TEXT NOT NULL,
        status             TEXT NOT NULL,
        created_at         BIGINT NOT NULL,
        last_updated_at    BIGINT NOT NULL,
        completed_at       BIGINT,
        scheduled_start_at BIGINT,
        input              TEXT,
        output             TEXT,
        custom_status      TEXT,
        failure            TEXT,
        parent_instance_id TEXT,
        history_length     INTEGER NOT NULL DEFAULT 0,
        locked_by          TEXT,
        lock_expires_at    BIGINT,
        ready_at           BIGINT,
        lease_epoch        BIGINT NOT NULL DEFAULT 0,
        claim_last_id      BIGINT,
        claim_now          BIGINT,
        definition_hash    TEXT,
        definition_version TEXT
      )`,
      `CREATE INDEX instances_by_created ON instances (created_at, instance_id)`,
      `CREATE INDEX instances_by_status ON instances (status, created_at, instance_id)`,
      `CREATE INDEX instances_by_name ON instances (name, created_at, instance_id)`,
      `CREATE INDEX instances_by_parent ON instances (parent_instance_id) WHERE parent_instance_id IS NOT NULL`,
      `CREATE INDEX instances_by_ready ON instances (ready_at) WHERE ready_at IS NOT NULL`,
      `CREATE INDEX instances_by_name_ready ON instances (name, ready_at) WHERE ready_at IS NOT NULL`,
      `CREATE INDEX instances_by_lease ON instances (locked_by) WHERE locked_by IS NOT NULL`,
      `CREATE INDEX instances_by_definition ON instances (definition_hash, created_at, instance_id) WHERE definition_hash IS NOT NULL`,
      `CREATE TABLE history (
        instance_id TEXT COLLATE "C" NOT NULL,
        seq         INTEGER NOT NULL,
        type        TEXT NOT NULL,
        timestamp   BIGINT NOT NULL,
        data        TEXT NOT NULL,
        PRIMARY KEY (instance_id, seq)
      )`,
      `CREATE TABLE inbox (
        id            BIGSERIAL PRIMARY KEY,
        instance_id   TEXT NOT NULL,
        execution_id  TEXT,
        visible_at    BIGINT NOT NULL,
        dequeue_count INTEGER NOT NULL DEFAULT 0,
        data          TEXT NOT NULL
      )`,
      `CREATE INDEX inbox_by_instance ON inbox (instance_id, id)`,
      `CREATE INDEX inbox_by_instance_visible ON inbox (instance_id, visible_at)`,
      `CREATE TABLE tasks (
        id              BIGSERIAL PRIMARY KEY,
        instance_id     TEXT NOT NULL,
        execution_id    TEXT NOT NULL,
        task_id         INTEGER NOT NULL,
        name            TEXT NOT NULL,
        visible_at      BIGINT NOT NULL,
        ready_at        BIGINT NOT NULL,
        dequeue_count   INTEGER NOT NULL DEFAULT 0,
        locked_by       TEXT,
        lock_expires_at BIGINT,
        detached        BOOLEAN NOT NULL DEFAULT FALSE,
        data            TEXT NOT NULL
      )`,
      `CREATE INDEX tasks_by_instance ON tasks (instance_id)`,
      `CREATE INDEX tasks_by_ready ON tasks (ready_at, id)`,
      `CREATE INDEX tasks_by_name_ready ON tasks (name, ready_at, id)`,
      `CREATE TABLE definitions (
        hash          TEXT PRIMARY KEY,
        id            TEXT NOT NULL,
        version       TEXT,
        text          TEXT NOT NULL,
        source        TEXT NOT NULL,
        registered_at BIGINT NOT NULL,
        registration  BIGSERIAL
      )`,
      `CREATE INDEX definitions_by_id ON definitions (id, registered_at, registration)`,
    ],
  },
  {
    version: 2,
    name: 'claim indexes on untaken messages and tasks',
    // A claim used to walk every visible message, including those of instances leased right now
    // (the oldest ones, so always first). Untaken rows get their own partial indexes; rows of an
    // expired lease are found through the lock-expiry indexes instead. Every message visible in
    // the future is untaken, so nextWakeAt uses the partial index too.
    sqlite: [
      `CREATE INDEX inbox_untaken ON inbox (visible_at, id) WHERE locked_by IS NULL`,
      `DROP INDEX inbox_by_visible`,
      `CREATE INDEX tasks_untaken ON tasks (id) WHERE locked_by IS NULL`,
    ],
    postgres: [], // folded into version 1 (see there)
  },
  {
    version: 3,
    name: 'inbox owned by the instance lease; ready_at claims; epochs; definitions',
    // Issue 9. (1) Messages lose their lock: the instance lease owns its whole inbox, so a takeover
    // whose window is smaller than the dead lease's can no longer strand rows (finding 1; rows a
    // v2 database stranded become claimable again here). (2) `ready_at` = when the row is next
    // claimable, kept by every write that touches its inbox or lock: claims, the idle probe and
    // nextWakeAt become range scans of (name,) ready_at, whose cost does not grow with messages of
    // leased instances or work for unserved names (finding 12). Instances: NULL with an empty
    // inbox, else MAX(lock_expires_at, MIN(inbox.visible_at)). Tasks: lock_expires_at while
    // leased, else visible_at. (3) lease_epoch fences commits; claim_last_id/claim_now record the
    // window a claim returned (what abandon(visibleAt) delays). (4) Definitions by hash, and the
    // definition each instance runs. (5) Messages copy out their execution id (dropWorkOf);
    // fire-and-forget tasks are marked `detached` (they survive their instance's end).
    // instances_by_lease (partial, locked rows only) serves releaseLeases; the tasks table holds
    // only queued work, so releaseLeases scans it rather than paying an index on every task lock.
    sqlite: [
      `ALTER TABLE instances ADD COLUMN ready_at INTEGER`,
      `ALTER TABLE instances ADD COLUMN lease_epoch INTEGER NOT NULL DEFAULT 0`,
      `ALTER TABLE instances ADD COLUMN claim_last_id INTEGER`,
      `ALTER TABLE instances ADD COLUMN claim_now INTEGER`,
      `ALTER TABLE instances ADD COLUMN definition_hash TEXT`,
      `ALTER TABLE instances ADD COLUMN definition_version TEXT`,
      `ALTER TABLE inbox ADD COLUMN execution_id TEXT`,
      `ALTER TABLE tasks ADD COLUMN ready_at INTEGER`,
      `ALTER TABLE tasks ADD COLUMN detached INTEGER NOT NULL DEFAULT 0`,
      `DROP INDEX inbox_untaken`,
      `ALTER TABLE inbox DROP COLUMN locked_by`,
      `CREATE INDEX inbox_by_instance_visible ON inbox (instance_id, visible_at)`,
      `UPDATE instances SET ready_at = (
         SELECT CASE WHEN instances.lock_expires_at IS NULL THEN MIN(m.visible_at) ELSE MAX(instances.lock_expires_at, MIN(m.visible_at)) END
         FROM inbox m WHERE m.instance_id = instances.instance_id)`,
      `UPDATE tasks SET ready_at = COALESCE(lock_expires_at, visible_at)`,
      `DROP INDEX instances_by_lock`,
      `DROP INDEX tasks_by_lock`,
      `DROP INDEX tasks_by_visible`,
      `DROP INDEX tasks_untaken`,
      `CREATE INDEX instances_by_ready ON instances (ready_at) WHERE ready_at IS NOT NULL`,
      `CREATE INDEX instances_by_name_ready ON instances (name, ready_at) WHERE ready_at IS NOT NULL`,
      `CREATE INDEX instances_by_lease ON instances (locked_by) WHERE locked_by IS NOT NULL`,
      `CREATE INDEX instances_by_definition ON instances (definition_hash, created_at, instance_id) WHERE definition_hash IS NOT NULL`,
      `CREATE INDEX tasks_by_ready ON tasks (ready_at, id)`,
      `CREATE INDEX tasks_by_name_ready ON tasks (name, ready_at, id)`,
      `CREATE TABLE definitions (
        hash          TEXT PRIMARY KEY,
        id            TEXT NOT NULL,
        version       TEXT,
        text          TEXT NOT NULL,
        source        TEXT NOT NULL,
        registered_at INTEGER NOT NULL
      )`,
      `CREATE INDEX definitions_by_id ON definitions (id, registered_at)`,
    ],
    postgres: [], // folded into version 1 (see there)
  },
  {
    // Host state several nodes share (specs/multi-node.md): CloudEvent de-duplication keys,
    // schedule ticks, and a counter that changes with the definitions table (kept by triggers,
    // so every writer of `definitions` bumps it without knowing about it).
    version: 4,
    name: 'event keys, schedule ticks, definitions counter',
    sqlite: [
      `CREATE TABLE event_keys (
        source     TEXT NOT NULL,
        id         TEXT NOT NULL,
        claimed_at INTEGER NOT NULL,
        outcome    TEXT,
        PRIMARY KEY (source, id)
      ) WITHOUT ROWID`,
      `CREATE INDEX event_keys_by_claimed ON event_keys (claimed_at)`,
      `CREATE TABLE schedule_ticks (
        schedule_id TEXT NOT NULL,
        due_at      INTEGER NOT NULL,
        recorded_at INTEGER NOT NULL,
        PRIMARY KEY (schedule_id, due_at)
      ) WITHOUT ROWID`,
      `CREATE INDEX schedule_ticks_by_due ON schedule_ticks (due_at)`,
      `CREATE TABLE swirl_counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID`,
      `INSERT INTO swirl_counters (name, value) VALUES ('definitions', 0)`,
      `CREATE TRIGGER definitions_inserted AFTER INSERT ON definitions BEGIN UPDATE swirl_counters SET value = value + 1 WHERE name = 'definitions'; END`,
      `CREATE TRIGGER definitions_deleted AFTER DELETE ON definitions BEGIN UPDATE swirl_counters SET value = value + 1 WHERE name = 'definitions'; END`,
    ],
    postgres: [
      // Event claim times are in the database clock's frame (they decide takeovers across nodes);
      // due_at is the schedule's own time, as the scheduler computed it.
      `CREATE TABLE event_keys (
        source     TEXT NOT NULL,
        id         TEXT NOT NULL,
        claimed_at BIGINT NOT NULL,
        outcome    TEXT,
        PRIMARY KEY (source, id)
      )`,
      `CREATE INDEX event_keys_by_claimed ON event_keys (claimed_at)`,
      `CREATE TABLE schedule_ticks (
        schedule_id TEXT NOT NULL,
        due_at      BIGINT NOT NULL,
        recorded_at BIGINT NOT NULL,
        PRIMARY KEY (schedule_id, due_at)
      )`,
      `CREATE INDEX schedule_ticks_by_due ON schedule_ticks (due_at)`,
      `CREATE TABLE swirl_counters (name TEXT PRIMARY KEY, value BIGINT NOT NULL)`,
      `INSERT INTO swirl_counters (name, value) VALUES ('definitions', 0)`,
      `CREATE FUNCTION bump_definitions_counter() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN UPDATE swirl_counters SET value = value + 1 WHERE name = 'definitions'; RETURN NULL; END $$`,
      `CREATE TRIGGER definitions_changed AFTER INSERT OR DELETE ON definitions FOR EACH ROW EXECUTE FUNCTION bump_definitions_counter()`,
    ],
  },
  {
    version: 5,
    name: 'wait keys of instances waiting on correlated events',
    // One row per (key, instance): the keys an instance's open event waits carry (the correlation
    // values it computed), written by its turns. The router looks events up by key; the second
    // index serves replacing and deleting an instance's keys.
    sqlite: [
      `CREATE TABLE wait_keys (
        wait_key    TEXT NOT NULL,
        instance_id TEXT NOT NULL,
        PRIMARY KEY (wait_key, instance_id)
      ) WITHOUT ROWID`,
      `CREATE INDEX wait_keys_by_instance ON wait_keys (instance_id)`,
    ],
    postgres: [
      `CREATE TABLE wait_keys (
        wait_key    TEXT NOT NULL,
        instance_id TEXT NOT NULL,
        PRIMARY KEY (wait_key, instance_id)
      )`,
      `CREATE INDEX wait_keys_by_instance ON wait_keys (instance_id)`,
    ],
  },
  {
    // The common turn commit as ONE statement (one round trip instead of ~9; bench/README.md
    // "PostgreSQL store"): a plpgsql function run in autocommit, so it is one transaction. Being
    // plpgsql, each statement inside takes a fresh snapshot AFTER the row locks are held — an
    // enqueue that committed while this turn waited for the lock is seen by the ready_at refresh
    // (a single CTE would read the inbox as it was before the lock). Failed checks raise SQLSTATEs
    // of class SW (postgres-turn-function.ts maps them to the store's errors); the whole statement
    // then rolls back. Turns with children, a history reset or dropped work take the
    // multi-statement path (postgres-turn.ts).
    version: 6,
    name: 'one-statement turn commit',
    sqlite: [],
    postgres: [
      `CREATE FUNCTION swirl_commit_turn(
         p_instance TEXT, p_lease TEXT, p_epoch BIGINT, p_first_seq INTEGER,
         p_done_ids BIGINT[], p_done_leases TEXT[],
         p_h_seq INTEGER[], p_h_type TEXT[], p_h_ts BIGINT[], p_h_data TEXT[],
         p_consumed BIGINT[],
         p_t_inst TEXT[], p_t_exec TEXT[], p_t_task INTEGER[], p_t_name TEXT[], p_t_vis BIGINT[], p_t_det BOOLEAN[], p_t_data TEXT[],
         p_m_inst TEXT[], p_m_exec TEXT[], p_m_vis BIGINT[], p_m_data TEXT[],
         p_state TEXT[], p_updated_at BIGINT, p_completed_at BIGINT, p_wait_keys TEXT[]
       ) RETURNS VOID LANGUAGE plpgsql AS $fn$
       DECLARE
         cur RECORD;
         n INTEGER;
       BEGIN
         -- Every instance the turn writes, locked in id order (the store's one lock order).
         PERFORM 1 FROM instances WHERE instance_id = ANY(array_append(p_m_inst, p_instance)) ORDER BY instance_id FOR UPDATE;
         SELECT locked_by, lease_epoch, history_length INTO cur FROM instances WHERE instance_id = p_instance;
         IF NOT FOUND OR cur.locked_by IS DISTINCT FROM p_lease THEN
           RAISE EXCEPTION 'lease lost' USING ERRCODE = 'SW001';
         END IF;
         IF p_epoch IS NOT NULL AND cur.lease_epoch <> p_epoch THEN
           RAISE EXCEPTION '%', cur.lease_epoch USING ERRCODE = 'SW002';
         END IF;
         IF cur.history_length <> p_first_seq THEN
           RAISE EXCEPTION '%', cur.history_length USING ERRCODE = 'SW003';
         END IF;
         IF cardinality(p_done_ids) > 0 THEN
           DELETE FROM tasks t USING unnest(p_done_ids, p_done_leases) AS d(id, lease) WHERE t.id = d.id AND t.locked_by = d.lease;
           GET DIAGNOSTICS n = ROW_COUNT;
           IF n < (SELECT COUNT(DISTINCT x) FROM unnest(p_done_ids) AS x) THEN
             RAISE EXCEPTION 'task lease lost' USING ERRCODE = 'SW004';
           END IF;
         END IF;
         IF cardinality(p_h_seq) > 0 THEN
           INSERT INTO history (instance_id, seq, type, timestamp, data)
             SELECT p_instance, s, t, ts, d FROM unnest(p_h_seq, p_h_type, p_h_ts, p_h_data) AS h(s, t, ts, d);
         END IF;
         IF cardinality(p_consumed) > 0 THEN
           DELETE FROM inbox WHERE instance_id = p_instance AND id = ANY(p_consumed);
         END IF;
         IF p_wait_keys IS NOT NULL THEN
           -- The turn changed the instance's open waits: its keys are replaced (migration 5).
           DELETE FROM wait_keys WHERE instance_id = p_instance;
           INSERT INTO wait_keys (wait_key, instance_id) SELECT DISTINCT k, p_instance FROM unnest(p_wait_keys) AS k;
         END IF;
         IF cardinality(p_t_inst) > 0 THEN
           INSERT INTO tasks (instance_id, execution_id, task_id, name, visible_at, ready_at, detached, data)
             SELECT i, e, k, nm, v, v, x, d FROM unnest(p_t_inst, p_t_exec, p_t_task, p_t_name, p_t_vis, p_t_det, p_t_data)
             WITH ORDINALITY AS t(i, e, k, nm, v, x, d, o) ORDER BY o;
         END IF;
         IF cardinality(p_m_inst) > 0 THEN
           -- Messages to instances that do not exist are dropped (as in postgres-turn.ts).
           INSERT INTO inbox (instance_id, execution_id, visible_at, data)
             SELECT i, e, v, d FROM unnest(p_m_inst, p_m_exec, p_m_vis, p_m_data) WITH ORDINALITY AS m(i, e, v, d, o)
             WHERE i = p_instance OR EXISTS (SELECT 1 FROM instances x WHERE x.instance_id = i) ORDER BY o;
           UPDATE instances SET ready_at = (
               SELECT CASE WHEN MIN(m.visible_at) IS NULL THEN NULL WHEN instances.lock_expires_at IS NULL THEN MIN(m.visible_at)
                           ELSE GREATEST(instances.lock_expires_at, MIN(m.visible_at)) END
               FROM inbox m WHERE m.instance_id = instances.instance_id)
             WHERE instance_id = ANY(p_m_inst) AND instance_id <> p_instance;
         END IF;
         UPDATE instances SET execution_id = p_state[1], name = p_state[2], status = p_state[3], definition_hash = p_state[4],
             definition_version = p_state[5], last_updated_at = p_updated_at, completed_at = p_completed_at, input = p_state[6],
             output = p_state[7], custom_status = p_state[8], failure = p_state[9],
             history_length = p_first_seq + COALESCE(cardinality(p_h_seq), 0),
             locked_by = NULL, lock_expires_at = NULL, claim_last_id = NULL, claim_now = NULL,
             ready_at = (SELECT MIN(m.visible_at) FROM inbox m WHERE m.instance_id = p_instance)
           WHERE instance_id = p_instance;
       END $fn$`,
    ],
  },
  {
    version: 7,
    name: 'fan-out bounds: instances created per root, terminating mark',
    // tree_size: instances created under the row while it is a root (TreeLimit in
    // store/types-requests.ts); terminating: a recursive terminate was delivered to it, so its
    // (and, for a root, its tree's) sub-orchestration starts are refused from then on.
    sqlite: [
      `ALTER TABLE instances ADD COLUMN tree_size INTEGER NOT NULL DEFAULT 0`,
      `ALTER TABLE instances ADD COLUMN terminating INTEGER NOT NULL DEFAULT 0`,
    ],
    postgres: [
      `ALTER TABLE instances ADD COLUMN tree_size integer NOT NULL DEFAULT 0`,
      `ALTER TABLE instances ADD COLUMN terminating boolean NOT NULL DEFAULT false`,
    ],
  },
  {
    // The one-statement turn commit also for final turns (dropPendingWork: the instance's inbox,
    // attached tasks and wait keys go), and group commit of turns (postgres-turn-batch.ts):
    // several commits in ONE statement, each in its own subtransaction. The SQL is in
    // postgres-turn-sql.ts. Version 6's function stays for nodes of the previous build.
    version: 8,
    name: 'final turns in one statement; group commit of turns',
    sqlite: [],
    postgres: [COMMIT_TURN_V8, TRY_COMMIT_TURN],
  },
  {
    // Issue 10's open bullets (specs/store-postgres.md): turns that keep the stored input/output
    // (after a claim that omitted them), and sticky claims — the node of a turn is recorded on
    // the instance (last_node) and on the tasks it creates (node), and claims take their own
    // node's work first, anyone's once it waited the stickiness window. The indexes serve the
    // "own work" probe; the "anyone's" probe keeps using the ready_at indexes. Version 8's
    // functions stay for nodes of the previous build. SQLite: nothing (one process).
    version: 9,
    name: 'claims without payloads on a cache hit; sticky claims',
    sqlite: [],
    postgres: [
      `ALTER TABLE instances ADD COLUMN last_node text`,
      `ALTER TABLE tasks ADD COLUMN node text`,
      // Not partial on the node: the "no node" probe (node IS NULL) is served by them too.
      `CREATE INDEX instances_by_node_ready ON instances (last_node, ready_at, instance_id) WHERE ready_at IS NOT NULL`,
      `CREATE INDEX tasks_by_node_ready ON tasks (node, ready_at, id)`,
      COMMIT_TURN_V9,
      TRY_COMMIT_TURN_V9,
    ],
  },
  {
    // Store feature turnShortcuts on PostgreSQL (specs/store-postgres.md, "Turn shortcuts"): the
    // turn commit inserts the tasks named by TurnCommit.taskLease already leased and returns
    // their ids, and commits a claim-free turn (TurnCommit.claimless) only if the instance is
    // unlocked, at its execution, with nothing visible in its inbox — postgres-turn-sql-v10.ts.
    // Version 9's functions stay for nodes of the previous build. SQLite: nothing.
    version: 10,
    name: 'turn shortcuts: pre-leased tasks, claim-free turns',
    sqlite: [],
    postgres: [COMMIT_TURN_V10, TRY_COMMIT_TURN_V10],
  },
  {
    // Group commit of turns as set-based statements (postgres-turn-sql-v11.ts): the whole batch
    // in one function call taking column arrays, ~12 statements per batch instead of a
    // subtransaction and ~8 statements per turn — PostgreSQL's CPU per step was the turn
    // function's (bench/README.md, PostgreSQL, 2026-12-07). Version 10's functions stay (single
    // turns, batches with two turns of one instance, nodes of the previous build). SQLite: nothing.
    // Free space on each page for HOT updates: rows inserted together (a batch of creates, of
    // messages) fill their pages, and a claim-free turn's update of an instance row, or a
    // claim's of an inbox row, changes no indexed column but stays HOT (no new entry in any of
    // the 10 / 3 indexes) only if the new version fits on the same page. New pages only.
    version: 11,
    name: 'set-based group commit of turns; free space for HOT updates',
    sqlite: [],
    postgres: [COMMIT_TURNS_V11, `ALTER TABLE instances SET (fillfactor = 80)`, `ALTER TABLE inbox SET (fillfactor = 80)`],
  },
  // Leased tasks out of the claim indexes, one inbox index fewer (migrations-postgres-v12.ts).
  MIGRATION_12,
];

/** The schema version this build of Swirl writes. */
export const LATEST_SCHEMA_VERSION: number = MIGRATIONS[MIGRATIONS.length - 1].version;

/**
 * The migrations to apply to a database at `currentVersion`, in order. Throws when the database is
 * newer than this build (the caller wraps it in its backend's error) or when the list itself is
 * not contiguous (a programming error caught by the first test run).
 */
export function pendingMigrations(currentVersion: number): Migration[] {
  MIGRATIONS.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`migration list is not contiguous at index ${i} (version ${m.version})`);
  });
  if (currentVersion > LATEST_SCHEMA_VERSION) {
    throw new RangeError(
      `database schema version ${currentVersion} is newer than this Swirl build supports (${LATEST_SCHEMA_VERSION}); ` +
        'upgrade Swirl, or open a copy of the database made before the upgrade',
    );
  }
  return MIGRATIONS.filter((m) => m.version > currentVersion);
}
