/**
 * @module store/postgres-sql
 * Every fixed SQL statement of the PostgreSQL store, run as named (server-side prepared)
 * statements: each connection parses and plans one once. Kept in one place so each can be checked
 * against the indexes of migrations.ts. Lock rule: a lock is unexpired while
 * `lock_expires_at > now`; `ready_at` = when the row is next claimable (NULL: never, empty inbox).
 */

import type pg from 'pg';
import { INSTANCE_COLUMNS } from './sqlite-rows.js';

/**
 * ready_at of instance row `instances` from its inbox, given the lock expiry `lock` it has (or
 * gets): NULL for an empty inbox, else the earliest visible-at, never before the lock expires.
 */
const ready = (lock: string): string =>
  `(SELECT CASE WHEN MIN(m.visible_at) IS NULL THEN NULL WHEN ${lock} IS NULL THEN MIN(m.visible_at) ELSE GREATEST(${lock}, MIN(m.visible_at)) END
    FROM inbox m WHERE m.instance_id = instances.instance_id)`;

/** Instance columns as returned to the engine, prefixed for joins. */
const COLUMNS = INSTANCE_COLUMNS;

/**
 * True for a message pinned to the instance's execution while that execution has not started
 * (history_length 0, after continue-as-new): its start. A claim takes and returns those first,
 * however many instance-level messages precede them (Store contract).
 */
const PINNED = (message: string, instance: string): string =>
  `(${instance}.history_length = 0 AND ${message}.execution_id IS NOT NULL AND ${message}.execution_id = ${instance}.execution_id)`;

/**
 * The one-statement claim around a candidate query `candidates` (see SQL.claimReady); `lease` is
 * the lease each claimed row gets (`$4`, or a column of the candidates: claimListedMany).
 */
function claimStatement(candidates: string, lease = '$4'): string {
  return `WITH c AS (${candidates}),
    m AS (UPDATE inbox SET dequeue_count = dequeue_count + 1 WHERE id IN (
            SELECT id FROM (SELECT i.id, row_number() OVER (PARTITION BY i.instance_id ORDER BY ${PINNED('i', 'x')} DESC, i.id) AS n
                            FROM inbox i JOIN c ON i.instance_id = c.instance_id JOIN instances x ON x.instance_id = i.instance_id
                            WHERE i.visible_at <= $1) w WHERE w.n <= $3)
          RETURNING id, instance_id, execution_id, visible_at, dequeue_count, data),
    l AS (UPDATE instances SET locked_by = ${lease}, lock_expires_at = $5, lease_epoch = lease_epoch + 1, claim_now = $1,
            claim_last_id = (SELECT MAX(m.id) FROM m WHERE m.instance_id = instances.instance_id),
            ready_at = ${ready('$5::bigint')}
          FROM c WHERE instances.instance_id = c.instance_id
          RETURNING ${COLUMNS.split(', ').map((col) => `instances.${col}`).join(', ')}, instances.lease_epoch, instances.locked_by AS lease, c.ready_at AS was_ready)
    SELECT l.*, (SELECT array_agg(m.id ORDER BY ${PINNED('m', 'l')} DESC, m.id) FROM m WHERE m.instance_id = l.instance_id) AS m_id,
                (SELECT array_agg(m.visible_at ORDER BY ${PINNED('m', 'l')} DESC, m.id) FROM m WHERE m.instance_id = l.instance_id) AS m_visible,
                (SELECT array_agg(m.dequeue_count ORDER BY ${PINNED('m', 'l')} DESC, m.id) FROM m WHERE m.instance_id = l.instance_id) AS m_count,
                (SELECT array_agg(m.data ORDER BY ${PINNED('m', 'l')} DESC, m.id) FROM m WHERE m.instance_id = l.instance_id) AS m_data
    FROM l`;
}

