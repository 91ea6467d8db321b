/**
 * @module store/postgres-turn-batch
 * Group commit of turns on PostgreSQL. The one-statement turns (postgres-turn-function.ts) that
 * arrive while a turn commit is in flight are committed together by the next one: ONE autocommit
 * statement that first locks every instance row of every turn in the batch, in id order (the
 * store's one lock order: two batches, or a batch and any other write, cannot deadlock), then
 * calls `swirl_try_commit_turn_v10` (migration 10) once per turn. Each call runs in its own
 * subtransaction, so a turn whose lease, epoch or history check fails writes nothing and fails
 * alone with its own LEASE_LOST / HISTORY_CONFLICT, while the others commit — one transaction, one
 * WAL flush, one round trip for the batch. Since migration 11 a batch of turns of distinct
 * instances is instead ONE set-based call, `swirl_commit_turns_v11` (postgres-turn-sql-v11.ts,
 * parameters from postgres-turn-columns.ts): the same outcome per turn, ~12 statements per batch.
 * At c=1 nothing waits: a turn with no commit in flight is sent at once, as the single-turn statement.
 *
 * A batch statement that PostgreSQL refuses (a SQLSTATE: nothing was written) is committed again
 * turn by turn, so each turn gets exactly the outcome it would have had alone; one whose outcome
 * is unknown (the connection was lost) fails every turn of the batch with that error.
 */

import type pg from 'pg';
import { InfrastructureError } from '../errors.js';
import { BatchQueue, firstOf } from './postgres-batch-queue.js';
import { countTrip } from './postgres-sql.js';
import { checkFailure, commitTurnInOneStatement, turnParams } from './postgres-turn-function.js';
import { committedTurn, type ToDb } from './postgres-turn.js';
import { turnColumns } from './postgres-turn-columns.js';
import { COMMIT_TURNS_V11_PARAMS } from './postgres-turn-sql-v11.js';
import { StoreFaultCode, type CommittedTurn, type NewActivityTask, type TurnCommit } from './types.js';

/** Most turns in one statement: 32 parameters each, and one subtransaction each (PostgreSQL caches 64 per backend). */
export const MAX_TURN_BATCH = 32;

/** Parameters of `swirl_commit_turn_v10` / `swirl_try_commit_turn_v10`. */
const TURN_PARAMS = 32;

interface Pending {
  turn: TurnCommit;
  resolve: (committed: CommittedTurn | undefined) => void;
  reject: (error: unknown) => void;
}

/** Runs one statement in autocommit, with the store's retry on deadlock and fault mapping. */
type Statement = <T>(body: () => Promise<T>) => Promise<T>;

/** Counters for benchmarks: batch statements sent and the turns they carried. */
export interface TurnBatchStats {
  batches: number;
  batchedTurns: number;
}

/** The batch statement for `n` turns ($1: every instance to lock; then 32 parameters per turn). */
function batchSql(n: number): string {
  const calls = Array.from({ length: n }, (_, i) => {
    const first = 2 + i * TURN_PARAMS;
    const params = Array.from({ length: TURN_PARAMS }, (_, k) => `$${first + k}`).join(', ');
    return `swirl_try_commit_turn_v10(${params}) AS r${i}`;
  });
  return `WITH l AS MATERIALIZED (SELECT count(*) AS n FROM (SELECT 1 FROM instances WHERE instance_id = ANY($1::text[]) ORDER BY instance_id FOR UPDATE) x)
          SELECT ${calls.join(', ')} FROM l`;
}

/** The set-based batch statement (migration 11): one call of `swirl_commit_turns_v11` for the whole batch. */
const SET_BATCH_SQL = `SELECT swirl_commit_turns_v11(${Array.from({ length: COMMIT_TURNS_V11_PARAMS }, (_, i) => `$${i + 1}`).join(', ')}) AS r`;

/** Coalesces concurrent one-statement turn commits into shared statements. */
export class TurnBatcher {
  private readonly queue: BatchQueue<Pending>;
  readonly stats: TurnBatchStats = { batches: 0, batchedTurns: 0 };

