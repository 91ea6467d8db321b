/**
 * @module components/invoke/call-deadline
 * The abort source of one outbound HTTP call: its timeout and the caller's signal, given to
 * undici as the request's `signal` (undici takes any object with `aborted`, `reason` and
 * add/removeEventListener). It replaces `AbortSignal.any([caller, AbortSignal.timeout(ms)])`,
 * which builds two AbortSignals per call — and Node 20 makes every AbortSignal transferable, a
 * measurable share of the CPU of a workflow of `invoke:` calls (bench/README.md "Declarative over
 * HTTP"). The timeouts of all calls in flight, and their callers' signals, are checked by one
 * shared timer every {@link TICK_MS} (a `setTimeout` + `clearTimeout` per call was ~5 µs of CPU
 * each at load; an abort listener added to and removed from the caller's AbortSignal per call —
 * an EventTarget — about as much again), so a call times out, or ends after its caller aborted,
 * up to that much after the fact.
 */

/** How often the shared timer looks for calls past their time. */
export const TICK_MS = 20;

/** Calls in flight with a deadline. */
const pending = new Set<CallDeadline>();
let ticker: NodeJS.Timeout | undefined;

function tick(): void {
  const now = performance.now();
  for (const d of pending) d.check(now);
  if (pending.size === 0 && ticker !== undefined) {
    clearInterval(ticker);
    ticker = undefined;
  }
}

/** The reason of a call that ran out of time: a TimeoutError, as `AbortSignal.timeout` gives. */
function timeoutReason(): DOMException {
  return new DOMException('The operation was aborted due to timeout', 'TimeoutError');
}

/** Aborts when `timeoutMs` has passed or the caller's signal aborts, whichever is first. */
export class CallDeadline {
  aborted = false;
  reason: unknown = undefined;
  private listener: (() => void) | undefined;
  private readonly dueAt: number;

  constructor(
    timeoutMs: number,
    private readonly caller?: AbortSignal,
  ) {
    this.dueAt = performance.now() + timeoutMs;
    if (caller?.aborted) {
      this.aborted = true;
      this.reason = caller.reason;
      return;
    }
    pending.add(this);
    ticker ??= setInterval(tick, TICK_MS);
  }

  /**
   * The shared timer's check: aborts with the caller's reason once the caller's signal has aborted,
   * or with a TimeoutError when its time has come by `now`.
   */
  check(now: number): void {
    if (this.caller?.aborted) this.abort(this.caller.reason);
    else if (now >= this.dueAt) this.abort(timeoutReason());
  }

  private abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    this.dispose();
    const listener = this.listener;
    this.listener = undefined;
    listener?.();
  }

  /** undici listens here (one listener per request). */
  addEventListener(_type: 'abort', listener: () => void): void {
    this.listener = listener;
  }

  removeEventListener(_type: 'abort', listener: () => void): void {
    if (this.listener === listener) this.listener = undefined;
  }

  /** The call is over: no longer timed, no longer watching the caller. */
  dispose(): void {
    pending.delete(this);
  }
}
