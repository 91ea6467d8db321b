/**
 * @module store/sqlite
 * The embedded SQLite backend of the {@link Store} port (better-sqlite3, WAL, synchronous=FULL by
 * default). Every write goes through a {@link GroupCommitter}: writes issued concurrently by the
 * engine share one transaction and one fsync (a failing one undoes only its own writes), and are
 * acknowledged only once durable. Reads run directly on the connection and see every
 * acknowledged write. Claims and wake-up probes are `ready_at` index range scans (migration 3).
 */

import type Database from 'better-sqlite3';
import { InfrastructureError, SwirlError } from '../errors.js';
import { anyClaimableInstance, anyClaimableTask, claimActivitiesNow, claimOrchestrationsNow } from './sqlite-claims.js';
import { Checkpointer } from './sqlite-checkpointer.js';
import { GroupCommitter, type GroupCommitStats } from './sqlite-group-commit.js';
import { SqliteInspection } from './sqlite-inspection.js';
import { SqliteHostState } from './sqlite-host-state.js';
import { countInstances, queryInstances } from './sqlite-query.js';
import { toHistoryRecord, toInstanceRecord, type HistoryRow, type InstanceRow } from './sqlite-rows.js';
import { openSqliteDatabase, relaxedCommit, SqliteSynchronous, WAL_AUTOCHECKPOINT_PAGES } from './sqlite-schema.js';
import { SqliteStatements } from './sqlite-statements.js';
import { leaseLost, SqliteTurnWriter } from './sqlite-turn.js';
import { WalSync, type SyncFunction } from './sqlite-wal-sync.js';
import {
  isTerminalStatus,
  RuntimeStatus,
  StoreFaultCode,
  type ActivityWorkItem,
  type ClaimActivitiesRequest,
  type ClaimOrchestrationsRequest,
  type CommittedTurn,
  type CompleteActivityRequest,
  type CreateInstanceRequest,
  type CreatedInstance,
  type DefinitionRecord,
  type EventClaim,
  type EventClaimRequest,
  type HistoryRecord,
  type InstancePage,
  type InstanceCount,
  type InstanceCountQuery,
  type InstanceQuery,
  type InstanceRecord,
  type NewMessage,
  type OrchestrationWorkItem,
  type PendingWork,
  type QueuedWorkCount,
  type Store,
  type TurnCommit,
} from './types.js';

export { SqliteSynchronous } from './sqlite-schema.js';

/**
 * Fault points for tests (never set them in production): they replace the calls through which
 * durability is established, so a test can make them fail and watch the store's reaction.
 */
export interface SqliteTestHooks {
  /** Replaces `fs.fdatasync` of the off-thread WAL sync (default mode). */
  fdatasync?: SyncFunction;
  /** Wraps COMMIT (`syncOffThread: false`): call `commit()`, then throw to model a failed commit-time sync. */
  commit?: (commit: () => void) => void;
}

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
  /** Test hook: fault points (see {@link SqliteTestHooks}). */
  testHooks?: SqliteTestHooks;
}

/**
 * Auto-checkpoint threshold while the checkpointer thread runs: only a backstop (~40 MB of WAL)
 * in case the thread falls behind; normally it never triggers on the JS thread.
 */
