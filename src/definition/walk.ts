/**
 * @module definition/walk
 * Visits the places of a workflow document that checks care about — actions, transitions, ends,
 * event references — each with its JSON pointer, so every check reads the same structure the same way.
 * Works on schema-unchecked data: anything of the wrong shape is skipped, never thrown on.
 */
import { joinPointer } from './json-pointer.js';

type Obj = Record<string, unknown>;

export function isObject(v: unknown): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function arr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

/** The states array with pointers. */
export function states(doc: Obj): { state: Obj; pointer: string; index: number }[] {
  return arr(doc.states).flatMap((s, index) => (isObject(s) ? [{ state: s, pointer: `/states/${index}`, index }] : []));
}

/** Every action of a state (operation, event onEvents, parallel branches, foreach, callback). */
export function actionsOf(state: Obj, statePointer: string): { action: Obj; pointer: string }[] {
  const out: { action: Obj; pointer: string }[] = [];
  const add = (list: unknown, base: string) =>
    arr(list).forEach((a, i) => isObject(a) && out.push({ action: a, pointer: joinPointer(base, i) }));
  add(state.actions, joinPointer(statePointer, 'actions'));
  arr(state.onEvents).forEach((on, i) => isObject(on) && add(on.actions, joinPointer(statePointer, 'onEvents', i, 'actions')));
  arr(state.branches).forEach((b, i) => isObject(b) && add(b.actions, joinPointer(statePointer, 'branches', i, 'actions')));
  if (isObject(state.action)) out.push({ action: state.action, pointer: joinPointer(statePointer, 'action') });
  return out;
}

/** What a transition or condition leads to. */
export interface Edge {
  /** Target state name. */
  target: string;
  /** Pointer of the target name in the document. */
  pointer: string;
  /** What kind of place the edge comes from (for messages). */
  via: 'transition' | 'condition' | 'default condition' | 'onErrors' | 'compensatedBy' | 'start' | 'runBefore';
}

/** The target of a transition value (`"S"` or `{nextState: "S"}`) with its pointer. */
export function transitionTarget(t: unknown, pointer: string): { target: string; pointer: string } | undefined {
  if (typeof t === 'string') return { target: t, pointer };
  if (isObject(t) && typeof t.nextState === 'string') return { target: t.nextState, pointer: joinPointer(pointer, 'nextState') };
  return undefined;
}

/** Every outgoing edge of a state, including error and compensation edges. */
export function edgesOf(state: Obj, statePointer: string): Edge[] {
  const edges: Edge[] = [];
  const add = (t: unknown, pointer: string, via: Edge['via']) => {
    const e = transitionTarget(t, pointer);
    if (e) edges.push({ ...e, via });
  };
  add(state.transition, joinPointer(statePointer, 'transition'), 'transition');
  for (const key of ['dataConditions', 'eventConditions'] as const) {
    arr(state[key]).forEach((c, i) => isObject(c) && add(c.transition, joinPointer(statePointer, key, i, 'transition'), 'condition'));
  }
  if (isObject(state.defaultCondition)) {
    add(state.defaultCondition.transition, joinPointer(statePointer, 'defaultCondition', 'transition'), 'default condition');
  }
  arr(state.onErrors).forEach((o, i) => isObject(o) && add(o.transition, joinPointer(statePointer, 'onErrors', i, 'transition'), 'onErrors'));
  if (typeof state.compensatedBy === 'string') {
    edges.push({ target: state.compensatedBy, pointer: joinPointer(statePointer, 'compensatedBy'), via: 'compensatedBy' });
  }
  return edges;
}

/** Every end definition of a state (state end, condition ends, onErrors ends) with its pointer. */
export function endsOf(state: Obj, statePointer: string): { end: unknown; pointer: string }[] {
  const out: { end: unknown; pointer: string }[] = [];
  if (state.end !== undefined) out.push({ end: state.end, pointer: joinPointer(statePointer, 'end') });
  for (const key of ['dataConditions', 'eventConditions'] as const) {
    arr(state[key]).forEach((c, i) => isObject(c) && c.end !== undefined && out.push({ end: c.end, pointer: joinPointer(statePointer, key, i, 'end') }));
  }
  if (isObject(state.defaultCondition) && state.defaultCondition.end !== undefined) {
    out.push({ end: state.defaultCondition.end, pointer: joinPointer(statePointer, 'defaultCondition', 'end') });
  }
  arr(state.onErrors).forEach((o, i) => isObject(o) && o.end !== undefined && out.push({ end: o.end, pointer: joinPointer(statePointer, 'onErrors', i, 'end') }));
  return out;
}

/** Transition objects that may carry produceEvents, with pointers. */
export function transitionObjectsOf(state: Obj, statePointer: string): { transition: Obj; pointer: string }[] {
  const out: { transition: Obj; pointer: string }[] = [];
  const add = (t: unknown, pointer: string) => isObject(t) && out.push({ transition: t, pointer });
  add(state.transition, joinPointer(statePointer, 'transition'));
  for (const key of ['dataConditions', 'eventConditions'] as const) {
    arr(state[key]).forEach((c, i) => isObject(c) && add(c.transition, joinPointer(statePointer, key, i, 'transition')));
  }
  if (isObject(state.defaultCondition)) add(state.defaultCondition.transition, joinPointer(statePointer, 'defaultCondition', 'transition'));
  arr(state.onErrors).forEach((o, i) => isObject(o) && add(o.transition, joinPointer(statePointer, 'onErrors', i, 'transition')));
  return out;
}

/** The start state name and its pointer; absent start means the first state (spec §Start Definition). */
export function startOf(doc: Obj): { name: string; pointer: string } | undefined {
  if (typeof doc.start === 'string') return { name: doc.start, pointer: '/start' };
  if (isObject(doc.start) && typeof doc.start.stateName === 'string') return { name: doc.start.stateName, pointer: '/start/stateName' };
  const first = states(doc)[0];
  if (first && typeof first.state.name === 'string') return { name: first.state.name, pointer: `${first.pointer}/name` };
  return undefined;
}

export { arr as arrayOrEmpty };
