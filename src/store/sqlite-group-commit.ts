/**
 * @module store/sqlite-group-commit
 * Group commit for a synchronous SQLite connection: write operations submitted while a batch is
 * forming run inside ONE transaction (one fsync for all of them), each inside its own SAVEPOINT so
 * that one operation's failure undoes only its own writes. Every caller's promise settles after
 * the COMMIT, so nothing is acknowledged before it is durable.
 */

import type Database from 'better-sqlite3';
import { InfrastructureError, SwirlError } from '../errors.js';

/** A queued write: runs synchronously inside the batch transaction. */
interface PendingOp {
  run: () => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/** Outcome of one operation inside a batch, delivered after COMMIT. */
type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/** Counters for benchmarks and tests: how well batching is working. */
export interface GroupCommitStats {
  /** Transactions committed (≈ fsyncs with synchronous=FULL). */
  commits: number;
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
  readonly stats: GroupCommitStats = { commits: 0, operations: 0, maxBatch: 0 };

  /**
   * @param db the connection (used by nobody else for writes while batches run)
   * @param maxBatch most operations per transaction; the rest go to the next one, so a burst
   *   does not build one huge transaction with a long tail latency
   */
  constructor(
    private readonly db: Database.Database,
    private readonly maxBatch = 1000,
  ) {
    this.begin = db.prepare('BEGIN IMMEDIATE');
    this.commit = db.prepare('COMMIT');
    this.rollback = db.prepare('ROLLBACK');
    this.savepoint = db.prepare('SAVEPOINT op');
    this.release = db.prepare('RELEASE op');
    this.rollbackTo = db.prepare('ROLLBACK TO op');
  }

  /** Queues `run` for the next batch; resolves with its result once the batch has committed. */
  submit<T>(run: () => T): Promise<T> {
    if (this.closed) return Promise.reject(new InfrastructureError('STORE_CLOSED', 'the store is closed'));
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ run, resolve: resolve as (value: unknown) => void, reject });
      this.schedule();
    });
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
    const outcomes: Outcome[] = [];
    try {
      this.begin.run();
    } catch (cause) {
      const error = new InfrastructureError('STORE_WRITE_FAILED', `cannot begin a SQLite transaction: ${String(cause)}`, { cause });
      for (const op of batch) op.reject(error);
      return;
    }
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
          return;
        }
        this.rollbackTo.run();
        this.release.run();
        outcomes.push({ ok: false, error: wrapUnexpected(error) });
      }
    }
    try {
      this.commit.run();
    } catch (error) {
      if (this.db.inTransaction) this.rollback.run();
      this.failBatch(batch, error);
      return;
    }
    this.stats.commits++;
    this.stats.operations += batch.length;
    if (batch.length > this.stats.maxBatch) this.stats.maxBatch = batch.length;
    batch.forEach((op, i) => {
      const outcome = outcomes[i];
      if (outcome.ok) op.resolve(outcome.value);
      else op.reject(outcome.error);
    });
  }

  private failBatch(batch: PendingOp[], cause: unknown): void {
    if (this.db.inTransaction) this.rollback.run();
    const error = new InfrastructureError('STORE_WRITE_FAILED', `SQLite transaction failed, nothing of it was written: ${String(cause)}`, { cause });
    for (const op of batch) op.reject(error);
  }
}

/** Store errors (LEASE_LOST …) pass through; anything else SQLite throws is infrastructure trouble. */
function wrapUnexpected(error: unknown): unknown {
  if (error instanceof SwirlError) return error;
  return new InfrastructureError('STORE_WRITE_FAILED', `SQLite write failed: ${String(error)}`, { cause: error });
}
