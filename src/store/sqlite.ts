/**
 * @module store/sqlite
 * The embedded SQLite backend of the {@link Store} port (better-sqlite3, WAL, synchronous=FULL by
 * default). Every write goes through a {@link GroupCommitter}: writes issued concurrently by the
 * engine share one transaction and one fsync (a failing one undoes only its own writes), and are acknowledged only
 * after COMMIT. Reads run directly on the connection and see every acknowledged write.
 */

import type Database from 'better-sqlite3';
import { InfrastructureError, SwirlError } from '../errors.js';
import { GroupCommitter, type GroupCommitStats } from './sqlite-group-commit.js';
import {
  toActivityWorkItem,
  toHistoryRecord,
  toInboxMessage,
  toInstanceRecord,
  type HistoryRow,
  type InboxRow,
  type InstanceRow,
  type TaskRow,
} from './sqlite-rows.js';
import { openSqliteDatabase, relaxedCommit, SqliteSynchronous, WAL_AUTOCHECKPOINT_PAGES } from './sqlite-schema.js';
import { queryInstances } from './sqlite-query.js';
import { SqliteStatements } from './sqlite-statements.js';
import { WalSync } from './sqlite-wal-sync.js';
import { Checkpointer } from './sqlite-checkpointer.js';
import {
  isTerminalStatus,
  ReusePolicy,
  RuntimeStatus,
  StoreErrorCode,
  storeError,
  type ActivityWorkItem,
  type ClaimActivitiesRequest,
  type ClaimOrchestrationsRequest,
  type CompleteActivityRequest,
  type CreateInstanceRequest,
  type HistoryRecord,
  type InstancePage,
  type InstanceQuery,
  type InstanceRecord,
  type NewMessage,
  type OrchestrationWorkItem,
  type Store,
  type TurnCommit,
} from './types.js';

export { SqliteSynchronous } from './sqlite-schema.js';

/** Options of {@link openSqliteStore}. */
export interface SqliteStoreOptions {
  /** Database file (created if missing), or ':memory:'. */
  path: string;
  /**
   * Durability of a commit. FULL (fsync per commit) is what makes an acknowledged change survive
   * power loss; group commit is how it stays fast.
   * @default SqliteSynchronous.FULL
   */
  synchronous?: SqliteSynchronous;
  /** Most write calls per shared transaction. @default 1000 */
  maxBatch?: number;
  /** How long a write waits for another process holding the database lock. @default 5000 */
  busyTimeoutMs?: number;
  /**
   * Whether lease claims (claimOrchestrations / claimActivities) fsync too. When false, a batch
   * made only of claims commits without an fsync: it survives kill -9 (the WAL write is in the OS)
   * but may vanish on power loss — harmless, since every lease holder dies with the machine and
   * the work is simply claimed again (its dequeueCount may then be one lower). Every other write,
   * and any batch that contains one, keeps the full `synchronous` level. Halves the fsyncs on
   * the latency path of a step (claim → run → commit). True makes claims durable writes in both
   * sync modes.
   * @default false
   */
  durableClaims?: boolean;
  /**
   * With synchronous=FULL on a file: run the connection at NORMAL and fdatasync the WAL on the
   * thread pool before acknowledging (see sqlite-wal-sync.ts), instead of letting SQLite fsync
   * inside COMMIT on Node's JS thread. Same guarantee, but the event loop keeps working during
   * the disk flush and commits that arrive meanwhile share the next sync. WAL checkpoints move to
   * a worker thread as well (see sqlite-checkpointer.ts).
   * @default true
   */
  syncOffThread?: boolean;
}

/**
 * Auto-checkpoint threshold while the checkpointer thread runs: only a backstop (~40 MB of WAL)
 * in case the thread falls behind; normally it never triggers on the JS thread.
 */
const WAL_BACKSTOP_PAGES = 10_000;

const DEFAULT_MAX_MESSAGES_PER_INSTANCE = 1000;

/**
 * Opens (creating and migrating as needed) a SQLite store; `openStore('sqlite:<path>')` calls it
 * with the bare path. Throws InfrastructureError `STORE_SCHEMA_TOO_NEW` for a database written by
 * a newer Swirl.
 */
export async function openSqliteStore(options: string | SqliteStoreOptions): Promise<SqliteStore> {
  return new SqliteStore(typeof options === 'string' ? { path: options } : options);
}

