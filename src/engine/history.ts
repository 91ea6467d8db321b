/**
 * @module engine/history
 * The history of an instance: an append-only list of typed events in the Durable Task vocabulary
 * (durabletask-notes §1.5), so that the Durable Task gRPC protocol maps onto it without loss.
 * Every event is plain JSON; payloads (inputs, results) are JSON *text*, kept byte-for-byte.
 */

import type { RuntimeStatus } from '../store/types.js';

/** Engine version recorded in every ExecutionStarted (replay-behaviour changes key off it). */
export const ENGINE_VERSION = '0.1.0';

/** Serialized failure of an activity, sub-orchestration or orchestration. */
export interface FailureDetails {
  /** Error class or WorkflowError name, e.g. 'TypeError', 'TaskFailedError'. */
  errorType: string;
  message: string;
  /** The SwirlError code when the error had one. */
  code?: string;
  /**
   * A stack trace reported by a worker outside this process (a Durable Task SDK app's own code).
   * Errors raised in this process record none: their frames are the server's install paths, no
   * part of what an API client may see (specs/engine.md "Failure details").
   */
  stackTrace?: string;
  /** WorkflowError details, when JSON-serializable. */
  details?: unknown;
  /** A retry policy does not retry a failure marked non-retryable. */
  nonRetryable?: boolean;
  /** The failure that caused this one (e.g. the activity failure under a sub-orchestration failure). */
  inner?: FailureDetails;
}

/** Names of the history event types (const-object enum). */
export const EventType = {
  ExecutionStarted: 'ExecutionStarted',
  ExecutionCompleted: 'ExecutionCompleted',
  ExecutionTerminated: 'ExecutionTerminated',
  ExecutionSuspended: 'ExecutionSuspended',
  ExecutionResumed: 'ExecutionResumed',
  ContinueAsNew: 'ContinueAsNew',
  OrchestratorStarted: 'OrchestratorStarted',
  OrchestratorCompleted: 'OrchestratorCompleted',
  TaskScheduled: 'TaskScheduled',
  TaskCompleted: 'TaskCompleted',
  TaskFailed: 'TaskFailed',
  TimerCreated: 'TimerCreated',
  TimerFired: 'TimerFired',
  EventRaised: 'EventRaised',
  EventSent: 'EventSent',
  SubOrchestrationInstanceCreated: 'SubOrchestrationInstanceCreated',
  SubOrchestrationInstanceCompleted: 'SubOrchestrationInstanceCompleted',
  SubOrchestrationInstanceFailed: 'SubOrchestrationInstanceFailed',
  GenericEvent: 'GenericEvent',
} as const;
export type EventType = (typeof EventType)[keyof typeof EventType];

/**
 * Fields of every event. `eventId` is the sequence id of the action that produced the event for
 * TaskScheduled, TimerCreated, SubOrchestrationInstanceCreated, EventSent, ExecutionCompleted and
 * ContinueAsNew (ids start at 1 per execution); every other event has eventId -1.
 * `timestamp` is milliseconds since the Unix epoch.
 */
interface EventBase {
  eventId: number;
  timestamp: number;
}

/** The parent of a sub-orchestration, as recorded in the child's ExecutionStarted. */
export interface ParentInstance {
  instanceId: string;
  executionId: string;
  name: string;
  /** The parent's SubOrchestrationInstanceCreated event id (the task the child completes). */
  taskScheduledId: number;
  /**
   * The root of the child's tree (the instance without a parent it descends from), whose row counts
   * the instances created under it (specs/limits.md "Fan-out"). Absent in histories written before
   * fan-out limits: the parent is taken as the root.
   */
  rootInstanceId?: string;
  /** The child's depth: 1 for a child of a root, 2 for a grandchild … Absent: 1 (as above). */
  depth?: number;
}

