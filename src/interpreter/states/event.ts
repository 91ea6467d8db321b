/**
 * @module interpreter/states/event
 * Event state (spec §Event State). exclusive (default): the first event of any onEvents wins, its
 * data is merged per that onEvents' eventDataFilter, then its actions run. Non-exclusive: every
 * event of every onEvents must arrive (A20: AND across onEvents too); then, per onEvents in order,
 * each event's data is merged and the actions run. eventTimeout moves on without running any action
 * (l.5614) — on the start state too, since Swirl instances exist before their first event.
 */
import type { EventState } from '../../definition/types.js';
import type { StateNode } from '../../graph/types.js';
import { applyEventDataFilter } from '../data.js';
import { listen, waitForEvents } from '../events.js';
import type { RunContext, Step } from '../run-context.js';
import { runActions } from './operation.js';
import type { StateOutcome, StateScope } from './state-types.js';

/** Runs an event state. */
export function* runEventState(rc: RunContext, node: StateNode, data: unknown, scope: StateScope): Step<StateOutcome> {
  const def = node.definition as EventState;
  const entries = def.onEvents.flatMap((on, onIndex) => on.eventRefs.map((ref) => ({ ref, onIndex })));
  const events = entries.map((e) => ({ name: e.ref, waits: listen(rc, e.ref) }));
  // The instance already exists when a start event state waits, so its eventTimeout applies too.
  const timeoutMs = node.timeouts.eventMs;
  const timeout = timeoutMs !== undefined ? rc.ctx.createTimer(timeoutMs) : undefined;
  const actionScope = { stateName: node.name, deadlines: scope.deadlines, actionExecMs: node.timeouts.actionExecMs, onData: (d: unknown) => (rc.stateData = d) };
  const filterPointer = (onIndex: number) => `${node.pointer}/onEvents/${onIndex}/eventDataFilter`;
  rc.log('info', `state '${node.name}': waiting for ${entries.map((e) => `'${e.ref}'`).join(def.exclusive === false ? ' and ' : ' or ')}`, { state: node.name });

  if (def.exclusive !== false) {
    const arrival = yield* waitForEvents(rc, events, timeout, scope.deadlines);
    if ('timedOut' in arrival) {
      rc.log('info', `state '${node.name}': eventTimeout passed without an event`, { state: node.name });
      return { data };
    }
    const { onIndex } = entries[arrival.index];
    const on = def.onEvents[onIndex];
    const merged = applyEventDataFilter(rc, filterPointer(onIndex), on.eventDataFilter, data, arrival.payload);
    rc.stateData = merged;
    const r = yield* runActions(rc, on.actions ?? [], `${node.pointer}/onEvents/${onIndex}/actions`, on.actionMode, merged, actionScope, scope.children);
    return { data: r.data };
  }

  const payloads: unknown[] = entries.map(() => undefined);
  const pending = events.map((e, i) => ({ ...e, i }));
  while (pending.length > 0) {
    const arrival = yield* waitForEvents(rc, pending, timeout, scope.deadlines);
    if ('timedOut' in arrival) {
      rc.log('info', `state '${node.name}': eventTimeout passed before every event arrived`, { state: node.name });
      return { data };
    }
    const [got] = pending.splice(arrival.index, 1);
    payloads[got.i] = arrival.payload;
    // The losing waits of this round were withdrawn by whenAny: wait again for what is still missing.
    for (const p of pending) p.waits = listen(rc, p.name);
  }
  for (const [onIndex, on] of def.onEvents.entries()) {
    entries.forEach((e, i) => {
      if (e.onIndex === onIndex) data = applyEventDataFilter(rc, filterPointer(onIndex), on.eventDataFilter, data, payloads[i]);
    });
    rc.stateData = data;
    const r = yield* runActions(rc, on.actions ?? [], `${node.pointer}/onEvents/${onIndex}/actions`, on.actionMode, data, actionScope, scope.children);
    data = r.data;
  }
  return { data };
}
