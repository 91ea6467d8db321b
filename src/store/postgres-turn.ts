/**
 * @module store/postgres-turn
 * The instance-changing write bodies of the PostgreSQL store — create (reuse policy), enqueue,
 * the turn commit and instance deletion — each run inside one transaction. Every body first locks
 * the instance rows it will write, in instance-id order (the fixed lock order that keeps two turns
 * from deadlocking), and only then takes inbox ids: an instance's messages get ids in the order
 * their transactions commit (specs/store-postgres.md, "ordering rule").
 */

import type pg from 'pg';
import { SwirlError } from '../errors.js';
import { run } from './postgres-sql.js';
import type { Tx } from './postgres-tx.js';
import { toInstanceRecord, type InstanceRow } from './sqlite-rows.js';
import { isTerminalStatus, ReusePolicy, RuntimeStatus, StoreErrorCode, storeError, type ActivityWorkItem, type CommittedTurn, type CreateInstanceRequest, type NewActivityTask, type NewMessage, type OrchestrationWorkItem, type TurnCommit } from './types.js';

/** A locked instance row (what the lock query returns). */
interface LockedRow {
  instance_id: string;
  locked_by: string | null;
  lease_epoch: number;
  history_length: number;
  status: RuntimeStatus;
}

/** Converts the caller's scheduling times to the database clock's frame (see PgTurnWriter). */
export type ToDb = (t: number) => number;

/** The write bodies. `toDb` maps the caller's clock to the database clock (specs/store-postgres.md). */
export class PgTurnWriter {
  /**
   * @param node the store's node id, recorded on the instances its turns finish and the tasks they
   *             create (sticky claims, postgres-claims.ts)
   */
  constructor(
    private readonly toDb: ToDb,
    private readonly node = '',
  ) {}

  /** Locks the rows of `ids` (that exist) in id order; returns them by id. */
  async lock(tx: Tx, ids: Iterable<string>): Promise<Map<string, LockedRow>> {
    const sorted = [...new Set(ids)].sort();
    const rows = sorted.length === 0 ? [] : (await run<LockedRow>(tx, 'lockInstances', [sorted])).rows;
    return new Map(rows.map((r) => [r.instance_id, r]));
  }

  /**
   * The parameters of SQL.createNew — a create of `request` if its id is free, in one autocommit
   * statement, alone or with concurrent ones (postgres-create-batch.ts).
   */
  createNewParams(request: CreateInstanceRequest): unknown[] {
    return [...instanceColumns(request), this.toDb(request.startMessage.visibleAt), request.startMessage.data];
  }

  /**
   * Creates `request` if its id is free and claims it at once under `claim` (its start visible at
   * `claim.now`), in one autocommit statement: the row as claimOrchestrations right after the
   * create would leave it (locked, epoch 1, the start's dequeueCount 1, the claim's window), and
   * the work item; undefined (nothing written) if the id exists.
   */
  async createNewClaimed(
    db: pg.Pool,
    request: CreateInstanceRequest,
    claim: NonNullable<CreateInstanceRequest['claim']>,
    fromDb: ToDb,
  ): Promise<OrchestrationWorkItem | undefined> {
    const now = this.toDb(claim.now);
    const visible = this.toDb(request.startMessage.visibleAt);
    const params = [...instanceColumns(request), visible, request.startMessage.data, claim.leaseId, now + claim.leaseMs, now];
    const row = (await run<InstanceRow & { lease_epoch: number; m_id: string }>(db, 'createNewClaimed', params)).rows[0];
    if (row === undefined) return undefined;
    const start = { id: Number(row.m_id), instanceId: request.instanceId, data: request.startMessage.data, visibleAt: fromDb(visible), dequeueCount: 1 };
    return { instance: toInstanceRecord(row), messages: [start], leaseId: claim.leaseId, epoch: row.lease_epoch };
  }

