/**
 * @module graph/diagram/types
 * A laid-out workflow diagram: boxes and routed edges with coordinates, computed from the compiled
 * graph by {@link layoutDiagram}. Pure data (JSON-serialisable): the SVG renderer draws it, and the
 * dashboard receives it as JSON to highlight states by name.
 */
import type { StateType } from '../../definition/types.js';
import type { EdgeKind } from '../types.js';

/** How a path ends (spec §End Definition), as drawn on an end node. */
export const EndKind = {
  End: 'end',
  Terminate: 'terminate',
  Compensate: 'compensate',
  ContinueAs: 'continueAs',
} as const;
export type EndKind = (typeof EndKind)[keyof typeof EndKind];

/** What a box stands for. */
export const DiagramNodeKind = {
  /** The start marker (one per diagram). */
  Start: 'start',
  /** A workflow state. */
  State: 'state',
  /** Where a path ends. */
  End: 'end',
  /** A parallel branch (inside a parallel state). */
  Branch: 'branch',
  /** An action (inside a branch or a foreach state). */
  Action: 'action',
} as const;
export type DiagramNodeKind = (typeof DiagramNodeKind)[keyof typeof DiagramNodeKind];

/** A point in the coordinates of the box that contains the element. */
export interface Point {
  x: number;
  y: number;
}

/** A box; `x`/`y` are relative to the box that contains it (the diagram for top-level boxes). */
export interface DiagramNode {
  id: string;
  kind: DiagramNodeKind;
  /** The first text line (state name, branch name, action name, end kind). */
  label: string;
  /** The second text line (state type, function called, continueAs target). */
  sublabel?: string;
  /** The state this box belongs to (for states, and for the branches/actions inside one). */
  state?: string;
  stateType?: StateType;
  endKind?: EndKind;
  /** The state is used only as another state's compensation (`usedForCompensation`). */
  compensation?: boolean;
  x: number;
  y: number;
  width: number;
  height: number;
  /** Compound boxes (parallel, foreach, branch): what is drawn inside. */
  children?: DiagramNode[];
  /** Edges between the children, in the compound box's coordinates. */
  edges?: DiagramEdge[];
}

/** A routed edge. */
export interface DiagramEdge {
  id: string;
  /** Graph edge kinds, plus `start` (start marker → start state) and `sequence` (action order). */
  kind: EdgeKind | 'start' | 'sequence';
  from: string;
  to: string;
  /** The state the edge leaves (for highlighting the path taken). */
  fromState?: string;
  /** The state it enters, when it enters one. */
  toState?: string;
  label?: string;
  points: Point[];
  labelBox?: { x: number; y: number; width: number; height: number };
}

/** The whole diagram. */
export interface Diagram {
  workflowId: string;
  version?: string;
  width: number;
  height: number;
  nodes: DiagramNode[];
  edges: DiagramEdge[];
}
