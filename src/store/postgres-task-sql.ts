/**
 * @module store/postgres-task-sql
 * The task queue statements that depend on how tasks are indexed (migration 12,
 * src/store/migrations-postgres-v12.ts): untaken tasks (`locked_by IS NULL`) are in the claim
 * indexes tasks_by_ready / tasks_by_name_ready / tasks_by_node_ready, leased ones only in
 * tasks_leased, whose `ready_at` is the lock expiry. Every probe names its side's predicate so the
 * planner can use the partial index; a claim probes both and takes the oldest ready overall.
 */

/** Untaken tasks of the served names ($4; NULL: any). */
const SERVED = '($4::text[] IS NULL OR t.name = ANY($4::text[]))';

/** One candidate probe of at most $2 rows, oldest ready first, rows others hold skipped. */
const probe = (where: string): string => `SELECT id, ready_at FROM tasks t WHERE ${where} AND ${SERVED} ORDER BY ready_at, id LIMIT $2 FOR UPDATE SKIP LOCKED`;

/**
 * The lease of the candidates `c`: $3 lease, $5 lock until. A claimed row leaves the untaken
 * indexes for tasks_leased (its new version: 3 index entries, not 5).
 */
const TASK_CLAIM = `UPDATE tasks SET locked_by = $3, lock_expires_at = $5, ready_at = $5, dequeue_count = tasks.dequeue_count + 1 FROM c WHERE tasks.id = c.id
               RETURNING tasks.id, tasks.instance_id, tasks.execution_id, tasks.task_id, tasks.name, tasks.visible_at, tasks.dequeue_count,
                         tasks.locked_by, tasks.detached, tasks.data, c.ready_at AS was_ready`;

/** The oldest $2 of the probes' rows (a row two probes locked comes once: UNION). */
const pick = (probes: string[]): string =>
  `${probes.map((p, i) => `p${i} AS (${p})`).join(',\n    ')},
    c AS (SELECT id, ready_at FROM (${probes.map((_, i) => `SELECT * FROM p${i}`).join(' UNION ')}) u ORDER BY ready_at, id LIMIT $2)`;

/** The task statements, merged into postgres-sql.ts's SQL by name. */
export const TASK_SQL = {
  /**
   * $1 now, $2 limit, $3 lease, $4 names, $5 lock until: untaken tasks ready now, and leased ones
   * whose lease expired (ready_at = the expiry), through their own indexes.
   */
  claimTasks: `WITH ${pick([probe('t.locked_by IS NULL AND t.ready_at <= $1'), probe('t.locked_by IS NOT NULL AND t.ready_at <= $1')])}
               ${TASK_CLAIM}`,
  /**
   * claimTasks with sticky candidates (specs/store-postgres.md "Sticky claims"): $6 this node, $7
   * now − the stickiness window. Untaken: this node's and no node's ready now (tasks_by_node_ready),
   * anyone's ready at $7 (tasks_by_ready / tasks_by_name_ready). Expired leases (tasks_leased,
   * a range of only the expired ones): the same rule applied as a filter.
   */
  claimTasksSticky: `WITH ${pick([
    probe('t.locked_by IS NULL AND t.node = $6 AND t.ready_at <= $1'),
    probe('t.locked_by IS NULL AND t.node IS NULL AND t.ready_at <= $1'),
    probe('t.locked_by IS NULL AND t.ready_at <= $7'),
    probe('t.locked_by IS NOT NULL AND t.ready_at <= $1 AND (t.node = $6 OR t.node IS NULL OR t.ready_at <= $7)'),
  ])}
               ${TASK_CLAIM}`,
  /** A closing node's tasks, no longer its own: untaken (tasks_by_node_ready) and leased (tasks_leased). */
  releaseNodeTasks: `UPDATE tasks SET node = NULL WHERE id IN (
                       SELECT id FROM tasks WHERE locked_by IS NULL AND node = $1
                       UNION ALL SELECT id FROM tasks WHERE locked_by IS NOT NULL AND node = $1)`,
  releaseTasks: `UPDATE tasks SET locked_by = NULL, lock_expires_at = NULL, ready_at = visible_at
                 WHERE locked_by IS NOT NULL AND left(locked_by, length($1)) = $1`,
  readyTasksByName: `SELECT name, COUNT(*)::int AS ready, MIN(ready_at) AS oldest FROM (
                       SELECT name, ready_at FROM tasks WHERE locked_by IS NULL AND ready_at <= $1
                       UNION ALL SELECT name, ready_at FROM tasks WHERE locked_by IS NOT NULL AND ready_at <= $1) t
                     GROUP BY name ORDER BY name`,
} as const;

/** When the next task becomes claimable after $1: the earliest of either side (NULL: none). */
export const NEXT_TASK_WAKE =
  'LEAST((SELECT MIN(ready_at) FROM tasks WHERE locked_by IS NULL AND ready_at > $1), (SELECT MIN(ready_at) FROM tasks WHERE locked_by IS NOT NULL AND ready_at > $1))';
