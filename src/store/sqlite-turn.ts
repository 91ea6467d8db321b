/**
 * @module store/sqlite-turn
 * The instance-changing write bodies of the SQLite store — create (with its reuse policy), the
 * turn commit, message delivery and instance deletion — run inside a group-commit batch. Each
 * keeps the instance's `ready_at` in step with its inbox and lock (see migration 3).
 */

import type Database from 'better-sqlite3';
import { SwirlError } from '../errors.js';
import { createdRecord } from './created-record.js';
import { checkFirstTurn } from './first-turn.js';
import { HISTORY_ROWS_PER_INSERT, ReadyUpdate, updateParams, type SqliteStatements } from './sqlite-statements.js';
import {
  isTerminalStatus,
  ReusePolicy,
  RuntimeStatus,
  StoreErrorCode,
  storeError,
  type ActivityWorkItem,
  type CommittedTurn,
  type CreateInstanceRequest,
  type CreatedInstance,
  type NewMessage,
  type OrchestrationWorkItem,
  type TurnCommit,
} from './types.js';

/** The write bodies that touch instances and their inboxes. */
export class SqliteTurnWriter {
  constructor(
    private readonly db: Database.Database,
    private readonly sql: SqliteStatements,
  ) {}

  /** createInstance: the reuse policy, then the row (ready at its start message) and the start message. */
  createInstance(request: CreateInstanceRequest): { created: boolean } {
    const epoch = this.admit(request);
    if (epoch === undefined) return { created: false };
    this.sql.insertInstance.run({ ...instanceParams(request, epoch), ready: request.startMessage.visibleAt });
    this.sql.insertMessage.run({ id: request.instanceId, exec: null, visible: request.startMessage.visibleAt, data: request.startMessage.data });
    return { created: true };
  }

  /**
   * createInstance with its claim (CreateInstanceRequest.claim) for a start due at the claim's
   * `now`: the row and its start message are written as the claim right after the create leaves
   * them — locked by the claim's lease (epoch + 1, ready at the lock expiry, the claim window at
   * the start message), the message taken once — instead of inserted and then claimed. The new
   * row's inbox is exactly its start message (a replaced row's inbox went with it, and messages
   * reach existing instances only), so that claim would hand over just that message.
   */
  createClaimed(request: CreateInstanceRequest, claim: NonNullable<CreateInstanceRequest['claim']>): { created: boolean; claimed?: OrchestrationWorkItem } {
    const epoch = this.admit(request);
    if (epoch === undefined) return { created: false };
    const start = request.startMessage;
    const messageId = Number(this.sql.insertTakenMessage.run(request.instanceId, null, start.visibleAt, start.data).lastInsertRowid);
    const lock = claim.now + claim.leaseMs;
    this.insertLocked(request, epoch + 1, lock, claim.leaseId, lock, messageId, claim.now);
    const instance = createdRecord(request);
    const message = { id: messageId, instanceId: request.instanceId, data: start.data, visibleAt: start.visibleAt, dequeueCount: 1 };
    return { created: true, claimed: { instance, messages: [message], leaseId: claim.leaseId, epoch: epoch + 1 } };
  }

  /**
   * createInstance with its first turn (CreateInstanceRequest.firstTurn, feature `fusedStart`):
   * the row is inserted locked by the turn's lease with an empty inbox (the start message is the
   * turn's, never inserted), then the turn commits under that lock exactly as commitTurn does and
   * unlocks it — all in the one batch operation, so a refusal anywhere writes nothing.
   */
  createWithTurn(request: CreateInstanceRequest, turn: TurnCommit): CreatedInstance {
    checkFirstTurn(request, turn);
    const epoch = this.admit(request);
    if (epoch === undefined) return { created: false };
    // ready_at NULL while locked: nothing in the inbox (commitTurn keeps or sets it from the turn's own messages).
    this.insertLocked(request, epoch, null, turn.leaseId, turn.state.lastUpdatedAt, null, null);
    const committed = this.commitTurn(turn);
    return committed === undefined ? { created: true } : { created: true, committed };
  }

  /** The new PENDING row of `request`, locked by `leaseId` until `lockExpiresAt` (insertClaimedInstance binds by position). */
  private insertLocked(request: CreateInstanceRequest, epoch: number, readyAt: number | null, leaseId: string, lockExpiresAt: number, claimLastId: number | null, claimedAt: number | null): void {
    this.sql.insertClaimedInstance.run(
      request.instanceId,
      request.executionId,
      request.name,
      RuntimeStatus.PENDING,
      request.createdAt,
      request.createdAt,
      request.scheduledStartAt ?? null,
      request.input ?? null,
      request.parentInstanceId ?? null,
      request.definitionHash ?? null,
      request.definitionVersion ?? null,
      epoch,
      readyAt,
      leaseId,
      lockExpiresAt,
      claimLastId,
      claimedAt,
    );
  }

