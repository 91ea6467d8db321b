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
import { correlationWaitKey, type CorrelationPair } from './correlation-key.js';
import { eventPayload } from './data.js';
import { TIMEOUT, WorkflowTimeoutSignal, type Deadline, type RunContext, type Step } from './run-context.js';
import type { CorrelationNote } from './timeline.js';

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

/**
 * Starts waiting for one event definition now (so events arriving during later steps are kept).
 * The waits carry the definition's correlation wait key, as this instance computes it now, so the
 * host routes matching events here by an index lookup (specs/semantics.md, correlation).
 */
export function listen(rc: RunContext, eventName: string): Task<unknown>[] {
  const def = eventDef(rc, eventName);
  const key = waitKey(rc, def);
  return listenNames(def).map((n) => rc.ctx.waitForExternalEvent(n, key === undefined ? undefined : { keys: [key] }));
}

/**
 * The correlation values this instance expects for `def`, as a wait key: a `contextAttributeValue`
 * (literal, or `${ }` evaluated against the state data now — remembered, so the check on arrival
 * compares the same value); without one, the value fixed by an earlier correlated event, else the
 * workflow input's field of the attribute's name (an instance started over the API). Undefined
 * when a value is unknown (the instance is reached only as the start event's bound instance) or
 * its expression fails (reported, as before, when an event arrives).
 */
function waitKey(rc: RunContext, def: EventDef): string | undefined {
  const index = (rc.graph.definition.events as { name: string }[]).findIndex((e) => e.name === def.name);
  const pairs: CorrelationPair[] = [];
  for (const [j, rule] of (def.correlation ?? []).entries()) {
    const name = rule.contextAttributeName.toLowerCase();
    let value: string | undefined;
    if (rule.contextAttributeValue !== undefined) {
      try {
        value = String(rc.resolveValue(rule.contextAttributeValue, `/events/${index}/correlation/${j}/contextAttributeValue`, rc.stateData, 'correlation value'));
      } catch {
        return undefined;
      }
      rc.expectedCorrelation.set(`${def.name}\n${name}`, value);
    } else value = rc.correlation.get(name) ?? inputField(rc.workflowInput, rule.contextAttributeName);
    if (value === undefined) return undefined;
    pairs.push([name, value]);
  }
  return correlationWaitKey(rc.graph.id, def, pairs);
}

/** A top-level field of the workflow input as text (by the attribute's name, or its lower case). */
function inputField(input: unknown, name: string): string | undefined {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) return undefined;
  const o = input as Record<string, unknown>;
  const v = o[name] ?? o[name.toLowerCase()];
  return v === undefined || v === null || typeof v === 'object' ? undefined : String(v);
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
  const extra: Task<unknown>[] = [...(timeout ? [timeout as Task<unknown>] : []), ...deadlines.map((d) => d.task as Task<unknown>)];
  const id = rc.noteId();
  const state = rc.currentState;
  const correlation = events.flatMap((e) => correlationNotes(rc, e.name));
  rc.note({ kind: 'eventWaiting', id, state, events: events.map((e) => e.name), ...(correlation.length > 0 ? { correlation } : {}) });
  for (;;) {
    const all: Task<unknown>[] = [];
    const owner: number[] = [];
    events.forEach((e, i) => e.waits.forEach((w) => (all.push(w), owner.push(i))));
    const winner = (yield rc.ctx.whenAny<unknown>([...all, ...extra])) as Task<unknown>;
    const k = all.indexOf(winner);
    if (k < 0) {
      if (winner === timeout) {
        rc.note({ kind: 'eventTimedOut', id, state });
        return { timedOut: true };
      }
      const d = deadlines.find((x) => x.task === winner)!;
      if (d.workflow) throw new WorkflowTimeoutSignal(d.label);
      throw new WorkflowError(TIMEOUT, `${d.label} expired`, { details: { timeout: d.label } });
    }
    const name = events[owner[k]].name;
    const def = eventDef(rc, name);
    const raw = winner.getResult();
    if (correlates(rc, name, raw)) {
      const payload = eventPayload(raw, def.dataOnly ?? true);
      rc.note({ kind: 'eventReceived', id, state, event: name, data: payload });
      return { index: owner[k], payload };
    }
    rc.log('warn', `event '${name}' ignored: its context attributes do not match the correlation of this instance`, { event: name });
    // whenAny withdrew the other waits: wait again for every event.
    for (const e of events) e.waits = listen(rc, e.name);
  }
}

