/**
 * @module store/postgres-batch-queue
 * The queue behind PostgreSQL's group commits (postgres-completion-batch.ts, postgres-claim-batch.ts,
 * postgres-turn-batch.ts): requests that arrive while a batch is in flight go together in the next
 * one. At c=1 nothing waits: a request with no batch in flight is sent at once, alone.
 */

/** Splits the waiting requests into the next batch and the ones that wait for a later one. */
export type TakeBatch<P> = (queue: P[]) => { batch: P[]; rest: P[] };

/** The first `max` requests, in arrival order. */
export function firstOf<P>(max: number): TakeBatch<P> {
  return (queue) => ({ batch: queue.slice(0, max), rest: queue.slice(max) });
}

/** Coalesces concurrent requests into batches, at most `maxInFlight` batches in flight at once. */
export class BatchQueue<P> {
  private queue: P[] = [];
  private flights = 0;

  /**
   * @param send commits one batch and settles each of its requests; must not throw
   * @param take the next batch out of the waiting requests
   */
  constructor(
    private readonly send: (batch: P[]) => Promise<void>,
    private readonly take: TakeBatch<P>,
    private readonly maxInFlight = 1,
  ) {}

  /** Queues `request`; it is sent with the next batch. */
  push(request: P): void {
    this.queue.push(request);
    if (this.flights < this.maxInFlight) void this.flush();
  }

  private async flush(): Promise<void> {
    this.flights++;
    try {
      while (this.queue.length > 0) {
        const { batch, rest } = this.take(this.queue);
        this.queue = rest;
        await this.send(batch);
      }
    } finally {
      this.flights--;
    }
  }
}
