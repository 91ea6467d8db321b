/**
 * @module store/sqlite-group-commit
 * Group commit for a synchronous SQLite connection: write operations submitted while a batch is
 * forming run inside ONE transaction (one fsync for all of them), and one operation's failure
 * undoes only its own writes (the batch then re-runs with a SAVEPOINT per operation, see
 * runBatch). Every caller's promise settles after the COMMIT, so nothing is acknowledged before
 * it is durable.
 */

import type Database from 'better-sqlite3';
import { InfrastructureError, SwirlError } from '../errors.js';
import type { WalSync } from './sqlite-wal-sync.js';
import { StoreFaultCode } from './types.js';

/** A queued write: runs synchronously inside the batch transaction. */
interface PendingOp {
  run: () => unknown;
  /** False for bookkeeping that may skip the fsync (see {@link RelaxedCommit}). */
  durable: boolean;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/** Outcome of one operation inside a batch, delivered after COMMIT. */
type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/**
 * How to commit a batch made only of non-durable operations (lease claims) without an fsync:
 * `enter` runs before BEGIN and `exit` after COMMIT/ROLLBACK (the SQLite store switches
 * `synchronous` off and auto-checkpointing off for that one transaction, then back).
 */
export interface RelaxedCommit {
  enter(): void;
  exit(): void;
}

/** Options of {@link GroupCommitter}. */
export interface GroupCommitOptions {
  /**
   * Most operations per transaction; the rest go to the next one, so a burst does not build one
   * huge transaction with a long tail latency. @default 1000
   */
  maxBatch?: number;
  /** How to commit a batch with no durable operation; absent: like any other. */
  relaxed?: RelaxedCommit;
  /**
   * When given, COMMIT does not sync: callers are acknowledged once this has synced the WAL past
   * their commit (durable batches) or past everything they could have seen (batches of claims
   * only), so nothing not yet on disk is ever reported.
   */
  walSync?: WalSync;
  /** Called after every successful COMMIT (the checkpointer counts them). */
  afterCommit?: () => void;
  /**
   * Called once when durability is lost (a failed COMMIT or WAL sync), with the STORE_FAILED
   * error every later submit is refused with.
   */
  onFatal?: (error: InfrastructureError) => void;
  /**
   * Test hook: runs the COMMIT statement (`commit()`); a hook that throws after calling it models
   * a commit whose sync failed (SQLite FULL). Never set in production.
   */
  commitHook?: (commit: () => void) => void;
}

/** Counters for benchmarks and tests: how well batching is working. */
export interface GroupCommitStats {
  /** Transactions committed. */
  commits: number;
  /** Of those, transactions committed without an fsync (only non-durable operations in them). */
  relaxedCommits: number;
  /** Operations that ran in those transactions. */
  operations: number;
  /** Largest batch seen. */
  maxBatch: number;
}

/**
 * Coalesces writes into shared transactions.
 *
 * Batching boundary: the first submit schedules a flush with `setImmediate`, which runs after the
 * current microtasks and pending I/O callbacks. better-sqlite3 is synchronous, so everything that
 * the engine's concurrent turns submit in that window — typically the turns of many instances
 * resumed by the previous commit — lands in the same transaction.
 */
export class GroupCommitter {
  private queue: PendingOp[] = [];
  private scheduled = false;
  private closed = false;
  private readonly begin: Database.Statement;
  private readonly commit: Database.Statement;
  private readonly rollback: Database.Statement;
  private readonly savepoint: Database.Statement;
  private readonly release: Database.Statement;
  private readonly rollbackTo: Database.Statement;
  /** Running totals; see {@link GroupCommitStats}. */
  readonly stats: GroupCommitStats = { commits: 0, relaxedCommits: 0, operations: 0, maxBatch: 0 };

  private readonly maxBatch: number;
  private readonly relaxed: RelaxedCommit | undefined;
  private readonly walSync: WalSync | undefined;
  private readonly afterCommit: (() => void) | undefined;
  private readonly onFatal: ((error: InfrastructureError) => void) | undefined;
  private readonly commitHook: ((commit: () => void) => void) | undefined;
  /** Set once durability is lost: every later write is refused with it (STORE_FAILED). */
  private fatal: InfrastructureError | undefined;