/**
 * The correlation rules of an event definition with the values known now (for the timeline and
 * the current waits): the values the wait key holds ({@link waitKey}) — a `contextAttributeValue`,
 * else the value fixed by an earlier correlated event, else the workflow input's field.
 */
function correlationNotes(rc: RunContext, eventName: string): CorrelationNote[] {
  const def = eventDef(rc, eventName);
  const index = (rc.graph.definition.events as { name: string }[]).findIndex((e) => e.name === def.name);
  return (def.correlation ?? []).map((rule, j) => {
    const key = rule.contextAttributeName.toLowerCase();
    let value: string | undefined = rc.correlation.get(key) ?? inputField(rc.workflowInput, rule.contextAttributeName);
    if (rule.contextAttributeValue !== undefined) {
      try {
        value = String(rc.resolveValue(rule.contextAttributeValue, `/events/${index}/correlation/${j}/contextAttributeValue`, rc.stateData, 'correlation value'));
      } catch {
        // The wait itself reports a value that cannot be computed; the timeline just omits it.
      }
    }
    return { attribute: key, ...(value !== undefined ? { value } : {}) };
  });
}

/**
 * Correlation (spec §Correlation Definition): a CloudEvent must carry every correlation attribute
 * of its definition; with a `contextAttributeValue` it must equal it (a `${ }` value is the one
 * computed when the wait started, see {@link listen}), without one it must equal the value of the first correlated event this
 * instance consumed (which fixes it). Plain payloads (not CloudEvents) carry no attributes and
 * are not checked: the host already routed them to this instance.
 */
function correlates(rc: RunContext, eventName: string, raw: unknown): boolean {
  const def = eventDef(rc, eventName);
  if (!def.correlation?.length || raw === null || typeof raw !== 'object' || !('specversion' in raw)) return true;
  const attrs = raw as Record<string, unknown>;
  const index = (rc.graph.definition.events as { name: string }[]).findIndex((e) => e.name === def.name);
  const fixed: [string, string][] = [];
  for (const [j, rule] of def.correlation.entries()) {
    const key = rule.contextAttributeName.toLowerCase();
    const value = attrs[key];
    if (value === undefined) return false;
    if (rule.contextAttributeValue !== undefined) {
      const expected =
        rc.expectedCorrelation.get(`${def.name}\n${key}`) ?? rc.resolveValue(rule.contextAttributeValue, `/events/${index}/correlation/${j}/contextAttributeValue`, rc.stateData, 'correlation value');
      if (String(expected) !== String(value)) return false;
    } else if (rc.correlation.has(key)) {
      if (rc.correlation.get(key) !== String(value)) return false;
    } else fixed.push([key, String(value)]);
  }
  for (const [k, v] of fixed) rc.correlation.set(k, v);
  return true;
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
export function* produceEvent(rc: RunContext, eventRef: string, event: Record<string, unknown>, traceparent = rc.instanceTraceparent()): Step<void> {
  yield rc.ctx.callActivity(rc.activities.publish, { workflow: rc.workflowName, definition: rc.graph.hash, eventRef, event }, { traceparent });
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
    rc.note({ kind: 'eventProduced', state: rc.currentState, event: p.eventRef });
    yield* produceEvent(rc, p.eventRef, buildCloudEvent(rc, p.eventRef, payload, attrs));
  }
}