  /**
   * createInstance with the instance row already locked if it exists (`existing`). With
   * `firstTurnLease` (CreateInstanceRequest.firstTurn): no start message, the row locked by that
   * lease for the turn committed next in the same transaction.
   */
  async createInstance(tx: Tx, request: CreateInstanceRequest, existing: LockedRow | undefined, firstTurnLease?: string): Promise<{ created: boolean }> {
    const policy = request.reusePolicy ?? ReusePolicy.REPLACE_TERMINAL;
    let epoch = 0;
    if (existing !== undefined) {
      switch (policy) {
        case ReusePolicy.IGNORE:
          return { created: false };
        case ReusePolicy.REJECT:
          throw exists(request.instanceId, existing.status);
        case ReusePolicy.REPLACE_TERMINAL:
          if (!isTerminalStatus(existing.status)) throw exists(request.instanceId, existing.status);
          // A replaced id keeps counting epochs, so an old lease's epoch can never match the new row.
          epoch = (await this.deleteInstance(tx, request.instanceId)) ?? 0;
          break;
        default: {
          const never: never = policy;
          throw new SwirlError('INVALID_ARGUMENT', `unknown reuse policy ${String(never)}`);
        }
      }
    }
    const visible = this.toDb(request.startMessage.visibleAt);
    const inserted = await run(tx, 'insertInstance', [...instanceColumns(request), epoch, visible]);
    if (inserted.rowCount === 0) {
      // Another transaction created the id after our lock query found nothing (ON CONFLICT waited
      // for it to commit): the id is taken and, being new, not terminal.
      if (policy === ReusePolicy.IGNORE) return { created: false };
      throw exists(request.instanceId, RuntimeStatus.PENDING);
    }
    if (firstTurnLease !== undefined) await run(tx, 'lockCreated', [request.instanceId, firstTurnLease]);
    else await run(tx, 'insertMessages', [[request.instanceId], [null], [visible], [request.startMessage.data]]);
    return { created: true };
  }

  /**
   * Inserts messages to instances whose rows this transaction has locked, and refreshes their
   * ready_at — except `skipRefresh`'s (the turn's own instance: its end-of-turn update does it).
   */
  async insertMessages(tx: Tx, messages: readonly NewMessage[], skipRefresh?: string): Promise<void> {
    if (messages.length === 0) return;
    await run(tx, 'insertMessages', [
      messages.map((m) => m.instanceId),
      messages.map((m) => m.executionId ?? null),
      messages.map((m) => this.toDb(m.visibleAt)),
      messages.map((m) => m.data),
    ]);
    for (const id of new Set(messages.map((m) => m.instanceId))) if (id !== skipRefresh) await run(tx, 'refreshReady', [id]);
    const marked = messages.filter((m) => m.terminates === true).map((m) => m.instanceId);
    if (marked.length > 0) await run(tx, 'markTerminating', [[...new Set(marked)]]);
  }

  /** enqueueMessages: atomic, INSTANCE_NOT_FOUND for an unknown target. */
  async enqueue(tx: Tx, messages: readonly NewMessage[]): Promise<void> {
    const rows = await this.lock(
      tx,
      messages.map((m) => m.instanceId),
    );
    for (const m of messages) if (!rows.has(m.instanceId)) throw storeError(StoreErrorCode.INSTANCE_NOT_FOUND, `no instance with id '${m.instanceId}'`);
    await this.insertMessages(tx, messages);
  }

