/**
 * @module host/event-dedup
 * CloudEvent ingress de-duplication by (source, id), durable in the store (issue 18: a client
 * retrying after a reset connection must not have its event consumed twice; issue 10: the copy
 * may reach another node, or the same node after a restart). The key is claimed in the store
 * before the event is routed and the routing outcome is recorded after it; a later copy answers
 * with that outcome marked `duplicate`. Keys are kept for a retention window
 * (specs/multi-node.md), then pruned.
 */
import { SwirlError } from '../errors.js';
import type { Store } from '../store/types.js';
import type { CloudEventJson } from '../components/index.js';
import type { EventOutcome } from './event-router.js';

/** Code of the answer when a copy arrives while another request is still routing the event (HTTP 409). */
export const EVENT_IN_PROGRESS = 'EVENT_IN_PROGRESS';

/** Defaults (documented in specs/multi-node.md). */
export const EVENT_DEDUP_DEFAULTS = {
  /** A (source, id) is remembered this long after it first arrived: 24 h. */
  retentionMs: 24 * 60 * 60 * 1000,
  /**
   * An unfinished claim older than this is a node that died while routing: the next copy routes
   * the event again (at-least-once for that rare case, never zero times).
   */
  staleClaimMs: 30_000,
  /** How long a copy waits for the request routing the original before answering 409. */
  waitForOriginalMs: 5_000,
} as const;

/** Options of {@link EventDedup}. */
export interface EventDedupOptions {
  /** @default EVENT_DEDUP_DEFAULTS.retentionMs */
  retentionMs?: number;
  /** @default EVENT_DEDUP_DEFAULTS.staleClaimMs */
  staleClaimMs?: number;
  /** @default EVENT_DEDUP_DEFAULTS.waitForOriginalMs */
  waitForOriginalMs?: number;
}

/** What happened to one event; `duplicate: true` when an earlier copy was routed instead. */
export type DedupedOutcome = EventOutcome & { duplicate?: true };

const POLL_MS = 50;

/** Routes each (source, id) once across every node on the store. */
export class EventDedup {
  readonly retentionMs: number;
  private readonly staleClaimMs: number;
  private readonly waitMs: number;

  constructor(
    private readonly store: Store,
    options: EventDedupOptions = {},
  ) {
    this.retentionMs = options.retentionMs ?? EVENT_DEDUP_DEFAULTS.retentionMs;
    this.staleClaimMs = options.staleClaimMs ?? EVENT_DEDUP_DEFAULTS.staleClaimMs;
    this.waitMs = options.waitForOriginalMs ?? EVENT_DEDUP_DEFAULTS.waitForOriginalMs;
  }

  /**
   * Runs `route` for the first copy of `event` and records its outcome; a later copy gets that
   * outcome with `duplicate: true`. When `route` fails the claim is forgotten, so a retry routes.
   * @throws SwirlError EVENT_IN_PROGRESS when the original is still being routed after the wait
   */
  async once(event: CloudEventJson, route: () => Promise<EventOutcome>): Promise<DedupedOutcome> {
    const deadline = Date.now() + this.waitMs;
    for (;;) {
      const now = Date.now();
      const claim = await this.store.claimEvent({ source: event.source, id: event.id, now, staleBefore: now - this.staleClaimMs });
      if (claim.claimed) return this.routeClaimed(event, route);
      if (claim.outcome !== undefined) return { ...(JSON.parse(claim.outcome) as EventOutcome), duplicate: true };
      if (Date.now() >= deadline) {
        throw new SwirlError(EVENT_IN_PROGRESS, `event '${event.id}' from '${event.source}' is being routed by an earlier request (received ${new Date(claim.claimedAt).toISOString()}); retry to learn its outcome`);
      }
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  }

  /** Forgets keys older than the retention window; returns how many. */
  prune(now = Date.now()): Promise<number> {
    return this.store.pruneEvents(now - this.retentionMs);
  }

  private async routeClaimed(event: CloudEventJson, route: () => Promise<EventOutcome>): Promise<DedupedOutcome> {
    let outcome: EventOutcome;
    try {
      outcome = await route();
    } catch (err) {
      await this.store.finishEvent(event.source, event.id, undefined).catch(() => undefined);
      throw err;
    }
    // A refused event was not accepted: its key is forgotten, so the sender's retry is routed
    // again (the instance may wait for it by then) rather than answered as a duplicate.
    await this.store.finishEvent(event.source, event.id, outcome.dropped !== undefined ? undefined : JSON.stringify(outcome));
    return outcome;
  }
}
