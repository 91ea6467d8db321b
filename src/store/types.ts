// STORE-INTERFACE-READY
/**
 * @module store/types
 * The persistence port of the engine: one `Store` interface that every backend (memory, sqlite,
 * postgres) implements, and the records it keeps. Records are opaque to the store: events and
 * messages are JSON text with a few indexed columns copied out. Tables follow durabletask-go:
 * instances (with a lease), history, inbox (new events with a visible-at time — how timers work)
 * and an activity task queue (with leases). Changes after the first commit: INTERFACE-CHANGES.md.
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
}

// ── requests ────────────────────────────────────────────────────────────────────────────────────

/** What createInstance does when the id is taken. */
export const ReusePolicy = {
  /** Refuse if the id exists in any status (INSTANCE_EXISTS). */
  REJECT: 'REJECT',
  /**
   * Default (Dapr semantics): refuse if the existing instance is not terminal (INSTANCE_EXISTS);
   * if it is terminal, delete it (history, inbox, tasks) and create the new one in its place.
   */
  REPLACE_TERMINAL: 'REPLACE_TERMINAL',
  /** Leave an existing instance untouched and report `created: false` (idempotent start). */
  IGNORE: 'IGNORE',
} as const;
export type ReusePolicy = (typeof ReusePolicy)[keyof typeof ReusePolicy];

/** Creates an instance row (status PENDING, historyLength 0) plus its start message. */
export interface CreateInstanceRequest {
  instanceId: string;
  executionId: string;
  name: string;
  /** The definition the instance runs (see {@link InstanceRecord.definitionHash}). */
  definitionHash?: string;
  definitionVersion?: string;
  createdAt: number;
  scheduledStartAt?: number;
  input?: string;
  parentInstanceId?: string;
  /** The start message (ExecutionStarted), put in the new instance's inbox. */
  startMessage: { data: string; visibleAt: number };
  /** @default ReusePolicy.REPLACE_TERMINAL */
  reusePolicy?: ReusePolicy;
}

/** A sub-orchestration start inside a turn. */
export interface TurnNewInstance extends CreateInstanceRequest {
  /**
   * Delivered instead when the reuse policy refuses the id (typically a
   * SubOrchestrationInstanceFailed to the parent), so that the turn itself never fails for it.
   */
  onConflict?: NewMessage;
}

/** Everything one orchestration turn changes, committed atomically by {@link Store.commitTurn}. */
export interface TurnCommit {
  instanceId: string;
  /** Must still hold the instance's lease (see commitTurn). */
  leaseId: string;
  /** The lease epoch of the claim ({@link OrchestrationWorkItem.epoch}); when given, must match too. */
  epoch?: number;
  /**
   * When true (continue-as-new), the instance's existing history rows are deleted first and
   * `history` starts again at seq 0.
   */
  resetHistory?: boolean;
  /** `seq` of `history[0]`; must equal the current historyLength (0 with resetHistory). */
  firstSeq: number;
  /** Rows to append, with contiguous seq starting at firstSeq. May be empty. */
  history: HistoryRecord[];
  /** New values of the instance's mutable columns. historyLength becomes firstSeq + history.length. */
  state: InstanceState;
  /** Inbox message ids (of this instance, taken under this lease) that this turn processed: deleted. */
  consumedMessageIds: number[];
  /**
   * When true (the instance reached a terminal status), every other inbox message and activity
   * task of this instance is deleted too, so timers and queued activities do not linger. Applied
   * before `messages`/`tasks` are inserted, and the turn's own `tasks` and the `messages` it
   * addresses to itself are discarded as well: nothing created in a final turn outlives it —
   * except detached tasks ({@link NewActivityTask.detached}), which are kept and inserted.
   */
  dropPendingWork?: boolean;
  /**
   * Continue-as-new: delete the instance's (not detached) activity tasks and inbox messages whose
   * executionId is this (the ending execution's timers, task results, queued activities), keeping messages that
   * belong to the instance (external events that arrived during the turn). Applied before
   * `messages`/`tasks` are inserted.
   */
  dropWorkOf?: string;
  /** Activity tasks to enqueue. */
  tasks: NewActivityTask[];
  /**
   * Messages to enqueue: timers for itself, events for other instances, completions for the
   * parent. A message whose target instance does not exist is silently dropped.
   */
  messages: NewMessage[];
  /** Sub-orchestrations to create (with their start messages). */
  newInstances: TurnNewInstance[];
  /**
   * Feature `inlineActivityCompletion`: activity tasks whose results this turn records directly in
   * its history (instead of via completeActivity + the inbox). They are deleted in the same
   * transaction; if any row is gone or held by another lease, the whole turn fails with LEASE_LOST.
   */
  completedTasks?: Array<{ taskRowId: number; leaseId: string }>;
}

