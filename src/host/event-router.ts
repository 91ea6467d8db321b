/**
 * @module host/event-router
 * Routes incoming CloudEvents (HTTP ingress, pub/sub subscriptions) to workflows (spec §Event
 * Definition, §Correlation Definition). An event whose type/source match an event of a
 * definition's start event state starts an instance; otherwise it is raised on every waiting
 * instance whose correlation matches — found by the wait keys the instances recorded in the store
 * (the values they computed, `${ }` ones included), not by reading instances. Correlation keys without a fixed `contextAttributeValue`
 * bind an instance when its start event arrives: the instance id is derived from the key, so
 * later events find it in O(1), a repeated start event reaches the same instance, and events that
 * arrive before the instance exists are held durably in a mailbox (host/event-mailbox) until it
 * is started.
 */
import { createHash } from 'node:crypto';
import { SwirlError } from '../errors.js';
import type * as Definition from '../definition/types.js';
import type { WorkflowGraph } from '../graph/types.js';
import type { Engine } from '../engine/engine.js';
import type { Logger } from '../engine/logger.js';
import { RuntimeStatus } from '../store/index.js';
import type { CloudEventJson } from '../components/index.js';
import type { WorkflowCatalog } from './catalog.js';
import type { EventMailboxes } from './event-mailbox.js';
import { correlationWaitKey, type CorrelationPair } from '../interpreter/correlation-key.js';

/** What happened to one event. */
export interface EventOutcome {
  id: string;
  type: string;
  source: string;
  /** Instances created by this event. */
  started: string[];
  /** Instances the event was raised on. */
  delivered: string[];
  /** Kept for instances that do not exist yet (correlated to a start event still to come). */
  kept: string[];
  /**
   * Set when the event reached nothing (none started, delivered or kept): refused, never
   * accepted silently — logged and counted by the host, answered 404 over HTTP (issue 18).
   */
  dropped?: { reason: 'no-workflow' | 'no-waiting-instance'; message: string };
}

type EventDef = Definition.EventDef;

const WAITING: RuntimeStatus[] = [RuntimeStatus.PENDING, RuntimeStatus.RUNNING, RuntimeStatus.SUSPENDED];

function matches(def: EventDef, event: CloudEventJson): boolean {
  if ((def.kind ?? 'consumed') !== 'consumed') return false;
  if (def.type === undefined || def.type !== event.type) return false;
  return def.source === undefined || def.source === event.source;
}

/** A context attribute as a string (extension attributes included), or undefined when absent. */
function attribute(event: CloudEventJson, name: string): string | undefined {
  const v = event[name.toLowerCase()] ?? event[name];
  return v === undefined || v === null ? undefined : String(v);
}

/** A whole `${ … }` value (an expression the instance evaluates). */
const EXPRESSION = /^\s*\$\{[\s\S]*\}\s*$/;

/**
 * For start events: fixed (literal) correlation values must match; returns the unfixed (binding)
 * attributes, or undefined when the event does not fit. (A `${ }` value has no instance to be
 * computed by before the start: it never matches a start event.) Events for instances that wait
 * are matched by their wait keys instead ({@link EventRouter.waiting}).
 */
function bindingKey(def: EventDef, event: CloudEventJson, expressions: 'refuse' | 'skip' = 'refuse'): [string, string][] | undefined {
  const key: [string, string][] = [];
  for (const c of def.correlation ?? []) {
    const v = attribute(event, c.contextAttributeName);
    if (v === undefined) return undefined;
    if (expressions === 'skip' && c.contextAttributeValue !== undefined && EXPRESSION.test(c.contextAttributeValue)) continue;
    if (c.contextAttributeValue !== undefined) {
      if (c.contextAttributeValue !== v) return undefined;
    } else key.push([c.contextAttributeName.toLowerCase(), v]);
  }
  return key.sort((a, b) => a[0].localeCompare(b[0]));
}

/**
 * The instance id bound to a correlation key: `<workflow id>-<hash>`, within Dapr's 64 chars of
 * letters, digits, `_` and `-`. Without a key, the event id (with source) makes a redelivered
 * start event reach the instance it already started instead of starting another.
 */
