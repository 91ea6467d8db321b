/**
 * @module engine/clock
 * The engine's only source of "now" outside orchestration code: the system clock in production, a
 * ManualClock in tests (time moves only when the test says so). Orchestrations never read it; they
 * use the history time the worker stamps on each turn.
 */

/** A source of time in milliseconds since the Unix epoch. */
export interface Clock {
  now(): number;
  /** Called when time jumps (ManualClock), so sleeping workers can re-check due timers at once. */
  onAdvance?(listener: () => void): () => void;
}

/** The wall clock. */
export const systemClock: Clock = {
  now: () => Date.now(),
};

/** A clock that moves only when told: `advance(ms)` / `set(ms)`. For tests of timers and schedules. */
export class ManualClock implements Clock {
  private current: number;
  private readonly listeners = new Set<() => void>();

  /** @param start Initial time (ms since epoch). @default 2026-01-01T00:00:00Z */
  constructor(start: number | Date = Date.UTC(2026, 0, 1)) {
    this.current = typeof start === 'number' ? start : start.getTime();
  }

  now(): number {
    return this.current;
  }

  /** Moves time forward by `ms` and wakes the engine's workers. */
  advance(ms: number): void {
    this.set(this.current + ms);
  }

  /** Sets the time (it may not go backwards) and wakes the engine's workers. */
  set(ms: number | Date): void {
    const t = typeof ms === 'number' ? ms : ms.getTime();
    if (t < this.current) throw new RangeError(`ManualClock cannot go backwards (${t} < ${this.current})`);
    this.current = t;
    for (const l of [...this.listeners]) l();
  }

  onAdvance(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
