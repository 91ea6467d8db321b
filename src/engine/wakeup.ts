/**
 * @module engine/wakeup
 * How an idle worker loop sleeps: until notified (work was enqueued in this process, or the
 * ManualClock moved) or until a timeout (poll for other processes and due timers). A notify that
 * arrives while nobody waits is remembered, so a wake-up is never lost between check and sleep.
 */

/** A one-slot wake-up signal with a timeout (see the module doc). */
export class Wakeup {
  private pending = false;
  private resolve: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** notify() calls so far (see {@link mark}). */
  private notifies = 0;
  /** The loop sleeps because it has no capacity (see {@link waitForCapacity}). */
  private capacityWait = false;

  /** Wakes the waiter now, or the next wait() if nobody waits. */
  notify(): void {
    this.notifies++;
    if (this.resolve) this.release();
    else this.pending = true;
  }

  /**
   * A mark for {@link notifyIfMissed}, taken before an item of work is locked (claimed, or
   * created claimed) for this process.
   */
  mark(): number {
    return this.notifies;
  }

  /**
   * An item that held its work since `mark` has finished. Its loop needs waking only if it may
   * have missed something because of the item: work was announced meanwhile (a message for an
   * instance the item held stays unclaimable until the item lets go — the loop looked, found it
   * locked, and went to sleep), or the loop waits for the capacity the item gives back. Otherwise
   * the loop has not been told of anything since, so it has nothing to look again for: waking it
   * would only run a claim probe and a next-wake read that find nothing (at concurrency 1, twice
   * per step of a chain). Work of other processes is found by the loop's polls as before.
   */
  notifyIfMissed(mark: number): void {
    if (this.capacityWait || this.notifies !== mark) this.notify();
  }

  /** {@link wait} of a loop that has no capacity: every finished item wakes it (notifyIfMissed). */
  waitForCapacity(ms: number): Promise<void> {
    const woken = this.wait(ms);
    this.capacityWait = true;
    return woken;
  }

  /** Resolves on notify() or after `ms`. */
  wait(ms: number): Promise<void> {
    // Conservative until the next wait: a loop woken from waitForCapacity may still lack capacity.
    this.capacityWait = false;
    if (this.pending) {
      this.pending = false;
      // Through the macrotask queue, not a resolved promise: on a store whose calls are microtasks
      // (memory) a busy loop would otherwise never let timers and requests run (issue 18).
      return new Promise<void>((resolve) => setImmediate(resolve));
    }
    return new Promise<void>((resolve) => {
      this.resolve = resolve;
      this.timer = setTimeout(() => this.release(), Math.max(0, ms));
    });
  }

  private release(): void {
    const r = this.resolve;
    this.resolve = undefined;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    r?.();
  }
}

/**
 * The idle poll schedule: after work, the first empty poll comes soon (pollIntervalMs / 16), then
 * each further empty poll waits twice as long, up to pollIntervalMs — quick to notice work from
 * other processes after activity, cheap when idle for long.
 */
export class PollBackoff {
  private readonly minMs: number;
  private current: number;

  constructor(private readonly maxMs: number) {
    this.minMs = Math.max(1, Math.ceil(maxMs / 16));
    this.current = this.minMs;
  }

  /** The sleep before the next poll. */
  next(): number {
    const v = this.current;
    this.current = Math.min(this.current * 2, this.maxMs);
    return v;
  }

  /** Work was found: start again from the shortest sleep. */
  reset(): void {
    this.current = this.minMs;
  }
}