  /** @param db the connection (used by nobody else for writes while batches run) */
  constructor(
    private readonly db: Database.Database,
    options: GroupCommitOptions = {},
  ) {
    this.maxBatch = options.maxBatch ?? 1000;
    this.relaxed = options.relaxed;
    this.walSync = options.walSync;
    this.afterCommit = options.afterCommit;
    this.onFatal = options.onFatal;
    this.commitHook = options.commitHook;
    this.begin = db.prepare('BEGIN IMMEDIATE');
    this.commit = db.prepare('COMMIT');
    this.rollback = db.prepare('ROLLBACK');
    this.savepoint = db.prepare('SAVEPOINT op');
    this.release = db.prepare('RELEASE op');
    this.rollbackTo = db.prepare('ROLLBACK TO op');
  }

  /**
   * Queues `run` for the next batch; resolves with its result once the batch has committed.
   * `durable: false` marks bookkeeping whose loss on power failure is harmless; a batch made only
   * of such operations commits the relaxed way (no fsync), any durable operation makes it durable.
   */
  submit<T>(run: () => T, durable = true): Promise<T> {
    if (this.closed) return Promise.reject(new InfrastructureError(StoreFaultCode.STORE_CLOSED, 'the store is closed'));
    if (this.fatal) return Promise.reject(this.fatal);
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ run, durable, resolve: resolve as (value: unknown) => void, reject });
      this.schedule();
    });
  }

  /** The STORE_FAILED error once durability was lost, else undefined. */
  get failure(): InfrastructureError | undefined {
    return this.fatal;
  }

  /** Runs every queued operation now and stops accepting new ones. */
  close(): void {
    while (this.queue.length > 0) this.flush();
    this.closed = true;
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
      if (this.queue.length > 0) this.schedule();
    });
  }

  /** Runs one batch: BEGIN, a savepoint per operation, COMMIT, then settles the promises. */
  private flush(): void {
    const batch = this.queue.length <= this.maxBatch ? this.queue : this.queue.slice(0, this.maxBatch);
    this.queue = batch === this.queue ? [] : this.queue.slice(this.maxBatch);
    if (batch.length === 0) return;
    if (this.fatal) {
      // Queued before durability was lost: refused, never run (nothing of it is written).
      for (const op of batch) op.reject(this.fatal);
      return;
    }
    const relaxed = this.relaxed !== undefined && !batch.some((op) => op.durable) ? this.relaxed : undefined;
    relaxed?.enter();
    try {
      this.runBatch(batch, relaxed !== undefined);
    } finally {
      relaxed?.exit();
    }
  }

  private runBatch(batch: PendingOp[], relaxed: boolean): void {
    if (!this.beginBatch(batch)) return;
    // Optimistic pass without savepoints: a SAVEPOINT makes SQLite copy every page an operation
    // first touches into a sub-journal, and operations almost never fail. If one does, the whole
    // transaction is rolled back (nothing of the batch was written) and the batch runs again with
    // a savepoint per operation. Operation bodies only read and write the database, so running
    // one twice is like running it once.
    let outcomes = this.runOptimistic(batch);
    if (outcomes === 'failed') return;
    if (outcomes === 'retry') {
      try {
        this.rollback.run();
      } catch (error) {
        this.failBatch(batch, error);
        return;
      }
      if (!this.beginBatch(batch)) return;
      outcomes = this.runWithSavepoints(batch);
      if (outcomes === 'failed') return;
    }
    try {
      if (this.commitHook === undefined) this.commit.run();
      else this.commitHook(() => this.commit.run());
    } catch (error) {
      // A COMMIT that fails may still have reached the WAL (e.g. its fsync failed after the
      // frames were written): the outcome is unknown, and durability can no longer be promised.
      try {
        if (this.db.inTransaction) this.rollback.run();
      } catch {
        // The outcome is reported as unknown either way.
      }
      this.outcomeUnknown(batch, error);
      return;
    }
    this.stats.commits++;
    this.afterCommit?.();
    if (relaxed) this.stats.relaxedCommits++;
    this.stats.operations += batch.length;
    if (batch.length > this.stats.maxBatch) this.stats.maxBatch = batch.length;
    const settle = (): void =>
      batch.forEach((op, i) => {
        const outcome = outcomes[i];
        if (outcome.ok) op.resolve(outcome.value);
        else op.reject(outcome.error);
      });
    if (this.walSync === undefined) {
      settle();
      return;
    }
    const gen = batch.some((op) => op.durable) ? this.walSync.committed() : this.walSync.latest;
    this.walSync.whenDurable(gen).then(settle, (error: unknown) => this.outcomeUnknown(batch, error));
  }

  /**
   * The batch committed (or may have) but is not known to be durable: every caller hears
   * WRITE_OUTCOME_UNKNOWN — never a plain failure, a retry could duplicate it — and the store fails.
   */
  private outcomeUnknown(batch: PendingOp[], cause: unknown): void {
    const error = new InfrastructureError(
      StoreFaultCode.WRITE_OUTCOME_UNKNOWN,
      `a SQLite commit may have been written but is not known to be durable (${String(cause)}); its outcome is unknown`,
      { cause },
    );
    for (const op of batch) op.reject(error);
    if (this.fatal) return;
    this.fatal = new InfrastructureError(
      StoreFaultCode.STORE_FAILED,
      `the SQLite store refuses every write since durability was lost (${String(cause)}); restart the process to recover from the WAL`,
      { cause },
    );
    this.onFatal?.(this.fatal);
  }

  private beginBatch(batch: PendingOp[]): boolean {
    try {
      this.begin.run();
      return true;
    } catch (cause) {
      const error = new InfrastructureError(StoreFaultCode.STORE_WRITE_FAILED, `cannot begin a SQLite transaction: ${String(cause)}`, { cause });
      for (const op of batch) op.reject(error);
      return false;
    }
  }

  /** Runs every operation with no savepoint; 'retry' when one threw and the transaction is still open. */
  private runOptimistic(batch: PendingOp[]): Outcome[] | 'retry' | 'failed' {
    const outcomes: Outcome[] = [];
    for (const op of batch) {
      try {
        outcomes.push({ ok: true, value: op.run() });
      } catch (error) {
        if (!this.db.inTransaction) {
          this.failBatch(batch, error);
          return 'failed';
        }
        return 'retry';
      }
    }
    return outcomes;
  }

  /** Runs each operation in its own savepoint, so that a failing one undoes only its own writes. */
  private runWithSavepoints(batch: PendingOp[]): Outcome[] | 'failed' {
    const outcomes: Outcome[] = [];
    for (const op of batch) {
      this.savepoint.run();
      try {
        const value = op.run();
        this.release.run();
        outcomes.push({ ok: true, value });
      } catch (error) {
        if (!this.db.inTransaction) {
          // SQLite rolled the whole transaction back (disk full, I/O error): the earlier
          // operations of the batch are undone too, so every caller in it must hear about it.
          this.failBatch(batch, error);
          return 'failed';
        }
        this.rollbackTo.run();
        this.release.run();
        outcomes.push({ ok: false, error: wrapUnexpected(error) });
      }
    }
    return outcomes;
  }

  private failBatch(batch: PendingOp[], cause: unknown): void {
    try {
      if (this.db.inTransaction) this.rollback.run();
    } catch {
      // The connection refuses even the rollback: every caller still hears of the failure below,
      // and nothing of the batch was committed.
    }
    const error = new InfrastructureError(StoreFaultCode.STORE_WRITE_FAILED, `SQLite transaction failed, nothing of it was written: ${String(cause)}`, { cause });
    for (const op of batch) op.reject(error);
  }
}

/** Store errors (LEASE_LOST …) pass through; anything else SQLite throws is infrastructure trouble. */
function wrapUnexpected(error: unknown): unknown {
  if (error instanceof SwirlError) return error;
  return new InfrastructureError(StoreFaultCode.STORE_WRITE_FAILED, `SQLite write failed: ${String(error)}`, { cause: error });
}