  /** commitTurn: lock every instance the turn touches (sorted), the checks of the Store doc, then the writes. */
  async commitTurn(tx: Tx, turn: TurnCommit): Promise<CommittedTurn | undefined> {
    const touched = [turn.instanceId, ...turn.messages.map((m) => m.instanceId), ...turn.newInstances.map((c) => c.instanceId)];
    for (const c of turn.newInstances) {
      if (c.onConflict !== undefined) touched.push(c.onConflict.instanceId);
      // The root's count is read and written under its row lock (taken in the same id order).
      if (c.tree !== undefined) touched.push(c.tree.rootInstanceId);
    }
    const rows = await this.lock(tx, touched);
    const current = rows.get(turn.instanceId);
    if (turn.claimless !== undefined) {
      // No claim was made: only if that claim would have found nothing (as migration 10's function).
      const check = current === undefined ? undefined : (await run<{ ok: boolean }>(tx, 'claimFreeCheck', [turn.instanceId, turn.claimless.executionId, this.toDb(turn.claimless.now)])).rows[0];
      if (current === undefined || check?.ok !== true) throw claimFreeRefused(turn);
    } else {
      if (current === undefined || current.locked_by !== turn.leaseId) throw leaseLost('instance', turn.instanceId, turn.leaseId);
      if (turn.epoch !== undefined && turn.epoch !== current.lease_epoch) throw epochMoved(turn, current.lease_epoch);
    }
    const expectedSeq = turn.resetHistory ? 0 : current.history_length;
    if (turn.firstSeq !== expectedSeq) throw historyMoved(turn, expectedSeq);
    checkContiguous(turn);
    const completed = turn.completedTasks ?? [];
    if (completed.length > 0) {
      const deleted = await run<{ id: number }>(tx, 'deleteLockedTasks', [completed.map((d) => d.taskRowId), completed.map((d) => d.leaseId)]);
      if ((deleted.rowCount ?? 0) < new Set(completed.map((d) => d.taskRowId)).size) throw taskLeaseLost(turn);
    }
    if (turn.resetHistory) await run(tx, 'deleteHistory', [turn.instanceId]);
    if (turn.resetTreeCount) await run(tx, 'resetTreeSize', [turn.instanceId]);
    if (turn.history.length > 0) {
      // The primary key (instance_id, seq) refuses a duplicate append even if the checks were bypassed.
      const h = turn.history;
      await run(tx, 'insertHistory', [turn.instanceId, h.map((e) => e.seq), h.map((e) => e.type), h.map((e) => e.timestamp), h.map((e) => e.data)]);
    }
    if (turn.consumedMessageIds.length > 0) await run(tx, 'deleteMessages', [turn.instanceId, turn.consumedMessageIds]);
    if (turn.dropPendingWork) {
      await run(tx, 'deleteInbox', [turn.instanceId]);
      await run(tx, 'deleteAttachedTasks', [turn.instanceId]);
      await run(tx, 'deleteWaitKeys', [turn.instanceId]);
    } else if (turn.waitKeys !== undefined) {
      await run(tx, 'deleteWaitKeys', [turn.instanceId]);
      if (turn.waitKeys.length > 0) await run(tx, 'insertWaitKeys', [turn.instanceId, turn.waitKeys]);
    }
    if (turn.dropWorkOf !== undefined) {
      await run(tx, 'deleteInboxOf', [turn.instanceId, turn.dropWorkOf]);
      await run(tx, 'deleteTasksOf', [turn.instanceId, turn.dropWorkOf]);
    }
    // A final turn's own tasks and self-messages would outlive it — except fire-and-forget tasks.
    const lease = turn.taskLease;
    const leasedAt = new Set(lease?.tasks ?? []);
    const kept = turn.tasks.map((t, i) => ({ t, leased: lease !== undefined && leasedAt.has(i) })).filter((k) => !turn.dropPendingWork || k.t.detached === true);
    const tasks = kept.map((k) => k.t);
    let leasedIds: number[] = [];
    if (tasks.length > 0) {
      const inserted = await run<{ id: string }>(tx, 'insertTasks', [
        tasks.map((t) => t.instanceId),
        tasks.map((t) => t.executionId),
        tasks.map((t) => t.taskId),
        tasks.map((t) => t.name),
        tasks.map((t) => this.toDb(t.visibleAt)),
        tasks.map((t) => t.detached === true),
        tasks.map((t) => t.data),
        this.node,
        kept.map((k) => k.leased),
        lease?.leaseId ?? null,
        lease === undefined ? null : this.toDb(lease.lockExpiresAt),
      ]);
      leasedIds = inserted.rows.map((r) => Number(r.id));
    }
    // Messages to instances that do not exist (now, before this turn's children) are dropped.
    const delivered = turn.messages.filter((m) => (m.instanceId === turn.instanceId ? !turn.dropPendingWork : rows.has(m.instanceId)));
    await this.insertMessages(tx, delivered, turn.instanceId);
    await this.createChildren(tx, turn, rows);
    const s = turn.state;
    await run(tx, 'finishTurn', [
      turn.instanceId,
      s.executionId,
      s.name,
      s.status,
      s.definitionHash ?? null,
      s.definitionVersion ?? null,
      s.lastUpdatedAt,
      s.completedAt ?? null,
      s.input ?? null,
      s.output ?? null,
      s.customStatus ?? null,
      s.failure ?? null,
      turn.firstSeq + turn.history.length,
      turn.keepInput === true,
      turn.keepOutput === true,
      this.node,
    ]);
    return committedTurn(
      turn,
      kept.filter((k) => k.leased).map((k) => k.t),
      leasedIds,
    );
  }

