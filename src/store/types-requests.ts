/**
 * @module store/types-requests
 * What callers pass to the Store and the inspection shapes it returns: create, turn commit,
 * claims, completion, definitions, queued work, features and instance queries (re-exported by
 * store/types.ts).
 */

import type { ActivityWorkItem, HistoryRecord, InstanceRecord, InstanceState, NewActivityTask, NewMessage, OrchestrationWorkItem } from './types-records.js';
import type { RuntimeStatus } from './types-status.js';

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
  /**
   * Feature `turnShortcuts`: once created, claim the new instance in the same transaction, exactly
   * as `claimOrchestrations({ ...claim, limit: 1, instanceIds: [instanceId] })` right after the
   * create would (the engine asks only for a start due now whose orchestration it runs); the result
   * then carries the work item as `claimed`. Not for sub-orchestrations (newInstances ignore it).
   */
  claim?: { leaseId: string; now: number; leaseMs: number };
  /**
   * Feature `fusedStart`: the new instance's first turn, computed by the engine before the create
   * (from this request's start message), committed in the create's transaction — exactly as if
   * the create had been claimed under `firstTurn.leaseId` and then {@link Store.commitTurn} had
   * committed it: history, state, tasks (`taskLease` honoured), messages, children, wait keys,
   * dropPendingWork. The start message is not put in the inbox (the turn consumed it), so
   * `consumedMessageIds` must be empty, `firstSeq` 0, and `claim`, `claimless`, `epoch` and
   * `completedTasks` absent (`resetHistory`, a first turn that continues as new, deletes nothing). The instance is left unlocked, as commitTurn leaves
   * it. Refused (INSTANCE_EXISTS) or kept (IGNORE on an existing id): nothing of the turn is
   * written. The result carries the turn's {@link CommittedTurn} as `committed`. Only for a start
   * due now (`startMessage.visibleAt` ≤ the turn's time); not for sub-orchestrations
   * (newInstances ignore it).
   */
  firstTurn?: TurnCommit;
}

/** A sub-orchestration start inside a turn. */
export interface TurnNewInstance extends CreateInstanceRequest {
  /**
   * Delivered instead when the reuse policy refuses the id (typically a
   * SubOrchestrationInstanceFailed to the parent), so that the turn itself never fails for it.
   */
  onConflict?: NewMessage;
  /** Fan-out bounds of the child's tree, checked and counted in the turn's transaction (below). */
  tree?: TreeLimit;
}

/**
 * The per-root bound of a sub-orchestration start (specs/limits.md "Fan-out"). Every instance row
 * keeps a count of the instances created under it while it is a root, and a `terminating` mark
 * (set when a {@link NewMessage.terminates} message is delivered to it). For a child with `tree`,
 * the store, in the turn's transaction and in `newInstances` order:
 * 1. if the turn's instance or the root is marked terminating: creates nothing, delivers `onTerminating`;
 * 2. else if the root exists and its count is `maxInstances` or more: creates nothing, delivers `onLimit`;
 * 3. else creates the child as usual (onConflict applies) and, if it was created and the root
 *    exists, adds 1 to the root's count.
 * Under concurrent turns of one tree the count is exact: the root row is locked (or the store is
 * single-writer) while it is read and written. A root that was purged counts nothing.
 */
export interface TreeLimit {
  /** The root of the tree; may be the turn's own instance. */
  rootInstanceId: string;
  maxInstances: number;
  /** Delivered instead when the root's count is reached (typically SubOrchestrationInstanceFailed FANOUT_LIMIT). */
  onLimit: NewMessage;
  /** Delivered instead when the tree is being terminated (typically an ExecutionTerminated to the turn's instance). */
  onTerminating: NewMessage;
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
  /** Set on a root's continue-as-new: its count of instances created under it ({@link TreeLimit}) restarts at 0. */
  resetTreeCount?: boolean;
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
  /**
   * The instance's wait keys after this turn (opaque strings the orchestration attached to the
   * external-event waits it has open: how {@link Store.findWaitingInstances} finds it). Given:
   * they replace the instance's keys (empty: it waits on nothing keyed). Absent: unchanged. A
   * turn with dropPendingWork deletes them whatever is given, as deleting the instance does.
   */
  waitKeys?: string[];
  /**
   * Feature `turnShortcuts`: insert the tasks at these indexes of `tasks` already leased — locked
   * by `leaseId` until `lockExpiresAt`, dequeueCount 1 — exactly as if claimActivities had claimed
   * them right after this commit; commitTurn then resolves with them ({@link CommittedTurn}). The
   * engine only names tasks its own activity worker takes at once. Tasks not inserted (a final
   * turn's) are not returned.
   */
  taskLease?: { leaseId: string; lockExpiresAt: number; tasks: number[] };
  /**
   * Feature `turnShortcuts`: this turn was computed without claiming the instance (an inline
   * activity completion on a cached runtime). Instead of the lease and epoch checks, the commit
   * requires that the instance is not locked at all, runs execution `executionId`, has no inbox
   * message visible at `now`, and has `firstSeq` events — i.e. the claim it skipped would have
   * returned no messages and the instance is unchanged since the engine last committed it;
   * otherwise LEASE_LOST and nothing is written (the engine then claims as usual). `leaseId` and
   * `epoch` are not checked; the instance stays unlocked.
   */
  claimless?: { now: number; executionId: string };
  /**
   * Leave the instance's stored `input` (resp. `output`) as it is; `state.input` (`state.output`)
   * is ignored. The engine sets them after a claim that omitted the payloads
   * ({@link OrchestrationWorkItem.payloadsOmitted}): it never had them, so it must not write
   * them back. Every backend honours them. Absent: written from `state`, as always.
   */
  keepInput?: boolean;
  keepOutput?: boolean;
}

