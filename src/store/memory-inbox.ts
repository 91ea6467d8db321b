/**
 * @module store/memory-inbox
 * The memory store's inbox table: messages by id (insertion order = id order, the FIFO order the
 * contract asks for), the ids of each instance's messages, and the earliest visible-at of each
 * instance (the SQL backends' `ready_at`, kept by {@link ReadyIndex}).
 */

import { ReadyIndex } from './memory-ready-index.js';
import type { InboxRow } from './memory-rows.js';
import type { NewMessage } from './types.js';

/** Every inbox message of the memory store. */
export class MemoryInbox {
  private readonly rows = new Map<number, InboxRow>();
  /** Message ids per instance, in id order (inserted in increasing id order). */
  private readonly byInstance = new Map<string, Set<number>>();
  /** Earliest visible-at per instance inbox (what readyAt needs without scanning messages). */
  private readonly ready = new ReadyIndex();
  private nextId = 1;

  /** The message with `id`, if it is still queued. */
  get(id: number): InboxRow | undefined {
    return this.rows.get(id);
  }

  /** The queued messages of `instanceId`, in id order. */
  *of(instanceId: string): IterableIterator<InboxRow> {
    for (const id of this.byInstance.get(instanceId) ?? []) yield this.rows.get(id)!;
  }

  /** How many messages `instanceId` has queued. */
  count(instanceId: string): number {
    return this.byInstance.get(instanceId)?.size ?? 0;
  }

  /** Queues `m` under the next id. */
  insert(m: NewMessage): void {
    const id = this.nextId++;
    const row: InboxRow = { id, instanceId: m.instanceId, data: m.data, visibleAt: m.visibleAt, dequeueCount: 0 };
    if (m.executionId !== undefined) row.executionId = m.executionId;
    this.rows.set(id, row);
    let set = this.byInstance.get(m.instanceId);
    if (!set) this.byInstance.set(m.instanceId, (set = new Set()));
    set.add(id);
    this.ready.push(m.instanceId, id, m.visibleAt);
  }

  /** Delays a queued message to `visibleAt`. */
  retime(m: InboxRow, visibleAt: number): void {
    m.visibleAt = visibleAt;
    this.ready.push(m.instanceId, m.id, visibleAt);
  }

  /** Removes message `id` (nothing if it is gone already). */
  delete(id: number): void {
    const m = this.rows.get(id);
    if (!m) return;
    this.rows.delete(id);
    const set = this.byInstance.get(m.instanceId);
    set?.delete(id);
    if (set && set.size === 0) {
      this.byInstance.delete(m.instanceId);
      this.ready.clear(m.instanceId);
    }
  }

  /** Removes the messages of `instanceId`; with `executionId`, only those pinned to that execution. */
  dropOf(instanceId: string, executionId?: string): void {
    for (const m of [...this.of(instanceId)]) {
      if (executionId === undefined || m.executionId === executionId) this.delete(m.id);
    }
  }

  /** The earliest visible-at of `instanceId`'s messages (undefined: none queued). */
  earliest(instanceId: string): number | undefined {
    return this.ready.earliest(instanceId, (id, visibleAt) => {
      const m = this.rows.get(id);
      return m !== undefined && m.visibleAt === visibleAt;
    });
  }
}