/** The SQLite {@link Store}. Create it with {@link openSqliteStore}. */
export class SqliteStore implements Store {
  readonly kind = 'sqlite';
  /** Claim by instance ids and complete tasks inside a turn (see INTERFACE-CHANGES.md). */
  readonly features = { inlineActivityCompletion: true };
  /** The file this store writes (or ':memory:'). */
  readonly path: string;
  private readonly db: Database.Database;
  private readonly writer: GroupCommitter;
  private readonly sql: SqliteStatements;
  private readonly walSync: WalSync | undefined;
  private readonly checkpointer: Checkpointer | undefined;
  /**
   * Message ids each claim of this store took, by instance: a turn that consumes all of them can
   * skip releasing leftovers. Only a shortcut — without an entry (another process claimed, or the
   * lease was re-claimed) the release statement runs as usual.
   */
  private readonly taken = new Map<string, { leaseId: string; ids: number[] }>();
  /** Claims count as durable writes (option durableClaims). */
  private readonly claimsDurable: boolean;
  private closed = false;

  constructor(options: SqliteStoreOptions) {
    this.path = options.path;
    this.claimsDurable = options.durableClaims === true;
    const synchronous = options.synchronous ?? SqliteSynchronous.FULL;
    const offThread = synchronous === SqliteSynchronous.FULL && options.syncOffThread !== false && !isMemoryPath(options.path);
    this.db = openSqliteDatabase({
      path: options.path,
      synchronous: offThread ? SqliteSynchronous.NORMAL : synchronous,
      busyTimeoutMs: options.busyTimeoutMs ?? 5000,
    });
    if (offThread) {
      this.walSync = new WalSync(`${options.path}-wal`);
      this.checkpointer = new Checkpointer(
        options.path,
        () => this.db.pragma(`wal_autocheckpoint = ${WAL_BACKSTOP_PAGES}`),
        () => this.db.pragma(`wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}`),
      );
    }
    // Claim-only batches need no sync of their own off-thread (only NORMAL commits happen on the
    // JS thread); with SQLite's blocking FULL they commit the relaxed way unless durableClaims.
    const relaxed = offThread || options.durableClaims === true || synchronous === SqliteSynchronous.OFF ? undefined : relaxedCommit(this.db, synchronous);
    const checkpointer = this.checkpointer;
    this.writer = new GroupCommitter(this.db, {
      maxBatch: options.maxBatch ?? 1000,
      relaxed,
      walSync: this.walSync,
      afterCommit: checkpointer === undefined ? undefined : () => checkpointer.noteCommit(),
    });
    this.sql = new SqliteStatements(this.db);
  }

  /** Batching counters (commits, operations, largest batch, WAL syncs off-thread) since open. */
  get commitStats(): GroupCommitStats & { walSyncs: number } {
    return { ...this.writer.stats, walSyncs: this.walSync?.syncs ?? 0 };
  }

  // ── writes (all group-committed) ────────────────────────────────────────────────────────────

  createInstance(request: CreateInstanceRequest): Promise<{ created: boolean }> {
    return this.write(() => this.createInstanceNow(request));
  }

  enqueueMessages(messages: NewMessage[]): Promise<void> {
    return this.write(() => {
      for (const m of messages) {
        if (!this.sql.instanceExists.get(m.instanceId)) {
          throw storeError(StoreErrorCode.INSTANCE_NOT_FOUND, `no instance with id '${m.instanceId}'`);
        }
        this.sql.insertMessage.run(m.instanceId, m.visibleAt, m.data);
      }
    });
  }

  claimOrchestrations(request: ClaimOrchestrationsRequest): Promise<OrchestrationWorkItem[]> {
    // Idle workers poll often: answer "nothing to do" from a read, without joining a batch.
    if (!this.closed && request.instanceIds === undefined && !found(this.sql.anyClaimableInstance, request.now)) return Promise.resolve([]);
    return this.write(() => this.claimOrchestrationsNow(request), this.claimsDurable);
  }

  commitTurn(turn: TurnCommit): Promise<void> {
    return this.write(() => this.commitTurnNow(turn));
  }

  abandonOrchestration(instanceId: string, leaseId: string, visibleAt?: number): Promise<void> {
    return this.write(() => {
      const changed = this.sql.unlockInstance.run(instanceId, leaseId).changes;
      if (changed === 0) throw leaseLost('instance', instanceId, leaseId);
      if (visibleAt === undefined) this.sql.releaseMessages.run(instanceId, leaseId);
      else this.sql.releaseMessagesAt.run(visibleAt, instanceId, leaseId);
    });
  }

  renewOrchestrationLease(instanceId: string, leaseId: string, now: number, leaseMs: number): Promise<void> {
    return this.write(() => {
      if (this.sql.renewInstanceLock.run(now + leaseMs, instanceId, leaseId).changes === 0) {
        throw leaseLost('instance', instanceId, leaseId);
      }
    });
  }

