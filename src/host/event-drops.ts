/**
 * @module host/event-drops
 * Every CloudEvent the host drops or refuses is logged with its reason and counted by reason
 * (issue 18): `/metrics` reports `swirl_events_dropped_total{reason=…}`. Reasons are a closed
 * list, so a dashboard can rely on them (specs/semantics.md, "dropped events").
 */
import type { Logger } from '../engine/logger.js';

/** Error code of raiseEvent on an instance that has finished (HTTP 409, gRPC FAILED_PRECONDITION). */
export const INSTANCE_FINISHED = 'INSTANCE_FINISHED';

/** Why an event was dropped or refused. */
export const DropReason = {
  /** Refused (400): not a valid CloudEvent. */
  INVALID: 'invalid',
  /** Refused (404 over HTTP): no registered workflow consumes an event of its type and source. */
  NO_WORKFLOW: 'no-workflow',
  /** Refused (404 over HTTP): workflows consume it, but no instance waits for it with its correlation values, and none can be started or held for. */
  NO_WAITING_INSTANCE: 'no-waiting-instance',
  /** Refused (409, raiseEvent): the instance has completed, failed or been terminated. */
  INSTANCE_FINISHED: 'instance-finished',
  /** Refused (429): the held-event backlog is full (the error names which cap). */
  HELD_BACKLOG_FULL: 'held-backlog-full',
  /** Dropped: held for an instance that did not start within the held-event time-to-live. */
  HELD_EXPIRED: 'held-expired',
} as const;
export type DropReason = (typeof DropReason)[keyof typeof DropReason];

/** What is logged about one dropped event. */
export interface DroppedEvent {
  id?: string;
  source?: string;
  type?: string;
  /** The instance it was meant for, when known. */
  instanceId?: string;
}

/** Counts and logs dropped or refused events. */
export class EventDrops {
  private readonly counts = new Map<DropReason, number>();

  constructor(private readonly logger: Logger | undefined) {}

  /** Records `count` events dropped for `reason`, with a warning that says what and why. */
  note(reason: DropReason, message: string, event: DroppedEvent = {}, count = 1): void {
    this.counts.set(reason, (this.counts.get(reason) ?? 0) + count);
    const what = event.id !== undefined ? `event '${event.id}' from '${event.source ?? '?'}'${event.type !== undefined ? ` (type '${event.type}')` : ''}` : count === 1 ? 'an event' : `${count} events`;
    this.logger?.warn(`${what} dropped (${reason}): ${message}`, {
      event: 'host.event-dropped',
      reason,
      ...(event.instanceId !== undefined ? { instanceId: event.instanceId } : {}),
    });
  }

  /** Counts `count` events dropped for `reason` that the caller has logged itself (with the reason). */
  count(reason: DropReason, count = 1): void {
    this.counts.set(reason, (this.counts.get(reason) ?? 0) + count);
  }

  /** Dropped events so far, by reason (every reason present, zeros included). */
  snapshot(): Record<DropReason, number> {
    const out = {} as Record<DropReason, number>;
    for (const r of Object.values(DropReason)) out[r] = this.counts.get(r) ?? 0;
    return out;
  }
}
