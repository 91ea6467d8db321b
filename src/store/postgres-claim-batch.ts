/**
 * @module store/postgres-claim-batch
 * Concurrent single-instance claims on PostgreSQL share one statement. Every activity result the
 * engine records inline (engine `completeActivityInline`) first claims its orchestration alone
 * (`instanceIds: [id]`): at concurrency 100 that was one statement per workflow step, the most
 * frequent statement of the 3-step chain (bench/README.md, "PostgreSQL store"). Here the claims
 * that arrive while one is in flight go together in the next: one `claimListedMany` statement,
 * each instance under its own claim's lease (SKIP LOCKED as every claim: a row another
 * transaction holds is not claimed, as alone). At c=1 nothing waits. Claims that differ in names,
 * lease time or message limit, or name an instance already in the batch, go in a later batch.
 */

import type pg from 'pg';
import { BatchQueue } from './postgres-batch-queue.js';
import { claimEach, type DbClaim } from './postgres-claims.js';
import type { ClaimOrchestrationsRequest, OrchestrationWorkItem } from './types.js';

/** Most claims in one statement. */
const MAX_CLAIM_BATCH = 128;

interface Pending {
  request: ClaimOrchestrationsRequest;
  /** The claim's `now` in the database frame. */
  now: number;
  resolve: (items: OrchestrationWorkItem[]) => void;
  reject: (error: unknown) => void;
}

/** Runs one statement in autocommit, with the store's retry on deadlock and fault mapping. */
type Statement = <T>(body: () => Promise<T>) => Promise<T>;

/** What must agree for two claims to share a statement. */
function keyOf(r: ClaimOrchestrationsRequest): string {
  const names = r.names === undefined ? '*' : [...new Set(r.names)].sort().join('\u0000');
  return `${r.leaseMs}\u0001${r.maxMessagesPerInstance ?? ''}\u0001${names}`;
}

/** The next batch: the oldest claim and the later ones that can share its statement. */
function takeSharing(queue: Pending[]): { batch: Pending[]; rest: Pending[] } {
  const key = keyOf(queue[0].request);
  const ids = new Set<string>();
  const batch: Pending[] = [];
  const rest: Pending[] = [];
  for (const p of queue) {
    const id = p.request.instanceIds![0];
    if (batch.length < MAX_CLAIM_BATCH && !ids.has(id) && keyOf(p.request) === key) {
      ids.add(id);
      batch.push(p);
    } else {
      rest.push(p);
    }
  }
  return { batch, rest };
}

/** Coalesces concurrent one-instance orchestration claims. */
export class ClaimBatcher {
  private readonly queue = new BatchQueue<Pending>((batch) => this.send(batch), takeSharing);
  /** Statements sent and the claims they carried (benchmarks). */
  readonly stats = { batches: 0, batchedClaims: 0 };

  constructor(
    private readonly pool: pg.Pool,
    private readonly statement: Statement,
    private readonly fromDb: (t: number) => number,
  ) {}

  /** Claims `request` (exactly one listed instance, limit ≥ 1); `now` is its time in the database frame. */
  claim(request: ClaimOrchestrationsRequest, now: number): Promise<OrchestrationWorkItem[]> {
    return new Promise<OrchestrationWorkItem[]>((resolve, reject) => this.queue.push({ request, now, resolve, reject }));
  }

  private async send(batch: Pending[]): Promise<void> {
    // The latest of the claims' times: each claim is made when the statement runs, after it was asked.
    const now = Math.max(...batch.map((p) => p.now));
    const at: DbClaim = { now, lockUntil: now + batch[0].request.leaseMs };
    let claimed: Map<string, OrchestrationWorkItem>;
    try {
      claimed = await this.statement(() => claimEach(this.pool, batch.map((p) => p.request), at, this.fromDb));
    } catch (error) {
      for (const p of batch) p.reject(error);
      return;
    }
    if (batch.length > 1) {
      this.stats.batches++;
      this.stats.batchedClaims += batch.length;
    }
    for (const p of batch) {
      const item = claimed.get(p.request.instanceIds![0]);
      p.resolve(item === undefined ? [] : [item]);
    }
  }
}