  /** The reuse policy of a create: the lease epoch the new row starts from, undefined when IGNORE keeps the existing one. */
  private admit(request: CreateInstanceRequest): number | undefined {
    const existing = this.sql.instanceStatus.get(request.instanceId) as { status: RuntimeStatus } | undefined;
    let epoch = 0;
    if (existing !== undefined) {
      const policy = request.reusePolicy ?? ReusePolicy.REPLACE_TERMINAL;
      switch (policy) {
        case ReusePolicy.IGNORE:
          return undefined;
        case ReusePolicy.REJECT:
          throw storeError(StoreErrorCode.INSTANCE_EXISTS, `an instance with id '${request.instanceId}' already exists (${existing.status})`);
        case ReusePolicy.REPLACE_TERMINAL:
          if (!isTerminalStatus(existing.status)) {
            throw storeError(
              StoreErrorCode.INSTANCE_EXISTS,
              `an instance with id '${request.instanceId}' is already ${existing.status}; only a completed, failed or terminated instance can be replaced`,
            );
          }
          // A replaced id keeps counting epochs, so an old lease's epoch can never match the new row.
          epoch = this.deleteInstance(request.instanceId) ?? 0;
          break;
        default: {
          const never: never = policy;
          throw new SwirlError('INVALID_ARGUMENT', `unknown reuse policy ${String(never)}`);
        }
      }
    }
    return epoch;
  }

  /** enqueueMessages: atomic, INSTANCE_NOT_FOUND for an unknown target (the batch savepoint undoes the rest). */
  enqueue(messages: NewMessage[]): void {
    for (const m of messages) {
      if (!this.sql.instanceExists.get(m.instanceId)) throw storeError(StoreErrorCode.INSTANCE_NOT_FOUND, `no instance with id '${m.instanceId}'`);
      this.sql.insertMessage.run(messageParams(m));
      this.sql.noteMessage.run({ id: m.instanceId, visible: m.visibleAt });
      if (m.terminates === true) this.sql.markTerminating.run(m.instanceId);
    }
  }

  /** Delivers `message` if its target exists (a turn's or an activity's output); silently drops it otherwise. */
  deliver(message: NewMessage): void {
    if (this.sql.insertMessageIfExists.run(messageParams(message)).changes > 0) {
      this.sql.noteMessage.run({ id: message.instanceId, visible: message.visibleAt });
      if (message.terminates === true) this.sql.markTerminating.run(message.instanceId);
    }
  }

