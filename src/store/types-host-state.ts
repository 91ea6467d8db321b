/**
 * @module store/types-host-state
 * The Store's shared-node part: change hints a shared backend reports (StoreChange, for
 * Store.onChange) and the host state several nodes keep in the store (SharedHostState:
 * CloudEvent de-duplication keys, schedule ticks, the definitions stamp, the wait-key lookup). specs/multi-node.md.
 */

import type { RuntimeStatus } from './types-status.js';

/** Which worker a {@link StoreChange} of kind `work` is for. */
export type WorkKind = 'instances' | 'tasks';

/**
 * A change another process committed, as a shared backend reports it ({@link Store.onChange}):
 * a wake-up hint only — it may be lost or late, so a listener keeps polling as the safety net.
 */
export type StoreChange =
  /**
   * New or newly claimable work may exist (a message, a task, a released lease): of instances
   * (`what: 'instances'`: a message, a start, a released instance lease), of activity tasks
   * (`'tasks'`), or either (absent), so that a node wakes only the worker that has something to
   * look for.
   */
  | { kind: 'work'; what?: WorkKind }
  /** A turn of the instance committed; its status after it. */
  | { kind: 'instance'; instanceId: string; status: RuntimeStatus };

// ── several nodes: host state shared through the store (issue 10 "Several nodes", issue 18) ──────
// Kept in one block (specs/multi-node.md): CloudEvent ingress de-duplication and schedule ticks.
// Each method is one SQL statement (two for claimEvent's read-back) so that every backend,
// PostgreSQL included, makes them atomic across processes without application locks.

/** What {@link Store.claimEvent} found for a (source, id) pair. */
export type EventClaim =
  /** The caller routes the event now (first arrival, or a stale claim of a node that died). */
  | { claimed: true }
  /**
   * Another arrival claimed it first. `outcome` is what {@link Store.finishEvent} recorded (the
   * event was routed); undefined while that arrival is still routing it.
   */
  | { claimed: false; claimedAt: number; outcome?: string };

/** Arguments of {@link Store.claimEvent}. */
export interface EventClaimRequest {
  source: string;
  id: string;
  now: number;
  /**
   * A claim made before this time and never finished belongs to a node that died mid-routing:
   * it is taken over (claimedAt becomes `now`) and the caller routes the event again.
   */
  staleBefore: number;
}

/** The store methods of the block above (merged into {@link Store}). */
export interface SharedHostState {
  /**
   * Insert-if-absent of the CloudEvent key (source, id) with claimedAt = now and no outcome;
   * when the key exists unfinished with claimedAt < staleBefore, it is re-claimed. Atomic across
   * processes: of concurrent calls for one key exactly one gets `claimed: true`. Need not be
   * durable on its own (the caller's later durable writes cover it, as after a work claim).
   */
  claimEvent(request: EventClaimRequest): Promise<EventClaim>;
  /**
   * Records what routing the claimed event did (opaque JSON text), so later copies answer
   * "duplicate" with it; `outcome: undefined` deletes the claim (routing failed: a retry routes it).
   */
  finishEvent(source: string, id: string, outcome: string | undefined): Promise<void>;
  /** Deletes event keys claimed before `before` (the retention window). Returns how many. */
  pruneEvents(before: number): Promise<number>;
  /**
   * Insert-if-absent of the tick (scheduleId, dueAt), recorded once the run exists.
   * @returns true when this call inserted it
   */
  recordScheduleTick(scheduleId: string, dueAt: number, now: number): Promise<boolean>;
  /** The latest recorded tick of the schedule, or undefined. */
  lastScheduleTick(scheduleId: string): Promise<number | undefined>;
  /** Deletes ticks due before `before`, keeping each schedule's latest one. Returns how many. */
  pruneScheduleTicks(before: number): Promise<number>;
  /**
   * A value that changes whenever a definition version is stored or deleted (a node compares it
   * to find definitions registered by another node without listing them all).
   */
  definitionsStamp(): Promise<string>;
  /**
   * The instances whose wait keys (recorded by their turns, {@link TurnCommit.waitKeys}) include
   * `key`, in instance id order: an index lookup, not a scan of instances (issue 18). At most
   * `limit` (default 1000) ids.
   */
  findWaitingInstances(key: string, limit?: number): Promise<string[]>;
}