  claimActivities(request: ClaimActivitiesRequest): Promise<ActivityWorkItem[]> {
    if (!this.closed && !found(this.sql.anyClaimableTask, request.now)) return Promise.resolve([]);
    return this.write(() => {
      if (request.limit <= 0) return [];
      const params = { now: request.now, limit: request.limit };
      const untaken = this.sql.untakenTaskIds.pluck().all(params) as number[];
      const expired = this.sql.expiredTaskIds.pluck().all(params) as number[];
      const ids = [...new Set([...expired, ...untaken])].sort((a, b) => a - b).slice(0, request.limit);
      const lock = { lease: request.leaseId, expires: request.now + request.leaseMs };
      return ids.map((id) => toActivityWorkItem(this.sql.lockTask.get({ ...lock, id }) as TaskRow));
    }, this.claimsDurable);
  }

  completeActivity(request: CompleteActivityRequest): Promise<void> {
    return this.write(() => {
      if (this.sql.deleteLockedTask.run(request.taskRowId, request.leaseId).changes === 0) {
        throw leaseLost('activity task', String(request.taskRowId), request.leaseId);
      }
      this.insertMessageIfTargetExists(request.message);
    });
  }

  abandonActivity(taskRowId: number, leaseId: string, visibleAt?: number): Promise<void> {
    return this.write(() => {
      if (this.sql.unlockTask.run(visibleAt ?? null, taskRowId, leaseId).changes === 0) {
        throw leaseLost('activity task', String(taskRowId), leaseId);
      }
    });
  }

  renewActivityLease(taskRowId: number, leaseId: string, now: number, leaseMs: number): Promise<void> {
    return this.write(() => {
      if (this.sql.renewTaskLock.run(now + leaseMs, taskRowId, leaseId).changes === 0) {
        throw leaseLost('activity task', String(taskRowId), leaseId);
      }
    });
  }

  purgeInstances(instanceIds: string[]): Promise<string[]> {
    return this.write(() => {
      const deleted: string[] = [];
      for (const id of instanceIds) {
        const row = this.sql.instanceStatus.get(id) as { status: RuntimeStatus } | undefined;
        if (row === undefined || !isTerminalStatus(row.status)) continue;
        this.deleteInstanceNow(id);
        deleted.push(id);
      }
      return deleted;
    });
  }

  // ── reads (direct) ──────────────────────────────────────────────────────────────────────────

  getInstance(instanceId: string): Promise<InstanceRecord | undefined> {
    return this.read(() => {
      const row = this.sql.getInstance.get(instanceId) as InstanceRow | undefined;
      return row === undefined ? undefined : toInstanceRecord(row);
    });
  }

  loadHistory(instanceId: string, fromSeq = 0): Promise<HistoryRecord[]> {
    return this.read(() => (this.sql.loadHistory.all(instanceId, fromSeq) as HistoryRow[]).map(toHistoryRecord));
  }

  queryInstances(query: InstanceQuery): Promise<InstancePage> {
    return this.read(() => queryInstances(this.sql, query));
  }

  nextWakeAt(now: number): Promise<number | undefined> {
    return this.read(() => (this.sql.nextWake.get({ now }) as { t: number | null }).t ?? undefined);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.writer.close();
    this.closed = true;
    try {
      await this.checkpointer?.close();
      await this.walSync?.close();
    } finally {
      this.db.close();
    }
  }

  // ── the bodies of the writes (run inside the batch transaction, under a savepoint) ──────────

  private createInstanceNow(request: CreateInstanceRequest): { created: boolean } {
    const existing = this.sql.instanceStatus.get(request.instanceId) as { status: RuntimeStatus } | undefined;
    if (existing !== undefined) {
      const policy = request.reusePolicy ?? ReusePolicy.REPLACE_TERMINAL;
      switch (policy) {
        case ReusePolicy.IGNORE:
          return { created: false };
        case ReusePolicy.REJECT:
          throw storeError(StoreErrorCode.INSTANCE_EXISTS, `an instance with id '${request.instanceId}' already exists (${existing.status})`);
        case ReusePolicy.REPLACE_TERMINAL:
          if (!isTerminalStatus(existing.status)) {
            throw storeError(
              StoreErrorCode.INSTANCE_EXISTS,
              `an instance with id '${request.instanceId}' is already ${existing.status}; only a completed, failed or terminated instance can be replaced`,
            );
          }
          this.deleteInstanceNow(request.instanceId);
          break;
        default: {
          const never: never = policy;
          throw new SwirlError('INVALID_ARGUMENT', `unknown reuse policy ${String(never)}`);
        }
      }
    }
    this.sql.insertInstance.run({
      id: request.instanceId,
      exec: request.executionId,
      name: request.name,
      status: RuntimeStatus.PENDING,
      created: request.createdAt,
      scheduled: request.scheduledStartAt ?? null,
      input: request.input ?? null,
      parent: request.parentInstanceId ?? null,
    });
    this.sql.insertMessage.run(request.instanceId, request.startMessage.visibleAt, request.startMessage.data);
    return { created: true };
  }

