/**
 * @module store/sqlite-claims
 * Orchestration and activity claims of the SQLite store, and the "anything to claim?" probe an
 * idle worker runs on every poll. Every path is a range scan of a `ready_at` index (optionally
 * per served name), so its cost does not grow with messages queued for leased instances nor
 * with work for names the caller does not serve (issue 9, finding 12).
 */

import type Database from 'better-sqlite3';
import { omitCachedPayloads } from './payload-omission.js';
import { toActivityWorkItem, toInboxMessage, toInstanceRecord, type InboxRow, type InstanceRow, type TaskRow } from './sqlite-rows.js';
import type { SqliteStatements } from './sqlite-statements.js';
import type { ActivityWorkItem, ClaimActivitiesRequest, ClaimOrchestrationsRequest, OrchestrationWorkItem } from './types.js';

const DEFAULT_MAX_MESSAGES_PER_INSTANCE = 1000;

interface ReadyRow {
  ready_at: number;
}

/** A claim candidate: the instance and its current ready_at (NULL: empty inbox, instanceIds claims only). */
interface Candidate {
  instance_id: string;
  ready_at: number | null;
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
  const candidates: Candidate[] =
    request.instanceIds !== undefined
      ? listedClaimable(sql, request)
      : oldestReady<ReadyRow & { instance_id: string }>(sql.readyInstances, sql.readyInstancesNamed, request, (a, b) => a.ready_at - b.ready_at);
  const maxMessages = request.maxMessagesPerInstance ?? DEFAULT_MAX_MESSAGES_PER_INSTANCE;
  const lock = request.now + request.leaseMs;
  return candidates.map(({ instance_id: id, ready_at: ready }) => {
    const rows = claimWindow(sql, id, request.now, maxMessages);
    const last = rows.length > 0 ? Math.max(...rows.map((r) => r.id)) : null;
    // ready_at becomes MAX(lock, oldest message): the lock when a message is visible now; NULL
    // stays NULL (empty inbox); only future-only inboxes need the subquery.
    const statement = rows.length > 0 ? sql.lockInstance.atLock : ready === null ? sql.lockInstance.keep : sql.lockInstance.recompute;
    const row = statement.get({ lease: request.leaseId, lock, id, last, now: request.now }) as InstanceRow & { lease_epoch: number };
    if (last !== null) sql.takeMessages.run({ id, now: request.now, last });
    // The rows were read before the update counted this delivery.
    const messages = rows.map((m) => ({ ...toInboxMessage(m), dequeueCount: m.dequeue_count + 1 }));
    return omitCachedPayloads(request, { instance: toInstanceRecord(row), messages, leaseId: request.leaseId, epoch: row.lease_epoch });
  });
}

/**
 * The messages a claim of `id` returns: visible ones in id order, at most `max` — except that an
 * execution not started yet (history_length 0, after continue-as-new) gets the messages pinned to
 * it (its start) first, however many instance-level messages precede them (Store contract).
 */
function claimWindow(sql: SqliteStatements, id: string, now: number, max: number): InboxRow[] {
  const rows = sql.visibleMessages(max).all({ id, now }) as InboxRow[];
  const unstarted = sql.unstartedExecution.get({ id }) as { execution_id: string } | undefined;
  if (unstarted === undefined) return rows;
  const pinned = (sql.pinnedMessages.all({ id, exec: unstarted.execution_id, now }) as InboxRow[]).slice(0, Math.max(0, max));
  if (pinned.length === 0) return rows;
  const first = new Set(pinned.map((r) => r.id));
  const rest = rows.filter((r) => !first.has(r.id));
  return pinned.concat(rest.slice(0, Math.max(0, max - pinned.length)));
}

/** inlineActivityCompletion: the listed instances that exist, are not locked and are served, with or without messages. */
function listedClaimable(sql: SqliteStatements, request: ClaimOrchestrationsRequest): Candidate[] {
  const names = request.names === undefined ? undefined : new Set(request.names);
  const out: Candidate[] = [];
  for (const id of new Set(request.instanceIds)) {
    if (out.length >= request.limit) break;
    const row = sql.instanceUnlocked.get(id, request.now) as { name: string; ready_at: number | null } | undefined;
    if (row !== undefined && (names === undefined || names.has(row.name))) out.push({ instance_id: id, ready_at: row.ready_at });
  }
  return out;
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
