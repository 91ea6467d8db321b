/**
 * @module store/postgres-claims
 * Claims of the PostgreSQL store: candidates are picked oldest-ready first through the ready_at
 * indexes with `FOR UPDATE SKIP LOCKED` — two nodes claiming at once take disjoint rows without
 * waiting for each other — then leased in the same transaction. Times are database-clock times
 * (the caller converts); only served names are considered.
 */

import { run } from './postgres-sql.js';
import type { Tx } from './postgres-tx.js';
import { toInstanceRecord, type InstanceRow, type TaskRow } from './sqlite-rows.js';
import type { ActivityWorkItem, ClaimActivitiesRequest, ClaimOrchestrationsRequest, InboxMessage, OrchestrationWorkItem } from './types.js';

/** Messages per instance when the request gives no limit (types.ts). */
const DEFAULT_MAX_MESSAGES_PER_INSTANCE = 1000;

/** A claim with its times already in the database frame. */
export interface DbClaim {
  now: number;
  lockUntil: number;
}

/** `names` as a SQL parameter: NULL = any name. */
function namesParam(names: readonly string[] | undefined): string[] | null {
  return names === undefined ? null : [...new Set(names)];
}

/** The orchestration claim body; `fromDb` maps message visible-at back to the caller's frame. */
export async function claimOrchestrations(tx: Tx, request: ClaimOrchestrationsRequest, at: DbClaim, fromDb: (t: number) => number): Promise<OrchestrationWorkItem[]> {
  if (request.limit <= 0) return [];
  const names = namesParam(request.names);
  let ids: string[];
  if (request.instanceIds !== undefined) {
    const listed = [...new Set(request.instanceIds)];
    const free = new Set((await run<{ instance_id: string }>(tx, 'listedInstances', [listed, at.now, names])).rows.map((r) => r.instance_id));
    ids = listed.filter((id) => free.has(id)).slice(0, request.limit);
  } else {
    ids = (await run<{ instance_id: string }>(tx, 'readyInstances', [at.now, request.limit, names])).rows.map((r) => r.instance_id);
  }
  if (ids.length === 0) return [];
  const max = request.maxMessagesPerInstance ?? DEFAULT_MAX_MESSAGES_PER_INSTANCE;
  const taken = (await run<{ id: number; instance_id: string; visible_at: number; dequeue_count: number; data: string }>(tx, 'takeMessages', [ids, at.now, max])).rows;
  const byInstance = new Map<string, InboxMessage[]>(ids.map((id) => [id, []]));
  for (const m of taken.sort((a, b) => a.id - b.id)) {
    byInstance.get(m.instance_id)?.push({ id: m.id, instanceId: m.instance_id, data: m.data, visibleAt: fromDb(m.visible_at), dequeueCount: m.dequeue_count });
  }
  const last = ids.map((id) => {
    const messages = byInstance.get(id) ?? [];
    return messages.length > 0 ? messages[messages.length - 1].id : null;
  });
  const locked = (await run<InstanceRow & { lease_epoch: number }>(tx, 'lockClaimed', [request.leaseId, at.lockUntil, at.now, ids, last])).rows;
  const rowOf = new Map(locked.map((r) => [r.instance_id, r]));
  const out: OrchestrationWorkItem[] = [];
  for (const id of ids) {
    const row = rowOf.get(id);
    if (row === undefined) continue;
    out.push({ instance: toInstanceRecord(row), messages: byInstance.get(id) ?? [], leaseId: request.leaseId, epoch: row.lease_epoch });
  }
  return out;
}

/** The activity claim body: oldest-ready tasks first (ready time, then id). */
export async function claimActivities(tx: Tx, request: ClaimActivitiesRequest, at: DbClaim, fromDb: (t: number) => number): Promise<ActivityWorkItem[]> {
  if (request.limit <= 0) return [];
  const rows = (
    await run<Omit<TaskRow, 'detached'> & { detached: boolean; was_ready: number }>(tx, 'claimTasks', [
      at.now,
      request.limit,
      request.leaseId,
      namesParam(request.names),
      at.lockUntil,
    ])
  ).rows;
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
