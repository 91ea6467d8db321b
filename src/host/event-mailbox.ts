/**
 * @module host/event-mailbox
 * Durable mailboxes for CloudEvents that arrive before the instance they correlate to exists.
 * Each such instance gets a mailbox: a built-in orchestration (`swirl.mailbox`) whose instance id
 * is `swirl.mailbox:<target id>`. A held event is raised on the mailbox, so it is committed in the
 * host's store before the ingress answers 202 and survives SIGTERM and kill -9. When the target
 * starts, the host sends the mailbox `release`; the orchestration hands every held event, oldest
 * first, to the target with `ctx.sendEvent` and completes, and the host purges it.
 *
 * The backlog is bounded — in all (`maxHeldEvents`), per CloudEvent source
 * (`maxHeldEventsPerSource`: one sender cannot fill it for everyone) and per target instance
 * (`maxHeldEventsPerTarget`); over a cap {@link EVENT_BACKLOG_FULL} names it — and held events
 * expire (`heldEventTtlMs` after they arrived). Bookkeeping of what is held lives in memory and is
 * rebuilt from the mailboxes' histories at start; every change to it runs inside the event
 * router's one-at-a-time queue, so a keep, a release and an expiry sweep never interleave.
 */
import { assertNever, SwirlError } from '../errors.js';
import type { Engine } from '../engine/engine.js';
import { EventType } from '../engine/history.js';
import type { Logger } from '../engine/logger.js';
import type { OrchestrationContext } from '../engine/replay/context.js';
import type { Task } from '../engine/replay/task.js';
import { RuntimeStatus } from '../store/index.js';
import type { CloudEventJson } from '../components/index.js';

/** The orchestration name of mailboxes. */
export const MAILBOX_ORCHESTRATION = 'swirl.mailbox';
/** The one external event name a mailbox listens to (its messages carry an `op`). */
const MAILBOX_EVENT = 'swirl.mailbox';
/** Error code when the backlog of held events is full (HTTP 429); the error's `cap` names the limit hit. */
export const EVENT_BACKLOG_FULL = 'EVENT_BACKLOG_FULL';

/** The held-event limits, by their `swirl serve` flag names (what a 429 reports as `cap`). */
export const HeldEventCap = {
  TOTAL: 'max-held-events',
  PER_SOURCE: 'max-held-events-per-source',
  PER_TARGET: 'max-held-events-per-target',
} as const;
export type HeldEventCap = (typeof HeldEventCap)[keyof typeof HeldEventCap];

/** A refused keep: the backlog, or the sender's or the target's share of it, is full. */
export class HeldBacklogFullError extends SwirlError {
  constructor(
    readonly cap: HeldEventCap,
    message: string,
  ) {
    super(EVENT_BACKLOG_FULL, message);
    this.name = 'HeldBacklogFullError';
  }
}

/** Default limits (documented in samples/README.md and the OpenAPI spec). */
export const MAILBOX_DEFAULTS = {
  /** Events held at most, over all instances that do not exist yet. */
  maxHeldEvents: 10_000,
  /** Events held at most from one CloudEvent `source` (one sender cannot fill the backlog for everyone). */
  maxHeldEventsPerSource: 1_000,
  /** Events held at most for one target instance. */
  maxHeldEventsPerTarget: 1_000,
  /** A held event is dropped (logged) this long after it arrived if its instance never started: 24 h. */
  heldEventTtlMs: 24 * 60 * 60 * 1000,
} as const;

/** A message to a mailbox. */
type MailboxMessage =
  | { op: 'keep'; eventName: string; event: CloudEventJson; keptAt: number }
  | { op: 'release'; cutoff: number };

interface Held {
  eventName: string;
  event: CloudEventJson;
  keptAt: number;
}

/** The mailbox instance id of a target instance id. */
export function mailboxId(target: string): string {
  return `${MAILBOX_ORCHESTRATION}:${target}`;
}

/**
 * The mailbox orchestration: collects `keep` messages in order; on `release` sends the ones not
 * older than the cutoff to the target and completes with what it did. Deterministic: it reads
 * nothing but its messages.
 */
