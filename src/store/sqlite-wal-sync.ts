/**
 * @module store/sqlite-wal-sync
 * Durability off the main thread. SQLite's own synchronous=FULL fsyncs the WAL inside COMMIT,
 * which blocks Node's only JS thread for the whole disk flush. Instead the connection runs at
 * synchronous=NORMAL (COMMIT only appends to the WAL; checkpoints still sync) and this class
 * fdatasyncs the WAL file on libuv's thread pool. Commits are numbered; a caller is acknowledged
 * when a sync that started after its commit has finished — one sync covers every commit before
 * it, and commits that land while a sync is in flight share the next one (pipelined group commit).
 */

import { closeSync, fdatasync, openSync } from 'node:fs';
import { InfrastructureError } from '../errors.js';
import { StoreFaultCode } from './types.js';

/** The sync call: `fs.fdatasync`, or a test's fault point (see SqliteStoreOptions.testHooks). */
export type SyncFunction = (fd: number, callback: (error: NodeJS.ErrnoException | null) => void) => void;

interface Waiter {
  gen: number;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/** Tracks which commits are on disk and syncs the WAL file when someone waits for a newer one. */
export class WalSync {
  /** Number of the newest commit that changed the WAL. */
  private committedGen = 0;
  /** Every commit up to this number is on disk. */
  private durableGen = 0;
  private inFlight = false;
  private waiters: Waiter[] = [];
  private failure: InfrastructureError | undefined;
  private fd: number | undefined;
  /** fdatasync calls completed. */
  syncs = 0;

  /**
   * @param walPath the `-wal` file next to the database (it exists once the database is in WAL mode and written)
   * @param sync the sync call (a test injects failures here)
   */
  constructor(
    private readonly walPath: string,
    private readonly sync: SyncFunction = fdatasync,
  ) {}

  /** True once a sync failed (nothing is acknowledged after it). */
  get failed(): boolean {
    return this.failure !== undefined;
  }

  /** Records a commit that must reach the disk before its callers hear of it; returns its number. */
  committed(): number {
    return ++this.committedGen;
  }

  /** The newest commit so far: what a read or claim made now may have seen. */
  get latest(): number {
    return this.committedGen;
  }

  /** Resolves once commit `gen` (and every earlier one) is on disk; rejects if a sync failed. */
  whenDurable(gen: number): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (gen <= this.durableGen) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.waiters.push({ gen, resolve, reject });
      this.kick();
    });
  }

  /** Waits for every commit so far, then releases the file. */
  async close(): Promise<void> {
    try {
      // After a failed sync there is nothing left to wait for: close anyway.
      if (!this.failure) await this.whenDurable(this.committedGen);
    } finally {
      if (this.fd !== undefined) closeSync(this.fd);
      this.fd = undefined;
    }
  }

  private kick(): void {
    if (this.inFlight || this.durableGen >= this.committedGen) return;
    if (this.fd === undefined) {
      try {
        this.fd = openSync(this.walPath, 'r+');
      } catch (cause) {
        this.fail(cause);
        return;
      }
    }
    const target = this.committedGen;
    this.inFlight = true;
    this.sync(this.fd, (error) => {
      this.inFlight = false;
      if (error) {
        this.fail(error);
        return;
      }
      this.syncs++;
      this.durableGen = target;
      const ready = this.waiters.filter((w) => w.gen <= target);
      this.waiters = this.waiters.filter((w) => w.gen > target);
      for (const w of ready) w.resolve();
      this.kick();
    });
  }

  /**
   * A failed fsync leaves committed data of unknown durability; after it nothing may be
   * acknowledged any more (the kernel may have dropped the dirty pages), so the store fails.
   * Waiters hear WRITE_OUTCOME_UNKNOWN: their commits happened, their durability is unknown.
   */
  private fail(cause: unknown): void {
    this.failure = new InfrastructureError(StoreFaultCode.WRITE_OUTCOME_UNKNOWN, `cannot sync the SQLite WAL '${this.walPath}': ${String(cause)}`, { cause });
    for (const w of this.waiters) w.reject(this.failure);
    this.waiters = [];
  }
}