  /**
   * commitTurn: the checks of the Store doc in order, then the turn's writes; the lock is released
   * last. Returns the tasks inserted leased (TurnCommit.taskLease), if any were asked for.
   */
  commitTurn(turn: TurnCommit): CommittedTurn | undefined {
    const current = this.sql.instanceLock.get(turn.instanceId) as
      | {
          locked_by: string | null;
          lease_epoch: number;
          history_length: number;
          execution_id: string;
          name: string;
          status: string;
          definition_hash: string | null;
          ready_at: number | null;
        }
      | undefined;
    if (turn.claimless !== undefined) {
      // No claim was made: commit only if that claim would have found nothing to hand over — no
      // lock (not even an expired one: its holder may still be committing), the same execution,
      // no visible message (ready_at of an unlocked row is its inbox's earliest visible-at).
      const { now, executionId } = turn.claimless;
      if (current === undefined || current.locked_by !== null || current.execution_id !== executionId || (current.ready_at !== null && current.ready_at <= now)) {
        throw storeError(StoreErrorCode.LEASE_LOST, `instance '${turn.instanceId}' changed since its last turn here (a claim-free turn needs it unlocked, with no visible message)`);
      }
    } else {
      if (current === undefined || current.locked_by !== turn.leaseId) throw leaseLost('instance', turn.instanceId, turn.leaseId);
      if (turn.epoch !== undefined && turn.epoch !== current.lease_epoch) {
        throw storeError(StoreErrorCode.LEASE_LOST, `instance '${turn.instanceId}' is at lease epoch ${current.lease_epoch}, not ${turn.epoch} (claimed again since)`);
      }
    }
    const expectedSeq = turn.resetHistory ? 0 : current.history_length;
    if (turn.firstSeq !== expectedSeq) {
      throw storeError(
        StoreErrorCode.HISTORY_CONFLICT,
        `turn of '${turn.instanceId}' starts at seq ${turn.firstSeq} but the stored history has ${expectedSeq} events`,
      );
    }
    for (let i = 0; i < turn.history.length; i++) {
      const seq = turn.history[i].seq;
      if (seq !== turn.firstSeq + i) {
        throw storeError(StoreErrorCode.HISTORY_CONFLICT, `turn of '${turn.instanceId}': history seq ${seq} is not contiguous (expected ${turn.firstSeq + i})`);
      }
    }
    // inlineActivityCompletion: the results recorded in this turn's history retire their tasks
    // here, so result and next turn are one write. A task lost to another lease undoes the turn.
    for (const done of turn.completedTasks ?? []) {
      if (this.sql.deleteLockedTask.run(done.taskRowId, done.leaseId).changes === 0) throw leaseLost('activity task', String(done.taskRowId), done.leaseId);
    }
    if (turn.resetHistory) this.sql.deleteHistory.run(turn.instanceId);
    if (turn.resetTreeCount) this.sql.resetTreeSize.run(turn.instanceId);
    // The primary key (instance_id, seq) refuses a duplicate append even if the checks above were bypassed.
    this.appendHistory(turn.instanceId, turn.history);
    for (const messageId of turn.consumedMessageIds) this.sql.deleteMessage.run(messageId, turn.instanceId);
    if (turn.dropPendingWork) {
      this.sql.deleteInbox.run(turn.instanceId);
      this.sql.deleteAttachedTasks.run(turn.instanceId);
      this.sql.deleteWaitKeys.run(turn.instanceId);
    } else if (turn.waitKeys !== undefined) {
      this.sql.deleteWaitKeys.run(turn.instanceId);
      for (const key of turn.waitKeys) this.sql.insertWaitKey.run(key, turn.instanceId);
    }
    if (turn.dropWorkOf !== undefined) {
      this.sql.deleteInboxOf.run(turn.instanceId, turn.dropWorkOf);
      this.sql.deleteTasksOf.run(turn.instanceId, turn.dropWorkOf);
    }
    // A final turn's own tasks and self-messages would outlive the instance: discarded — except
    // fire-and-forget tasks, which are meant to.
    const lease = turn.taskLease;
    const leasedAt = lease === undefined ? undefined : new Set(lease.tasks);
    const leased: ActivityWorkItem[] = [];
    for (let i = 0; i < turn.tasks.length; i++) {
      const t = turn.tasks[i];
      if (turn.dropPendingWork && t.detached !== true) continue;
      const detached = t.detached === true ? 1 : 0;
      if (lease === undefined || leasedAt?.has(i) !== true) {
        this.sql.insertTask.run(t.instanceId, t.executionId, t.taskId, t.name, t.visibleAt, t.visibleAt, detached, t.data);
        continue;
      }
      const expires = lease.lockExpiresAt;
      const id = Number(this.sql.insertLeasedTask.run(t.instanceId, t.executionId, t.taskId, t.name, t.visibleAt, expires, detached, t.data, lease.leaseId, expires).lastInsertRowid);
      leased.push({ ...t, id, leaseId: lease.leaseId, dequeueCount: 1 });
    }
    // ready_at NULL while locked means the inbox was empty at the claim and nothing arrived since
    // (every arrival sets it): then the inbox after this turn is exactly its own self-messages,
    // and ready_at is their earliest visible-at, computed here — on the hot path of an inline
    // activity completion (no messages at all) it is not assigned, sparing its two indexes.
    let ownEarliest: number | undefined;
    for (const m of turn.messages) {
      if (m.instanceId !== turn.instanceId) this.deliver(m);
      else if (!turn.dropPendingWork) {
        // The turn's own instance exists (its lock was checked); its ready_at is set below.
        this.sql.insertMessage.run(messageParams(m));
        if (m.terminates === true) this.sql.markTerminating.run(m.instanceId);
        if (ownEarliest === undefined || m.visibleAt < ownEarliest) ownEarliest = m.visibleAt;
      }
    }
    let deliveredToSelf = false;
    for (const child of turn.newInstances) deliveredToSelf = this.createChild(child, turn.instanceId) || deliveredToSelf;
    const ready =
      current.ready_at !== null || deliveredToSelf ? ReadyUpdate.RECOMPUTE : ownEarliest === undefined ? ReadyUpdate.KEEP : ReadyUpdate.VALUE;
    const s = turn.state;
    const hash = s.definitionHash ?? null;
    const setName = s.name !== current.name;
    const setStatus = s.status !== current.status;
    const setHash = hash !== current.definition_hash;
    const params = updateParams(setName, setStatus, setHash, ready, {
      id: turn.instanceId,
      ready: ownEarliest ?? null,
      exec: s.executionId,
      name: s.name,
      status: s.status,
      hash,
      version: s.definitionVersion ?? null,
      updated: s.lastUpdatedAt,
      completed: s.completedAt ?? null,
      input: s.input ?? null,
      output: s.output ?? null,
      // TurnCommit.keepInput / keepOutput: after a claim that omitted them, the stored ones stay.
      keepInput: turn.keepInput === true ? 1 : 0,
      keepOutput: turn.keepOutput === true ? 1 : 0,
      custom: s.customStatus ?? null,
      failure: s.failure ?? null,
      length: turn.firstSeq + turn.history.length,
    });
    this.sql.updateInstance(setName, setStatus, setHash, ready).run(params);
    return lease === undefined ? undefined : { leasedTasks: leased };
  }

