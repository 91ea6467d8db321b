/**
 * @module store/postgres-sql
 * Every fixed SQL statement of the PostgreSQL store, run as named (server-side prepared)
 * statements: each connection parses and plans one once. Kept in one place so each can be checked
 * against the indexes of migrations.ts. Lock rule: a lock is unexpired while
 * `lock_expires_at > now`; `ready_at` = when the row is next claimable (NULL: never, empty inbox).
 */

import type pg from 'pg';
import { INSTANCE_COLUMNS } from './sqlite-rows.js';
import { NEXT_TASK_WAKE, TASK_SQL } from './postgres-task-sql.js';

/**
 * ready_at of instance row `instances` from its inbox, given the lock expiry `lock` it has (or
 * gets): NULL for an empty inbox, else the earliest visible-at, never before the lock expires.
 */
const ready = (lock: string): string =>
  `(SELECT CASE WHEN MIN(m.visible_at) IS NULL THEN NULL WHEN ${lock} IS NULL THEN MIN(m.visible_at) ELSE GREATEST(${lock}, MIN(m.visible_at)) END
    FROM inbox m WHERE m.instance_id = instances.instance_id)`;

/** When the next instance or task becomes claimable after $1 (NULL: nothing is scheduled). */
const NEXT_WAKE = `LEAST((SELECT MIN(ready_at) FROM instances WHERE locked_by IS NULL AND ready_at > $1), (SELECT MIN(ready_at) FROM instances WHERE locked_by IS NOT NULL AND ready_at > $1), ${NEXT_TASK_WAKE})`;

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
 * A claimed row whose execution and history length equal what the caller's cache holds (the
 * candidates' `exec` / `len`, NULL when not cached): its input and output are not sent back
 * (ClaimOrchestrationsRequest.cached).
 */
const OMIT = '(c.exec IS NOT NULL AND instances.execution_id = c.exec AND instances.history_length = c.len)';

/** The instance columns a claim returns: input and output NULL when {@link OMIT}. */
const RETURNED = COLUMNS.split(', ')
  .map((col) => (col === 'input' || col === 'output' ? `CASE WHEN ${OMIT} THEN NULL ELSE instances.${col} END AS ${col}` : `instances.${col}`))
  .join(', ');

/** The candidate filter on served names ($6; NULL: any). */
const SERVED = (t: string): string => `($6::text[] IS NULL OR ${t}.name = ANY($6::text[]))`;

/**
 * Candidate probes of the orchestration claims (migration 12): unlocked rows through the ready_at
 * indexes (partial on `locked_by IS NULL`), leased rows through instances_leased, whose range
 * `ready_at <= now` holds only rows whose lease expired with work in their inbox (a leased row's
 * ready_at is never before its lock expiry). Each probe `ORDER BY ready_at, instance_id LIMIT $2
 * FOR UPDATE SKIP LOCKED`; the oldest $2 of their rows are claimed (UNION: a row two probes
 * locked comes once; the rest are unlocked when the statement ends).
 */
function instanceCandidates(wheres: string[]): string {
  const probe = (where: string): string =>
    `SELECT instance_id, ready_at FROM instances t WHERE ${where} AND ${SERVED('t')} ORDER BY ready_at, instance_id LIMIT $2 FOR UPDATE SKIP LOCKED`;
  return `${wheres.map((w, i) => `s${i + 1} AS (${probe(w)})`).join(',\n    ')},
    c AS (SELECT instance_id, ready_at, NULL::text AS exec, NULL::int AS len FROM (${wheres.map((_, i) => `SELECT * FROM s${i + 1}`).join(' UNION ')}) u
          ORDER BY ready_at, instance_id LIMIT $2)`;
}

