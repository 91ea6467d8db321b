/**
 * @module host/event-router
 * Routes incoming CloudEvents (HTTP ingress, pub/sub subscriptions) to workflows (spec §Event
 * Definition, §Correlation Definition). An event whose type/source match an event of a
 * definition's start event state starts an instance; otherwise it is raised on every waiting
 * instance whose correlation matches. Correlation keys without a fixed `contextAttributeValue`
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

/** Fixed correlation values must match; returns the unfixed (binding) attributes, or undefined when the event does not fit. */
function bindingKey(def: EventDef, event: CloudEventJson): [string, string][] | undefined {
  const key: [string, string][] = [];
  for (const c of def.correlation ?? []) {
    const v = attribute(event, c.contextAttributeName);
    if (v === undefined) return undefined;
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

/** The instance input carries the correlation key as top-level fields (the fallback for instances not started by an event). */
function inputHasKey(input: unknown, key: [string, string][]): boolean {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) return false;
  const o = input as Record<string, unknown>;
  return key.every(([k, v]) => o[k] !== undefined && o[k] !== null && String(o[k]) === v);
}

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
  route(event: CloudEventJson): Promise<EventOutcome> {
    return this.serial(() => this.routeNow(event));
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

  private async routeNow(event: CloudEventJson): Promise<EventOutcome> {
    const outcome: EventOutcome = { id: event.id, type: event.type, source: event.source, started: [], delivered: [], kept: [] };
    for (const graph of this.catalog.graphs()) {
      const defs = [...graph.events.values()].filter((d) => matches(d, event));
      if (defs.length === 0) continue;
      const startRefs = new Set(this.catalog.list().find((w) => w.id === graph.id)?.startEvents ?? []);
      for (const def of defs) {
        const key = bindingKey(def, event);
        if (key === undefined) continue;
        if (startRefs.has(def.name)) await this.start(graph, def, key, event, outcome);
        else await this.deliver(graph, def, key, event, outcome);
      }
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
      // An instance started over the API waits at its start state with the key in its input.
      const waiting = await this.scan(graph, (input) => inputHasKey(input, key));
      if (waiting.length > 0) {
        for (const id of waiting) await this.raise(id, def, event, outcome);
        return;
      }
    }
    try {
      await this.engine.client.start(graph.id, {}, { instanceId });
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

  /** Raises the event on every waiting instance of the graph whose correlation matches. */
  private async deliver(graph: WorkflowGraph, def: EventDef, key: [string, string][], event: CloudEventJson, outcome: EventOutcome): Promise<void> {
    if (key.length > 0) {
      const bound = correlatedInstanceId(graph.id, key, event);
      const inst = await this.engine.client.get(bound);
      if (inst && WAITING.includes(inst.runtimeStatus)) {
        // Held by this node or another one on the store: handed over before this event.
        await this.mailboxes.release(bound);
        await this.raise(bound, def, event, outcome);
        return;
      }
      // Instances started otherwise (Dapr API, schedule) correlate by the same-named input field.
      const matched = await this.scan(graph, (input) => inputHasKey(input, key));
      for (const id of matched) await this.raise(id, def, event, outcome);
      if (matched.length === 0 && !inst && graph.nodes.get(graph.start)?.type === 'event') await this.keep(bound, def.name, event, outcome);
      return;
    }
    for (const id of await this.scan(graph, () => true)) await this.raise(id, def, event, outcome);
  }

  private async scan(graph: WorkflowGraph, fits: (input: unknown) => boolean): Promise<string[]> {
    const out: string[] = [];
    let pageToken: string | undefined;
    do {
      const page = await this.engine.client.list({ name: graph.id, statuses: WAITING }, { pageSize: 500, ...(pageToken !== undefined ? { pageToken } : {}) });
      for (const m of page.instances) if (fits(m.input)) out.push(m.instanceId);
      pageToken = page.nextPageToken;
    } while (pageToken !== undefined);
    return out;
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