  /** Deletes the instance with its history, inbox, tasks and wait keys; returns its lease epoch (undefined if absent). */
  async deleteInstance(tx: Tx, instanceId: string): Promise<number | undefined> {
    await run(tx, 'deleteHistory', [instanceId]);
    await run(tx, 'deleteInbox', [instanceId]);
    await run(tx, 'deleteTasks', [instanceId]);
    await run(tx, 'deleteWaitKeys', [instanceId]);
    return (await run<{ lease_epoch: number }>(tx, 'deleteInstance', [instanceId])).rows[0]?.lease_epoch;
  }

  /**
   * The turn's children, in order, with the fan-out rule of TreeLimit (store/types-requests.ts):
   * the tree columns of the turn's instance and the roots are read once (their rows are locked),
   * counted here, and each root's count is written once at the end.
   */
  private async createChildren(tx: Tx, turn: TurnCommit, rows: Map<string, LockedRow>): Promise<void> {
    if (turn.newInstances.length === 0) return;
    const roots = turn.newInstances.flatMap((c) => (c.tree !== undefined ? [c.tree.rootInstanceId] : []));
    const trees = new Map<string, { size: number; terminating: boolean }>();
    if (roots.length > 0) {
      const read = await run<{ instance_id: string; tree_size: number; terminating: boolean }>(tx, 'treeOf', [[turn.instanceId, ...new Set(roots)]]);
      for (const r of read.rows) trees.set(r.instance_id, { size: r.tree_size, terminating: r.terminating });
    }
    const added = new Map<string, number>();
    for (const child of turn.newInstances) {
      const tree = child.tree;
      if (tree !== undefined) {
        const root = trees.get(tree.rootInstanceId);
        const refusal =
          trees.get(turn.instanceId)?.terminating === true || root?.terminating === true
            ? tree.onTerminating
            : root !== undefined && root.size >= tree.maxInstances
              ? tree.onLimit
              : undefined;
        if (refusal !== undefined) {
          if (rows.has(refusal.instanceId)) await this.insertMessages(tx, [refusal]);
          continue;
        }
      }
      if ((await this.createChild(tx, child, rows)) && tree !== undefined) {
        const root = trees.get(tree.rootInstanceId);
        if (root !== undefined) {
          root.size += 1;
          added.set(tree.rootInstanceId, (added.get(tree.rootInstanceId) ?? 0) + 1);
        }
      }
    }
    for (const [root, n] of added) await run(tx, 'addTreeSize', [root, n]);
  }

  /** A child of a turn in a savepoint: a refused child leaves nothing behind; its onConflict message is delivered instead. True if created. */
  private async createChild(tx: Tx, child: TurnCommit['newInstances'][number], rows: Map<string, LockedRow>): Promise<boolean> {
    await tx.query('SAVEPOINT child');
    try {
      const { created } = await this.createInstance(tx, child, rows.get(child.instanceId));
      await tx.query('RELEASE SAVEPOINT child');
      return created;
    } catch (error) {
      await tx.query('ROLLBACK TO SAVEPOINT child');
      if (!(error instanceof SwirlError && error.code === StoreErrorCode.INSTANCE_EXISTS)) throw error;
      const notice = child.onConflict;
      if (notice !== undefined && rows.has(notice.instanceId)) await this.insertMessages(tx, [notice]);
      return false;
    }
  }
}

