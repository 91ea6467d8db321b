/**
 * @module definition/checks/states
 * State-level rules: unique names (spec §State Definition "name … must be unique"), exactly one of
 * `end` / `transition` (switch states end through their conditions; compensation states may have
 * neither, spec §Workflow Compensation), and duplicate names inside functions/events/retries/errors.
 */
import { DiagnosticCode } from '../diagnostic.js';
import { joinPointer } from '../json-pointer.js';
import { isObject, states } from '../walk.js';
import type { CheckContext } from './context.js';
import type { Reporter } from '../report.js';

export function checkStates(ctx: CheckContext): void {
  const { doc, r } = ctx;
  const seen = new Map<string, number>();
  for (const { state, pointer, index } of states(doc)) {
    const name = state.name;
    if (typeof name === 'string') {
      const first = seen.get(name);
      if (first !== undefined) {
        const { line } = r.source.locate(`/states/${first}/name`);
        r.error(DiagnosticCode.DuplicateState, `${pointer}/name`, `state name '${name}' is already used by state #${first + 1} (line ${line})`, {
          hint: 'state names must be unique within a workflow',
        });
      } else seen.set(name, index);
    }
    if (state.type === 'foreach' && typeof state.iterationParam === 'string' && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(state.iterationParam)) {
      r.warning(DiagnosticCode.InvalidValue, `${pointer}/iterationParam`, `state '${String(name)}': iterationParam '${state.iterationParam}' is not a plain name`, {
        hint: "iterationParam names the variable that holds the current element (e.g. 'item'); it is not an expression",
      });
    }
    if (state.type === 'switch') continue;
    const hasEnd = state.end !== undefined && state.end !== false;
    const hasTransition = state.transition !== undefined;
    const label = typeof name === 'string' ? `state '${name}'` : `state #${index + 1}`;
    if (hasEnd && hasTransition) {
      r.error(DiagnosticCode.EndOrTransition, pointer, `${label}: has both 'end' and 'transition'; use exactly one`);
    } else if (state.usedForCompensation === true) {
      if (hasEnd) {
        r.warning(DiagnosticCode.Compensation, joinPointer(pointer, 'end'), `${label}: a compensation state's 'end' is ignored (spec §Workflow Compensation)`);
      }
    } else if (!hasEnd && !hasTransition) {
      r.error(DiagnosticCode.EndOrTransition, pointer, `${label}: needs either 'end' or 'transition'`, {
        hint: state.end === false ? "'end: false' does not end the state; add 'transition: <next state>'" : "add 'transition: <next state>' or 'end: true'",
      });
    }
  }
}

/** No two functions / events / retries / errors / auth definitions of a document share a name. */
export function checkDuplicateDefinitions(ctx: CheckContext): void {
  const kinds = { functions: 'function', events: 'event', retries: 'retry', errors: 'error', auth: 'auth' } as const;
  for (const [section, kind] of Object.entries(kinds)) {
    const items = ctx.doc[section];
    if (!Array.isArray(items)) continue; // external files are checked where they are loaded
    checkDuplicateNames(items, `/${section}`, `${kind} name`, ctx.r);
  }
}

/** Reports every item of `items` (at pointer `base`) whose `name` an earlier item already has. */
export function checkDuplicateNames(items: unknown[], base: string, label: string, r: Reporter): void {
  const seen = new Set<string>();
  items.forEach((item, i) => {
    if (!isObject(item) || typeof item.name !== 'string') return;
    if (seen.has(item.name)) r.error(DiagnosticCode.DuplicateDefinition, joinPointer(base, i, 'name'), `${label} '${item.name}' is defined twice`);
    seen.add(item.name);
  });
}