/**
 * Sticky candidates (specs/store-postgres.md "Sticky claims"), $7 this node, $8 now − the
 * stickiness window: this node's own unlocked rows and rows of no node, ready now ($1), through
 * the (last_node, ready_at) index; anyone's once ready at $8, through the ready_at index —
 * unfiltered by node, so the probe stops after $2 rows however large this node's own old backlog
 * is; expired leases with the same rule as a filter (a range of only the expired ones).
 */
const STICKY_INSTANCES = instanceCandidates([
  't.locked_by IS NULL AND t.last_node = $7 AND t.ready_at <= $1',
  't.locked_by IS NULL AND t.last_node IS NULL AND t.ready_at <= $1',
  't.locked_by IS NULL AND t.ready_at <= $8',
  't.locked_by IS NOT NULL AND t.ready_at <= $1 AND (t.last_node = $7 OR t.last_node IS NULL OR t.ready_at <= $8)',
]);

/** Unlocked rows ready at $1 and the rows whose lease expired with work waiting (either side's index). */
const READY_INSTANCES = '(SELECT instance_id, name, ready_at FROM instances WHERE locked_by IS NULL AND ready_at <= $1 UNION ALL SELECT instance_id, name, ready_at FROM instances WHERE locked_by IS NOT NULL AND ready_at <= $1)';

/**
 * The one-statement claim around a candidate query `candidates` (see SQL.claimReady); `lease` is
 * the lease each claimed row gets (`$4`, or a column of the candidates: claimListedMany).
 */