  /** Inserts a turn's history rows, up to HISTORY_ROWS_PER_INSERT per statement. */
  private appendHistory(instanceId: string, history: TurnCommit['history']): void {
    for (let start = 0; start < history.length; start += HISTORY_ROWS_PER_INSERT) {
      const end = Math.min(history.length, start + HISTORY_ROWS_PER_INSERT);
      const params: unknown[] = [];
      for (let i = start; i < end; i++) {
        const event = history[i];
        params.push(instanceId, event.seq, event.type, event.timestamp, event.data);
      }
      this.sql.insertHistoryRows(end - start).run(params);
    }
  }

  /** TreeLimit steps 1 and 2 (store/types-requests.ts): the message delivered instead of creating `child`, if refused. */
  private treeRefusal(child: TurnCommit['newInstances'][number], self: string): NewMessage | undefined {
    const tree = child.tree;
    if (tree === undefined) return undefined;
    const own = this.sql.treeOf.get(self) as TreeRow | undefined;
    const root = tree.rootInstanceId === self ? own : (this.sql.treeOf.get(tree.rootInstanceId) as TreeRow | undefined);
    if (own?.terminating === 1 || root?.terminating === 1) return tree.onTerminating;
    if (root !== undefined && root.tree_size >= tree.maxInstances) return tree.onLimit;
    return undefined;
  }

  /** Deletes the instance with its history, inbox, tasks and wait keys; returns its lease epoch (undefined if absent). */
  deleteInstance(instanceId: string): number | undefined {
    this.sql.deleteHistory.run(instanceId);
    this.sql.deleteInbox.run(instanceId);
    this.sql.deleteTasks.run(instanceId);
    this.sql.deleteWaitKeys.run(instanceId);
    return (this.sql.deleteInstance.get(instanceId) as { lease_epoch: number } | undefined)?.lease_epoch;
  }

  /**
   * A child of a turn, in a nested savepoint: a refused child leaves nothing behind and does not
   * fail the turn. True when its onConflict message went to `self` (the turn's instance).
   */
  private createChild(child: TurnCommit['newInstances'][number], self: string): boolean {
    const refusal = this.treeRefusal(child, self);
    if (refusal !== undefined) {
      this.deliver(refusal);
      return refusal.instanceId === self;
    }
    this.db.exec('SAVEPOINT child');
    try {
      const { created } = this.createInstance(child);
      this.db.exec('RELEASE child');
      if (created && child.tree !== undefined) this.sql.addTreeSize.run(child.tree.rootInstanceId);
      return false;
    } catch (error) {
      this.db.exec('ROLLBACK TO child');
      this.db.exec('RELEASE child');
      if (!(error instanceof SwirlError && error.code === StoreErrorCode.INSTANCE_EXISTS)) throw error;
      if (child.onConflict === undefined) return false;
      this.deliver(child.onConflict);
      return child.onConflict.instanceId === self;
    }
  }
}

/** The tree columns of an instance row (migration 7). */
interface TreeRow {
  tree_size: number;
  terminating: number;
}

/** Named parameters of the instance inserts, except how the row is ready (or locked). */
function instanceParams(request: CreateInstanceRequest, epoch: number) {
  return {
    id: request.instanceId,
    exec: request.executionId,
    name: request.name,
    status: RuntimeStatus.PENDING,
    created: request.createdAt,
    scheduled: request.scheduledStartAt ?? null,
    input: request.input ?? null,
    parent: request.parentInstanceId ?? null,
    hash: request.definitionHash ?? null,
    version: request.definitionVersion ?? null,
    epoch,
  };
}

/** Named parameters of the inbox inserts. */
function messageParams(m: NewMessage): { id: string; exec: string | null; visible: number; data: string } {
  return { id: m.instanceId, exec: m.executionId ?? null, visible: m.visibleAt, data: m.data };
}

/** The LEASE_LOST error of every lease check. */
export function leaseLost(what: string, id: string, leaseId: string): SwirlError {
  return storeError(StoreErrorCode.LEASE_LOST, `${what} '${id}' is not held by lease '${leaseId}' (expired and claimed by another worker, or deleted)`);
}
