/**
 * @module interpreter/states/state-types
 * The contract between the program and the per-state-type modules: what a state receives (its
 * filtered data, the deadlines in force) and what it returns (its data and the edge it leaves by).
 */
import type { Edge, StateNode } from '../../graph/types.js';
import { EdgeKind } from '../../graph/types.js';
import type { AsyncChild } from '../actions.js';
import type { Deadline } from '../run-context.js';

/** What a state body runs with. */
export interface StateScope {
  /** Workflow and state deadlines in force. */
  deadlines: readonly Deadline[];
  /** Async subflows started so far (terminated with the parent when onParentComplete is terminate). */
  children: AsyncChild[];
  /** True for the first state of an instance (event states ignore eventTimeout there, spec l.5565). */
  isStart: boolean;
}

/** What a state body returns: its data (before the output filter) and the edge it leaves by. */
export interface StateOutcome {
  data: unknown;
  /** Undefined: the state's own transition/end edge. */
  edge?: Edge;
}

/** The state's own `transition`/`end` edge. */
export function ownEdge(node: StateNode): Edge | undefined {
  return node.edges.find((e) => e.kind === EdgeKind.Transition);
}

/** The edge defined at (or under) a pointer, e.g. `/states/2/dataConditions/1`. */
export function edgeAt(node: StateNode, pointer: string): Edge | undefined {
  return node.edges.find((e) => e.pointer === pointer || e.pointer.startsWith(`${pointer}/`));
}

/** The switch's defaultCondition edge. */
export function defaultEdge(node: StateNode): Edge | undefined {
  return node.edges.find((e) => e.kind === EdgeKind.Default);
}