/** What the caller's live-instance cache holds of an instance ({@link ClaimOrchestrationsRequest.cached}). */
export interface CachedInstance {
  instanceId: string;
  executionId: string;
  historyLength: number;
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
  /**
   * Instances the caller holds live (its cache): a claimed instance whose stored execution id and
   * history length both equal an entry here is returned WITHOUT `input` and `output`
   * ({@link OrchestrationWorkItem.payloadsOmitted}) — nothing can have changed them since the
   * caller's last turn of it. Any mismatch (another node ran a turn, continue-as-new, id reuse)
   * returns them as usual. A backend may ignore it (payloads always returned).
   */
  cached?: CachedInstance[];
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
  /**
   * `createInstance` honours `claim` (the start is claimed in the create's transaction),
   * `commitTurn` honours `taskLease` (the tasks a turn creates are inserted already leased to the
   * local activity worker, no separate claim) and `claimless` (a turn committed without a prior
   * claim, when nothing else can have happened to the instance meanwhile): fewer store
   * transactions per step on the latency path (specs/engine.md, "Fewer transactions per step").
   */
  turnShortcuts?: boolean;
  /**
   * `createInstance` honours `firstTurn`: a start and its first turn in ONE transaction (one fsync
   * per start instead of two at c=1; specs/engine.md, "A start and its first turn in one commit").
   */
  fusedStart?: boolean;
}

/** What {@link Store.createInstance} reports back. */
export interface CreatedInstance {
  created: boolean;
  /** The claim of CreateInstanceRequest.claim (feature `turnShortcuts`), if made. */
  claimed?: OrchestrationWorkItem;
  /** The commit of CreateInstanceRequest.firstTurn (feature `fusedStart`), when created with it. */
  committed?: CommittedTurn;
}

/** What {@link Store.commitTurn} reports back (backends without `turnShortcuts` report nothing). */
export interface CommittedTurn {
  /** The tasks `taskLease` named, as inserted and leased, in the order of `tasks`. */
  leasedTasks: ActivityWorkItem[];
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
  /**
   * Only instances whose id starts with this (code-unit order; empty: all). A range scan of the
   * primary key: `instance_id >= prefix AND instance_id < successor(prefix)`.
   */
  instanceIdPrefix?: string;
  /** Page order by (createdAt, instanceId). @default 'asc' */
  order?: 'asc' | 'desc';
  /** @default 100; a store may cap it at 1000. */
  pageSize?: number;
  /** The nextPageToken of the previous page. Opaque; only valid with the same filter. */
  pageToken?: string;
}

/** Filter of {@link Store.countInstances}. */
export interface InstanceCountQuery {
  name?: string;
  /** Only instances whose id starts with this (as in {@link InstanceQuery.instanceIdPrefix}). */
  instanceIdPrefix?: string;
}

/** One group of {@link Store.countInstances}: how many instances of `name` have `status`. */
export interface InstanceCount {
  name: string;
  status: RuntimeStatus;
  count: number;
}

/**
 * The smallest string greater than every string starting with `prefix` in code-unit order (the
 * upper bound of a prefix range scan), or undefined when there is none (every unit is U+FFFF).
 */
export function prefixSuccessor(prefix: string): string | undefined {
  for (let i = prefix.length - 1; i >= 0; i--) {
    const unit = prefix.charCodeAt(i);
    if (unit < 0xffff) return prefix.slice(0, i) + String.fromCharCode(unit + 1);
  }
  return undefined;
}

/** One page of instances, ordered by (createdAt, instanceId), ascending unless `order: 'desc'`. */
export interface InstancePage {
  instances: InstanceRecord[];
  /** Present when more instances may follow. */
  nextPageToken?: string;
}
