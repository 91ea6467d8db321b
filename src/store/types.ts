// STORE-INTERFACE-READY
/**
 * @module store/types
 * The persistence port of the engine: one `Store` interface that every backend (memory, sqlite,
 * postgres) implements, and the records it keeps. Records are opaque to the store: events and
 * messages are JSON text with a few indexed columns copied out. Tables follow durabletask-go:
 * instances (with a lease), history, inbox (new events with a visible-at time — how timers work)
 * and an activity task queue (with leases). Changes after the first commit: INTERFACE-CHANGES.md.
 */

// The types live in concept files; this module stays the one import path of the Store port
// (backends import './types.js'), re-exporting all of them.
export * from './types-status.js';
export * from './types-records.js';
export * from './types-requests.js';
export * from './types-host-state.js';

import type {
  ActivityWorkItem,
  HistoryRecord,
  InstanceRecord,
  NewMessage,
  OrchestrationWorkItem,
} from './types-records.js';
import type {
  ClaimActivitiesRequest,
  ClaimOrchestrationsRequest,
  CommittedTurn,
  CompleteActivityRequest,
  CreateInstanceRequest,
  CreatedInstance,
  DefinitionRecord,
  InstanceCount,
  InstanceCountQuery,
  InstancePage,
  InstanceQuery,
  PendingWork,
  QueuedWorkCount,
  StoreFeatures,
  TurnCommit,
} from './types-requests.js';
import type { SharedHostState, StoreChange } from './types-host-state.js';

// ── the interface ───────────────────────────────────────────────────────────────────────────────

/**
 * The persistence contract of the engine.
 *
 * Concurrency and durability, for every method:
 * - Calls may be made concurrently (the engine does not await one before issuing the next).
 * - Every write method is atomic on its own: all of it or nothing of it is written.
 * - A write's promise resolves only after the change is durable (sqlite: committed with
 *   synchronous=FULL). An acknowledged write survives kill -9 and power loss.
 * - Group commit: a backend may put concurrent write calls (commitTurn, completeActivity,
 *   createInstance, enqueueMessages …) into ONE transaction to share one fsync. One call's
 *   failure (LEASE_LOST, HISTORY_CONFLICT, INSTANCE_EXISTS) must not fail or undo the others in
 *   the batch (sqlite: a SAVEPOINT per call).
 * - Reads see every write whose promise has resolved.
 *
 * Leases: an orchestration claim locks the instance row (lockedBy = leaseId, lock expiry =
 * now + leaseMs, lease epoch + 1). The lease owns the instance's WHOLE inbox: messages have no
 * locks of their own, so whatever a claim did not return (over maxMessagesPerInstance, not yet
 * visible, arrived during the turn) simply stays in the inbox and is seen by the next claim of
 * the instance — there is no per-message state that a lease takeover could strand. While the lock
 * is unexpired no other claim takes the instance. After expiry another claim may take it (a new
 * leaseId, a higher epoch), together with all its visible messages, including ones an earlier
 * claim returned. A call made under an older lease then fails with LEASE_LOST. A call whose lease
 * time has passed but that nobody has re-claimed still succeeds: the lock owner, not the clock,
 * decides. Activity leases work the same way per task row.
 *
 * Claims and wake-up probes are index-driven: their cost does not grow with the number of
 * messages queued for instances that are leased right now, nor with work for names the caller
 * does not serve.
 *
 * Faults: a backend failure is an `InfrastructureError` with a {@link StoreFaultCode}, reads
 * included. A backend that can no longer guarantee durability (a failed fsync) refuses every later
 * write with STORE_FAILED and reports it once through {@link Store.onFatal}.
 */
export interface Store extends SharedHostState {
  /** Backend name for logs and diagnostics, e.g. 'memory', 'sqlite'. */
  readonly kind: string;
  /**
   * Optional (shared backends: postgres): subscribes to changes committed by OTHER processes on the
   * same database, so that their work wakes this node's workers and their turns wake its
   * `waitForCompletion` without polling lag. Hints only (see {@link StoreChange}). Returns an
   * unsubscribe function. Absent: the backend has no other writers (memory) or cannot tell.
   */
  onChange?(listener: (change: StoreChange) => void): () => void;

  /** Optional capabilities (see {@link StoreFeatures}); absent means none. */
  readonly features?: StoreFeatures;

