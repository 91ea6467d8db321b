/**
 * @module store/memory-rows
 * The memory store's rows (instances with their lease, inbox messages, activity tasks) and the
 * small rules on them: copying a record out, releasing a lock, when a task is next claimable.
 */

import type { InboxMessage, InstanceRecord, NewActivityTask } from './types.js';

export interface InstanceRow {
  record: InstanceRecord;
  lockedBy?: string;
  lockExpiresAt?: number;
  /** Lease epoch: +1 on every claim of the instance. */
  epoch: number;
  /**
   * The window the current claim returned: every message with id <= claimLastId that was visible
   * at claimNow (what abandonOrchestration(visibleAt) delays). Re-selecting it needs no list of ids.
   */
  claimLastId?: number;
  claimNow?: number;
  /** Instances created under it while a root (TreeLimit). */
  treeSize?: number;
  /** A recursive terminate was delivered to it (NewMessage.terminates). */
  terminating?: boolean;
}

export interface InboxRow extends InboxMessage {
  executionId?: string;
}

export interface TaskRow extends NewActivityTask {
  id: number;
  dequeueCount: number;
  lockedBy?: string;
  lockExpiresAt?: number;
}


/** Copies a record so callers can never mutate the store's state through it. */
export function copyInstance(r: InstanceRecord): InstanceRecord {
  return { ...r };
}

export function unlock(row: InstanceRow): void {
  row.lockedBy = undefined;
  row.lockExpiresAt = undefined;
  row.claimLastId = undefined;
  row.claimNow = undefined;
}

/** When a task is next claimable: its lock expiry while leased, else its visible-at. */
export function taskReadyAt(t: TaskRow): number {
  return t.lockedBy !== undefined && t.lockExpiresAt !== undefined ? t.lockExpiresAt : t.visibleAt;
}
