/**
 * @module engine/replay/carryover
 * The continue-as-new carry-over rule (specs/engine.md §4b): which unconsumed external events an
 * ending execution hands to the next one, within bounds. Pure: ages are judged against the turn's
 * history time.
 */

import type { EventRaisedEvent } from '../history.js';

/**
 * Bounds of what continue-as-new carries over (see specs/engine.md "Continue-as-new"): an event
 * nobody waits for would otherwise be carried by every execution forever. Events over the count
 * are dropped oldest first; events older than the age (by their own timestamp, against the turn's
 * history time) are dropped. Each drop is logged as a warning.
 */
export const CARRYOVER_LIMITS = {
  /** Most external events one continue-as-new carries over. */
  maxEvents: 1000,
  /** Events raised longer ago than this are not carried over any more (30 days). */
  maxAgeMs: 30 * 24 * 60 * 60 * 1000,
} as const;

/**
 * Appends `e` to the carry-over `list` within {@link CARRYOVER_LIMITS}: an event older than the
 * age bound is dropped, and past the count bound the oldest one is; `dropped` is told of each drop.
 */
export function carryOver(list: EventRaisedEvent[], e: EventRaisedEvent, nowMs: number, dropped: (e: EventRaisedEvent, why: string) => void): void {
  if (nowMs - e.timestamp > CARRYOVER_LIMITS.maxAgeMs) {
    dropped(e, `it is older than ${CARRYOVER_LIMITS.maxAgeMs} ms`);
    return;
  }
  list.push(e);
  if (list.length > CARRYOVER_LIMITS.maxEvents) dropped(list.shift()!, `more than ${CARRYOVER_LIMITS.maxEvents} events are carried over`);
}
