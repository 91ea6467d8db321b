/**
 * @module interpreter/states/callback
 * Callback state (spec §Callback State): subscribe to the callback event first (A19), run the
 * action, then wait for the event and merge it per eventDataFilter. When eventTimeout passes first
 * the state moves on without the event's data (l.3201: a transition, not an error).
 */
import type { CallbackState } from '../../definition/types.js';
import type { StateNode } from '../../graph/types.js';
import { runAction } from '../actions.js';
import { applyEventDataFilter } from '../data.js';
import { listen, waitForEvents } from '../events.js';
import type { RunContext, Step } from '../run-context.js';
import type { StateOutcome, StateScope } from './state-types.js';

/** Runs a callback state. */
export function* runCallback(rc: RunContext, node: StateNode, data: unknown, scope: StateScope): Step<StateOutcome> {
  const def = node.definition as CallbackState;
  const waits = listen(rc, def.eventRef);
  const r = yield* runAction(rc, def.action, `${node.pointer}/action`, data, { stateName: node.name, deadlines: scope.deadlines, actionExecMs: node.timeouts.actionExecMs, onData: (d) => (rc.stateData = d) }, scope.children);
  const timeout = node.timeouts.eventMs !== undefined ? rc.ctx.createTimer(node.timeouts.eventMs) : undefined;
  rc.log('info', `state '${node.name}': waiting for callback '${def.eventRef}'`, { state: node.name });
  const arrival = yield* waitForEvents(rc, [{ name: def.eventRef, waits }], timeout, scope.deadlines);
  if ('timedOut' in arrival) {
    rc.log('info', `state '${node.name}': eventTimeout passed without the callback`, { state: node.name });
    return { data: r.data };
  }
  return { data: applyEventDataFilter(rc, `${node.pointer}/eventDataFilter`, def.eventDataFilter, r.data, arrival.payload) };
}
