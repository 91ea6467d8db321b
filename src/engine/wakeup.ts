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

  /** Wakes the waiter now, or the next wait() if nobody waits. */
  notify(): void {
    if (this.resolve) this.release();
    else this.pending = true;
  }

  /** Resolves on notify() or after `ms`. */
  wait(ms: number): Promise<void> {
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