function* mailbox(ctx: OrchestrationContext, input: { target: string }): Generator<Task<unknown>, { delivered: number; expired: number }, unknown> {
  const held: Held[] = [];
  for (;;) {
    const msg = (yield ctx.waitForExternalEvent<MailboxMessage>(MAILBOX_EVENT)) as MailboxMessage;
    if (msg.op === 'keep') {
      held.push({ eventName: msg.eventName, event: msg.event, keptAt: msg.keptAt });
      continue;
    }
    const due = held.filter((h) => h.keptAt >= msg.cutoff);
    for (const h of due) ctx.sendEvent(input.target, h.eventName, h.event);
    return { delivered: due.length, expired: held.length - due.length };
  }
}

/** What the host knows about one mailbox. */
interface Box {
  /** Held events by `source\nid` (so a redelivered event is held once): their source and arrival time (ms). */
  held: Map<string, { source: string; keptAt: number }>;
  /** Expiry counts from here: the last arrival, or the restart that recovered the mailbox. */
  touchedAt: number;
  /**
   * Recovered at start: messages raised before the stop but not yet run by the mailbox are in its
   * inbox, not its history, so it is read again once it has had time to run them.
   */
  recount: boolean;
}

/** Statuses of a mailbox that still holds its events. */
const OPEN: RuntimeStatus[] = [RuntimeStatus.PENDING, RuntimeStatus.RUNNING, RuntimeStatus.SUSPENDED];

const keyOf = (event: CloudEventJson): string => `${event.source}\n${event.id}`;

/** Options of {@link EventMailboxes}. */
export interface MailboxOptions {
  /** Called with the number of held events an expiry sweep dropped (after it logged them). */
  onExpired?: (target: string, count: number) => void;
  /** @default MAILBOX_DEFAULTS.maxHeldEvents */
  maxHeldEvents?: number;
  /** @default MAILBOX_DEFAULTS.heldEventTtlMs */
  heldEventTtlMs?: number;
  /** @default MAILBOX_DEFAULTS.maxHeldEventsPerSource */
  maxHeldEventsPerSource?: number;
  /** @default MAILBOX_DEFAULTS.maxHeldEventsPerTarget */
  maxHeldEventsPerTarget?: number;
}

/** The host's mailboxes. Call every method from inside the event router's queue. */
export class EventMailboxes {
  private readonly boxes = new Map<string, Box>();
  private heldCount = 0;
  /** Held events by CloudEvent source (per-source cap). */
  private readonly bySource = new Map<string, number>();
  readonly maxHeldEvents: number;
  readonly maxHeldEventsPerSource: number;
  readonly maxHeldEventsPerTarget: number;
  readonly heldEventTtlMs: number;
  private readonly onExpired: ((target: string, count: number) => void) | undefined;

  constructor(
    private readonly engine: Engine,
    private readonly logger: Logger | undefined,
    options: MailboxOptions = {},
  ) {
    this.maxHeldEvents = options.maxHeldEvents ?? MAILBOX_DEFAULTS.maxHeldEvents;
    this.heldEventTtlMs = options.heldEventTtlMs ?? MAILBOX_DEFAULTS.heldEventTtlMs;
    this.onExpired = options.onExpired;
    this.maxHeldEventsPerSource = options.maxHeldEventsPerSource ?? MAILBOX_DEFAULTS.maxHeldEventsPerSource;
    this.maxHeldEventsPerTarget = options.maxHeldEventsPerTarget ?? MAILBOX_DEFAULTS.maxHeldEventsPerTarget;
    engine.registerOrchestration(MAILBOX_ORCHESTRATION, mailbox);
  }

  /** Events held now (over all mailboxes). */
  get held(): number {
    return this.heldCount;
  }

