/**
 * @module engine/store-health
 * The store's health as the workers' claim loops see it (issue 18: `/healthz` must not stay green
 * while the disk is full or the database is gone). Every loop claims at least once per poll
 * interval, so a store that refuses its claims — PostgreSQL unreachable or read-only, a full disk
 * on a write that is not fatal — is noticed within one poll, and so is its recovery: the store is
 * failing while the latest claim of any loop failed, and healthy again at the next one that works.
 * A fatal fault (durability lost) is the engine's own, permanent state (Engine.health).
 */

/** What one failing loop saw. */
interface Failing {
  error: Error;
  since: number;
}

/** The latest claim outcome of each claim loop. */
export class StoreHealth {
  private readonly failing = new Map<string, Failing>();

  /** A claim of `what` ("orchestrations", "activities") failed at `now`. */
  claimFailed(what: string, error: unknown, now: number): void {
    const e = error instanceof Error ? error : new Error(String(error));
    const was = this.failing.get(what);
    this.failing.set(what, { error: e, since: was?.since ?? now });
  }

  /** A claim of `what` worked: that loop reaches the store again. */
  claimSucceeded(what: string): void {
    this.failing.delete(what);
  }

  /** Why the store is failing (the first failing loop, its error and since when), or undefined. */
  problem(): { reason: string; error: Error } | undefined {
    for (const [what, f] of this.failing) {
      return { reason: `the store is failing: claiming ${what} fails since ${new Date(f.since).toISOString()}: ${f.error.message}`, error: f.error };
    }
    return undefined;
  }
}
