/**
 * @module interpreter/states/switch
 * Switch state (spec §Switch State). Data-based: conditions in order, the first that is `true`
 * (strictly, A17) wins, else defaultCondition. Event-based: the first referenced event to arrive
 * wins (merged per its eventDataFilter); when eventTimeout passes first, defaultCondition.
 */
import type { SwitchState } from '../../definition/types.js';
import type { StateNode } from '../../graph/types.js';
import { WorkflowError } from '../../errors.js';
import { applyEventDataFilter } from '../data.js';
import { listen, waitForEvents } from '../events.js';
import type { RunContext, Step } from '../run-context.js';
import { defaultEdge, edgeAt, type StateOutcome, type StateScope } from './state-types.js';

/** Runs a switch state: picks the edge to leave by. */
export function* runSwitch(rc: RunContext, node: StateNode, data: unknown, scope: StateScope): Step<StateOutcome> {
  const def = node.definition as SwitchState;
  if (def.dataConditions) {
    for (const [i, c] of def.dataConditions.entries()) {
      const cp = `${node.pointer}/dataConditions/${i}`;
      if (rc.evaluate(`${cp}/condition`, data, 'switch condition') === true) {
        rc.log('debug', `switch '${node.name}': condition ${c.name ?? i} is true`, { state: node.name });
        return { data, edge: edgeAt(node, cp) };
      }
    }
    return { data, edge: defaultEdge(node) };
  }
  const conditions = def.eventConditions ?? [];
  if (conditions.length === 0) throw new WorkflowError('INVALID_STATE', `switch '${node.name}' has no conditions`);
  const events = conditions.map((c) => ({ name: c.eventRef, waits: listen(rc, c.eventRef) }));
  const timeout = node.timeouts.eventMs !== undefined ? rc.ctx.createTimer(node.timeouts.eventMs) : undefined;
  rc.log('info', `switch '${node.name}': waiting for ${conditions.map((c) => `'${c.eventRef}'`).join(' or ')}`, { state: node.name });
  const arrival = yield* waitForEvents(rc, events, timeout, scope.deadlines);
  if ('timedOut' in arrival) {
    rc.log('info', `switch '${node.name}': eventTimeout passed, taking defaultCondition`, { state: node.name });
    return { data, edge: defaultEdge(node) };
  }
  const cp = `${node.pointer}/eventConditions/${arrival.index}`;
  const merged = applyEventDataFilter(rc, `${cp}/eventDataFilter`, conditions[arrival.index].eventDataFilter, data, arrival.payload);
  return { data: merged, edge: edgeAt(node, cp) };
}
