/**
 * @module store/postgres-claims
 * Claims of the PostgreSQL store, each ONE autocommit statement (one round trip): candidates are
 * picked oldest-ready first through the ready_at indexes with `FOR UPDATE SKIP LOCKED` — two nodes
 * claiming at once take disjoint rows without waiting for each other — and leased in the same
 * statement. Times are database-clock times
 * (the caller converts); only served names are considered.
 */

import { run } from './postgres-sql.js';
import type pg from 'pg';
import { toInstanceRecord, type InstanceRow, type TaskRow } from './sqlite-rows.js';
import type { ActivityWorkItem, ClaimActivitiesRequest, ClaimOrchestrationsRequest, InboxMessage, OrchestrationWorkItem } from './types.js';

/** Messages per instance when the request gives no limit (types.ts). */
const DEFAULT_MAX_MESSAGES_PER_INSTANCE = 1000;

/** A claim with its times already in the database frame. */
export interface DbClaim {
  now: number;
  lockUntil: number;
  /**
   * Sticky claims (unlisted claims only): this store's node, and `since` = now − the stickiness
   * window — other nodes' work is a candidate once ready at `since`, own and unowned work at once.
   */
  sticky?: { node: string; since: number };
}

/** `request.cached` as three aligned arrays (ids, execution ids, history lengths). */
function cachedParams(request: ClaimOrchestrationsRequest): [string[], string[], number[]] {
  const c = request.cached ?? [];
  return [c.map((x) => x.instanceId), c.map((x) => x.executionId), c.map((x) => x.historyLength)];
}

/** `names` as a SQL parameter: NULL = any name. */
function namesParam(names: readonly string[] | undefined): string[] | null {
  return names === undefined ? null : [...new Set(names)];
}

/** A row of the one-statement claim (SQL.claimReady / claimListed). */
type ClaimRow = InstanceRow & {
  lease_epoch: number;
  was_ready: number | null;
  m_id: string[] | null;
  m_visible: string[] | null;
  m_count: number[] | null;
  m_data: string[] | null;
  /** The caller's cache holds the row as it is: input and output were not sent (SQL OMIT). */
  omitted: boolean | null;
};

/** The orchestration claim: ONE statement (see SQL.claimReady); `fromDb` maps visible-at back to the caller's frame. */
export async function claimOrchestrations(db: pg.Pool, request: ClaimOrchestrationsRequest, at: DbClaim, fromDb: (t: number) => number): Promise<OrchestrationWorkItem[]> {
  if (request.limit <= 0) return [];
  const max = request.maxMessagesPerInstance ?? DEFAULT_MAX_MESSAGES_PER_INSTANCE;
  const values: unknown[] = [at.now, request.limit, max, request.leaseId, at.lockUntil, namesParam(request.names)];
  const listed = request.instanceIds === undefined ? undefined : [...new Set(request.instanceIds)];
  if (listed !== undefined) values.push(listed, ...cachedParams(request));
  else if (at.sticky !== undefined) values.push(at.sticky.node, at.sticky.since);
  const statement = listed !== undefined ? 'claimListed' : at.sticky !== undefined ? 'claimReadySticky' : 'claimReady';
  const rows = (await run<ClaimRow>(db, statement, values)).rows;
  if (listed !== undefined) {
    const position = new Map(listed.map((id, i) => [id, i]));
    rows.sort((a, b) => (position.get(a.instance_id) ?? 0) - (position.get(b.instance_id) ?? 0));
  } else {
    // Oldest ready first, then by id (byte order, as the candidate query).
    rows.sort((a, b) => (a.was_ready ?? 0) - (b.was_ready ?? 0) || (a.instance_id < b.instance_id ? -1 : a.instance_id > b.instance_id ? 1 : 0));
  }
  return rows.map((row) => toWorkItem(row, request.leaseId, fromDb));
}

/**
 * Single-instance claims (each `instanceIds: [id]`, the same names, leaseMs and message limit)
 * in ONE statement, each under its own lease; by instance id, the claims that got their instance.
 */
export async function claimEach(
  db: pg.Pool,
  requests: readonly ClaimOrchestrationsRequest[],
  at: DbClaim,
  fromDb: (t: number) => number,
): Promise<Map<string, OrchestrationWorkItem>> {
  const first = requests[0];
  const max = first.maxMessagesPerInstance ?? DEFAULT_MAX_MESSAGES_PER_INSTANCE;
  const ids = requests.map((r) => r.instanceIds![0]);
  // What each claim's cache holds of its instance (NULL: nothing).
  const cached = requests.map((r, i) => r.cached?.find((c) => c.instanceId === ids[i]));
  const rows = (
    await run<ClaimRow & { lease: string }>(db, 'claimListedMany', [
      at.now,
      requests.length,
      max,
      requests.map((r) => r.leaseId),
      at.lockUntil,
      namesParam(first.names),
      ids,
      cached.map((c) => c?.executionId ?? null),
      cached.map((c) => c?.historyLength ?? null),
    ])
  ).rows;
  return new Map(rows.map((row) => [row.instance_id, toWorkItem(row, row.lease, fromDb)]));
}

/** A claimed row as the engine's work item, under `leaseId`. */
function toWorkItem(row: ClaimRow, leaseId: string, fromDb: (t: number) => number): OrchestrationWorkItem {
  const ids = row.m_id ?? [];
  const messages: InboxMessage[] = ids.map((id, i) => ({
    id: Number(id),
    instanceId: row.instance_id,
    data: (row.m_data ?? [])[i],
    visibleAt: fromDb(Number((row.m_visible ?? [])[i])),
    dequeueCount: (row.m_count ?? [])[i],
  }));
  const item: OrchestrationWorkItem = { instance: toInstanceRecord(row), messages, leaseId, epoch: row.lease_epoch };
  if (row.omitted === true) item.payloadsOmitted = true;
  return item;
}

/** The activity claim body: oldest-ready tasks first (ready time, then id). */
export async function claimActivities(db: pg.Pool, request: ClaimActivitiesRequest, at: DbClaim, fromDb: (t: number) => number): Promise<ActivityWorkItem[]> {
  if (request.limit <= 0) return [];
  const values: unknown[] = [at.now, request.limit, request.leaseId, namesParam(request.names), at.lockUntil];
  if (at.sticky !== undefined) values.push(at.sticky.node, at.sticky.since);
  const rows = (await run<Omit<TaskRow, 'detached'> & { detached: boolean; was_ready: number }>(db, at.sticky !== undefined ? 'claimTasksSticky' : 'claimTasks', values)).rows;
  rows.sort((a, b) => a.was_ready - b.was_ready || a.id - b.id);
  return rows.map((row) => ({
    id: row.id,
    instanceId: row.instance_id,
    executionId: row.execution_id,
    taskId: row.task_id,
    name: row.name,
    data: row.data,
    visibleAt: fromDb(row.visible_at),
    leaseId: row.locked_by,
    dequeueCount: row.dequeue_count,
    ...(row.detached ? { detached: true } : {}),
  }));
}
