/**
 * @module store/types-status
 * Instance statuses and the store's error and fault codes (re-exported by store/types.ts).
 */

import { SwirlError } from '../errors.js';

// ── statuses ────────────────────────────────────────────────────────────────────────────────────

/**
 * Runtime status of an instance. Lives here (not in engine/) because the store must know which
 * statuses are terminal for id reuse and purge, and it may import no other layer.
 */
export const RuntimeStatus = {
  /** Created; its first turn has not run yet (e.g. a scheduled start in the future). */
  PENDING: 'PENDING',
  RUNNING: 'RUNNING',
  SUSPENDED: 'SUSPENDED',
  COMPLETED: 'COMPLETED',
  FAILED: 'FAILED',
  TERMINATED: 'TERMINATED',
  /** Transient: the instance restarted itself with new input; seen only between turns. */
  CONTINUED_AS_NEW: 'CONTINUED_AS_NEW',
} as const;
export type RuntimeStatus = (typeof RuntimeStatus)[keyof typeof RuntimeStatus];

/** Statuses after which an instance never runs again (unless its id is reused). */
export const TERMINAL_STATUSES: readonly RuntimeStatus[] = [RuntimeStatus.COMPLETED, RuntimeStatus.FAILED, RuntimeStatus.TERMINATED];

/** True for COMPLETED, FAILED and TERMINATED. */
export function isTerminalStatus(status: RuntimeStatus): boolean {
  return status === RuntimeStatus.COMPLETED || status === RuntimeStatus.FAILED || status === RuntimeStatus.TERMINATED;
}

// ── errors ──────────────────────────────────────────────────────────────────────────────────────

/**
 * Codes of the errors a store throws on purpose, as `SwirlError` (made with {@link storeError}).
 * Anything else a backend throws (disk full, corrupt file, …) should be an `InfrastructureError`.
 */
export const StoreErrorCode = {
  /** createInstance: the id exists and the reuse policy refuses it. */
  INSTANCE_EXISTS: 'INSTANCE_EXISTS',
  /** enqueueMessages: a target instance does not exist. */
  INSTANCE_NOT_FOUND: 'INSTANCE_NOT_FOUND',
  /**
   * commitTurn / completeActivity / abandon* / renew*: the lease named in the call is no longer
   * held (another worker claimed the item after expiry, or the instance/task was deleted).
   * Nothing of the call was written.
   */
  LEASE_LOST: 'LEASE_LOST',
  /** commitTurn: `firstSeq` does not equal the instance's current history length. Nothing written. */
  HISTORY_CONFLICT: 'HISTORY_CONFLICT',
  /** queryInstances: the page token is not one this store issued. */
  INVALID_PAGE_TOKEN: 'INVALID_PAGE_TOKEN',
} as const;
export type StoreErrorCode = (typeof StoreErrorCode)[keyof typeof StoreErrorCode];

/**
 * Codes of the `InfrastructureError`s a backend throws for its own faults (never for a caller's
 * mistake). The engine treats every InfrastructureError as "try again later" except STORE_FAILED,
 * which means the node must stop (see {@link Store.onFatal}).
 */
export const StoreFaultCode = {
  /** A read failed (I/O error, busy database …). Nothing was changed; retry later. */
  STORE_READ_FAILED: 'STORE_READ_FAILED',
  /** A write failed before anything could have been committed. Nothing was changed. */
  STORE_WRITE_FAILED: 'STORE_WRITE_FAILED',
  /**
   * A write may or may not have been committed (e.g. the fsync after COMMIT failed). The caller
   * must not report it as failed: a start may exist, a turn may have been applied.
   */
  WRITE_OUTCOME_UNKNOWN: 'WRITE_OUTCOME_UNKNOWN',
  /** The backend refuses every further write (after a failed fsync): the process must restart. */
  STORE_FAILED: 'STORE_FAILED',
  /** The store was closed. */
  STORE_CLOSED: 'STORE_CLOSED',
} as const;
export type StoreFaultCode = (typeof StoreFaultCode)[keyof typeof StoreFaultCode];

/** Builds the error a store throws for a {@link StoreErrorCode}. */
export function storeError(code: StoreErrorCode, message: string): SwirlError {
  return new SwirlError(code, message);
}
