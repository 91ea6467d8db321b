/**
 * @module store/postgres-read-batch
 * Concurrent `getInstance` reads on PostgreSQL share one statement. With store feature
 * `turnShortcuts` every inline activity completion on a cached runtime reads its instance row
 * before its claim-free turn (engine inline-completion.ts): at concurrency 100 that is one read
 * per workflow step, the most frequent statement of the 3-step chain. Reads that arrive while one
 * is in flight go together in the next (`instance_id = ANY(…)`, one round trip). Each statement
 * starts after every read in it was asked, so a read still sees every write committed before it.
 * At c=1 nothing waits.
 */

import type pg from 'pg';
import { BatchQueue, firstOf } from './postgres-batch-queue.js';
import { run } from './postgres-sql.js';
import { toInstanceRecord, type InstanceRow } from './sqlite-rows.js';
import type { InstanceRecord } from './types.js';

/** Most reads in one statement. */
const MAX_READ_BATCH = 256;

interface Pending {
  instanceId: string;
  resolve: (record: InstanceRecord | undefined) => void;
  reject: (error: unknown) => void;
}

/** Runs one read statement (the store's closed check and fault mapping). */
type Read = <T>(body: () => Promise<T>) => Promise<T>;

/** Coalesces concurrent instance reads. */
export class InstanceReadBatcher {
  private readonly queue = new BatchQueue<Pending>((batch) => this.send(batch), firstOf(MAX_READ_BATCH));
  /** Statements that carried more than one read, and those reads (benchmarks). */
  readonly stats = { batches: 0, batchedReads: 0 };

  constructor(
    private readonly pool: pg.Pool,
    private readonly read: Read,
  ) {}

  /** The instance row of `instanceId`, undefined if there is none. */
  get(instanceId: string): Promise<InstanceRecord | undefined> {
    return new Promise<InstanceRecord | undefined>((resolve, reject) => this.queue.push({ instanceId, resolve, reject }));
  }

  private async send(batch: Pending[]): Promise<void> {
    let rows: InstanceRow[];
    try {
      rows =
        batch.length === 1
          ? (await this.read(() => run<InstanceRow>(this.pool, 'getInstance', [batch[0].instanceId]))).rows
          : (await this.read(() => run<InstanceRow>(this.pool, 'getInstances', [[...new Set(batch.map((p) => p.instanceId))]]))).rows;
    } catch (error) {
      for (const p of batch) p.reject(error);
      return;
    }
    if (batch.length > 1) {
      this.stats.batches++;
      this.stats.batchedReads += batch.length;
    }
    const byId = new Map(rows.map((r) => [r.instance_id, r]));
    for (const p of batch) {
      const row = byId.get(p.instanceId);
      // A fresh record per caller: callers may keep and change what they get.
      p.resolve(row === undefined ? undefined : toInstanceRecord(row));
    }
  }
}