function exists(instanceId: string, status: RuntimeStatus): SwirlError {
  return status === RuntimeStatus.PENDING || !isTerminalStatus(status)
    ? storeError(StoreErrorCode.INSTANCE_EXISTS, `an instance with id '${instanceId}' is already ${status}; only a completed, failed or terminated instance can be replaced`)
    : storeError(StoreErrorCode.INSTANCE_EXISTS, `an instance with id '${instanceId}' already exists (${status})`);
}

/** A turn whose claim was superseded (the row's epoch moved on). */
export function epochMoved(turn: TurnCommit, current: number): SwirlError {
  return storeError(StoreErrorCode.LEASE_LOST, `instance '${turn.instanceId}' is at lease epoch ${current}, not ${turn.epoch} (claimed again since)`);
}

/** A turn built on a history that is not the stored one. */
export function historyMoved(turn: TurnCommit, stored: number): SwirlError {
  return storeError(StoreErrorCode.HISTORY_CONFLICT, `turn of '${turn.instanceId}' starts at seq ${turn.firstSeq} but the stored history has ${stored} events`);
}

/** A turn whose completed activity tasks are no longer all held by their leases. */
export function taskLeaseLost(turn: TurnCommit): SwirlError {
  const completed = turn.completedTasks ?? [];
  const lost = completed[0];
  return leaseLost('activity task', completed.length === 1 ? String(lost.taskRowId) : completed.map((d) => d.taskRowId).join(', '), lost.leaseId);
}

/** The turn's history events carry seqs firstSeq, firstSeq + 1, … (HISTORY_CONFLICT otherwise). */
export function checkContiguous(turn: TurnCommit): void {
  turn.history.forEach((event, i) => {
    if (event.seq !== turn.firstSeq + i) {
      throw storeError(StoreErrorCode.HISTORY_CONFLICT, `turn of '${turn.instanceId}': history seq ${event.seq} is not contiguous (expected ${turn.firstSeq + i})`);
    }
  });
}

/** The LEASE_LOST error of every lease check. */
export function leaseLost(what: string, id: string, leaseId: string): SwirlError {
  return storeError(StoreErrorCode.LEASE_LOST, `${what} '${id}' is not held by lease '${leaseId}' (expired and claimed by another worker, or deleted)`);
}

/** The new instance row's columns both create statements start with (createNew, insertInstance). */
function instanceColumns(request: CreateInstanceRequest): unknown[] {
  return [
    request.instanceId,
    request.executionId,
    request.name,
    request.createdAt,
    request.scheduledStartAt ?? null,
    request.input ?? null,
    request.parentInstanceId ?? null,
    request.definitionHash ?? null,
    request.definitionVersion ?? null,
  ];
}

/** A claim-free turn (TurnCommit.claimless) whose instance changed since the engine last committed it. */
export function claimFreeRefused(turn: TurnCommit): Error {
  return storeError(StoreErrorCode.LEASE_LOST, `instance '${turn.instanceId}' changed since its last turn here (a claim-free turn needs it unlocked, at its execution, with no visible message)`);
}

/**
 * What commitTurn resolves with for `turn`: its leased tasks as work items (`ids`: their rows, in
 * insertion order), or nothing when it asked for no lease.
 */
export function committedTurn(turn: TurnCommit, leased: readonly NewActivityTask[], ids: readonly number[]): CommittedTurn | undefined {
  const lease = turn.taskLease;
  if (lease === undefined) return undefined;
  const leasedTasks: ActivityWorkItem[] = leased.map((t, i) => ({ ...t, id: ids[i], leaseId: lease.leaseId, dequeueCount: 1 }));
  return { leasedTasks };
}