  private claimOrchestrationsNow(request: ClaimOrchestrationsRequest): OrchestrationWorkItem[] {
    if (request.limit <= 0) return [];
    const ids = request.instanceIds !== undefined ? this.listedClaimable(request.instanceIds, request.now, request.limit) : this.claimableIds(request.now, request.limit);
    const maxMessages = request.maxMessagesPerInstance ?? DEFAULT_MAX_MESSAGES_PER_INSTANCE;
    const items: OrchestrationWorkItem[] = [];
    for (const id of ids) {
      const row = this.sql.lockInstance.get({ lease: request.leaseId, expires: request.now + request.leaseMs, id }) as InstanceRow;
      const rows = this.sql.visibleMessages(maxMessages).all({ id, now: request.now }) as InboxRow[];
      if (rows.length > 0) this.sql.takeMessages.run({ lease: request.leaseId, id, now: request.now, last: rows[rows.length - 1].id });
      // The rows were read before the update counted this delivery.
      const messages = rows.map((row) => ({ ...toInboxMessage(row), dequeueCount: row.dequeue_count + 1 }));
      this.taken.set(id, { leaseId: request.leaseId, ids: messages.map((m) => m.id) });
      items.push({ instance: toInstanceRecord(row), messages, leaseId: request.leaseId });
    }
    return items;
  }

  /**
   * Instances of dead workers first (their work has waited a full lease), then untaken messages
   * oldest-visible first, until `limit` distinct instances: no GROUP BY over the whole inbox, and
   * no instance starves.
   */
  private claimableIds(now: number, limit: number): string[] {
    const ids = this.sql.expiredInstances.pluck().all({ now, limit }) as string[];
    const seen = new Set<string>(ids);
    for (const row of this.sql.claimableInstances.iterate({ now }) as IterableIterator<{ instance_id: string }>) {
      if (ids.length >= limit) break;
      if (seen.has(row.instance_id)) continue;
      seen.add(row.instance_id);
      ids.push(row.instance_id);
    }
    return ids;
  }

  /** inlineActivityCompletion: the listed instances that exist and are not locked, with or without messages. */
  private listedClaimable(instanceIds: string[], now: number, limit: number): string[] {
    const ids: string[] = [];
    for (const id of new Set(instanceIds)) {
      if (ids.length >= limit) break;
      if (this.sql.instanceUnlocked.get(id, now) !== undefined) ids.push(id);
    }
    return ids;
  }