/** The statements, by name (the name is the prepared statement's name). */
export const SQL = {
  // ── instances ──
  /** Locks the listed instances in id order (the fixed lock order of every multi-instance write). */
  lockInstances: `SELECT instance_id, locked_by, lease_epoch, history_length, status FROM instances
                  WHERE instance_id = ANY($1::text[]) ORDER BY instance_id FOR UPDATE`,
  insertInstance: `INSERT INTO instances (instance_id, execution_id, name, status, created_at, last_updated_at, scheduled_start_at, input,
                     parent_instance_id, history_length, definition_hash, definition_version, lease_epoch, ready_at)
                   VALUES ($1, $2, $3, 'PENDING', $4, $4, $5, $6, $7, 0, $8, $9, $10, $11)
                   ON CONFLICT (instance_id) DO NOTHING RETURNING 1 AS inserted`,
  /**
   * A create of a new id in ONE statement (autocommit): the row and its start message; no row
   * back when the id exists (the caller then applies the reuse policy in a transaction). $10
   * visible-at of the start message, $11 its data.
   */
  createNew: `WITH i AS (INSERT INTO instances (instance_id, execution_id, name, status, created_at, last_updated_at, scheduled_start_at, input,
                parent_instance_id, history_length, definition_hash, definition_version, lease_epoch, ready_at)
              VALUES ($1, $2, $3, 'PENDING', $4, $4, $5, $6, $7, 0, $8, $9, 0, $10)
              ON CONFLICT (instance_id) DO NOTHING RETURNING instance_id)
              INSERT INTO inbox (instance_id, execution_id, visible_at, data) SELECT instance_id, NULL, $10, $11 FROM i RETURNING 1 AS inserted`,
  getInstance: `SELECT ${COLUMNS} FROM instances WHERE instance_id = $1`,
  deleteInstance: 'DELETE FROM instances WHERE instance_id = $1 RETURNING lease_epoch',
  /** The tree columns of locked rows (TreeLimit, migration 7). */
  treeOf: 'SELECT instance_id, tree_size, terminating FROM instances WHERE instance_id = ANY($1::text[])',
  markTerminating: 'UPDATE instances SET terminating = true WHERE instance_id = ANY($1::text[]) AND NOT terminating',
  addTreeSize: 'UPDATE instances SET tree_size = tree_size + $2 WHERE instance_id = $1',
  resetTreeSize: 'UPDATE instances SET tree_size = 0 WHERE instance_id = $1',
  /** Recomputes ready_at of an instance after its inbox changed (lock kept). */
  refreshReady: `UPDATE instances SET ready_at = ${ready('instances.lock_expires_at')} WHERE instance_id = $1`,
  anyReadyInstance: 'SELECT EXISTS (SELECT 1 FROM instances WHERE ready_at <= $1 AND ($2::text[] IS NULL OR name = ANY($2::text[]))) AS found',
  /**
   * The whole orchestration claim in ONE statement (autocommit: one round trip): candidates
   * (SKIP LOCKED), their first $3 visible messages counted as delivered, and the lease. Messages
   * come back as arrays per instance. $1 now, $2 limit, $3 max messages, $4 lease, $5 lock until,
   * $6 names (NULL: any); the listed form takes $7 instance ids.
   */
  claimReady: claimStatement(`SELECT instance_id, ready_at FROM instances WHERE ready_at <= $1 AND ($6::text[] IS NULL OR name = ANY($6::text[]))
                              ORDER BY ready_at, instance_id LIMIT $2 FOR UPDATE SKIP LOCKED`),
  claimListed: claimStatement(`SELECT instance_id, ready_at FROM instances WHERE instance_id = ANY($7::text[]) AND (locked_by IS NULL OR lock_expires_at <= $1)
                               AND ($6::text[] IS NULL OR name = ANY($6::text[])) ORDER BY instance_id LIMIT $2 FOR UPDATE SKIP LOCKED`),
  /**
   * Several single-instance claims at once (concurrent inline claims, postgres-claim-batch.ts):
   * instance $7[k] under lease $4[k]; the rest as claimListed.
   */
  claimListedMany: claimStatement(
    `SELECT x.instance_id, x.ready_at, q.lease FROM instances x JOIN unnest($7::text[], $4::text[]) AS q(id, lease) ON x.instance_id = q.id
     WHERE (x.locked_by IS NULL OR x.lock_expires_at <= $1) AND ($6::text[] IS NULL OR x.name = ANY($6::text[]))
     ORDER BY x.instance_id LIMIT $2 FOR UPDATE OF x SKIP LOCKED`,
    'c.lease',
  ),
  claimWindow: 'SELECT claim_last_id, claim_now FROM instances WHERE instance_id = $1 AND locked_by = $2 FOR UPDATE',
  delayWindow: 'UPDATE inbox SET visible_at = $2 WHERE instance_id = $1 AND id <= $3 AND visible_at <= $4',
  unlockInstance: `UPDATE instances SET locked_by = NULL, lock_expires_at = NULL, claim_last_id = NULL, claim_now = NULL, ready_at = ${ready('NULL::bigint')}
                   WHERE instance_id = $1 AND locked_by = $2`,
  renewInstance: `UPDATE instances SET lock_expires_at = $3, ready_at = ${ready('$3::bigint')} WHERE instance_id = $1 AND locked_by = $2`,
  releaseInstances: `UPDATE instances SET locked_by = NULL, lock_expires_at = NULL, claim_last_id = NULL, claim_now = NULL, ready_at = ${ready('NULL::bigint')}
                     WHERE locked_by IS NOT NULL AND left(locked_by, length($1)) = $1`,
  /** The end of a turn: state rewritten, lock released, ready_at from the inbox the turn left. */
  finishTurn: `UPDATE instances SET execution_id = $2, name = $3, status = $4, definition_hash = $5, definition_version = $6, last_updated_at = $7,
                 completed_at = $8, input = $9, output = $10, custom_status = $11, failure = $12, history_length = $13,
                 locked_by = NULL, lock_expires_at = NULL, claim_last_id = NULL, claim_now = NULL, ready_at = ${ready('NULL::bigint')}
               WHERE instance_id = $1`,
  /** The common turn commit in one statement (migration 8, postgres-turn-function.ts). */
  commitTurn: `SELECT swirl_commit_turn_v8($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27)`,
  // ── history ──
  insertHistory: `INSERT INTO history (instance_id, seq, type, timestamp, data)
                  SELECT $1, s, t, ts, d FROM unnest($2::int[], $3::text[], $4::bigint[], $5::text[]) AS h(s, t, ts, d)`,
  loadHistory: 'SELECT seq, type, timestamp, data FROM history WHERE instance_id = $1 AND seq >= $2 ORDER BY seq',
  deleteHistory: 'DELETE FROM history WHERE instance_id = $1',
  // ── inbox ──
  insertMessages: `INSERT INTO inbox (instance_id, execution_id, visible_at, data)
                   SELECT i, e, v, d FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[]) WITH ORDINALITY AS m(i, e, v, d, o) ORDER BY o`,
  deleteMessages: 'DELETE FROM inbox WHERE instance_id = $1 AND id = ANY($2::bigint[])',
  deleteInbox: 'DELETE FROM inbox WHERE instance_id = $1',
  deleteInboxOf: 'DELETE FROM inbox WHERE instance_id = $1 AND execution_id = $2',
  // ── tasks ──
  insertTasks: `INSERT INTO tasks (instance_id, execution_id, task_id, name, visible_at, ready_at, detached, data)
                SELECT i, e, k, n, v, v, x, d FROM unnest($1::text[], $2::text[], $3::int[], $4::text[], $5::bigint[], $6::boolean[], $7::text[])
                WITH ORDINALITY AS t(i, e, k, n, v, x, d, o) ORDER BY o`,
  claimTasks: `WITH c AS (SELECT id, ready_at FROM tasks WHERE ready_at <= $1 AND ($4::text[] IS NULL OR name = ANY($4::text[]))
                          ORDER BY ready_at, id LIMIT $2 FOR UPDATE SKIP LOCKED)
               UPDATE tasks SET locked_by = $3, lock_expires_at = $5, ready_at = $5, dequeue_count = tasks.dequeue_count + 1 FROM c WHERE tasks.id = c.id
               RETURNING tasks.id, tasks.instance_id, tasks.execution_id, tasks.task_id, tasks.name, tasks.visible_at, tasks.dequeue_count,
                         tasks.locked_by, tasks.detached, tasks.data, c.ready_at AS was_ready`,
  deleteLockedTasksReturning: 'DELETE FROM tasks t USING unnest($1::bigint[], $2::text[]) AS d(id, lease) WHERE t.id = d.id AND t.locked_by = d.lease RETURNING t.id, d.lease',
  /** Several held tasks at once (a turn's completedTasks): the caller compares the count. */
  deleteLockedTasks: 'DELETE FROM tasks t USING unnest($1::bigint[], $2::text[]) AS d(id, lease) WHERE t.id = d.id AND t.locked_by = d.lease',
  unlockTask: `UPDATE tasks SET locked_by = NULL, lock_expires_at = NULL, visible_at = COALESCE($3, visible_at), ready_at = COALESCE($3, visible_at)
               WHERE id = $1 AND locked_by = $2`,
  renewTask: 'UPDATE tasks SET lock_expires_at = $3, ready_at = $3 WHERE id = $1 AND locked_by = $2',
  releaseTasks: `UPDATE tasks SET locked_by = NULL, lock_expires_at = NULL, ready_at = visible_at
                 WHERE locked_by IS NOT NULL AND left(locked_by, length($1)) = $1`,
  deleteTasks: 'DELETE FROM tasks WHERE instance_id = $1',
  deleteAttachedTasks: 'DELETE FROM tasks WHERE instance_id = $1 AND NOT detached',
  deleteTasksOf: 'DELETE FROM tasks WHERE instance_id = $1 AND execution_id = $2 AND NOT detached',
  // ── wake-ups and inspection ──
  nextWake: `SELECT LEAST((SELECT MIN(ready_at) FROM instances WHERE ready_at > $1), (SELECT MIN(ready_at) FROM tasks WHERE ready_at > $1)) AS t`,
  inboxSummary: 'SELECT COUNT(*)::int AS n, MIN(visible_at) FILTER (WHERE visible_at > $2) AS next FROM inbox WHERE instance_id = $1',
  instanceTasks: 'SELECT task_id, name, visible_at, locked_by, lock_expires_at, dequeue_count FROM tasks WHERE instance_id = $1 ORDER BY id',
  readyInstancesByName: 'SELECT name, COUNT(*)::int AS ready, MIN(ready_at) AS oldest FROM instances WHERE ready_at <= $1 GROUP BY name ORDER BY name',
  readyTasksByName: 'SELECT name, COUNT(*)::int AS ready, MIN(ready_at) AS oldest FROM tasks WHERE ready_at <= $1 GROUP BY name ORDER BY name',
  // ── definitions ──
  putDefinition: `INSERT INTO definitions (hash, id, version, text, source, registered_at) VALUES ($1, $2, $3, $4, $5, $6)
                  ON CONFLICT (hash) DO UPDATE SET registered_at = GREATEST(definitions.registered_at, EXCLUDED.registered_at)`,
  getDefinition: 'SELECT hash, id, version, text, source, registered_at FROM definitions WHERE hash = $1',
  listDefinitions: `SELECT hash, id, version, text, source, registered_at FROM definitions WHERE ($1::text IS NULL OR id = $1)
                    ORDER BY registered_at, registration`,
  deleteUnusedDefinition: `DELETE FROM definitions WHERE hash = $1 AND ($2::bigint IS NULL OR registered_at < $2) AND NOT EXISTS (
                             SELECT 1 FROM instances WHERE definition_hash = $1 AND status NOT IN ('COMPLETED', 'FAILED', 'TERMINATED'))`,
  // ── host state shared by the nodes (migration 4; specs/multi-node.md) ──
  // One statement: insert, or take over a stale unfinished claim; a row comes back only when this
  // call now holds the claim. Concurrent calls for one key serialise on its primary key.
  claimEvent: `INSERT INTO event_keys (source, id, claimed_at) VALUES ($1, $2, $3)
               ON CONFLICT (source, id) DO UPDATE SET claimed_at = EXCLUDED.claimed_at
                 WHERE event_keys.outcome IS NULL AND event_keys.claimed_at < $4
               RETURNING claimed_at`,
  readEvent: 'SELECT claimed_at, outcome FROM event_keys WHERE source = $1 AND id = $2',
  finishEvent: 'UPDATE event_keys SET outcome = $3 WHERE source = $1 AND id = $2',
  forgetEvent: 'DELETE FROM event_keys WHERE source = $1 AND id = $2 AND outcome IS NULL',
  pruneEvents: 'DELETE FROM event_keys WHERE claimed_at < $1',
  recordScheduleTick: 'INSERT INTO schedule_ticks (schedule_id, due_at, recorded_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
  lastScheduleTick: 'SELECT MAX(due_at) AS due FROM schedule_ticks WHERE schedule_id = $1',
  pruneScheduleTicks: `DELETE FROM schedule_ticks s WHERE s.due_at < $1
                         AND s.due_at < (SELECT MAX(t.due_at) FROM schedule_ticks t WHERE t.schedule_id = s.schedule_id)`,
  definitionsStamp: "SELECT value FROM swirl_counters WHERE name = 'definitions'",
  // ── wait keys of instances waiting on correlated events (migration 5) ──
  deleteWaitKeys: 'DELETE FROM wait_keys WHERE instance_id = $1',
  insertWaitKeys: 'INSERT INTO wait_keys (wait_key, instance_id) SELECT DISTINCT k, $1 FROM unnest($2::text[]) AS k',
  findWaitKey: 'SELECT instance_id FROM wait_keys WHERE wait_key = $1 ORDER BY instance_id LIMIT $2',
} as const;

/** A statement name. */
export type SqlName = keyof typeof SQL;

/**
 * Statements this process sent through {@link run} plus BEGIN/COMMIT of store transactions: the
 * round trips to PostgreSQL, for benchmarks (process-wide: every store of the process adds here).
 */
export const roundTrips: { count: number; byName: Record<string, number> } = { count: 0, byName: {} };

/** Counts one round trip of statement `name` (see {@link roundTrips}). */
export function countTrip(name: string, n = 1): void {
  roundTrips.count += n;
  roundTrips.byName[name] = (roundTrips.byName[name] ?? 0) + n;
}

/** Runs the named statement with `values` (prepared once per connection by its name). */
export function run<R extends pg.QueryResultRow = pg.QueryResultRow>(
  db: pg.Pool | pg.PoolClient,
  name: SqlName,
  values: unknown[],
): Promise<pg.QueryResult<R>> {
  countTrip(name);
  return db.query<R>({ name, text: SQL[name], values });
}