  /**
   * Creates an instance (status PENDING, historyLength 0, no lock) and puts `startMessage` in its
   * inbox with the given visibleAt (a scheduled start is a future visibleAt). An existing id is
   * handled by `reusePolicy` (default REPLACE_TERMINAL): refused with INSTANCE_EXISTS, replaced
   * (old history, inbox and tasks deleted), or left untouched (IGNORE).
   * @returns `created: false` only under IGNORE when the id existed; `claimed`: the work item of
   *   `request.claim` (feature `turnShortcuts`), when it was asked for and the claim found the instance;
   *   `committed`: what the commit of `request.firstTurn` (feature `fusedStart`) reports, when created with it.
   */
  createInstance(request: CreateInstanceRequest): Promise<CreatedInstance>;

  /**
   * Appends messages to existing instances' inboxes (raise event, suspend, resume, terminate).
   * Atomic: if any target instance does not exist, throws INSTANCE_NOT_FOUND and writes nothing.
   * Messages to terminal instances are accepted (the engine drops them when it processes them).
   */
  enqueueMessages(messages: NewMessage[]): Promise<void>;

  /**
   * Leases up to `limit` instances (of the served `names`) that have at least one visible message
   * (visibleAt <= now) and no unexpired lock. For each, returns the instance row and its visible
   * messages in id order (at most maxMessagesPerInstance), increments their dequeueCount, records
   * the leaseId and the new epoch on the instance. An instance whose historyLength is 0 (an
   * execution not started yet: continue-as-new) gets its visible messages pinned to its current
   * executionId — its ExecutionStarted — FIRST, then the others in id order: however many
   * instance-level messages precede the start, the claim sees the start (issue 9). The claim's
   * window (what abandonOrchestration(visibleAt) delays) is every message visible at `now` with an
   * id up to the highest one returned. Messages stay unlocked: those not returned,
   * or that become visible or arrive later, stay in the inbox for a later claim. Prefers the
   * instances that became claimable earliest (oldest ready first), so no instance starves.
   * Returns [] when there is no work.
   */
  claimOrchestrations(request: ClaimOrchestrationsRequest): Promise<OrchestrationWorkItem[]>;

  /**
   * Commits one turn atomically (see {@link TurnCommit}), and releases the instance's lock.
   * Checks, in this order, writing nothing if one fails:
   * 1. the instance exists and is locked by `leaseId` (at `epoch`, when given) — else LEASE_LOST;
   * 2. `firstSeq` equals historyLength (or 0 with resetHistory) — else HISTORY_CONFLICT;
   * 3. every `completedTasks` row is held by its lease — else LEASE_LOST.
   * Then: resetHistory → delete history; append `history`; rewrite the mutable columns from
   * `state`; set historyLength; delete `consumedMessageIds`; dropPendingWork → delete the rest of
   * the instance's inbox and its tasks; dropWorkOf → delete that execution's messages and tasks;
   * insert `tasks` and `messages` (dropping those whose target does not exist; with
   * dropPendingWork the turn's own tasks and self-messages are discarded); create `newInstances`
   * (reuse policy, onConflict). Messages that arrived during the turn and were not consumed stay
   * in the inbox, claimable once the lock is released.
   * May be group-committed with other concurrent calls (see the interface doc).
   * Feature `turnShortcuts`: `taskLease` and `claimless` (see {@link TurnCommit}); the tasks it
   * leased are reported back. Without the feature the result is undefined (the fields are ignored).
   */
  commitTurn(turn: TurnCommit): Promise<CommittedTurn | void>;

  /**
   * Releases an orchestration lease without consuming anything (the worker is stopping, or the
   * turn failed for an infrastructure reason). The messages the claim returned become visible
   * again at `visibleAt` (default: unchanged); the rest of the inbox is untouched (claimable at
   * once if visible). LEASE_LOST if the lease is no longer held.
   */
  abandonOrchestration(instanceId: string, leaseId: string, visibleAt?: number): Promise<void>;

  /** Extends an orchestration lease to now + leaseMs. LEASE_LOST if it is no longer held. */
  renewOrchestrationLease(instanceId: string, leaseId: string, now: number, leaseMs: number): Promise<void>;

  /**
   * Releases, at once, every orchestration and activity lease whose leaseId starts with
   * `leasePrefix` (a restarted node releasing what its previous incarnation held when it was
   * killed, instead of waiting for the leases to expire). The work becomes claimable immediately.
   * Returns how many instance and task leases were released.
   */
  releaseLeases(leasePrefix: string): Promise<{ instances: number; tasks: number }>;