  private commitTurnNow(turn: TurnCommit): void {
    const current = this.sql.instanceLock.get(turn.instanceId) as { locked_by: string | null; history_length: number; name: string; status: string } | undefined;
    if (current === undefined || current.locked_by !== turn.leaseId) throw leaseLost('instance', turn.instanceId, turn.leaseId);
    const expectedSeq = turn.resetHistory ? 0 : current.history_length;
    if (turn.firstSeq !== expectedSeq) {
      throw storeError(
        StoreErrorCode.HISTORY_CONFLICT,
        `turn of '${turn.instanceId}' starts at seq ${turn.firstSeq} but the stored history has ${expectedSeq} events`,
      );
    }
    turn.history.forEach((event, i) => {
      if (event.seq !== turn.firstSeq + i) {
        throw storeError(StoreErrorCode.HISTORY_CONFLICT, `turn of '${turn.instanceId}': history seq ${event.seq} is not contiguous (expected ${turn.firstSeq + i})`);
      }
    });
    // inlineActivityCompletion: the results recorded in this turn's history retire their tasks
    // here, so result and next turn are one write. A task lost to another lease undoes the turn.
    for (const done of turn.completedTasks ?? []) {
      if (this.sql.deleteLockedTask.run(done.taskRowId, done.leaseId).changes === 0) {
        throw leaseLost('activity task', String(done.taskRowId), done.leaseId);
      }
    }
    if (turn.resetHistory) this.sql.deleteHistory.run(turn.instanceId);
    for (const event of turn.history) {
      // The primary key (instance_id, seq) refuses a duplicate append even if the checks above were bypassed.
      this.sql.insertHistory.run(turn.instanceId, event.seq, event.type, event.timestamp, event.data);
    }
    const s = turn.state;
    this.sql.updateInstance[s.name !== current.name ? 1 : 0][s.status !== current.status ? 1 : 0].run({
      id: turn.instanceId,
      exec: s.executionId,
      name: s.name,
      status: s.status,
      updated: s.lastUpdatedAt,
      completed: s.completedAt ?? null,
      input: s.input ?? null,
      output: s.output ?? null,
      custom: s.customStatus ?? null,
      failure: s.failure ?? null,
      length: turn.firstSeq + turn.history.length,
    });
    for (const messageId of turn.consumedMessageIds) this.sql.deleteMessage.run(messageId, turn.instanceId);
    // Messages taken but not consumed go back to the untaken pool with the lock (see the claim invariant).
    if (!this.consumedAllTaken(turn)) this.sql.releaseMessages.run(turn.instanceId, turn.leaseId);
    if (turn.dropPendingWork) {
      this.sql.deleteInbox.run(turn.instanceId);
      this.sql.deleteTasks.run(turn.instanceId);
    }
    for (const t of turn.tasks) this.sql.insertTask.run(t.instanceId, t.executionId, t.taskId, t.name, t.visibleAt, t.data);
    for (const m of turn.messages) {
      // The turn's own instance exists (its lock was checked above): no existence probe needed.
      if (m.instanceId === turn.instanceId) this.sql.insertMessage.run(m.instanceId, m.visibleAt, m.data);
      else this.insertMessageIfTargetExists(m);
    }
    for (const child of turn.newInstances) {
      // A nested savepoint: a refused child must not leave half of itself behind, and must not fail the turn.
      this.db.exec('SAVEPOINT child');
      try {
        this.createInstanceNow(child);
        this.db.exec('RELEASE child');
      } catch (error) {
        this.db.exec('ROLLBACK TO child');
        this.db.exec('RELEASE child');
        if (!(error instanceof SwirlError && error.code === StoreErrorCode.INSTANCE_EXISTS)) throw error;
        if (child.onConflict !== undefined) this.insertMessageIfTargetExists(child.onConflict);
      }
    }
  }

  /** True when this store's claim under the turn's lease took only messages the turn consumed. */
  private consumedAllTaken(turn: TurnCommit): boolean {
    const entry = this.taken.get(turn.instanceId);
    this.taken.delete(turn.instanceId);
    if (entry === undefined || entry.leaseId !== turn.leaseId) return false;
    if (entry.ids.length === 0) return true;
    const consumed = new Set(turn.consumedMessageIds);
    return entry.ids.every((id) => consumed.has(id));
  }

  private insertMessageIfTargetExists(message: NewMessage): void {
    this.sql.insertMessageIfExists.run({ id: message.instanceId, visible: message.visibleAt, data: message.data });
  }

  private deleteInstanceNow(instanceId: string): void {
    this.sql.deleteHistory.run(instanceId);
    this.sql.deleteInbox.run(instanceId);
    this.sql.deleteTasks.run(instanceId);
    this.sql.deleteInstance.run(instanceId);
  }

  private write<T>(body: () => T, durable = true): Promise<T> {
    if (this.closed) return Promise.reject(new InfrastructureError('STORE_CLOSED', 'the SQLite store is closed'));
    return this.writer.submit(body, durable);
  }

  /**
   * Runs a read now and answers once everything it could have seen is on disk: with off-thread
   * syncing a read may see a commit whose sync is still running, and must not report it earlier.
   */
  private read<T>(body: () => T): Promise<T> {
    if (this.closed) return Promise.reject(new InfrastructureError('STORE_CLOSED', 'the SQLite store is closed'));
    let value: T;
    try {
      value = body();
    } catch (error) {
      return Promise.reject(error);
    }
    if (this.walSync === undefined) return Promise.resolve(value);
    return this.walSync.whenDurable(this.walSync.latest).then(() => value);
  }
}

/** True for SQLite's in-memory database names (no WAL file to sync). */
function isMemoryPath(path: string): boolean {
  return path === ':memory:' || path === '' || path.startsWith('file::memory:');
}

/** Runs an `EXISTS … AS found` probe at `now`. */
function found(probe: Database.Statement, now: number): boolean {
  return (probe.get({ now }) as { found: number }).found === 1;
}

function leaseLost(what: string, id: string, leaseId: string): SwirlError {
  return storeError(StoreErrorCode.LEASE_LOST, `${what} '${id}' is not held by lease '${leaseId}' (expired and claimed by another worker, or deleted)`);
}
