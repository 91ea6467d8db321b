/**
 * @module store/types-records
 * The rows the Store keeps and hands out: instances, history, inbox messages, activity tasks and
 * claimed work items (re-exported by store/types.ts).
 */

import type { RuntimeStatus } from './types-status.js';

// ── records ─────────────────────────────────────────────────────────────────────────────────────
// Conventions for every record below:
//  - times are milliseconds since the Unix epoch (`…At`), always supplied by the caller: a store
//    never reads the wall clock, so a ManualClock drives every backend the same way;
//  - payload fields (`data`, `input`, `output`, `customStatus`, `failure`) are JSON text that the
//    store keeps byte-for-byte and never parses;
//  - absent optional values are `undefined` (a SQL backend maps NULL to undefined, never to null).

/** One row of the instances table, as read back. */
export interface InstanceRecord {
  instanceId: string;
  /** Changes on continue-as-new and on id reuse; messages carry it so stale ones can be dropped. */
  executionId: string;
  /** Registered orchestration name. Indexed (query by name). */
  name: string;
  /** Indexed (query by status). */
  status: RuntimeStatus;
  /** Indexed (query by created-time range, paging order). Kept across continue-as-new. */
  createdAt: number;
  lastUpdatedAt: number;
  /** Set when the instance reaches a terminal status. */
  completedAt?: number;
  /** When the instance was asked to start (scheduled start), if later than createdAt. */
  scheduledStartAt?: number;
  input?: string;
  output?: string;
  customStatus?: string;
  /** Failure details of a FAILED instance (JSON of the engine's failure record). */
  failure?: string;
  /** Set for sub-orchestrations. Indexed (recursive terminate/purge look children up). */
  parentInstanceId?: string;
  /** Number of history rows stored for the current execution; the next appended `seq`. */
  historyLength: number;
  /**
   * Hash of the definition the current execution runs (the engine's registration hash), so that a
   * re-registered definition never changes a running instance. Indexed (query by definitionHash).
   */
  definitionHash?: string;
  /** Version tag of that definition, for display. */
  definitionVersion?: string;
}

/** The mutable columns of an instance that a turn rewrites (all of them, every turn). */
export interface InstanceState {
  executionId: string;
  name: string;
  status: RuntimeStatus;
  lastUpdatedAt: number;
  completedAt?: number;
  input?: string;
  output?: string;
  customStatus?: string;
  failure?: string;
  /** Rewritten like the rest (continue-as-new may move the instance to the current definition). */
  definitionHash?: string;
  definitionVersion?: string;
}

/** One history row. `(instanceId, seq)` is the primary key: the idempotency guard of a turn. */
export interface HistoryRecord {
  /** 0-based position in the current execution's history; contiguous. */
  seq: number;
  /** The event's type name (e.g. 'TaskScheduled'); copied out of `data` for inspection. */
  type: string;
  /** The event's timestamp, copied out of `data`. */
  timestamp: number;
  /** JSON of the whole engine event. */
  data: string;
}

/** A message to put in an instance's inbox (a new event, a timer, a start). */
export interface NewMessage {
  instanceId: string;
  /** JSON of the engine's message. */
  data: string;
  /**
   * The execution the message belongs to (timers, activity results), copied out of `data` so that
   * {@link TurnCommit.dropWorkOf} can delete an ended execution's leftovers. Absent: the message
   * belongs to the instance, whatever its execution (external events, terminate, suspend …).
   */
  executionId?: string;
  /**
   * The message may be claimed only when `visibleAt <= now` of the claim. A timer is a message
   * whose visibleAt is its fire time; an immediate message uses the current time.
   */
  visibleAt: number;
  /**
   * A recursive terminate: delivering it also marks the target instance as terminating, so that
   * from then on no sub-orchestration it (or, if it is a root, anything in its tree) starts is
   * created — see {@link TurnNewInstance.tree}. A terminate of a tree still growing thus stops it.
   */
  terminates?: boolean;
}

/**
 * An inbox message as handed to a worker by {@link Store.claimOrchestrations}. Messages carry no
 * lock of their own: the instance's lease owns its whole inbox (see the Store doc).
 */
export interface InboxMessage {
  /** Store-assigned, strictly increasing in insertion order (FIFO); used to consume it. */
  id: number;
  instanceId: string;
  data: string;
  visibleAt: number;
  /** How many claims have taken this message, this one included (1 on first delivery). */
  dequeueCount: number;
}

/** An activity task to enqueue (produced by a turn). */
export interface NewActivityTask {
  instanceId: string;
  executionId: string;
  /** The orchestration's sequence id of the TaskScheduled event. */
  taskId: number;
  /** Activity name (for inspection; the engine reads everything it needs from `data`). */
  name: string;
  /** JSON of the engine's task (name, input, attempt …). */
  data: string;
  /** Claimable when `visibleAt <= now`. */
  visibleAt: number;
  /**
   * Fire-and-forget (SW `invoke: async`): the task outlives its instance. `dropPendingWork` and
   * `dropWorkOf` leave it queued, and a final turn still inserts it; only deleting the instance
   * (purge, id reuse) removes it. Absent: false.
   */
  detached?: boolean;
}

/** A claimed activity task. */
export interface ActivityWorkItem extends NewActivityTask {
  /** Store-assigned id of the task row. */
  id: number;
  /** The lease under which it was claimed (the request's leaseId). */
  leaseId: string;
  /** How many claims have taken this task, this one included (1 on first delivery). */
  dequeueCount: number;
}

/** A claimed orchestration: the instance row and its visible inbox messages. */
export interface OrchestrationWorkItem {
  instance: InstanceRecord;
  /** Visible messages, ascending by id (FIFO), at least one (except for an `instanceIds` claim). */
  messages: InboxMessage[];
  /** The lease under which it was claimed (the request's leaseId). */
  leaseId: string;
  /**
   * The instance's lease epoch after this claim: the store increments it on every claim of the
   * instance, so it is strictly increasing per instance (persisted; it keeps counting when a
   * terminal id is replaced). Calls made under the lease pass it back (TurnCommit.epoch); one that
   * does not match the row's current epoch fails with LEASE_LOST.
   */
  epoch: number;
  /**
   * True when the claim matched the request's {@link ClaimOrchestrationsRequest.cached} entry and
   * `instance.input` / `instance.output` were left out (absent, not empty). A turn committed under
   * such a claim must say `keepInput` / `keepOutput` for what it does not set itself.
   */
  payloadsOmitted?: boolean;
}