  /**
   * Holds `event` for `target` durably: returns once it is committed in the store.
   * @returns false when the same event (source + id) is already held for the target
   * @throws SwirlError EVENT_BACKLOG_FULL when `maxHeldEvents` are held already
   */
  async keep(target: string, eventName: string, event: CloudEventJson): Promise<boolean> {
    const key = keyOf(event);
    if (this.boxes.get(target)?.held.has(key)) return false;
    if (this.full(target, event.source) !== undefined) {
      await this.expire();
      const cap = this.full(target, event.source);
      if (cap !== undefined) throw this.refusal(cap, target, event);
    }
    const id = mailboxId(target);
    const box = this.boxes.get(target);
    if (!box) {
      try {
        await this.engine.client.start(MAILBOX_ORCHESTRATION, { target }, { instanceId: id });
      } catch (err) {
        // Left by a process that stopped before it raised anything into it: reuse it.
        if ((err as SwirlError).code !== 'INSTANCE_EXISTS') throw err;
      }
    }
    const keptAt = Date.now();
    const msg: MailboxMessage = { op: 'keep', eventName, event, keptAt };
    await this.engine.client.raiseEvent(id, MAILBOX_EVENT, msg);
    const b = box ?? { held: new Map(), touchedAt: keptAt, recount: false };
    this.add(b, key, event.source, keptAt);
    b.touchedAt = Math.max(b.touchedAt, keptAt);
    this.boxes.set(target, b);
    return true;
  }

  /** Events held now from `source` (this node's count). */
  heldFrom(source: string): number {
    return this.bySource.get(source) ?? 0;
  }

  /** The cap a new event from `source` for `target` would exceed, if any: the total first, then the sender's, then the target's share. */
  private full(target: string, source: string): HeldEventCap | undefined {
    if (this.heldCount >= this.maxHeldEvents) return HeldEventCap.TOTAL;
    if (this.heldFrom(source) >= this.maxHeldEventsPerSource) return HeldEventCap.PER_SOURCE;
    if ((this.boxes.get(target)?.held.size ?? 0) >= this.maxHeldEventsPerTarget) return HeldEventCap.PER_TARGET;
    return undefined;
  }

  private refusal(cap: HeldEventCap, target: string, event: CloudEventJson): HeldBacklogFullError {
    const what = `event '${event.id}' from '${event.source}' is not accepted`;
    switch (cap) {
      case HeldEventCap.TOTAL:
        return new HeldBacklogFullError(cap, `${what}: ${this.heldCount} events already wait for instances that do not exist yet (--${cap} ${this.maxHeldEvents}); retry later`);
      case HeldEventCap.PER_SOURCE:
        return new HeldBacklogFullError(cap, `${what}: ${this.heldFrom(event.source)} events from this source already wait for instances that do not exist yet (--${cap} ${this.maxHeldEventsPerSource}); retry later`);
      case HeldEventCap.PER_TARGET:
        return new HeldBacklogFullError(cap, `${what}: ${this.boxes.get(target)?.held.size ?? 0} events already wait for instance '${target}', which does not exist yet (--${cap} ${this.maxHeldEventsPerTarget}); retry later`);
      default:
        return assertNever(cap);
    }
  }

  /** Counts one held event into `box` and the per-source totals. */
  private add(box: Box, key: string, source: string, keptAt: number): void {
    box.held.set(key, { source, keptAt });
    this.heldCount += 1;
    this.bySource.set(source, this.heldFrom(source) + 1);
  }

  /** True when this node knows of events held for `target` (another node's are found by {@link release}). */
  has(target: string): boolean {
    return this.boxes.has(target);
  }

  /**
   * Hands the events held for `target` over to it (the target exists now), also when another
   * node on the store held them (returns 0 then: their count is that node's). The mailbox sends
   * them in a turn of its own, after anything raised on the target before this call, and is
   * purged once it has completed.
   */
  async release(target: string): Promise<number> {
    const box = this.boxes.get(target);
    if (!box) {
      // Another node on the store may hold events for it (specs/multi-node.md): the mailbox
      // instance in the store, not this node's bookkeeping, says whether there is one.
      const open = await this.engine.client.get(mailboxId(target));
      if (!open || !OPEN.includes(open.runtimeStatus)) return 0;
      await this.engine.client.raiseEvent(mailboxId(target), MAILBOX_EVENT, { op: 'release', cutoff: Date.now() - this.heldEventTtlMs } satisfies MailboxMessage);
      void this.purgeWhenDone(mailboxId(target));
      return 0;
    }
    const msg: MailboxMessage = { op: 'release', cutoff: Date.now() - this.heldEventTtlMs };
    await this.engine.client.raiseEvent(mailboxId(target), MAILBOX_EVENT, msg);
    this.forget(target, box);
    void this.purgeWhenDone(mailboxId(target));
    return box.held.size;
  }

