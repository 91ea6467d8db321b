/**
 * @module definition/types
 * The Serverless Workflow 0.8 document model as plain data (spec §Workflow Definition Structure),
 * exactly as written by the author after parsing and schema validation. No behaviour, no defaults
 * applied: defaults are decided in graph/compile (spec defaults, e.g. keepActive false).
 */

/** A workflow expression (`${ … }` or bare jq where the field is always an expression). */
export type Expression = string;
/** ISO-8601 duration text, e.g. `PT5S`. */
export type IsoDuration = string;

export interface Workflow {
  id?: string;
  key?: string;
  name?: string;
  description?: string;
  version?: string;
  annotations?: string[];
  specVersion: string;
  expressionLang?: string;
  dataInputSchema?:
    | string
    | {
        schema: string | Record<string, unknown>;
        failOnValidationErrors: boolean;
        /** Swirl, after validation: the files the schema's `$ref`s name (absolute URI → schema). */
        refs?: Record<string, Record<string, unknown>>;
        /** Swirl, after validation: the URI of the schema's own file. */
        baseUri?: string;
      };
  constants?: string | Record<string, unknown>;
  secrets?: string | string[];
  start?: string | StartDef;
  timeouts?: string | Timeouts;
  errors?: string | ErrorDef[];
  keepActive?: boolean;
  auth?: string | unknown[];
  events?: string | EventDef[];
  functions?: string | FunctionDef[];
  autoRetries?: boolean;
  retries?: string | RetryDef[];
  states: State[];
  metadata?: Record<string, string>;
  [extension: string]: unknown;
}

export interface StartDef {
  stateName: string;
  schedule: string | Schedule;
}

export interface Schedule {
  interval?: string;
  cron?: string | { expression: string; validUntil?: string };
  timezone?: string;
}

export interface Timeouts {
  workflowExecTimeout?: IsoDuration | { duration: IsoDuration; interrupt?: boolean; runBefore?: string };
  stateExecTimeout?: IsoDuration | { single?: IsoDuration; total: IsoDuration };
  actionExecTimeout?: IsoDuration;
  branchExecTimeout?: IsoDuration;
  eventTimeout?: IsoDuration;
}

export interface ErrorDef {
  name: string;
  code?: string;
  description?: string;
}

export const EventKind = { Consumed: 'consumed', Produced: 'produced' } as const;
export type EventKind = (typeof EventKind)[keyof typeof EventKind];

export interface EventDef {
  name: string;
  source?: string;
  type?: string;
  kind?: EventKind;
  correlation?: { contextAttributeName: string; contextAttributeValue?: string }[];
  dataOnly?: boolean;
  metadata?: Record<string, string>;
}

export const FunctionType = {
  Rest: 'rest',
  Rpc: 'rpc',
  Expression: 'expression',
  Graphql: 'graphql',
  Odata: 'odata',
  Asyncapi: 'asyncapi',
  Custom: 'custom',
} as const;
export type FunctionType = (typeof FunctionType)[keyof typeof FunctionType];

export interface FunctionDef {
  name: string;
  operation: string;
  type?: FunctionType;
  authRef?: string | { resource: string; invocation?: string };
  metadata?: Record<string, string>;
}

export interface RetryDef {
  name: string;
  delay?: IsoDuration;
  maxDelay?: IsoDuration;
  increment?: IsoDuration;
  multiplier?: number | string;
  maxAttempts: number | string;
  jitter?: number | IsoDuration;
}

export type Transition = string | { nextState: string; produceEvents?: ProduceEventDef[]; compensate?: boolean };

export type End =
  | boolean
  | {
      terminate?: boolean;
      produceEvents?: ProduceEventDef[];
      compensate?: boolean;
      continueAs?: string | ContinueAs;
    };

export interface ContinueAs {
  workflowId: string;
  version?: string;
  data?: string | Record<string, unknown>;
  workflowExecTimeout?: Timeouts['workflowExecTimeout'];
}

export interface ProduceEventDef {
  eventRef: string;
  data?: string | Record<string, unknown>;
  contextAttributes?: Record<string, string>;
}

