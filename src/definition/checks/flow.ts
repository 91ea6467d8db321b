/**
 * @module definition/checks/flow
 * The shape of the control flow: states no path reaches (a warning), and the compensation and
 * runBefore rules the spec says must fail at parse time (spec §Workflow Compensation, §Workflow Timeouts).
 */
import { DiagnosticCode } from '../diagnostic.js';
import { joinPointer } from '../json-pointer.js';
import { edgesOf, isObject, startOf, states, type Edge } from '../walk.js';
import type { CheckContext } from './context.js';

type Obj = Record<string, unknown>;

export function checkFlow(ctx: CheckContext): void {
  const { doc, r } = ctx;
  const all = states(doc);
  const byName = new Map<string, { state: Obj; pointer: string }>();
  for (const s of all) if (typeof s.state.name === 'string' && !byName.has(s.state.name)) byName.set(s.state.name, s);
  const outgoing = (name: string): Edge[] => {
    const s = byName.get(name);
    return s ? edgesOf(s.state, s.pointer) : [];
  };

  // Reachability over every kind of edge; runBefore is an entry point of its own.
  const reached = new Set<string>();
  const visit = (name: string) => {
    const stack = [name];
    while (stack.length > 0) {
      const n = stack.pop()!;
      if (reached.has(n) || !byName.has(n)) continue;
      reached.add(n);
      for (const e of outgoing(n)) stack.push(e.target);
    }
  };
  const start = startOf(doc);
  // With an unknown start state (reported by the targets check) every state would look unreachable.
  if (!start || !byName.has(start.name)) return;
  visit(start.name);
  const runBefore = runBeforeOf(doc);
  if (runBefore) visit(runBefore);
  for (const { state, pointer } of all) {
    if (typeof state.name !== 'string' || reached.has(state.name)) continue;
    r.warning(DiagnosticCode.Unreachable, joinPointer(pointer, 'name'), `state '${state.name}' is never reached from the start state '${start.name}'`, {
      hint: 'add a transition to it, or remove it',
    });
  }

  // Compensation rules.
  for (const { state, pointer } of all) {
    const label = `state '${String(state.name)}'`;
    if (typeof state.compensatedBy === 'string') {
      const target = byName.get(state.compensatedBy);
      if (target) {
        const t = target.state;
        const at = joinPointer(pointer, 'compensatedBy');
        if (t.usedForCompensation !== true) {
          r.error(DiagnosticCode.Compensation, at, `${label}: compensatedBy '${state.compensatedBy}' must be a state with 'usedForCompensation: true'`);
        }
        if (t.type === 'event') {
          r.error(DiagnosticCode.Compensation, at, `${label}: compensatedBy '${state.compensatedBy}' is an event state, which cannot compensate`);
        }
      }
    }
    if (state.usedForCompensation === true) {
      if (typeof state.compensatedBy === 'string') {
        r.error(DiagnosticCode.Compensation, joinPointer(pointer, 'compensatedBy'), `${label}: a compensation state cannot itself be compensated (compensation is not recursive)`);
      }
      if (start.name === state.name && doc.start !== undefined) {
        r.error(DiagnosticCode.Compensation, start.pointer, `${label} is used for compensation and cannot be the start state`);
      }
      for (const e of edgesOf(state, pointer)) {
        if (e.via === 'compensatedBy') continue;
        const t = byName.get(e.target);
        if (t && t.state.usedForCompensation !== true) {
          r.error(DiagnosticCode.Compensation, e.pointer, `${label}: a compensation state can only transition to other compensation states, not to '${e.target}'`);
        }
      }
    }
  }
  for (const { state, pointer } of all) {
    if (state.usedForCompensation === true) continue;
    for (const e of edgesOf(state, pointer)) {
      if (e.via === 'compensatedBy') continue;
      const t = byName.get(e.target);
      if (t && t.state.usedForCompensation === true) {
        r.error(DiagnosticCode.Compensation, e.pointer, `state '${String(state.name)}': ${e.via} leads to compensation state '${e.target}', which only compensation may run`);
      }
    }
  }
  if (runBefore) {
    const target = byName.get(runBefore);
    if (target?.state.usedForCompensation === true) {
      r.error(DiagnosticCode.Compensation, '/timeouts/workflowExecTimeout/runBefore', `runBefore state '${runBefore}' cannot be a compensation state`);
    }
  }
}

function runBeforeOf(doc: Obj): string | undefined {
  const t = doc.timeouts;
  if (isObject(t) && isObject(t.workflowExecTimeout) && typeof t.workflowExecTimeout.runBefore === 'string') return t.workflowExecTimeout.runBefore;
  return undefined;
}
