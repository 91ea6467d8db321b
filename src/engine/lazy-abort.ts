/**
 * @module engine/lazy-abort
 * An abort switch for one activity run whose AbortController is made only when the run's code
 * asks for `ctx.signal`: most activities never look at it, and an AbortController with its signal
 * (an EventTarget) was ~1 KB of garbage and a visible share of CPU per activity run.
 */

/** Abort state of one run; {@link signal} makes the AbortController on first use (already aborted if the run was). */
export class LazyAbort {
  private controller: AbortController | undefined;
  private abortedWith: { reason: unknown } | undefined;

  /** The run's AbortSignal (made now if not yet; aborted with the reason if the run already was). */
  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController();
      if (this.abortedWith !== undefined) this.controller.abort(this.abortedWith.reason);
    }
    return this.controller.signal;
  }

  /** True once {@link abort} was called. */
  get aborted(): boolean {
    return this.abortedWith !== undefined;
  }

  /** Aborts the run (the first reason wins, as with AbortController). */
  abort(reason: unknown): void {
    if (this.abortedWith !== undefined) return;
    this.abortedWith = { reason };
    this.controller?.abort(reason);
  }
}
