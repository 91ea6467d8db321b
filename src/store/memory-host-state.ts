/**
 * @module store/memory-host-state
 * The memory store's share of the host state several nodes keep in the store: CloudEvent
 * de-duplication keys and schedule ticks (store/types.ts `SharedHostState`). One process only,
 * so "atomic across processes" is trivially true; the rules match the SQL backends.
 */

import type { EventClaim, EventClaimRequest } from './types.js';

interface EventRow {
  claimedAt: number;
  outcome?: string;
}

/** De-duplication keys and schedule ticks, in memory. */
export class MemoryHostState {
  /** By `source\nid`. */
  private readonly events = new Map<string, EventRow>();
  /** scheduleId → due times recorded. */
  private readonly ticks = new Map<string, Set<number>>();
  /** Bumped on every definition put/delete that changed something. */
  definitionsVersion = 0;

  claimEvent(r: EventClaimRequest): EventClaim {
    const key = `${r.source}\n${r.id}`;
    const row = this.events.get(key);
    if (row === undefined || (row.outcome === undefined && row.claimedAt < r.staleBefore)) {
      this.events.set(key, { claimedAt: r.now });
      return { claimed: true };
    }
    return row.outcome === undefined ? { claimed: false, claimedAt: row.claimedAt } : { claimed: false, claimedAt: row.claimedAt, outcome: row.outcome };
  }

  finishEvent(source: string, id: string, outcome: string | undefined): void {
    const key = `${source}\n${id}`;
    const row = this.events.get(key);
    if (row === undefined) return;
    if (outcome === undefined) this.events.delete(key);
    else row.outcome = outcome;
  }

  pruneEvents(before: number): number {
    let n = 0;
    for (const [key, row] of this.events) {
      if (row.claimedAt >= before) continue;
      this.events.delete(key);
      n += 1;
    }
    return n;
  }

  recordScheduleTick(scheduleId: string, dueAt: number): boolean {
    let set = this.ticks.get(scheduleId);
    if (!set) this.ticks.set(scheduleId, (set = new Set()));
    if (set.has(dueAt)) return false;
    set.add(dueAt);
    return true;
  }

  lastScheduleTick(scheduleId: string): number | undefined {
    const set = this.ticks.get(scheduleId);
    return set === undefined || set.size === 0 ? undefined : Math.max(...set);
  }

  pruneScheduleTicks(before: number): number {
    let n = 0;
    for (const set of this.ticks.values()) {
      const latest = Math.max(...set);
      for (const t of [...set]) {
        if (t >= before || t === latest) continue;
        set.delete(t);
        n += 1;
      }
    }
    return n;
  }
}
