/**
 * @module definition/checks/targets
 * Every place that names a state — start, transitions, conditions, defaultCondition, onErrors,
 * compensatedBy, workflowExecTimeout.runBefore — names one that exists.
 */
import { DiagnosticCode } from '../diagnostic.js';
import { closest } from '../suggest.js';
import { edgesOf, isObject, startOf, states } from '../walk.js';
import type { CheckContext } from './context.js';

export function checkTargets(ctx: CheckContext): void {
  const { doc, r } = ctx;
  if (!Array.isArray(doc.states)) return; // reported by the schema; every name would look unknown
  const names = new Set(states(doc).map((s) => s.state.name).filter((n): n is string => typeof n === 'string'));
  const check = (target: string, pointer: string, what: string) => {
    if (names.has(target)) return;
    const suggestion = closest(target, names);
    r.error(
      DiagnosticCode.UnknownState,
      pointer,
      `${what} names unknown state '${target}'${suggestion ? `; did you mean '${suggestion}'?` : ''}`,
      { hint: suggestion ? undefined : `states: ${[...names].join(', ')}` },
    );
  };
  if (doc.start !== undefined) {
    const start = startOf(doc);
    if (start) check(start.name, start.pointer, 'start');
  }
  for (const { state, pointer } of states(doc)) {
    const owner = `state '${String(state.name)}'`;
    for (const edge of edgesOf(state, pointer)) check(edge.target, edge.pointer, `${owner}: ${edge.via}`);
  }
  const timeouts = doc.timeouts;
  if (isObject(timeouts) && isObject(timeouts.workflowExecTimeout) && typeof timeouts.workflowExecTimeout.runBefore === 'string') {
    check(timeouts.workflowExecTimeout.runBefore, '/timeouts/workflowExecTimeout/runBefore', 'workflowExecTimeout.runBefore');
  }
}
