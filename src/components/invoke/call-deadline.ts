/**
 * @module components/invoke/call-deadline
 * The abort source of one outbound HTTP call: its timeout and the caller's signal, given to
 * undici as the request's `signal` (undici takes any object with `aborted`, `reason` and
 * add/removeEventListener). It replaces `AbortSignal.any([caller, AbortSignal.timeout(ms)])`,
 * which builds two AbortSignals per call — and Node 20 makes every AbortSignal transferable, a
 * measurable share of the CPU of a workflow of `invoke:` calls (bench/README.md "Declarative over
 * HTTP"). One timer and one listener on the caller's signal, both released by {@link dispose}.
 */

/** The reason of a call that ran out of time: a TimeoutError, as `AbortSignal.timeout` gives. */
function timeoutReason(): DOMException {
  return new DOMException('The operation was aborted due to timeout', 'TimeoutError');
}

/** Aborts when `timeoutMs` has passed or the caller's signal aborts, whichever is first. */
export class CallDeadline {
  aborted = false;
  reason: unknown = undefined;
  private listener: (() => void) | undefined;
  private readonly timer: NodeJS.Timeout | undefined;

  constructor(
    timeoutMs: number,
    private readonly caller?: AbortSignal,
  ) {
    if (caller?.aborted) {
      this.aborted = true;
      this.reason = caller.reason;
      return;
    }
    this.timer = setTimeout(() => this.abort(timeoutReason()), timeoutMs);
    caller?.addEventListener('abort', this.onCallerAbort, { once: true });
  }

  private readonly onCallerAbort = (): void => this.abort(this.caller?.reason);

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

  /** The call is over: stops the timer and stops listening to the caller. */
  dispose(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.caller?.removeEventListener('abort', this.onCallerAbort);
  }
}