function claimStatement(candidates: string, lease = '$4'): string {
  // Sticky candidates come as CTEs ending in `c AS (…)`; a plain query becomes `c`.
  const c = candidates.startsWith('s1 AS') ? candidates : `c AS (${candidates})`;
  return `WITH ${c},
    m AS (UPDATE inbox SET dequeue_count = dequeue_count + 1 WHERE id IN (
            SELECT id FROM (SELECT i.id, row_number() OVER (PARTITION BY i.instance_id ORDER BY ${PINNED('i', 'x')} DESC, i.id) AS n
                            FROM inbox i JOIN c ON i.instance_id = c.instance_id JOIN instances x ON x.instance_id = i.instance_id
                            WHERE i.visible_at <= $1) w WHERE w.n <= $3)
          RETURNING id, instance_id, execution_id, visible_at, dequeue_count, data),
    l AS (UPDATE instances SET locked_by = ${lease}, lock_expires_at = $5, lease_epoch = lease_epoch + 1, claim_now = $1,
            claim_last_id = (SELECT MAX(m.id) FROM m WHERE m.instance_id = instances.instance_id),
            ready_at = ${ready('$5::bigint')}
          FROM c WHERE instances.instance_id = c.instance_id
          RETURNING ${RETURNED}, instances.lease_epoch, instances.locked_by AS lease, c.ready_at AS was_ready, ${OMIT} AS omitted)
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
  /** A create with its first turn (fusedStart): the new row, empty inbox, locked by the turn's lease until the turn's finishTurn. */
  lockCreated: 'UPDATE instances SET locked_by = $2, ready_at = NULL WHERE instance_id = $1',
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
  /** Several createNew as column arrays ($1 … $11: its parameters), rows inserted in id order; the ids inserted (postgres-create-batch.ts). */
  createMany: `WITH r AS (SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::text[], $7::text[], $8::text[], $9::text[], $10::bigint[], $11::text[])
                 WITH ORDINALITY AS r(id, exec, name, created, sched, input, parent, hash, ver, visible, data, o)),
       i AS (INSERT INTO instances (instance_id, execution_id, name, status, created_at, last_updated_at, scheduled_start_at, input,
               parent_instance_id, history_length, definition_hash, definition_version, lease_epoch, ready_at)
             SELECT id, exec, name, 'PENDING', created, created, sched, input, parent, 0, hash, ver, 0, visible FROM r ORDER BY id
             ON CONFLICT (instance_id) DO NOTHING RETURNING instance_id),
       m AS (INSERT INTO inbox (instance_id, execution_id, visible_at, data)
             SELECT r.id, NULL, r.visible, r.data FROM r JOIN i ON i.instance_id = r.id ORDER BY r.o RETURNING instance_id)
  SELECT instance_id FROM m`,
  /**
   * createNew claimed at once (feature turnShortcuts): $12 lease, $13 lock until, $14 now. The
   * start's inbox id is drawn first, so the row records it as its claim's window (claim_last_id).
   */
  createNewClaimed: `WITH s AS (SELECT nextval(pg_get_serial_sequence('inbox', 'id')) AS id),
              i AS (INSERT INTO instances (instance_id, execution_id, name, status, created_at, last_updated_at, scheduled_start_at, input,
                parent_instance_id, history_length, definition_hash, definition_version, lease_epoch, ready_at,
                locked_by, lock_expires_at, claim_now, claim_last_id)
              VALUES ($1, $2, $3, 'PENDING', $4, $4, $5, $6, $7, 0, $8, $9, 1, GREATEST($13::bigint, $10::bigint), $12, $13, $14, (SELECT id FROM s))
              ON CONFLICT (instance_id) DO NOTHING RETURNING ${COLUMNS}, lease_epoch),
              m AS (INSERT INTO inbox (id, instance_id, execution_id, visible_at, dequeue_count, data)
                SELECT s.id, i.instance_id, NULL, $10, 1, $11 FROM i, s RETURNING id)
              SELECT i.*, m.id AS m_id FROM i, m`,
  getInstance: `SELECT ${COLUMNS} FROM instances WHERE instance_id = $1`,
  /** Several getInstance reads in one statement (postgres-read-batch.ts). */
  getInstances: `SELECT ${COLUMNS} FROM instances WHERE instance_id = ANY($1::text[])`,
  deleteInstance: 'DELETE FROM instances WHERE instance_id = $1 RETURNING lease_epoch',
  /** The tree columns of locked rows (TreeLimit, migration 7). */
  treeOf: 'SELECT instance_id, tree_size, terminating FROM instances WHERE instance_id = ANY($1::text[])',
  markTerminating: 'UPDATE instances SET terminating = true WHERE instance_id = ANY($1::text[]) AND NOT terminating',
  addTreeSize: 'UPDATE instances SET tree_size = tree_size + $2 WHERE instance_id = $1',
  resetTreeSize: 'UPDATE instances SET tree_size = 0 WHERE instance_id = $1',
  /** Recomputes ready_at of an instance after its inbox changed (lock kept). */
  refreshReady: `UPDATE instances SET ready_at = ${ready('instances.lock_expires_at')} WHERE instance_id = $1`,
  /**
   * The idle probe: is an instance of the served names ($2) ready at $1? When none is, also the
   * next wake (`t`, as {@link SQL.nextWake}), which the claim loop asks for next (one round trip
   * instead of two; CASE runs the MIN subqueries only then).
   */
  anyReadyInstance: `SELECT p.found, CASE WHEN p.found THEN NULL ELSE ${NEXT_WAKE} END AS t
    FROM (SELECT EXISTS (SELECT 1 FROM instances WHERE locked_by IS NULL AND ready_at <= $1 AND ($2::text[] IS NULL OR name = ANY($2::text[])))
              OR EXISTS (SELECT 1 FROM instances WHERE locked_by IS NOT NULL AND ready_at <= $1 AND ($2::text[] IS NULL OR name = ANY($2::text[]))) AS found) p`,
  /**
   * The whole orchestration claim in ONE statement (autocommit: one round trip): candidates
   * (SKIP LOCKED), their first $3 visible messages counted as delivered, and the lease. Messages
   * come back as arrays per instance. $1 now, $2 limit, $3 max messages, $4 lease, $5 lock until,
   * $6 names (NULL: any); the listed form takes $7 instance ids.
   */
  claimReady: claimStatement(instanceCandidates(['t.locked_by IS NULL AND t.ready_at <= $1', 't.locked_by IS NOT NULL AND t.ready_at <= $1'])),
  /** claimReady with sticky candidates: $7 this node, $8 now − the stickiness window (migration 9). */
  claimReadySticky: claimStatement(STICKY_INSTANCES),
  /** $8 / $9 / $10: what the caller's cache holds (instance ids, execution ids, history lengths). */
  claimListed: claimStatement(`SELECT x.instance_id, x.ready_at, q.exec, q.len FROM instances x
                               LEFT JOIN unnest($8::text[], $9::text[], $10::int[]) AS q(id, exec, len) ON q.id = x.instance_id
                               WHERE x.instance_id = ANY($7::text[]) AND (x.locked_by IS NULL OR x.lock_expires_at <= $1)
                               AND ($6::text[] IS NULL OR x.name = ANY($6::text[])) ORDER BY x.instance_id LIMIT $2 FOR UPDATE OF x SKIP LOCKED`),
  /**
   * Several single-instance claims at once (concurrent inline claims, postgres-claim-batch.ts):
   * instance $7[k] under lease $4[k], cached at execution $8[k] and history length $9[k] (NULL:
   * not cached); the rest as claimListed.
   */
  claimListedMany: claimStatement(
    `SELECT x.instance_id, x.ready_at, q.lease, q.exec, q.len FROM instances x
     JOIN unnest($7::text[], $4::text[], $8::text[], $9::int[]) AS q(id, lease, exec, len) ON x.instance_id = q.id
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
  /**
   * The end of a turn: state rewritten (input / output kept when $14 / $15: TurnCommit.keepInput /
   * keepOutput), the committing node recorded ($16), lock released, ready_at from the inbox the turn left.
   */
  finishTurn: `UPDATE instances SET execution_id = $2, name = $3, status = $4, definition_hash = $5, definition_version = $6, last_updated_at = $7,
                 completed_at = $8, input = CASE WHEN $14 THEN input ELSE $9 END, output = CASE WHEN $15 THEN output ELSE $10 END,
                 custom_status = $11, failure = $12, history_length = $13, last_node = $16,
                 locked_by = NULL, lock_expires_at = NULL, claim_last_id = NULL, claim_now = NULL, ready_at = ${ready('NULL::bigint')}
               WHERE instance_id = $1`,
  /** The common turn commit in one statement (migration 10, postgres-turn-function.ts): the ids of the tasks it leased. */
  commitTurn: `SELECT swirl_commit_turn_v10(${Array.from({ length: 32 }, (_, i) => `$${i + 1}`).join(', ')}) AS ids`,
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
  /** A turn's tasks; those flagged in $9 leased to $10 until $11 (TurnCommit.taskLease): their ids in insertion order. */
  insertTasks: `WITH ins AS (INSERT INTO tasks (instance_id, execution_id, task_id, name, visible_at, ready_at, detached, data, node, locked_by, lock_expires_at, dequeue_count)
                SELECT i, e, k, n, v, CASE WHEN l THEN $11::bigint ELSE v END, x, d, $8, CASE WHEN l THEN $10::text END, CASE WHEN l THEN $11::bigint END, CASE WHEN l THEN 1 ELSE 0 END
                FROM unnest($1::text[], $2::text[], $3::int[], $4::text[], $5::bigint[], $6::boolean[], $7::text[], $9::boolean[])
                WITH ORDINALITY AS t(i, e, k, n, v, x, d, l, o) WHERE i IS NOT NULL ORDER BY o RETURNING id, locked_by)
                SELECT id FROM ins WHERE locked_by IS NOT NULL ORDER BY id`,
  /** What a claim-free turn requires (TurnCommit.claimless), of a row the transaction has locked. */
  claimFreeCheck: `SELECT (locked_by IS NULL AND execution_id = $2 AND (ready_at IS NULL OR ready_at > $3)) AS ok FROM instances WHERE instance_id = $1`,
  /** A closing node's queued work, no longer its own (sticky claims): unlocked rows (instances_by_node_ready) and leased ones (instances_leased). */
  releaseNodeInstances: `UPDATE instances SET last_node = NULL WHERE instance_id IN (
                           SELECT instance_id FROM instances WHERE locked_by IS NULL AND last_node = $1 AND ready_at IS NOT NULL
                           UNION ALL SELECT instance_id FROM instances WHERE locked_by IS NOT NULL AND last_node = $1 AND ready_at IS NOT NULL)`,
  deleteLockedTasksReturning: 'DELETE FROM tasks t USING unnest($1::bigint[], $2::text[]) AS d(id, lease) WHERE t.id = d.id AND t.locked_by = d.lease RETURNING t.id, d.lease',
  /** Several held tasks at once (a turn's completedTasks): the caller compares the count. */
  deleteLockedTasks: 'DELETE FROM tasks t USING unnest($1::bigint[], $2::text[]) AS d(id, lease) WHERE t.id = d.id AND t.locked_by = d.lease',
  unlockTask: `UPDATE tasks SET locked_by = NULL, lock_expires_at = NULL, visible_at = COALESCE($3, visible_at), ready_at = COALESCE($3, visible_at)
               WHERE id = $1 AND locked_by = $2`,
  renewTask: 'UPDATE tasks SET lock_expires_at = $3, ready_at = $3 WHERE id = $1 AND locked_by = $2',
  deleteTasks: 'DELETE FROM tasks WHERE instance_id = $1',
  deleteAttachedTasks: 'DELETE FROM tasks WHERE instance_id = $1 AND NOT detached',
  deleteTasksOf: 'DELETE FROM tasks WHERE instance_id = $1 AND execution_id = $2 AND NOT detached',
  // ── wake-ups and inspection ──
  nextWake: `SELECT ${NEXT_WAKE} AS t`,
  inboxSummary: 'SELECT COUNT(*)::int AS n, MIN(visible_at) FILTER (WHERE visible_at > $2) AS next FROM inbox WHERE instance_id = $1',
  instanceTasks: 'SELECT task_id, name, visible_at, locked_by, lock_expires_at, dequeue_count FROM tasks WHERE instance_id = $1 ORDER BY id',
  readyInstancesByName: `SELECT name, COUNT(*)::int AS ready, MIN(ready_at) AS oldest FROM ${READY_INSTANCES} r GROUP BY name ORDER BY name`,
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
  // ── the task queue's claims and scans (migration 12: untaken and leased rows indexed apart) ──
  ...TASK_SQL,
} as const;