export interface StateDataFilter {
  input?: Expression;
  output?: Expression;
}
export interface ActionDataFilter {
  fromStateData?: Expression;
  useResults?: boolean;
  results?: Expression;
  toStateData?: Expression;
}
export interface EventDataFilter {
  useData?: boolean;
  data?: Expression;
  toStateData?: Expression;
}

export interface FunctionRef {
  refName: string;
  arguments?: Record<string, unknown>;
  selectionSet?: string;
  invoke?: 'sync' | 'async';
}
export interface EventRef {
  triggerEventRef: string;
  resultEventRef: string;
  resultEventTimeout?: IsoDuration;
  data?: string | Record<string, unknown>;
  contextAttributes?: Record<string, string>;
  invoke?: 'sync' | 'async';
}
export interface SubFlowRef {
  workflowId: string;
  version?: string;
  onParentComplete?: 'continue' | 'terminate';
  invoke?: 'sync' | 'async';
}

export interface Action {
  id?: string;
  name?: string;
  functionRef?: string | FunctionRef;
  eventRef?: EventRef;
  subFlowRef?: string | SubFlowRef;
  sleep?: { before?: IsoDuration; after?: IsoDuration };
  retryRef?: string;
  nonRetryableErrors?: string[];
  retryableErrors?: string[];
  actionDataFilter?: ActionDataFilter;
  condition?: Expression;
}

export interface OnError {
  errorRef?: string;
  errorRefs?: string[];
  transition?: Transition;
  end?: End;
}

/** Fields every state has (spec §State Definition). */
export interface StateBase {
  id?: string;
  name: string;
  stateDataFilter?: StateDataFilter;
  timeouts?: Timeouts;
  onErrors?: OnError[];
  transition?: Transition;
  end?: End;
  compensatedBy?: string;
  usedForCompensation?: boolean;
  metadata?: Record<string, string>;
}

export interface OnEvents {
  eventRefs: string[];
  actionMode?: 'sequential' | 'parallel';
  actions?: Action[];
  eventDataFilter?: EventDataFilter;
}

export interface EventState extends StateBase {
  type: 'event';
  exclusive?: boolean;
  onEvents: OnEvents[];
}
export interface OperationState extends StateBase {
  type: 'operation';
  actionMode?: 'sequential' | 'parallel';
  actions: Action[];
}
export interface DataCondition {
  name?: string;
  condition: Expression;
  transition?: Transition;
  end?: End;
  metadata?: Record<string, string>;
}
export interface EventCondition {
  name?: string;
  eventRef: string;
  transition?: Transition;
  end?: End;
  eventDataFilter?: EventDataFilter;
  metadata?: Record<string, string>;
}
export interface SwitchState extends StateBase {
  type: 'switch';
  dataConditions?: DataCondition[];
  eventConditions?: EventCondition[];
  defaultCondition: { transition?: Transition; end?: End };
}
export interface SleepState extends StateBase {
  type: 'sleep';
  duration: IsoDuration;
}
export interface Branch {
  name: string;
  actions: Action[];
  timeouts?: { actionExecTimeout?: IsoDuration; branchExecTimeout?: IsoDuration };
}
export interface ParallelState extends StateBase {
  type: 'parallel';
  branches: Branch[];
  completionType?: 'allOf' | 'atLeast';
  numCompleted?: number | string;
}
export interface InjectState extends StateBase {
  type: 'inject';
  data: Record<string, unknown>;
}
export interface ForeachState extends StateBase {
  type: 'foreach';
  inputCollection: Expression;
  outputCollection?: Expression;
  iterationParam?: string;
  batchSize?: number | string;
  actions: Action[];
  mode?: 'sequential' | 'parallel';
}
export interface CallbackState extends StateBase {
  type: 'callback';
  action: Action;
  eventRef: string;
  eventDataFilter?: EventDataFilter;
}

/** The eight 0.8 state types. */
export type State =
  | EventState
  | OperationState
  | SwitchState
  | SleepState
  | ParallelState
  | InjectState
  | ForeachState
  | CallbackState;

export type StateType = State['type'];

/** Every state type, in the spec's order. */
export const STATE_TYPES: readonly StateType[] = [
  'event',
  'operation',
  'switch',
  'sleep',
  'parallel',
  'inject',
  'foreach',
  'callback',
];