/** The first event of an execution: what runs, with which input, for whom. */
export interface ExecutionStartedEvent extends EventBase {
  type: 'ExecutionStarted';
  name: string;
  instanceId: string;
  executionId: string;
  input?: string;
  parent?: ParentInstance;
  /** When the start was asked to happen (scheduled start), if given. */
  scheduledStartTime?: number;
  engineVersion: string;
  /** Version tag of the orchestration code/definition, from registerOrchestration. */
  version?: string;
  /** Hash of the workflow definition the instance runs (set by the Serverless Workflow interpreter). */
  definitionHash?: string;
  /**
   * Replay-behaviour flags of this execution (see engine/flags.ts). Absent in histories written
   * before flags existed: such executions replay with none set.
   */
  flags?: string[];
  /**
   * The W3C `traceparent` of whoever started the execution (a start request's header, a
   * CloudEvent's extension, a parent's action span): the trace the instance's spans join
   * (engine/trace-context.ts). Absent: the instance starts a trace of its own.
   */
  traceparent?: string;
}
/** The last event of an execution that completed, failed or was terminated. */
export interface ExecutionCompletedEvent extends EventBase {
  type: 'ExecutionCompleted';
  status: typeof RuntimeStatus.COMPLETED | typeof RuntimeStatus.FAILED | typeof RuntimeStatus.TERMINATED;
  result?: string;
  failure?: FailureDetails;
}
/** A request to terminate (from a client or a terminated parent). */
export interface ExecutionTerminatedEvent extends EventBase {
  type: 'ExecutionTerminated';
  /** The output the terminated instance reports (durabletask calls it `input`). */
  input?: string;
  reason?: string;
  /** Terminate running sub-orchestrations too. */
  recurse: boolean;
  /**
   * Set when a terminated parent sends it to its children: the parent execution. The receiver
   * ignores it unless that is its own parent (its ExecutionStarted.parent / parentInstanceId), so
   * a child id that turned out to belong to an unrelated instance never terminates that instance.
   * Absent for a client's terminate.
   */
  sender?: { instanceId: string; executionId: string };
  /**
   * Set when the instance's whole tree is being terminated (the store refused a child because of
   * it, specs/limits.md "Fan-out"): the instance then terminates its parent too, instead of
   * telling it of a failed child — which a parent whose own terminate is still on its way down
   * the tree would otherwise catch, or fail with.
   */
  tree?: boolean;
}
/** A request to suspend: later events are recorded but held back from the code. */
export interface ExecutionSuspendedEvent extends EventBase {
  type: 'ExecutionSuspended';
  reason?: string;
}
/** A request to resume a suspended execution. */
export interface ExecutionResumedEvent extends EventBase {
  type: 'ExecutionResumed';
  reason?: string;
}
/** The execution restarted itself with new input (the next execution starts a new history). */
export interface ContinueAsNewEvent extends EventBase {
  type: 'ContinueAsNew';
  input?: string;
}
/** Opens every turn; its timestamp is the orchestration's current time for the turn. */
export interface OrchestratorStartedEvent extends EventBase {
  type: 'OrchestratorStarted';
}
/** Closes every turn. */
export interface OrchestratorCompletedEvent extends EventBase {
  type: 'OrchestratorCompleted';
}
/** An activity call (eventId = its sequence id). */
export interface TaskScheduledEvent extends EventBase {
  type: 'TaskScheduled';
  name: string;
  input?: string;
  /** 1-based attempt number under a retry policy. */
  attempt: number;
  /** The task id of the first attempt (the logical call); equals eventId on attempt 1. */
  logicalTaskId: number;
  /** Fire-and-forget: the task outlives the orchestration (not compared on replay). */
  detached?: boolean;
}
/** An activity result. */
export interface TaskCompletedEvent extends EventBase {
  type: 'TaskCompleted';
  taskScheduledId: number;
  result?: string;
}
/** An activity failure. */
export interface TaskFailedEvent extends EventBase {
  type: 'TaskFailed';
  taskScheduledId: number;
  failure: FailureDetails;
}
/** A durable timer (eventId = its sequence id). */
export interface TimerCreatedEvent extends EventBase {
  type: 'TimerCreated';
  fireAt: number;
}
/** A timer that came due. */
export interface TimerFiredEvent extends EventBase {
  type: 'TimerFired';
  timerId: number;
  fireAt: number;
}
/** An external event delivered to the instance. */
export interface EventRaisedEvent extends EventBase {
  type: 'EventRaised';
  name: string;
  input?: string;
}
/** An external event this instance sent to another (eventId = its sequence id). */
export interface EventSentEvent extends EventBase {
  type: 'EventSent';
  instanceId: string;
  name: string;
  input?: string;
}
/** A sub-orchestration start (eventId = its sequence id). */
export interface SubOrchestrationInstanceCreatedEvent extends EventBase {
  type: 'SubOrchestrationInstanceCreated';
  name: string;
  instanceId: string;
  input?: string;
}
/** A sub-orchestration output. */
export interface SubOrchestrationInstanceCompletedEvent extends EventBase {
  type: 'SubOrchestrationInstanceCompleted';
  taskScheduledId: number;
  result?: string;
}
/** A sub-orchestration failure (or termination). */
export interface SubOrchestrationInstanceFailedEvent extends EventBase {
  type: 'SubOrchestrationInstanceFailed';
  taskScheduledId: number;
  failure: FailureDetails;
}
/** Free-form data (reserved; never produced by the engine today). */
export interface GenericEvent extends EventBase {
  type: 'GenericEvent';
  data?: string;
}

/** One history event (discriminated on `type`). */
export type HistoryEvent =
  | ExecutionStartedEvent
  | ExecutionCompletedEvent
  | ExecutionTerminatedEvent
  | ExecutionSuspendedEvent
  | ExecutionResumedEvent
  | ContinueAsNewEvent
  | OrchestratorStartedEvent
  | OrchestratorCompletedEvent
  | TaskScheduledEvent
  | TaskCompletedEvent
  | TaskFailedEvent
  | TimerCreatedEvent
  | TimerFiredEvent
  | EventRaisedEvent
  | EventSentEvent
  | SubOrchestrationInstanceCreatedEvent
  | SubOrchestrationInstanceCompletedEvent
  | SubOrchestrationInstanceFailedEvent
  | GenericEvent;

/** Serializes a JS value as payload text; `undefined` stays absent. */
export function toPayload(value: unknown): string | undefined {
  return value === undefined ? undefined : JSON.stringify(value);
}

/** Parses payload text; absent or empty text is `undefined`. */
export function fromPayload(text: string | undefined): unknown {
  return text === undefined || text === '' ? undefined : JSON.parse(text);
}

/**
 * Turns any thrown value into FailureDetails (error name, message, code, details, and the stack
 * trace of a remote worker's error — `remoteStack` — but never this process's own `stack`).
 */
export function toFailureDetails(error: unknown): FailureDetails {
  if (error instanceof Error) {
    const e = error as Error & { code?: unknown; details?: unknown; nonRetryable?: unknown; failure?: FailureDetails; remoteStack?: unknown };
    const f: FailureDetails = { errorType: e.name, message: e.message };
    if (typeof e.code === 'string') f.code = e.code;
    if (typeof e.remoteStack === 'string' && e.remoteStack !== '') f.stackTrace = e.remoteStack;
    if (e.details !== undefined) {
      try {
        f.details = JSON.parse(JSON.stringify(e.details));
      } catch {
        // details that are not JSON-serializable are left out rather than failing the failure
      }
    }
    if (e.nonRetryable === true) f.nonRetryable = true;
    if (e.failure !== undefined) f.inner = e.failure;
    return f;
  }
  return { errorType: typeof error, message: String(error) };
}
