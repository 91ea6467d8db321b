/**
 * @module engine/lease-keeper
 * Keeps one lease alive while its work runs: renews it every third of the lease, so a turn or an
 * activity that takes longer than leaseMs is not taken over by another worker (and run twice).
 */
import { StoreErrorCode } from '../store/types.js';

/** Renews a lease on a timer until stopped; see the module doc. */
export class LeaseKeeper {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  /**
   * @param renew extends the lease (rejects with LEASE_LOST once another worker holds it).
   * @param intervalMs time between the end of one renewal and the start of the next.
   * @param onError a renewal failed; `lost` is true for LEASE_LOST, after which renewing stops
   *   (the lease is gone: the commit will fail with LEASE_LOST, nothing else is to be done). Other
   *   failures (a transient store error) are retried at the next tick, while the lease still runs.
   * @param currentLease the lease id `renew` uses right now, when the work can adopt a newer lease
   *   while it runs (its own node claimed it again). A LEASE_LOST for a renewal made under an id
   *   that has been replaced since it started is not a loss: the adopted lease is renewed on.
   */
  constructor(
    private readonly renew: () => Promise<void>,
    private readonly intervalMs: number,
    private readonly onError: (error: unknown, lost: boolean) => void,
    private readonly currentLease: () => string | undefined = () => undefined,
  ) {}

  /** The renewal interval for a lease of `leaseMs`: a third, so two renewals may fail before it expires. */
  static intervalFor(leaseMs: number): number {
    return Math.max(10, Math.floor(leaseMs / 3));
  }

  /** Starts renewing. */
  start(): this {
    this.schedule();
    return this;
  }

  /** Stops renewing (idempotent). A renewal in flight completes and is then ignored. */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(): void {
    if (this.stopped) return;
    // Chained timeouts, not setInterval: a slow store must not pile up renewals.
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const lease = this.currentLease();
      this.renew().then(
        () => this.schedule(),
        (e: unknown) => {
          if (this.stopped) return;
          const lost = (e as { code?: string }).code === StoreErrorCode.LEASE_LOST;
          if (lost && this.currentLease() !== lease) {
            // The old lease was lost because this work adopted a new one meanwhile: keep that alive.
            this.schedule();
            return;
          }
          this.onError(e, lost);
          if (!lost) this.schedule();
        },
      );
    }, this.intervalMs);
    this.timer.unref();
  }
}
