/**
 * @module store/memory-tasks
 * The memory store's activity task table: rows by id (ids never reused), leases on them, and the
 * claim in the SQL backends' order (ready time, then id).
 */

import { taskReadyAt, type TaskRow } from './memory-rows.js';
import { StoreErrorCode, storeError, type ActivityWorkItem, type ClaimActivitiesRequest, type NewActivityTask } from './types.js';

/** Every activity task of the memory store. */
export class MemoryTasks {
  private readonly rows = new Map<number, TaskRow>();
  private nextId = 1;

  /** The task with `id`, if it is still there. */
  get(id: number): TaskRow | undefined {
    return this.rows.get(id);
  }

  /** Every task, in id order. */
  values(): IterableIterator<TaskRow> {
    return this.rows.values();
  }

  /** Adds `t` under the next id. */
  insert(t: NewActivityTask): void {
    const id = this.nextId++;
    this.rows.set(id, { ...t, id, dequeueCount: 0 });
  }

  delete(id: number): void {
    this.rows.delete(id);
  }

  /** The task `id` while `leaseId` holds it; LEASE_LOST otherwise. */
  held(id: number, leaseId: string): TaskRow {
    const t = this.rows.get(id);
    if (!t || t.lockedBy !== leaseId) throw storeError(StoreErrorCode.LEASE_LOST, `lease '${leaseId}' on task ${id} is no longer held`);
    return t;
  }

  /** Leases up to `request.limit` tasks ready at `request.now`, oldest ready first. */
  claim(request: ClaimActivitiesRequest): ActivityWorkItem[] {
    const names = request.names === undefined ? undefined : new Set(request.names);
    const ready: Array<{ t: TaskRow; at: number }> = [];
    for (const t of this.rows.values()) {
      if (names !== undefined && !names.has(t.name)) continue;
      const at = taskReadyAt(t);
      if (at <= request.now) ready.push({ t, at });
    }
    // (ready time, id): the order of the SQL backends' tasks ready index.
    ready.sort((a, b) => a.at - b.at || a.t.id - b.t.id);
    return ready.slice(0, Math.max(0, request.limit)).map(({ t }) => {
      t.lockedBy = request.leaseId;
      t.lockExpiresAt = request.now + request.leaseMs;
      t.dequeueCount += 1;
      return {
        id: t.id,
        instanceId: t.instanceId,
        executionId: t.executionId,
        taskId: t.taskId,
        name: t.name,
        data: t.data,
        visibleAt: t.visibleAt,
        leaseId: request.leaseId,
        dequeueCount: t.dequeueCount,
        ...(t.detached === true ? { detached: true } : {}),
      };
    });
  }

  /**
   * Deletes the instance's tasks; with `executionId`, only those of that execution. Detached
   * (fire-and-forget) tasks stay unless `withDetached` (the instance is deleted).
   */
  dropOf(instanceId: string, executionId: string | undefined, withDetached: boolean): void {
    for (const [id, t] of this.rows) {
      if (t.instanceId !== instanceId || (t.detached === true && !withDetached)) continue;
      if (executionId === undefined || t.executionId === executionId) this.rows.delete(id);
    }
  }
}