  /**
   * Leases up to `limit` activity tasks (of the served `names`) with visibleAt <= now and no
   * unexpired lock, oldest ready first (visible-at, or the expiry of a dead lease; then id);
   * increments dequeueCount and records the leaseId. Returns [] when there is none.
   */
  claimActivities(request: ClaimActivitiesRequest): Promise<ActivityWorkItem[]>;

  /**
   * Atomically deletes the task row and appends `message` to the orchestration's inbox (the task's
   * result). LEASE_LOST (nothing written) if the task row is gone or locked by another lease; the
   * message is silently dropped if its target instance no longer exists. Group-committable.
   */
  completeActivity(request: CompleteActivityRequest): Promise<void>;

  /** Releases an activity lease; the task becomes claimable at `visibleAt` (default: now-visible as before). LEASE_LOST if not held. */
  abandonActivity(taskRowId: number, leaseId: string, visibleAt?: number): Promise<void>;

  /** Extends an activity lease to now + leaseMs (heartbeat of a long activity). LEASE_LOST if not held. */
  renewActivityLease(taskRowId: number, leaseId: string, now: number, leaseMs: number): Promise<void>;

  /** The instance row, or undefined. */
  getInstance(instanceId: string): Promise<InstanceRecord | undefined>;

  /** What the instance has queued (inbox size, next timer, activity tasks); zeros if unknown. */
  pendingWork(instanceId: string, now: number): Promise<PendingWork>;

  /**
   * Ready work grouped by orchestration / activity name (visible at `now`), for metrics and for
   * reporting work that no worker serves. Bounded by the number of distinct names.
   */
  queuedWork(now: number): Promise<QueuedWorkCount[]>;

  /**
   * Stores a definition version. Idempotent by hash for its content: an existing hash keeps its
   * id, version, text and source; only its registeredAt moves forward to the given one when that
   * is later — registering a stored version again (a rollback) makes it the newest, durably.
   */
  putDefinition(definition: DefinitionRecord): Promise<void>;

  /** The definition version with this hash, or undefined. */
  getDefinition(hash: string): Promise<DefinitionRecord | undefined>;

  /** Every stored definition version (optionally of one workflow id), oldest registration first. */
  listDefinitions(id?: string): Promise<DefinitionRecord[]>;

  /**
   * Deletes the listed definition versions that no non-terminal instance runs (by
   * InstanceRecord.definitionHash) and, with `registeredBefore`, whose registeredAt is earlier than
   * it — checked in the same transaction as the delete, so a version another node stored (or
   * stored again) meanwhile is kept. Returns the hashes actually deleted.
   */
  deleteUnusedDefinitions(hashes: string[], registeredBefore?: number): Promise<string[]>;

  /** The current execution's history rows with seq >= fromSeq (default 0), ascending by seq. [] if unknown. */
  loadHistory(instanceId: string, fromSeq?: number): Promise<HistoryRecord[]>;

  /** One page of instances matching the filter, ordered by (createdAt, instanceId) (`query.order`). */
  queryInstances(query: InstanceQuery): Promise<InstancePage>;

  /**
   * How many instances match the filter, by (name, status): one row per group with at least one
   * instance, ordered by name then status (one GROUP BY, not a scan of pages).
   */
  countInstances(query?: InstanceCountQuery): Promise<InstanceCount[]>;

  /**
   * Deletes the listed instances that exist and are terminal — row, history, inbox and tasks —
   * in one transaction. Ids that do not exist or are not terminal are skipped (the engine checks
   * and reports them before calling). Returns the ids actually deleted.
   */
  purgeInstances(instanceIds: string[]): Promise<string[]>;

  /**
   * The earliest time after `now` at which an instance or activity task becomes claimable — a
   * message or task becomes visible, or the lease of an instance with messages (or of a task)
   * expires; undefined if none. Lets an idle worker sleep until the next timer instead of polling
   * blindly. (Work claimable at `now` is claimed, not reported here; a lease expiring on an empty
   * inbox makes nothing claimable and is not reported.)
   */
  nextWakeAt(now: number): Promise<number | undefined>;

  /**
   * Registers a listener for the backend's fatal fault (STORE_FAILED: durability can no longer be
   * guaranteed). Called at most once per store, with the STORE_FAILED error; after it, every write
   * rejects with STORE_FAILED (reads keep working). A listener registered after the fault is called
   * at once (next microtask). Returns an unsubscribe function. A backend without fatal faults
   * never calls it.
   */
  onFatal(listener: (error: Error) => void): () => void;

  /** Flushes pending batches and releases the backend's resources. Further calls reject. */
  close(): Promise<void>;
}
