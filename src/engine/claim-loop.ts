/**
 * @module engine/claim-loop
 * The poll loop both workers run: claim as much work as there is capacity for, hand each item
 * over, and when the store has nothing visible sleep until notified, until the next delayed item
 * is due, or for the next poll (with backoff). One loop, so the orchestration and activity workers
 * cannot drift apart in how they wait.
 */
import type { Store } from '../store/types.js';
import { LogEvent } from './logger.js';
import type { CompiledEngineOptions } from './options.js';
import type { StoreHealth } from './store-health.js';
import { PollBackoff, type Wakeup } from './wakeup.js';

/** What a worker plugs into {@link runClaimLoop}. */
export interface ClaimLoop<T> {
  /** What is claimed, for the log ("activities", "orchestrations"). */
  readonly what: string;
  /** False once the worker stops. */
  isActive(): boolean;
  /** How many more items the worker can take now. */
  capacity(): number;
  /** Claims up to `limit` visible items at `now`. */
  claim(now: number, limit: number): Promise<T[]>;
  /** Starts work on one claimed item (not awaited). */
  launch(item: T): void;
}

/** Runs the claim loop until `loop.isActive()` turns false. */
export async function runClaimLoop<T>(
  loop: ClaimLoop<T>,
  store: Store,
  wakeup: Wakeup,
  opts: Pick<CompiledEngineOptions, 'pollIntervalMs' | 'clock' | 'logger'>,
  /** Told each claim's outcome: what /healthz reports about the store. */
  health?: StoreHealth,
): Promise<void> {
  const backoff = new PollBackoff(opts.pollIntervalMs);
  while (loop.isActive()) {
    const capacity = loop.capacity();
    if (capacity <= 0) {
      await wakeup.waitForCapacity(opts.pollIntervalMs);
      continue;
    }
    let items: T[] = [];
    const now = opts.clock.now();
    try {
      items = await loop.claim(now, capacity);
      health?.claimSucceeded(loop.what);
    } catch (e) {
      if (!loop.isActive()) break;
      health?.claimFailed(loop.what, e, opts.clock.now());
      opts.logger.error(`claiming ${loop.what} failed`, { event: LogEvent.workerError, error: String(e) });
      await wakeup.wait(opts.pollIntervalMs);
      continue;
    }
    for (const item of items) loop.launch(item);
    if (items.length > 0) backoff.reset();
    if (items.length >= capacity) continue; // there may be more: claim again at once
    if (items.length > 0) {
      // The store had no more visible work: wait for a notification (work enqueued here, an
      // item finished) or the next poll, instead of a claim that would come back empty.
      await wakeup.wait(backoff.next());
      continue;
    }
    // Idle: sleep until notified (work enqueued in this process, an item finished, the clock
    // moved), until the next delayed item is due, or for the next poll (work from other processes,
    // expired leases; backoff up to pollIntervalMs).
    let sleep = backoff.next();
    try {
      const next = await store.nextWakeAt(now);
      if (next !== undefined) sleep = Math.min(sleep, Math.max(next - opts.clock.now(), 0));
    } catch {
      // a failing store is reported by the next claim
    }
    if (loop.isActive()) await wakeup.wait(sleep);
  }
}