const WAL_BACKSTOP_PAGES = 10_000;

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
  /** Claim by instance ids and complete tasks inside a turn; pre-leased tasks and claim-free turns (see INTERFACE-CHANGES.md). */
  readonly features = { inlineActivityCompletion: true, turnShortcuts: true, fusedStart: true };
  /** The file this store writes (or ':memory:'). */
  readonly path: string;
  private readonly db: Database.Database;
  private readonly writer: GroupCommitter;
  private readonly sql: SqliteStatements;
  private readonly turns: SqliteTurnWriter;
  private readonly inspection: SqliteInspection;
  private readonly hostState: SqliteHostState;
  private readonly walSync: WalSync | undefined;
  private readonly checkpointer: Checkpointer | undefined;
  /** Claims count as durable writes (option durableClaims). */
  private readonly claimsDurable: boolean;
  private readonly fatalListeners = new Set<(error: Error) => void>();
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
      this.walSync = new WalSync(`${options.path}-wal`, options.testHooks?.fdatasync);
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
      onFatal: (error) => this.notifyFatal(error),
      commitHook: options.testHooks?.commit,
    });
    this.sql = new SqliteStatements(this.db);
    this.turns = new SqliteTurnWriter(this.db, this.sql);
    this.inspection = new SqliteInspection(this.db);
    this.hostState = new SqliteHostState(this.db);
  }

  /** Batching counters (commits, operations, largest batch, WAL syncs off-thread) since open. */
  get commitStats(): GroupCommitStats & { walSyncs: number } {
    return { ...this.writer.stats, walSyncs: this.walSync?.syncs ?? 0 };
  }

  // ── writes (all group-committed) ────────────────────────────────────────────────────────────

  createInstance(request: CreateInstanceRequest): Promise<CreatedInstance> {
    return this.write((): CreatedInstance => {
      if (request.firstTurn !== undefined) return this.turns.createWithTurn(request, request.firstTurn);
      const claim = request.claim;
      if (claim !== undefined && request.startMessage.visibleAt <= claim.now) return this.turns.createClaimed(request, claim);
      const result = this.turns.createInstance(request);
      if (!result.created || claim === undefined) return result;
      // The claim a worker would make right after the create, in the same transaction.
      const [claimed] = claimOrchestrationsNow(this.sql, { ...claim, limit: 1, instanceIds: [request.instanceId], names: [request.name] });
      return claimed === undefined ? result : { created: true, claimed };
    });
  }

  enqueueMessages(messages: NewMessage[]): Promise<void> {
    return this.write(() => this.turns.enqueue(messages));
  }

  claimOrchestrations(request: ClaimOrchestrationsRequest): Promise<OrchestrationWorkItem[]> {
    // Idle workers poll often: answer "nothing to do" from a read (index seeks), without joining a batch.
    if (request.instanceIds === undefined) {
      const probe = this.probe(() => anyClaimableInstance(this.sql, request.now, request.names));
      if (probe !== true) return probe === false ? Promise.resolve([]) : probe;
    }
    return this.write(() => claimOrchestrationsNow(this.sql, request), this.claimsDurable);
  }

  commitTurn(turn: TurnCommit): Promise<CommittedTurn | undefined> {
    return this.write(() => this.turns.commitTurn(turn));
  }

  abandonOrchestration(instanceId: string, leaseId: string, visibleAt?: number): Promise<void> {
    return this.write(() => {
      const window = this.sql.claimWindow.get(instanceId, leaseId) as { claim_last_id: number | null; claim_now: number | null } | undefined;
      if (window === undefined) throw leaseLost('instance', instanceId, leaseId);
      // The claim's window is re-selected from what the row recorded (see migration 3).
      if (visibleAt !== undefined && window.claim_last_id !== null) {
        this.sql.delayWindow.run({ visible: visibleAt, id: instanceId, last: window.claim_last_id, now: window.claim_now });
      }
      this.sql.unlockInstance.run({ id: instanceId, lease: leaseId, lock: null });
    });
  }

  renewOrchestrationLease(instanceId: string, leaseId: string, now: number, leaseMs: number): Promise<void> {
    return this.write(() => {
      if (this.sql.renewInstanceLock.run({ lock: now + leaseMs, id: instanceId, lease: leaseId }).changes === 0) throw leaseLost('instance', instanceId, leaseId);
    });
  }

  releaseLeases(leasePrefix: string): Promise<{ instances: number; tasks: number }> {
    return this.write(() => ({
      instances: this.sql.releaseInstances.run({ prefix: leasePrefix }).changes,
      tasks: this.sql.releaseTasks.run({ prefix: leasePrefix }).changes,
    }));
  }

  claimActivities(request: ClaimActivitiesRequest): Promise<ActivityWorkItem[]> {
    const probe = this.probe(() => anyClaimableTask(this.sql, request.now, request.names));
    if (probe !== true) return probe === false ? Promise.resolve([]) : probe;
    return this.write(() => claimActivitiesNow(this.sql, request), this.claimsDurable);
  }

  completeActivity(request: CompleteActivityRequest): Promise<void> {
    return this.write(() => {
      if (this.sql.deleteLockedTask.run(request.taskRowId, request.leaseId).changes === 0) {
        throw leaseLost('activity task', String(request.taskRowId), request.leaseId);
      }
      this.turns.deliver(request.message);
    });
  }

  abandonActivity(taskRowId: number, leaseId: string, visibleAt?: number): Promise<void> {
    return this.write(() => {
      if (this.sql.unlockTask.run({ visible: visibleAt ?? null, id: taskRowId, lease: leaseId }).changes === 0) {
        throw leaseLost('activity task', String(taskRowId), leaseId);
      }
    });
  }

  renewActivityLease(taskRowId: number, leaseId: string, now: number, leaseMs: number): Promise<void> {
    return this.write(() => {
      if (this.sql.renewTaskLock.run({ expires: now + leaseMs, id: taskRowId, lease: leaseId }).changes === 0) {
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
        this.turns.deleteInstance(id);
        deleted.push(id);
      }
      return deleted;
    });
  }

  putDefinition(definition: DefinitionRecord): Promise<void> {
    return this.write(() => this.inspection.put(definition));
  }

  deleteUnusedDefinitions(hashes: string[], registeredBefore?: number): Promise<string[]> {
    return this.write(() => this.inspection.deleteUnused(hashes, registeredBefore));
  }

  // ── several nodes: host state shared through the store (store/sqlite-host-state) ────────────

  /**
   * Not synced on its own, like work claims (durableClaims makes it durable): every effect of
   * routing the event is a durable write after it, whose WAL sync covers the claim too, and a
   * claim lost with the machine before any such write means nothing was routed.
   */
  claimEvent(request: EventClaimRequest): Promise<EventClaim> {
    return this.write(() => this.hostState.claimEvent(request), this.claimsDurable);
  }

  finishEvent(source: string, id: string, outcome: string | undefined): Promise<void> {
    return this.write(() => this.hostState.finishEvent(source, id, outcome));
  }

  pruneEvents(before: number): Promise<number> {
    return this.write(() => this.hostState.pruneEvents(before));
  }

  recordScheduleTick(scheduleId: string, dueAt: number, now: number): Promise<boolean> {
    return this.write(() => this.hostState.recordScheduleTick(scheduleId, dueAt, now));
  }

  lastScheduleTick(scheduleId: string): Promise<number | undefined> {
    return this.read(() => this.hostState.lastScheduleTick(scheduleId));
  }

  pruneScheduleTicks(before: number): Promise<number> {
    return this.write(() => this.hostState.pruneScheduleTicks(before));
  }

  definitionsStamp(): Promise<string> {
    return this.read(() => this.hostState.definitionsStamp());
  }

  findWaitingInstances(key: string, limit = 1000): Promise<string[]> {
    return this.read(() => (this.sql.findWaitKey.all(key, limit) as { instance_id: string }[]).map((r) => r.instance_id));
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

  countInstances(query: InstanceCountQuery = {}): Promise<InstanceCount[]> {
    return this.read(() => countInstances(this.sql, query));
  }

  nextWakeAt(now: number): Promise<number | undefined> {
    return this.read(() => (this.sql.nextWake.get({ now }) as { t: number | null }).t ?? undefined);
  }

  pendingWork(instanceId: string, now: number): Promise<PendingWork> {
    return this.read(() => this.inspection.pendingWork(instanceId, now));
  }

  queuedWork(now: number): Promise<QueuedWorkCount[]> {
    return this.read(() => this.inspection.queuedWork(now));
  }

  getDefinition(hash: string): Promise<DefinitionRecord | undefined> {
    return this.read(() => this.inspection.get(hash));
  }

  listDefinitions(id?: string): Promise<DefinitionRecord[]> {
    return this.read(() => this.inspection.list(id));
  }

  /**
   * Listens for the loss of durability (a failed WAL sync or commit): called once, with the
   * STORE_FAILED error every later write is refused with. Registered after it happened: called
   * on the next microtask.
   */
  onFatal(listener: (error: Error) => void): () => void {
    const failure = this.writer.failure;
    if (failure !== undefined) {
      queueMicrotask(() => listener(failure));
      return () => undefined;
    }
    this.fatalListeners.add(listener);
    return () => this.fatalListeners.delete(listener);
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

  // ── plumbing ────────────────────────────────────────────────────────────────────────────────

  private notifyFatal(error: InfrastructureError): void {
    const listeners = [...this.fatalListeners];
    this.fatalListeners.clear();
    for (const listener of listeners) {
      try {
        listener(error);
      } catch {
        // A failing listener must not keep the others from hearing of it.
      }
    }
  }

  private write<T>(body: () => T, durable = true): Promise<T> {
    if (this.closed) return Promise.reject(closedError());
    const failure = this.writer.failure;
    if (failure !== undefined) return Promise.reject(failure);
    return this.writer.submit(body, durable);
  }

  /** Runs a claim's probe read: its boolean, or the rejected promise of a failed read. */
  private probe(body: () => boolean): boolean | Promise<never> {
    if (this.closed) return Promise.reject(closedError());
    try {
      return body();
    } catch (error) {
      return Promise.reject(readFailed(error));
    }
  }

  /**
   * Runs a read now and answers once everything it could have seen is on disk: with off-thread
   * syncing a read may see a commit whose sync is still running, and must not report it earlier.
   * Once durability is lost reads keep working (they answer at once): the node needs them to
   * report its state while it shuts down.
   */
  private read<T>(body: () => T): Promise<T> {
    if (this.closed) return Promise.reject(closedError());
    let value: T;
    try {
      value = body();
    } catch (error) {
      return Promise.reject(readFailed(error));
    }
    if (this.walSync === undefined || this.walSync.failed) return Promise.resolve(value);
    return this.walSync.whenDurable(this.walSync.latest).then(
      () => value,
      () => value,
    );
  }
}

/** True for SQLite's in-memory database names (no WAL file to sync). */
function isMemoryPath(path: string): boolean {
  return path === ':memory:' || path === '' || path.startsWith('file::memory:');
}

function closedError(): InfrastructureError {
  return new InfrastructureError(StoreFaultCode.STORE_CLOSED, 'the SQLite store is closed');
}

/** A read's own errors (a store error such as INVALID_PAGE_TOKEN) pass; SQLite's become STORE_READ_FAILED. */
function readFailed(error: unknown): unknown {
  if (error instanceof SwirlError) return error;
  return new InfrastructureError(StoreFaultCode.STORE_READ_FAILED, `SQLite read failed: ${String(error)}`, { cause: error });
}