  /**
   * Drops mailboxes whose every event has expired (terminated and purged, logged). First reads
   * recovered mailboxes again, so the count includes what they held only in their inbox.
   */
  async expire(now = Date.now()): Promise<number> {
    for (const [target, box] of this.boxes) {
      if (!box.recount) continue;
      box.recount = false;
      await this.readHistory(target, box);
    }
    const cutoff = now - this.heldEventTtlMs;
    let dropped = 0;
    for (const [target, box] of [...this.boxes]) {
      if (box.touchedAt >= cutoff) continue;
      // Another node on the store may have kept events into it since: its history says when.
      await this.readHistory(target, box);
      if (box.touchedAt >= cutoff) continue;
      this.forget(target, box);
      dropped += box.held.size;
      await this.drop(mailboxId(target));
      this.logger?.warn(`dropped ${box.held.size} held event(s) for '${target}': the instance did not start within ${this.heldEventTtlMs} ms`, { event: 'host.held-events-expired', reason: 'held-expired', instanceId: target });
      this.onExpired?.(target, box.held.size);
    }
    return dropped;
  }

  /**
   * Rebuilds the bookkeeping from the store (at start, after the engine started): every open
   * mailbox is read back from its history; finished ones are purged; one whose target exists
   * already (the process stopped between starting the target and releasing) is released.
   */
  async recover(targetExists: (target: string) => Promise<boolean>): Promise<void> {
    let pageToken: string | undefined;
    const open: string[] = [];
    do {
      const page = await this.engine.client.list({ name: MAILBOX_ORCHESTRATION }, { pageSize: 500, ...(pageToken !== undefined ? { pageToken } : {}) });
      for (const m of page.instances) {
        if (m.runtimeStatus === RuntimeStatus.COMPLETED || m.runtimeStatus === RuntimeStatus.TERMINATED || m.runtimeStatus === RuntimeStatus.FAILED) {
          await this.engine.client.purge(m.instanceId).catch(() => undefined);
        } else open.push(m.instanceId);
      }
      pageToken = page.nextPageToken;
    } while (pageToken !== undefined);
    for (const id of open) {
      const target = id.slice(MAILBOX_ORCHESTRATION.length + 1);
      // Expiry restarts from now: the arrival times of messages still in the inbox are unknown.
      const box: Box = { held: new Map(), touchedAt: Date.now(), recount: true };
      this.boxes.set(target, box);
      await this.readHistory(target, box);
      if (await targetExists(target)) await this.release(target);
    }
  }

  /** Adds the `keep` messages of the mailbox's history to `box` (those already known count once). */
  private async readHistory(target: string, box: Box): Promise<void> {
    for (const h of await this.engine.client.history(mailboxId(target)).catch(() => [])) {
      if (h.type !== EventType.EventRaised || h.input === undefined) continue;
      const msg = JSON.parse(h.input) as MailboxMessage;
      if (msg.op !== 'keep') continue;
      const key = keyOf(msg.event);
      box.touchedAt = Math.max(box.touchedAt, msg.keptAt);
      if (!box.held.has(key)) this.add(box, key, msg.event.source, msg.keptAt);
    }
  }

  private forget(target: string, box: Box): void {
    this.boxes.delete(target);
    this.heldCount -= box.held.size;
    for (const { source } of box.held.values()) {
      const n = this.heldFrom(source) - 1;
      if (n > 0) this.bySource.set(source, n);
      else this.bySource.delete(source);
    }
  }

  private async drop(id: string): Promise<void> {
    try {
      await this.engine.client.terminate(id, { reason: 'held events expired' });
      void this.purgeWhenDone(id);
    } catch (err) {
      this.logger?.warn(`could not drop mailbox '${id}': ${(err as Error).message}`, { event: 'host.mailbox-drop-failed' });
    }
  }

  private async purgeWhenDone(id: string): Promise<void> {
    try {
      await this.engine.client.waitForCompletion(id, { timeoutMs: 60_000 });
      await this.engine.client.purge(id);
    } catch {
      // Stopping, or slow: the next start's recover() purges finished mailboxes.
    }
  }
}