  /**
   * @param maxInFlight commit statements in flight at once (each takes one pooled connection);
   *                    turns arriving while all are busy wait and go together in the next. 0
   *                    turns group commit off (each turn its own statement, unbounded).
   */
  constructor(
    private readonly pool: pg.Pool,
    private readonly statement: Statement,
    private readonly toDb: ToDb,
    private readonly maxInFlight = 1,
    /** The committing store's node (recorded by migration 9's function: sticky claims). */
    private readonly node = '',
  ) {
    this.queue = new BatchQueue<Pending>((batch) => (batch.length === 1 ? this.alone(batch[0]) : this.together(batch)), firstOf(MAX_TURN_BATCH), maxInFlight);
  }

  /** Resolves once `turn` is committed; rejects with its own LEASE_LOST / HISTORY_CONFLICT, or the batch's fault. */
  commit(turn: TurnCommit): Promise<CommittedTurn | undefined> {
    return new Promise<CommittedTurn | undefined>((resolve, reject) => {
      // 0: no group commit, every turn its own statement at once (for comparison in bench/).
      if (this.maxInFlight <= 0) return void this.alone({ turn, resolve, reject });
      this.queue.push({ turn, resolve, reject });
    });
  }

  /** One turn: the single-turn statement (the same as without batching). */
  private async alone(p: Pending): Promise<void> {
    try {
      p.resolve(await this.statement(() => commitTurnInOneStatement(this.pool, p.turn, this.toDb, this.node)));
    } catch (error) {
      p.reject(error);
    }
  }

  private async together(batch: Pending[]): Promise<void> {
    const calls: unknown[][] = [];
    const lock = new Set<string>();
    const instances = new Set<string>();
    const sent: Pending[] = [];
    const leased: NewActivityTask[][] = [];
    for (const p of batch) {
      try {
        const call = turnParams(p.turn, this.toDb, this.node);
        calls.push(call.params);
        leased.push(call.leased);
      } catch (error) {
        p.reject(error); // a malformed turn (non-contiguous seqs) fails alone, before anything is sent
        continue;
      }
      lock.add(p.turn.instanceId);
      instances.add(p.turn.instanceId);
      for (const m of p.turn.messages) lock.add(m.instanceId);
      sent.push(p);
    }
    if (sent.length <= 1) {
      for (const p of sent) await this.alone(p);
      return;
    }
    // Set-based (migration 11) unless two turns of one instance came together: those commit one
    // after another, the later one failing its checks, which only the per-turn statement does.
    const setBased = instances.size === sent.length;
    const name = setBased ? 'commitTurnsSet' : `commitTurns${sent.length}`;
    const text = setBased ? SET_BATCH_SQL : batchSql(sent.length);
    const values = setBased ? turnColumns(calls, this.node) : [[...lock].sort(), ...calls.flat()];
    let slots: (string | null)[];
    try {
      slots = await this.statement(async () => {
        countTrip(setBased ? 'commitTurnsSet' : 'commitTurns');
        const row = (await this.pool.query<Record<string, unknown>>({ name, text, values })).rows[0];
        // One result per turn: the set-based function's array, or the per-turn columns r0, r1, …
        return setBased ? (row.r as string[]) : sent.map((_, i) => row[`r${i}`] as string | null);
      });
    } catch (error) {
      if (error instanceof InfrastructureError && error.code === StoreFaultCode.STORE_WRITE_FAILED) {
        // Refused as a whole (nothing written): each turn again on its own, for its own outcome.
        for (const p of sent) await this.alone(p);
      } else {
        for (const p of sent) p.reject(error);
      }
      return;
    }
    this.stats.batches++;
    this.stats.batchedTurns += sent.length;
    sent.forEach((p, i) => {
      const failed = slots[i] ?? '';
      if (failed.startsWith('+')) {
        // Committed: '+' and the ids of the tasks it leased.
        const ids = failed.length === 1 ? [] : failed.slice(1).split(',').map(Number);
        p.resolve(committedTurn(p.turn, leased[i], ids));
        return;
      }
      const colon = failed.indexOf(':');
      const state = failed.slice(0, colon);
      p.reject(checkFailure(p.turn, state, failed.slice(colon + 1)) ?? new Error(`turn of '${p.turn.instanceId}' failed with SQLSTATE ${state}`));
    });
  }
}
