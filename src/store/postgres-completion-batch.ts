/**
 * @module store/postgres-completion-batch
 * Group commit of activity completions on PostgreSQL. Every completion locks its orchestration's
 * instance row (the lock order, and the ordering rule of the inbox), so the completions of one
 * fan-in — a hundred activities finishing together — would commit one after another, one WAL
 * flush each, each waiting for the previous one's row lock. Here the completions that arrive while
 * one transaction is in flight commit together in the next: the target rows locked once (sorted),
 * every task deleted under its own lease in one statement, the messages inserted in call order.
 * A lost lease fails only its own completion; a failed transaction fails the whole batch, as each
 * of its completions would have failed alone. At c=1 nothing waits: a completion with none in
 * flight starts its transaction at once.
 */

import { BatchQueue, firstOf } from './postgres-batch-queue.js';
import { run } from './postgres-sql.js';
import type { Tx } from './postgres-tx.js';
import { leaseLost, type PgTurnWriter } from './postgres-turn.js';
import type { CompleteActivityRequest } from './types.js';

/** Most completions in one transaction (bounds its statement sizes and lock set). */
const MAX_BATCH = 256;

interface Pending {
  request: CompleteActivityRequest;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/** Runs `body` in one store transaction. */
type Write = <T>(body: (tx: Tx) => Promise<T>) => Promise<T>;

/** Coalesces concurrent `completeActivity` calls into shared transactions. */
export class CompletionBatcher {
  private readonly queue = new BatchQueue<Pending>((batch) => this.send(batch), firstOf(MAX_BATCH));

  constructor(
    private readonly write: Write,
    private readonly turns: PgTurnWriter,
    private readonly committed: () => void,
  ) {}

  /** Resolves once this completion is committed; LEASE_LOST when its task is not held by its lease. */
  complete(request: CompleteActivityRequest): Promise<void> {
    return new Promise<void>((resolve, reject) => this.queue.push({ request, resolve, reject }));
  }

  private async send(batch: Pending[]): Promise<void> {
    let accepted: ReadonlySet<Pending>;
    try {
      accepted = await this.write((tx) => this.commit(tx, batch));
    } catch (error) {
      for (const p of batch) p.reject(error);
      return;
    }
    for (const p of batch) {
      if (accepted.has(p)) p.resolve();
      else p.reject(leaseLost('activity task', String(p.request.taskRowId), p.request.leaseId));
    }
    if (accepted.size > 0) this.committed();
  }

  /** The batch's writes; returns the completions that held their task (the others wrote nothing). */
  private async commit(tx: Tx, batch: readonly Pending[]): Promise<Set<Pending>> {
    const targets = await this.turns.lock(
      tx,
      batch.map((p) => p.request.message.instanceId),
    );
    // A task completed twice under one lease within a batch counts once, for its first completion
    // (as one after the other: the second finds no task).
    const key = (p: Pending) => `${p.request.taskRowId}\u0000${p.request.leaseId}`;
    const first = new Map<string, Pending>();
    for (const p of batch) if (!first.has(key(p))) first.set(key(p), p);
    const candidates = [...first.values()];
    const deleted = await run<{ id: string | number; lease: string }>(tx, 'deleteLockedTasksReturning', [
      candidates.map((p) => p.request.taskRowId),
      candidates.map((p) => p.request.leaseId),
    ]);
    const gone = new Set(deleted.rows.map((r) => `${Number(r.id)}\u0000${r.lease}`));
    const accepted = new Set(candidates.filter((p) => gone.has(key(p))));
    // Call order is inbox order; a purged target has no row and gets no message.
    const messages = batch.filter((p) => accepted.has(p) && targets.has(p.request.message.instanceId)).map((p) => p.request.message);
    await this.turns.insertMessages(tx, messages);
    return accepted;
  }
}
