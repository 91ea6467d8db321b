/**
 * @module store/sqlite-checkpointer
 * WAL checkpoints off the JS thread. SQLite's auto-checkpoint runs inside the COMMIT that crosses
 * the threshold: it copies the WAL into the database file and fsyncs both, on Node's only JS
 * thread, stalling every workflow for the duration. A second connection in a worker thread
 * checkpoints (PASSIVE: never waits for the writer) every few milliseconds instead; the main
 * connection keeps a high auto-checkpoint threshold only as a backstop should the worker fall
 * behind or die. Started lazily, after enough commits to be worth a thread.
 */

import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** The worker: opens the database and runs a PASSIVE checkpoint every `intervalMs` until told to stop. */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path, { timeout: 1000 });
// FULL: the WAL is synced before frames are copied and the database file after (a checkpoint is
// crash-safe at any level; the level decides whether it is also power-loss-safe).
db.pragma('synchronous = FULL');
const timer = setInterval(() => {
  try { db.pragma('wal_checkpoint(PASSIVE)'); } catch (e) { parentPort.postMessage({ error: String(e) }); }
}, workerData.intervalMs);
parentPort.on('message', (m) => {
  if (m !== 'stop') return;
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

/** Commits after which the worker is started (small stores, e.g. in tests, never need it). */
const START_AFTER_COMMITS = 256;

/** Runs checkpoints for one database file in a worker thread. */
export class Checkpointer {
  private worker: Worker | undefined;
  private commits = 0;
  private closed = false;

  /**
   * @param path the database file
   * @param onStart called when the worker starts (the store raises its auto-checkpoint backstop)
   * @param onFailure called if the worker dies (the store restores normal auto-checkpointing)
   * @param intervalMs pause between checkpoints
   */
  constructor(
    private readonly path: string,
    private readonly onStart: () => void,
    private readonly onFailure: () => void,
    private readonly intervalMs = 50,
  ) {}

  /** Counts a commit; starts the worker once the store is busy enough. */
  noteCommit(): void {
    if (this.worker !== undefined || this.closed) return;
    if (++this.commits < START_AFTER_COMMITS) return;
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { path: this.path, driver, intervalMs: this.intervalMs } });
    // A background helper must never keep the process alive on its own.
    this.worker.unref();
    this.worker.on('error', () => this.fail());
    this.worker.on('message', (m: { error?: string }) => {
      if (m.error !== undefined) this.fail();
    });
    this.onStart();
  }

  /** Stops the worker (after its current checkpoint) and waits for it to exit. */
  async close(): Promise<void> {
    this.closed = true;
    const worker = this.worker;
    if (worker === undefined) return;
    this.worker = undefined;
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    // Keep the process alive until the worker has closed its connection (it is unref'd otherwise).
    worker.ref();
    worker.postMessage('stop');
    await exited;
  }

  private fail(): void {
    const worker = this.worker;
    this.worker = undefined;
    this.closed = true;
    void worker?.terminate();
    this.onFailure();
  }
}
