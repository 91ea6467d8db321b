/**
 * @module store/postgres-tx
 * Transactions of the PostgreSQL store: one pooled connection per transaction, retried on a
 * deadlock (40P01) or serialization failure (40001) — PostgreSQL then rolled everything back — and
 * PostgreSQL's failures mapped to the StoreFaultCodes of the Store contract.
 */

import type pg from 'pg';
import { InfrastructureError, SwirlError } from '../errors.js';
import { countTrip } from './postgres-sql.js';
import { StoreFaultCode } from './types.js';

/** A query runner bound to one connection inside a transaction. */
export type Tx = pg.PoolClient;

/** SQLSTATEs after which the whole transaction is simply run again. */
const RETRYABLE = new Set(['40P01', '40001']);

/** How often a deadlocked / serialization-failed transaction is retried before giving up. */
const MAX_ATTEMPTS = 8;

/** Counters for tests and benchmarks. */
export interface TxStats {
  transactions: number;
  retries: number;
}

/** SQLSTATE of a pg error, if any. */
export function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/**
 * Runs `body` in a transaction (READ COMMITTED: every statement locks what it relies on).
 * SwirlErrors thrown by the body (LEASE_LOST …) roll back and pass through unchanged.
 */
export async function transaction<T>(pool: pg.Pool, stats: TxStats, body: (tx: Tx) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    let client: pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (cause) {
      throw writeFault(StoreFaultCode.STORE_WRITE_FAILED, cause);
    }
    let committing = false;
    let broken: unknown;
    try {
      countTrip('BEGIN/COMMIT', 2);
      await client.query('BEGIN');
      const value = await body(client);
      committing = true;
      await client.query('COMMIT');
      stats.transactions++;
      return value;
    } catch (error) {
      if (!committing) await client.query('ROLLBACK').catch((e: unknown) => (broken = e));
      else broken = error;
      if (error instanceof SwirlError) throw error;
      const state = sqlState(error);
      if (state !== undefined && RETRYABLE.has(state) && attempt < MAX_ATTEMPTS) {
        stats.retries++;
        continue;
      }
      // A COMMIT that failed with a SQLSTATE was refused (nothing written); one that lost its
      // connection may or may not have been applied.
      if (committing && state === undefined) throw writeFault(StoreFaultCode.WRITE_OUTCOME_UNKNOWN, error);
      throw writeFault(StoreFaultCode.STORE_WRITE_FAILED, error);
    } finally {
      // A connection that failed mid-transaction is discarded rather than reused.
      client.release(broken instanceof Error ? broken : undefined);
    }
  }
}

/**
 * Runs one data-changing statement on its own (autocommit: one round trip, atomic by itself),
 * retried on deadlock / serialization failure, failures mapped like {@link transaction}'s.
 */
export async function autocommit<T>(stats: TxStats, body: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      const value = await body();
      stats.transactions++;
      return value;
    } catch (error) {
      if (error instanceof SwirlError) throw error;
      const state = sqlState(error);
      if (state !== undefined && RETRYABLE.has(state) && attempt < MAX_ATTEMPTS) {
        stats.retries++;
        continue;
      }
      throw writeFault(state === undefined ? StoreFaultCode.WRITE_OUTCOME_UNKNOWN : StoreFaultCode.STORE_WRITE_FAILED, error);
    }
  }
}

/** Runs one read on the pool, mapping PostgreSQL's failures to STORE_READ_FAILED. */
export async function read<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof SwirlError) throw error;
    throw new InfrastructureError(StoreFaultCode.STORE_READ_FAILED, `PostgreSQL read failed: ${describe(error)}`, { cause: error });
  }
}

function writeFault(code: StoreFaultCode, cause: unknown): InfrastructureError {
  const what = code === StoreFaultCode.WRITE_OUTCOME_UNKNOWN ? 'the connection was lost during COMMIT; the write may or may not be applied' : 'PostgreSQL write failed';
  return new InfrastructureError(code, `${what}: ${describe(cause)}`, { cause });
}

function describe(error: unknown): string {
  const state = sqlState(error);
  const message = error instanceof Error ? error.message : String(error);
  return state === undefined ? message : `${message} (SQLSTATE ${state})`;
}
