/**
 * @module interpreter/events
 * Consuming and producing CloudEvents from an orchestration. A raised external event named X is
 * delivered to a wait on an event definition whose `name` or CloudEvent `type` is X (engine event
 * names match case-insensitively). Produced events are built here (deterministic id and time) and
 * published by an activity, never from the orchestration itself.
 */
import type { EventDef } from '../definition/types.js';
import type { Task } from '../engine/replay/task.js';
import { WorkflowError } from '../errors.js';
import { eventPayload } from './data.js';
import { TIMEOUT, WorkflowTimeoutSignal, type Deadline, type RunContext, type Step } from './run-context.js';

/** What {@link waitForEvents} returns: the event that arrived (index into the list) and its payload. */
export type EventArrival = { index: number; payload: unknown } | { timedOut: true };

function eventDef(rc: RunContext, name: string): EventDef {
  const def = rc.graph.events.get(name);
  if (!def) throw new WorkflowError('UNKNOWN_EVENT', `event '${name}' is not defined`);
  return def;
}

/** The engine event names a definition listens to. */
export function listenNames(def: EventDef): string[] {
  const names = [def.name];
  if (def.type !== undefined && def.type.toLowerCase() !== def.name.toLowerCase()) names.push(def.type);
  return names;
}

/** Starts waiting for one event definition now (so events arriving during later steps are kept). */
export function listen(rc: RunContext, eventName: string): Task<unknown>[] {
  return listenNames(eventDef(rc, eventName)).map((n) => rc.ctx.waitForExternalEvent(n));
}

/**
 * Waits for the first of several events (each given as its pending waits, from {@link listen}),
 * or for `timeout` (a soft timeout: reported as `timedOut`) or a deadline (thrown as "timeout").
 */
export function* waitForEvents(
  rc: RunContext,
  events: { name: string; waits: Task<unknown>[] }[],
  timeout: Task<void> | undefined,
  deadlines: readonly Deadline[],
): Step<EventArrival> {
  const all: Task<unknown>[] = [];
  const owner: number[] = [];
  events.forEach((e, i) => e.waits.forEach((w) => (all.push(w), owner.push(i))));
  const extra: Task<unknown>[] = [...(timeout ? [timeout as Task<unknown>] : []), ...deadlines.map((d) => d.task as Task<unknown>)];
  const winner = (yield rc.ctx.whenAny<unknown>([...all, ...extra])) as Task<unknown>;
  const k = all.indexOf(winner);
  if (k >= 0) {
    const def = eventDef(rc, events[owner[k]].name);
    return { index: owner[k], payload: eventPayload(winner.getResult(), def.dataOnly ?? true) };
  }
  if (winner === timeout) return { timedOut: true };
  const d = deadlines.find((x) => x.task === winner)!;
  if (d.workflow) throw new WorkflowTimeoutSignal(d.label);
  throw new WorkflowError(TIMEOUT, `${d.label} expired`, { details: { timeout: d.label } });
}

/** Builds a CloudEvent for a produced event definition (spec §Event Definition; the runtime supplies `source`). */
export function buildCloudEvent(rc: RunContext, eventRef: string, data: unknown, contextAttributes: Record<string, unknown> | undefined): Record<string, unknown> {
  const def = eventDef(rc, eventRef);
  const event: Record<string, unknown> = {
    specversion: '1.0',
    id: rc.ctx.newGuid(),
    source: def.source ?? `/swirl/${rc.graph.id}`,
    type: def.type ?? def.name,
    time: rc.ctx.currentTime.toISOString(),
    datacontenttype: 'application/json',
    swirlinstanceid: rc.ctx.instanceId,
  };
  for (const [k, v] of Object.entries(contextAttributes ?? {})) event[k.toLowerCase()] = v;
  if (data !== undefined) event.data = data;
  return event;
}

/** Publishes a produced event through the publish activity; yields until it is handed over. */
export function* produceEvent(rc: RunContext, eventRef: string, event: Record<string, unknown>): Step<void> {
  yield rc.ctx.callActivity(rc.activities.publish, { workflow: rc.workflowName, eventRef, event });
}

/** `produceEvents` of a transition or end: data (expression or object) and contextAttributes over the state data output. */
export function* produceEvents(
  rc: RunContext,
  list: readonly { eventRef: string; data?: unknown; contextAttributes?: Record<string, string> }[] | undefined,
  pointer: string,
  data: unknown,
): Step<void> {
  for (const [i, p] of (list ?? []).entries()) {
    const base = `${pointer}/produceEvents/${i}`;
    const payload = p.data === undefined ? data : rc.resolveValue(p.data, `${base}/data`, data, 'produceEvents data');
    const attrs = p.contextAttributes ? (rc.resolveValue(p.contextAttributes, `${base}/contextAttributes`, data, 'contextAttributes') as Record<string, unknown>) : undefined;
    rc.log('info', `producing event '${p.eventRef}'`, { event: p.eventRef });
    yield* produceEvent(rc, p.eventRef, buildCloudEvent(rc, p.eventRef, payload, attrs));
  }
}
