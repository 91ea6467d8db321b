/**
 * @module store/postgres-create-batch
 * Group commit of creates on PostgreSQL. A create of a free id, not claimed in its statement, is
 * one autocommit statement (SQL.createNew) — a transaction and a WAL flush per start, the most
 * frequent statement of a driver starting workflows at concurrency 100. Creates that arrive while
 * one is in flight go together in the next: ONE statement inserting every row in id order (two
 * batches, or a batch and a turn, cannot deadlock) and the starts of the rows it inserted; each
 * create learns whether its id was free (ON CONFLICT DO NOTHING, as alone). The caller serializes
 * requests of one id (postgres-order.ts), so a batch never holds one id twice; if it does, those
 * go alone. A batch statement refused as a whole (a SQLSTATE: nothing written) is sent again
 * create by create, so each gets its own outcome. At c=1 nothing waits.
 */

import type pg from 'pg';
import { InfrastructureError } from '../errors.js';
import { arrayLiteral } from './postgres-array.js';
import { BatchQueue, firstOf } from './postgres-batch-queue.js';
import { run } from './postgres-sql.js';
import { StoreFaultCode } from './types.js';

/** Most creates in one statement. */
const MAX_CREATE_BATCH = 128;

/** createNew's parameters: the 9 instance columns, the start's visible-at and data. */
type CreateParams = unknown[];

interface Pending {
  params: CreateParams;
  resolve: (created: boolean) => void;
  reject: (error: unknown) => void;
}

/** Runs one statement in autocommit, with the store's retry on deadlock and fault mapping. */
type Statement = <T>(body: () => Promise<T>) => Promise<T>;

/** Coalesces concurrent creates of free ids into shared statements. */
export class CreateBatcher {
  private readonly queue = new BatchQueue<Pending>((batch) => (batch.length === 1 ? this.alone(batch[0]) : this.together(batch)), firstOf(MAX_CREATE_BATCH));
  /** Statements that carried more than one create, and those creates (benchmarks). */
  readonly stats = { batches: 0, batchedCreates: 0 };

  constructor(
    private readonly pool: pg.Pool,
    private readonly statement: Statement,
  ) {}

  /** Resolves true if the row was created (the id was free), false if the id exists (nothing written). */
  create(params: CreateParams): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => this.queue.push({ params, resolve, reject }));
  }

  private async alone(p: Pending): Promise<void> {
    try {
      p.resolve(await this.statement(async () => ((await run(this.pool, 'createNew', p.params)).rowCount ?? 0) > 0));
    } catch (error) {
      p.reject(error);
    }
  }

  private async together(batch: Pending[]): Promise<void> {
    const ids = new Set<string>();
    const distinct: Pending[] = [];
    const twice: Pending[] = [];
    for (const p of batch) {
      const id = p.params[0] as string;
      (ids.has(id) ? twice : distinct).push(p);
      ids.add(id);
    }
    const columns = Array.from({ length: 11 }, (_, c) => arrayLiteral(distinct.map((p) => p.params[c])));
    let created: Set<string>;
    try {
      created = await this.statement(async () => new Set((await run<{ instance_id: string }>(this.pool, 'createMany', columns)).rows.map((r) => r.instance_id)));
    } catch (error) {
      if (error instanceof InfrastructureError && error.code === StoreFaultCode.STORE_WRITE_FAILED) {
        for (const p of distinct) await this.alone(p);
      } else {
        for (const p of distinct) p.reject(error);
      }
      for (const p of twice) await this.alone(p);
      return;
    }
    this.stats.batches++;
    this.stats.batchedCreates += distinct.length;
    for (const p of distinct) p.resolve(created.has(p.params[0] as string));
    for (const p of twice) await this.alone(p);
  }
}
