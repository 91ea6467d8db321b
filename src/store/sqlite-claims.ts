/**
 * @module store/sqlite-claims
 * Orchestration and activity claims of the SQLite store, and the "anything to claim?" probe an
 * idle worker runs on every poll. Every path is a range scan of a `ready_at` index (optionally
 * per served name), so its cost does not grow with messages queued for leased instances nor
 * with work for names the caller does not serve (issue 9, finding 12).
 */

import type Database from 'better-sqlite3';
import { toActivityWorkItem, toInboxMessage, toInstanceRecord, type InboxRow, type InstanceRow, type TaskRow } from './sqlite-rows.js';
import type { SqliteStatements } from './sqlite-statements.js';
import type { ActivityWorkItem, ClaimActivitiesRequest, ClaimOrchestrationsRequest, OrchestrationWorkItem } from './types.js';

const DEFAULT_MAX_MESSAGES_PER_INSTANCE = 1000;

interface ReadyRow {
  ready_at: number;
}

/**
 * The `limit` oldest-ready rows: one range scan without names, else one per served name merged
 * by ready time (a single `name IN (…)` query would either walk unserved rows through the plain
 * ready index or sort every ready row of the served names).
 */
function oldestReady<R extends ReadyRow>(
  all: Database.Statement,
  named: Database.Statement,
  request: { now: number; limit: number; names?: readonly string[] },
  compare: (a: R, b: R) => number,
): R[] {
  const { now, limit, names } = request;
  if (names === undefined) return all.all({ now, limit }) as R[];
  const rows: R[] = [];
  for (const name of new Set(names)) rows.push(...(named.all({ name, now, limit }) as R[]));
  rows.sort(compare);
  return rows.length <= limit ? rows : rows.slice(0, limit);
}

/** True when some instance (of a served name) is claimable at `now`: index seeks only. */
export function anyClaimableInstance(sql: SqliteStatements, now: number, names: readonly string[] | undefined): boolean {
  if (names === undefined) return found(sql.anyReadyInstance, { now });
  return names.some((name) => found(sql.anyReadyInstanceNamed, { name, now }));
}

/** True when some task (of a served name) is claimable at `now`. */
export function anyClaimableTask(sql: SqliteStatements, now: number, names: readonly string[] | undefined): boolean {
  if (names === undefined) return found(sql.anyReadyTask, { now });
  return names.some((name) => found(sql.anyReadyTaskNamed, { name, now }));
}

/** The claim body (runs inside a batch transaction). */
export function claimOrchestrationsNow(sql: SqliteStatements, request: ClaimOrchestrationsRequest): OrchestrationWorkItem[] {
  if (request.limit <= 0) return [];
  const ids =
    request.instanceIds !== undefined
      ? listedClaimable(sql, request)
      : oldestReady<ReadyRow & { instance_id: string }>(sql.readyInstances, sql.readyInstancesNamed, request, (a, b) => a.ready_at - b.ready_at).map(
          (r) => r.instance_id,
        );
  const maxMessages = request.maxMessagesPerInstance ?? DEFAULT_MAX_MESSAGES_PER_INSTANCE;
  const lock = request.now + request.leaseMs;
  return ids.map((id) => {
    const rows = sql.visibleMessages(maxMessages).all({ id, now: request.now }) as InboxRow[];
    const last = rows.length > 0 ? rows[rows.length - 1].id : null;
    const row = sql.lockInstance.get({ lease: request.leaseId, lock, id, last, now: request.now }) as InstanceRow & { lease_epoch: number };
    if (last !== null) sql.takeMessages.run({ id, now: request.now, last });
    // The rows were read before the update counted this delivery.
    const messages = rows.map((m) => ({ ...toInboxMessage(m), dequeueCount: m.dequeue_count + 1 }));
    return { instance: toInstanceRecord(row), messages, leaseId: request.leaseId, epoch: row.lease_epoch };
  });
}

/** inlineActivityCompletion: the listed instances that exist, are not locked and are served, with or without messages. */
function listedClaimable(sql: SqliteStatements, request: ClaimOrchestrationsRequest): string[] {
  const names = request.names === undefined ? undefined : new Set(request.names);
  const ids: string[] = [];
  for (const id of new Set(request.instanceIds)) {
    if (ids.length >= request.limit) break;
    const row = sql.instanceUnlocked.get(id, request.now) as { name: string } | undefined;
    if (row !== undefined && (names === undefined || names.has(row.name))) ids.push(id);
  }
  return ids;
}

/** The activity claim body: oldest-ready tasks first (ready time, then id). */
export function claimActivitiesNow(sql: SqliteStatements, request: ClaimActivitiesRequest): ActivityWorkItem[] {
  if (request.limit <= 0) return [];
  const rows = oldestReady<ReadyRow & { id: number }>(sql.readyTasks, sql.readyTasksNamed, request, (a, b) => a.ready_at - b.ready_at || a.id - b.id);
  const expires = request.now + request.leaseMs;
  return rows.map((r) => toActivityWorkItem(sql.lockTask.get({ lease: request.leaseId, expires, id: r.id }) as TaskRow));
}

/** Runs an `EXISTS … AS found` probe. */
function found(probe: Database.Statement, params: Record<string, unknown>): boolean {
  return (probe.get(params) as { found: number }).found === 1;
}
