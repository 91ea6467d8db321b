/**
 * @module store/migrations-postgres-v12
 * Schema version 12 (PostgreSQL only): fewer index entries per workflow step. Leased tasks and
 * instances leave the three claim indexes for one index of their own, the inbox loses an index that two others
 * already cover, and its instance ids take the instances' collation so joins with them use its index (specs/store-postgres.md "Index entries per step (migration 12)").
 */

import type { Migration } from './migrations.js';

/**
 * Version 12. Measured before it (bench/README.md, h-pg4): ~21 index entries per workflow step,
 * 5 of them the tasks row's, which lives for one step and is mostly inserted already leased
 * (TurnCommit.taskLease) — a row no claim can take while its lease holds, yet entered in
 * tasks_by_ready, tasks_by_name_ready and tasks_by_node_ready.
 *
 * - The three task claim indexes become partial on untaken rows (`locked_by IS NULL`); leased
 *   rows are found by `tasks_leased (ready_at, id) WHERE locked_by IS NOT NULL` (a leased row's
 *   ready_at is its lock expiry, so `ready_at <= now` there is exactly "lease expired"). A
 *   pre-leased insert, a claim's and a renewal's new row version each write 3 index entries
 *   instead of 5. The claims probe both (src/store/postgres-task-sql.ts).
 * - The same for instances: a claim (and a create that claims its start) used to put the leased
 *   row in instances_by_ready, instances_by_name_ready and instances_by_node_ready (ready_at = the
 *   lock expiry) and in instances_by_lease (locked_by): 4 entries, one per workflow with the turn
 *   shortcuts. The three ready indexes become partial on unlocked rows, and instances_leased
 *   `(ready_at) WHERE locked_by IS NOT NULL` replaces instances_by_lease: 1 entry. It holds every
 *   leased row (releaseLeases scans it, as it scanned instances_by_lease), and its range `ready_at
 *   <= now` is exactly the leases that expired with work waiting (claims, the idle probe).
 * - `inbox.instance_id` takes the instances' collation ("C"). It had the database default, so the
 *   comparisons with `instances.instance_id` (C) were made under C, which the default-collation
 *   inbox indexes cannot serve: every `ready_at` refresh written as `m.instance_id =
 *   instances.instance_id` (claims, unlocks, renewals, enqueues to other instances, the set-based
 *   turn batch of migration 11 — once per turn) and the claims' inbox joins were sequential scans of
 *   the inbox (bench/pg-index-plans.ts: "Seq Scan on inbox m" on main). Comparisons with
 *   parameters take the column's collation, so those keep their index. No heap rewrite (text to
 *   text); the inbox indexes are rebuilt.
 * - `inbox_by_instance (instance_id, id)` goes: every statement that used it is served by the
 *   primary key (id = ANY, with the instance as a filter) or by `inbox_by_instance_visible
 *   (instance_id, visible_at)` (an instance's rows, its visible rows, MIN(visible_at)).
 *
 * DDL in the migration transaction (under the advisory lock): index builds lock the tasks and
 * inbox tables against writes while they run; both tables hold only queued work. Stop every node
 * of the previous build before the first node of this one opens the database: the collation
 * change re-types `inbox.instance_id`, and a previous-build connection that had prepared the
 * batched create (whose result is the inbox's `RETURNING instance_id`) gets PostgreSQL's "cached
 * plan must not change result type" for it until that node restarts (nothing is written, the
 * start fails); its task claims would also lack the untaken predicate and scan the tasks table.
 * SQLite: nothing.
 */
export const MIGRATION_12: Migration = {
  version: 12,
  name: 'leased tasks and instances out of the claim indexes; one inbox index fewer; inbox ids in the instances collation',
  sqlite: [],
  postgres: [
    // The three tables locked up front, instances first: the order a version-11 node's turn takes
    // them (commit_turns locks instance rows, then reaches tasks and the inbox). Dropping the task
    // indexes first would hold tasks while waiting for instances behind such a turn: a deadlock
    // that fails the opening node (test/store/postgres-upgrade-locks.test.ts).
    `LOCK TABLE instances, inbox, tasks IN ACCESS EXCLUSIVE MODE`,
    `DROP INDEX tasks_by_ready`,
    `DROP INDEX tasks_by_name_ready`,
    `DROP INDEX tasks_by_node_ready`,
    `CREATE INDEX tasks_by_ready ON tasks (ready_at, id) WHERE locked_by IS NULL`,
    `CREATE INDEX tasks_by_name_ready ON tasks (name, ready_at, id) WHERE locked_by IS NULL`,
    // Not partial on the node: the "no node" probe (node IS NULL) is served by it too (as in v9).
    `CREATE INDEX tasks_by_node_ready ON tasks (node, ready_at, id) WHERE locked_by IS NULL`,
    `CREATE INDEX tasks_leased ON tasks (ready_at, id) WHERE locked_by IS NOT NULL`,
    `DROP INDEX instances_by_ready`,
    `DROP INDEX instances_by_name_ready`,
    `DROP INDEX instances_by_node_ready`,
    `DROP INDEX instances_by_lease`,
    `CREATE INDEX instances_by_ready ON instances (ready_at) WHERE ready_at IS NOT NULL AND locked_by IS NULL`,
    `CREATE INDEX instances_by_name_ready ON instances (name, ready_at) WHERE ready_at IS NOT NULL AND locked_by IS NULL`,
    `CREATE INDEX instances_by_node_ready ON instances (last_node, ready_at, instance_id) WHERE ready_at IS NOT NULL AND locked_by IS NULL`,
    // Every leased row, also with an empty inbox (ready_at NULL: B-trees keep NULL keys, last):
    // releaseLeases scans it whole, claims take the range ready_at <= now (expired leases with work).
    `CREATE INDEX instances_leased ON instances (ready_at) WHERE locked_by IS NOT NULL`,
    `DROP INDEX inbox_by_instance`,
    `ALTER TABLE inbox ALTER COLUMN instance_id TYPE text COLLATE "C"`,
  ],
};