export function correlatedInstanceId(workflowId: string, key: [string, string][], event: CloudEventJson): string {
  const basis = key.length > 0 ? key.map(([k, v]) => `${k}=${v}`).join('\n') : `event\n${event.source}\n${event.id}`;
  const digest = createHash('sha256').update(`${workflowId}\n${basis}`).digest('hex').slice(0, 24);
  const prefix = workflowId.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 64 - 25);
  return `${prefix}-${digest}`;
}

/**
 * The event's value of every correlation attribute of `def` (lower-case names), or undefined when
 * it lacks one: with the definition, the wait key that waiting instances computed for themselves.
 */
function eventPairs(def: EventDef, event: CloudEventJson): CorrelationPair[] | undefined {
  const pairs: CorrelationPair[] = [];
  for (const c of def.correlation ?? []) {
    const v = attribute(event, c.contextAttributeName);
    if (v === undefined) return undefined;
    pairs.push([c.contextAttributeName.toLowerCase(), v]);
  }
  return pairs;
}

/** Most instances one event is raised on through one wait key. */
const MAX_TARGETS_PER_KEY = 100_000;

/** Delivers CloudEvents into the engine on behalf of the catalog's workflows. */
export class EventRouter {
  /** Events are routed one at a time: a start and a keep for the same key must not interleave. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly engine: Engine,
    private readonly catalog: WorkflowCatalog,
    private readonly logger: Logger | undefined,
    /** Durable holding of events for instances that do not exist yet. */
    readonly mailboxes: EventMailboxes,
  ) {}

  /** Runs `fn` in the routing queue (after the events routed before it, before those after). */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Routes one (already validated) CloudEvent, after the events routed before it. */
  route(event: CloudEventJson, reaches?: (workflowId: string) => boolean): Promise<EventOutcome> {
    return this.serial(() => this.routeNow(event, reaches));
  }

  /** Rebuilds the held-event bookkeeping from the store (at start, after the engine started). */
  recover(): Promise<void> {
    return this.serial(() =>
      this.mailboxes.recover(async (target) => {
        const inst = await this.engine.client.get(target);
        return inst !== undefined && WAITING.includes(inst.runtimeStatus);
      }),
    );
  }

  /** Drops held events older than the time-to-live. */
  expire(): Promise<number> {
    return this.serial(() => this.mailboxes.expire());
  }

  private async routeNow(event: CloudEventJson, reaches?: (workflowId: string) => boolean): Promise<EventOutcome> {
    const outcome: EventOutcome = { id: event.id, type: event.type, source: event.source, started: [], delivered: [], kept: [] };
    const consumers: string[] = [];
    for (const graph of this.catalog.graphs()) {
      // An input binding's `scopes` limit the workflows its events reach (specs/components.md §5).
      if (reaches !== undefined && !reaches(graph.id)) continue;
      const defs = [...graph.events.values()].filter((d) => matches(d, event));
      if (defs.length === 0) continue;
      consumers.push(graph.id);
      const startRefs = new Set(this.catalog.list().find((w) => w.id === graph.id)?.startEvents ?? []);
      for (const def of defs) {
        if (startRefs.has(def.name)) {
          const key = bindingKey(def, event);
          if (key !== undefined) await this.start(graph, def, key, event, outcome);
        } else await this.deliver(graph, def, event, outcome);
      }
    }
    if (outcome.started.length + outcome.delivered.length + outcome.kept.length === 0) {
      outcome.dropped =
        consumers.length === 0
          ? { reason: 'no-workflow', message: `no registered workflow consumes events of type '${event.type}' from '${event.source}'` }
          : {
              reason: 'no-waiting-instance',
              message: `no instance of ${consumers.map((c) => `'${c}'`).join(', ')} waits for it with its correlation values (an event reaches instances that wait for it when it arrives: retry once the instance waits)`,
            };
    }
    return outcome;
  }

  /** Starts (or reaches) the instance bound to the event's key and raises the event on it. */
  private async start(graph: WorkflowGraph, def: EventDef, key: [string, string][], event: CloudEventJson, outcome: EventOutcome): Promise<void> {
    const instanceId = correlatedInstanceId(graph.id, key, event);
    const existing = await this.engine.client.get(instanceId);
    if (existing && WAITING.includes(existing.runtimeStatus)) {
      // The conversation this key names is under way: the event is one more message for it.
      await this.raise(instanceId, def, event, outcome);
      return;
    }
    if (existing && key.length === 0) return; // a redelivered start event of a finished instance
    if (key.length > 0) {
      // An instance started over the API waits at its start state with the key it computed (from
      // its input) in the store's wait-key index.
      const waiting = await this.waiting(graph, def, event);
      if (waiting.length > 0) {
        for (const id of waiting) await this.raise(id, def, event, outcome);
        return;
      }
    }
    try {
      // The CloudEvents distributed-tracing extension: the instance continues the producer's trace.
      await this.engine.client.start(graph.id, {}, { instanceId, ...(typeof event.traceparent === 'string' ? { traceparent: event.traceparent } : {}) });
    } catch (err) {
      if ((err as SwirlError).code !== 'INSTANCE_EXISTS') throw err;
    }
    outcome.started.push(instanceId);
    this.logger?.info(`event '${event.type}' started instance '${instanceId}' of '${graph.id}'`, { event: 'host.event-start', instanceId });
    // The start state waits for this event; raised now, the engine buffers it until it does.
    await this.engine.client.raiseEvent(instanceId, def.name, event);
    // Then the events that came before it: the mailbox sends them in a later turn of its own.
    await this.mailboxes.release(instanceId);
  }

  /**
   * Raises the event on every instance of the graph waiting for it with the correlation values the
   * event carries (the wait-key index: literal and `${ }` values alike, as each instance computed
   * them), and on the instance bound to its key by a start event (which may not be at that wait
   * yet: the engine keeps the event for it). With neither, an event for a start-event workflow is
   * held for the bound instance to come.
   */
  private async deliver(graph: WorkflowGraph, def: EventDef, event: CloudEventJson, outcome: EventOutcome): Promise<void> {
    const targets = await this.waiting(graph, def, event);
    const key = bindingKey(def, event, 'skip');
    if (key !== undefined && key.length > 0) {
      const bound = correlatedInstanceId(graph.id, key, event);
      const inst = await this.engine.client.get(bound);
      if (inst && WAITING.includes(inst.runtimeStatus)) {
        // Held by this node or another one on the store: handed over before this event.
        await this.mailboxes.release(bound);
        if (!targets.includes(bound)) targets.push(bound);
      } else if (targets.length === 0 && !inst && graph.nodes.get(graph.start)?.type === 'event') {
        await this.keep(bound, def.name, event, outcome);
        return;
      }
    }
    for (const id of targets) await this.raise(id, def, event, outcome);
  }

  /** The instances whose open waits carry the wait key `def` and the event's attributes make: one index lookup. */
  private async waiting(graph: WorkflowGraph, def: EventDef, event: CloudEventJson): Promise<string[]> {
    const pairs = eventPairs(def, event);
    const waitKey = pairs === undefined ? undefined : correlationWaitKey(graph.id, def, pairs);
    if (waitKey === undefined) return [];
    const ids = await this.engine.store.findWaitingInstances(waitKey, MAX_TARGETS_PER_KEY);
    if (ids.length === MAX_TARGETS_PER_KEY) {
      this.logger?.warn(`event '${event.id}' from '${event.source}' matches more than ${MAX_TARGETS_PER_KEY} waiting instances of '${graph.id}': raised on the first ${MAX_TARGETS_PER_KEY}`, { event: 'host.event-fanout-capped' });
    }
    return ids;
  }

  private async raise(instanceId: string, def: EventDef, event: CloudEventJson, outcome: EventOutcome): Promise<void> {
    await this.engine.client.raiseEvent(instanceId, def.name, event);
    if (!outcome.delivered.includes(instanceId)) outcome.delivered.push(instanceId);
  }

  private async keep(instanceId: string, eventName: string, event: CloudEventJson, outcome: EventOutcome): Promise<void> {
    await this.mailboxes.keep(instanceId, eventName, event);
    outcome.kept.push(instanceId);
  }
}