/** Claims orchestrations with work; see {@link Store.claimOrchestrations}. */
export interface ClaimOrchestrationsRequest {
  /** Unique per claim call (the engine makes it); recorded as the lease holder. */
  leaseId: string;
  /** The caller's clock: visibility and lease expiry are judged against it. */
  now: number;
  /** Lease duration: the items are locked until now + leaseMs. */
  leaseMs: number;
  /** Most instances to return. */
  limit: number;
  /**
   * Most messages per instance returned (the rest stay in the inbox, unlocked, for the next turn:
   * they belong to the same lease, so nothing is stranded when a window shrinks). @default 1000
   */
  maxMessagesPerInstance?: number;
  /**
   * Claim only instances whose orchestration name is in this list (the names this worker can run).
   * Absent: any name; empty: none. Work for names nobody serves waits; it is never failed by the
   * store. Applies to `instanceIds` claims too.
   */
  names?: readonly string[];
  /**
   * Feature `inlineActivityCompletion`: claim only these instances. Each listed instance that exists,
   * has no unexpired lock (and is of a served name) is leased and returned with its visible
   * messages — possibly none (the caller brings the event itself). Unknown or locked ones are skipped.
   */
  instanceIds?: string[];
}

/** Claims activity tasks; see {@link Store.claimActivities}. */
export interface ClaimActivitiesRequest {
  leaseId: string;
  now: number;
  leaseMs: number;
  limit: number;
  /** Claim only tasks whose activity name is in this list. Absent: any name; empty: none. */
  names?: readonly string[];
}

/** Completes a claimed activity; see {@link Store.completeActivity}. */
export interface CompleteActivityRequest {
  /** The task row id ({@link ActivityWorkItem.id}). */
  taskRowId: number;
  leaseId: string;
  /** The TaskCompleted/TaskFailed message for the orchestration's inbox. */
  message: NewMessage;
}

/**
 * A workflow definition version kept in the store: the text an instance runs, by hash, so that a
 * restarted (or another) node replays every running instance on the definition it started with.
 */
export interface DefinitionRecord {
  /** The engine's definition hash (sha256 of the normalized definition). Primary key. */
  hash: string;
  /** Workflow (orchestration) id. Indexed. */
  id: string;
  version?: string;
  /** The definition text as registered (YAML or JSON). */
  text: string;
  /** Where it came from: a file path, or `<api>`. */
  source: string;
  registeredAt: number;
}

/** Work queued for one orchestration or activity name ({@link Store.queuedWork}). */
export interface QueuedWorkCount {
  /** 'orchestration': instances with visible inbox messages; 'activity': visible tasks. */
  kind: 'orchestration' | 'activity';
  name: string;
  /**
   * Items claimable at `now` by a worker that serves the name: visible and not held by an
   * unexpired lease (an instance being run right now is not queued work).
   */
  ready: number;
  /**
   * Of those, the earliest time one became claimable (how long the work has waited): a task's or
   * message's visible-at, or for work whose lease expired, that expiry if later.
   */
  oldestVisibleAt: number;
}

/** What one instance has queued, for `get` ("waiting for …"); see {@link Store.pendingWork}. */
export interface PendingWork {
  /** Inbox messages, visible or not. */
  inboxMessages: number;
  /** The earliest visible-at time of an inbox message that is not visible at `now` (a timer). */
  nextMessageAt?: number;
  /** The instance's queued activity tasks, in id order; `leased`: held by a lease unexpired at `now`. */
  tasks: { taskId: number; name: string; visibleAt: number; leased: boolean; dequeueCount: number }[];
}

/** Optional capabilities of a backend; an absent flag means "not supported". */
export interface StoreFeatures {
  /**
   * `claimOrchestrations` honours `instanceIds` and `commitTurn` honours `completedTasks`, so an
   * activity's result and the orchestration's next turn commit in ONE transaction (one fsync less
   * per step on the latency path; the engine falls back to completeActivity without it).
   */
  inlineActivityCompletion?: boolean;
}

/** Filter and page of {@link Store.queryInstances}. All given criteria must hold (AND). */
export interface InstanceQuery {
  name?: string;
  /** Any of these statuses. Empty or absent: all. */
  statuses?: RuntimeStatus[];
  /** createdAt >= createdFrom (inclusive). */
  createdFrom?: number;
  /** createdAt < createdTo (exclusive). */
  createdTo?: number;
  parentInstanceId?: string;
  /** Only instances whose current execution runs this definition hash. */
  definitionHash?: string;
  /** @default 100; a store may cap it at 1000. */
  pageSize?: number;
  /** The nextPageToken of the previous page. Opaque; only valid with the same filter. */
  pageToken?: string;
}

/** One page of instances, ordered by (createdAt, instanceId) ascending. */
export interface InstancePage {
  instances: InstanceRecord[];
  /** Present when more instances may follow. */
  nextPageToken?: string;
}

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
export interface Store {
  /** Backend name for logs and diagnostics, e.g. 'memory', 'sqlite'. */
  readonly kind: string;

  /** Optional capabilities (see {@link StoreFeatures}); absent means none. */
  readonly features?: StoreFeatures;

  /**
   * Creates an instance (status PENDING, historyLength 0, no lock) and puts `startMessage` in its
   * inbox with the given visibleAt (a scheduled start is a future visibleAt). An existing id is
   * handled by `reusePolicy` (default REPLACE_TERMINAL): refused with INSTANCE_EXISTS, replaced
   * (old history, inbox and tasks deleted), or left untouched (IGNORE).
   * @returns `created: false` only under IGNORE when the id existed.
   */
  createInstance(request: CreateInstanceRequest): Promise<{ created: boolean }>;

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
   */
  commitTurn(turn: TurnCommit): Promise<void>;

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

  /** One page of instances matching the filter, ordered by (createdAt, instanceId). */
  queryInstances(query: InstanceQuery): Promise<InstancePage>;

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
