/**
 * @module graph/types
 * The compiled, immutable form of a valid workflow: what the interpreter walks. References are
 * resolved (edges point at nodes, actions at their function/event/retry definitions), durations are
 * milliseconds, spec defaults are applied, and every expression is compiled once.
 */
import type { ProfileRuntime } from '../definition/profiles/sonataflow/runtime.js';
import type { CompiledExpression } from '../expressions/index.js';
import type {
  Action,
  ErrorDef,
  EventDef,
  FunctionDef,
  State,
  StateType,
  Workflow,
} from '../definition/types.js';

/** Why one state leads to another. */
export const EdgeKind = {
  /** The state's own `transition`. */
  Transition: 'transition',
  /** A switch data/event condition. */
  Condition: 'condition',
  /** A switch `defaultCondition` (taken when no condition matches, or on eventTimeout). */
  Default: 'default',
  /** An `onErrors` entry. */
  Error: 'error',
  /** `compensatedBy`: run when the state is compensated. */
  Compensation: 'compensation',
} as const;
export type EdgeKind = (typeof EdgeKind)[keyof typeof EdgeKind];

/** What a path ends with (spec §End Definition), compiled. */
export interface CompiledEnd {
  terminate: boolean;
  compensate: boolean;
  produceEvents: { eventRef: string; data?: unknown; contextAttributes?: Record<string, string> }[];
  continueAs?: { workflowId: string; version?: string; data?: unknown; workflowExecTimeoutMs?: number };
}

/** One outgoing way out of a state: to another state, or to the end. */
export interface Edge {
  from: string;
  kind: EdgeKind;
  /** Target state name, or undefined when the edge ends the workflow path. */
  to?: string;
  end?: CompiledEnd;
  /** Condition text (switch) or error names (onErrors), for rendering and tracing. */
  label?: string;
  /** JSON pointer of the place in the definition this edge comes from. */
  pointer: string;
  /** `compensate: true` on a transition object: compensate before moving on. */
  compensate?: boolean;
  produceEvents?: CompiledEnd['produceEvents'];
}

/** Per-state timeouts in milliseconds (state value, else the workflow default). */
export interface StateTimeouts {
  stateExecMs?: number;
  stateExecSingleMs?: number;
  actionExecMs?: number;
  branchExecMs?: number;
  eventMs?: number;
}

/** A state of the graph. */
export interface StateNode {
  name: string;
  type: StateType;
  /** The definition as written (after external sections were inlined). */
  definition: State;
  /** JSON pointer of the state in the document (`/states/3`). */
  pointer: string;
  edges: Edge[];
  timeouts: StateTimeouts;
  /** Sleep states: the duration. */
  sleepMs?: number;
  usedForCompensation: boolean;
  compensatedBy?: string;
}

/** A retry definition with its durations in milliseconds (spec §Retry Definition). */
export interface RetryPolicy {
  name: string;
  delayMs: number;
  maxDelayMs?: number;
  incrementMs: number;
  multiplier: number;
  /** Every attempt counts, the first included (specs/semantics.md). */
  maxAttempts: number;
  /** Jitter as a fraction of the delay, or an absolute maximum in ms. */
  jitter?: { fraction: number } | { maxMs: number };
}

/** Workflow-level timeouts in milliseconds. */
export interface WorkflowTimeouts extends StateTimeouts {
  workflowExecMs?: number;
  /** Default `true` (schema 0.8). */
  interrupt: boolean;
  runBefore?: string;
}

/** The compiled workflow. Immutable by contract (frozen in development builds). */
export interface WorkflowGraph {
  id: string;
  version?: string;
  name?: string;
  /** sha256 of the canonical JSON of the definition: recorded by each instance it starts. */
  hash: string;
  start: string;
  nodes: ReadonlyMap<string, StateNode>;
  /** Every edge, in definition order. */
  edges: readonly Edge[];
  functions: ReadonlyMap<string, FunctionDef>;
  events: ReadonlyMap<string, EventDef>;
  retries: ReadonlyMap<string, RetryPolicy>;
  errors: ReadonlyMap<string, ErrorDef>;
  timeouts: WorkflowTimeouts;
  /** Spec default `false` (the SDK's constructors wrongly default it to true). */
  keepActive: boolean;
  autoRetries: boolean;
  constants: Record<string, unknown>;
  secrets: readonly string[];
  dataInputSchema?: { schema: Record<string, unknown>; failOnValidationErrors: boolean; refs?: Record<string, Record<string, unknown>>; baseUri?: string };
  schedule?: { interval?: string; cron?: string; validUntil?: string; timezone?: string };
  /** Every workflow expression, compiled, by the JSON pointer of the field that holds it. */
  expressions: ReadonlyMap<string, CompiledExpression>;
  /** The document the graph was compiled from. */
  definition: Workflow;
  /** Runtime data of the profile it was validated under (sonataflow: specs/sonataflow-profile.md); absent: standard. */
  profile?: ProfileRuntime;
}

/** The actions of a node, for renderers and the interpreter. */
export type NodeAction = { action: Action; pointer: string };
