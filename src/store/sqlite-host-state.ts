/**
 * @module store/sqlite-host-state
 * The SQLite store's share of the host state several nodes keep in the store (migration 4):
 * CloudEvent de-duplication keys (`event_keys`), schedule ticks (`schedule_ticks`) and the
 * definitions change counter (`swirl_counters`, kept by triggers). Every method body runs inside
 * the store's write (or read) transaction, so concurrent processes see each key claimed once:
 * SQLite's single writer lock serialises them, PostgreSQL's primary keys do the same.
 */

import type Database from 'better-sqlite3';
import type { EventClaim, EventClaimRequest } from './types.js';

/** Statements and bodies of SharedHostState over one connection. */
export class SqliteHostState {
  private readonly claim: Database.Statement;
  private readonly readEvent: Database.Statement;
  private readonly finish: Database.Statement;
  private readonly forget: Database.Statement;
  private readonly prune: Database.Statement;
  private readonly tick: Database.Statement;
  private readonly lastTick: Database.Statement;
  private readonly pruneTicks: Database.Statement;
  private readonly stamp: Database.Statement;

  constructor(db: Database.Database) {
    // One statement: insert, or take over a stale unfinished claim; RETURNING yields a row only
    // when this call now holds the claim.
    this.claim = db.prepare(
      `INSERT INTO event_keys (source, id, claimed_at) VALUES (@source, @id, @now)
       ON CONFLICT (source, id) DO UPDATE SET claimed_at = excluded.claimed_at
         WHERE event_keys.outcome IS NULL AND event_keys.claimed_at < @stale
       RETURNING claimed_at`,
    );
    this.readEvent = db.prepare('SELECT claimed_at, outcome FROM event_keys WHERE source = ? AND id = ?');
    this.finish = db.prepare('UPDATE event_keys SET outcome = @outcome WHERE source = @source AND id = @id');
    this.forget = db.prepare('DELETE FROM event_keys WHERE source = ? AND id = ? AND outcome IS NULL');
    this.prune = db.prepare('DELETE FROM event_keys WHERE claimed_at < ?');
    this.tick = db.prepare('INSERT INTO schedule_ticks (schedule_id, due_at, recorded_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING');
    this.lastTick = db.prepare('SELECT MAX(due_at) AS due FROM schedule_ticks WHERE schedule_id = ?');
    this.pruneTicks = db.prepare(
      `DELETE FROM schedule_ticks WHERE due_at < @before
         AND due_at < (SELECT MAX(t.due_at) FROM schedule_ticks t WHERE t.schedule_id = schedule_ticks.schedule_id)`,
    );
    this.stamp = db.prepare("SELECT value FROM swirl_counters WHERE name = 'definitions'");
  }

  claimEvent(r: EventClaimRequest): EventClaim {
    if (this.claim.get({ source: r.source, id: r.id, now: r.now, stale: r.staleBefore }) !== undefined) return { claimed: true };
    const row = this.readEvent.get(r.source, r.id) as { claimed_at: number; outcome: string | null };
    return row.outcome === null ? { claimed: false, claimedAt: row.claimed_at } : { claimed: false, claimedAt: row.claimed_at, outcome: row.outcome };
  }

  finishEvent(source: string, id: string, outcome: string | undefined): void {
    if (outcome === undefined) this.forget.run(source, id);
    else this.finish.run({ source, id, outcome });
  }

  pruneEvents(before: number): number {
    return this.prune.run(before).changes;
  }

  recordScheduleTick(scheduleId: string, dueAt: number, now: number): boolean {
    return this.tick.run(scheduleId, dueAt, now).changes > 0;
  }

  lastScheduleTick(scheduleId: string): number | undefined {
    return (this.lastTick.get(scheduleId) as { due: number | null }).due ?? undefined;
  }

  pruneScheduleTicks(before: number): number {
    return this.pruneTicks.run({ before }).changes;
  }

  definitionsStamp(): string {
    return String((this.stamp.get() as { value: number }).value);
  }
}
