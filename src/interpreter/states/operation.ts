/**
 * @module interpreter/states/operation
 * Operation state (spec §Operation State) and the action lists shared by event, parallel and
 * foreach states: sequential (each action sees the previous results) or parallel (every action
 * starts from the same state data; results merge back in definition order).
 */
import type { Action, OperationState } from '../../definition/types.js';
import type { StateNode } from '../../graph/types.js';
import { runAction, type ActionScope, type AsyncChild } from '../actions.js';
import { mergeData } from '../data.js';
import { runCancellable } from '../fibers.js';
import type { RunContext, Step } from '../run-context.js';
import type { StateOutcome, StateScope } from './state-types.js';

/** Result of an action list: the state data and the last executed action's (filtered) result (sysout calls have none). */
export interface ActionsOutcome {
  data: unknown;
  lastResult: unknown;
}

/** Runs a list of actions (at `${base}/i`) in the given mode. */
export function* runActions(
  rc: RunContext,
  actions: readonly Action[],
  base: string,
  mode: 'sequential' | 'parallel' | undefined,
  data: unknown,
  scope: ActionScope,
  children: AsyncChild[],
): Step<ActionsOutcome> {
  if (mode === 'parallel' && actions.length > 1) {
    // Copies run side by side: none of them is "the" state data until they merge back.
    const fiberScope = { ...scope, onData: undefined };
    const fibers = actions.map((a, i) => (subflows: string[]) => runAction(rc, a, `${base}/${i}`, structuredClone(data), { ...fiberScope, subflows }, children));
    // Fail-fast: when one action fails, the others are cancelled (as parallel branches are).
    const reason = `a parallel action of state '${scope.stateName}' failed`;
    const { results } = yield* runCancellable(rc.cancelPort(), fibers, { completed: reason, failed: reason });
    let acc = data;
    let lastResult: unknown = null;
    for (const r of results) {
      if (!r || !r.ran || r.logOnly) continue;
      acc = mergeData(acc, r.data, 'state data');
      lastResult = r.result;
    }
    scope.onData?.(acc);
    return { data: acc, lastResult };
  }
  let lastResult: unknown = null;
  for (const [i, a] of actions.entries()) {
    const r = yield* runAction(rc, a, `${base}/${i}`, data, scope, children);
    data = r.data;
    if (r.ran && !r.logOnly) lastResult = r.result ?? null;
  }
  return { data, lastResult };
}

/** Runs an operation state: all its actions, then its transition. */
export function* runOperation(rc: RunContext, node: StateNode, data: unknown, scope: StateScope): Step<StateOutcome> {
  const def = node.definition as OperationState;
  const actionScope: ActionScope = { stateName: node.name, deadlines: scope.deadlines, actionExecMs: node.timeouts.actionExecMs, onData: (d) => (rc.stateData = d) };
  const r = yield* runActions(rc, def.actions, `${node.pointer}/actions`, def.actionMode, data, actionScope, scope.children);
  return { data: r.data };
}