/** A statement name. */
export type SqlName = keyof typeof SQL;

/**
 * Statements this process sent through {@link run} plus BEGIN/COMMIT of store transactions: the
 * round trips to PostgreSQL, for benchmarks (process-wide: every store of the process adds here).
 */
export const roundTrips: { count: number; byName: Record<string, number>; emptyByName: Record<string, number>; countEmpty: boolean } = {
  count: 0,
  byName: {},
  emptyByName: {},
  /** Also count results that found nothing in `emptyByName` (a benchmark turns it on: it reads every result). */
  countEmpty: false,
};

/** True for a result that found nothing: no rows, or one row of only NULL / false values (a probe). */
function foundNothing(r: pg.QueryResult): boolean {
  if (r.rows.length === 0) return r.rowCount === 0 || r.rowCount === null;
  if (r.rows.length > 1) return false;
  if ((r.rows[0] as { found?: unknown }).found === false) return true;
  for (const v of Object.values(r.rows[0] as Record<string, unknown>)) if (v !== null && v !== false) return false;
  return true;
}

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
  const query = db.query<R>({ name, text: SQL[name], values });
  if (!roundTrips.countEmpty) return query;
  return query.then((r) => {
    if (foundNothing(r)) roundTrips.emptyByName[name] = (roundTrips.emptyByName[name] ?? 0) + 1;
    return r;
  });
}
