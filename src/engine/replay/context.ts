/**
 * @module engine/replay/context
 * What orchestration code sees: the OrchestrationContext (the only door to time, randomness,
 * activities, timers, events and children) and the shape of an orchestration function.
 */

import type { ExecutionTrace } from '../trace-context.js';
import type { EngineFlag } from '../flags.js';
import type { ParentInstance } from '../history.js';
import type { Logger } from '../logger.js';
import type { RetryPolicy } from './retry-policy.js';
import type { Task } from './task.js';

/** Options of {@link OrchestrationContext.callActivity}. */
export interface CallActivityOptions {
  /** Retry a failed activity durably (timers in this orchestration's history). */
  retry?: RetryPolicy;
  /**
   * Fire-and-forget: the task runs even if the orchestration ends (completes, fails, continues as
   * new) before a worker picks it up, and is not aborted when it does. Its result, if the
   * orchestration is still there to see it, completes the returned task as usual. For Serverless
   * Workflow `invoke: async`. Not combined with `retry` (a retry needs the orchestration). @default false
   */
  detached?: boolean;
  /**
   * W3C trace context handed to the activity (ActivityContext.traceparent), e.g. the calling
   * step's span. Travels with the task row only: history does not change. Must be derived from
   * history (ctx.trace) like everything else the code decides.
   */
  traceparent?: string;
}

/** Options of {@link OrchestrationContext.callSubOrchestrator}. */
export interface CallSubOrchestratorOptions {
  /** The child's instance id. @default `${parentInstanceId}:${taskId as 4 hex digits}` */
  instanceId?: string;
  /** W3C trace context recorded in the child's ExecutionStarted (the calling step's span). */
  traceparent?: string;
  /** Retry a failed child (same child id, replaced on each attempt). */
  retry?: RetryPolicy;
}

/** Options of {@link OrchestrationContext.continueAsNew}. */
export interface ContinueAsNewOptions {
  /** Carry external events received but not yet consumed into the new execution. @default true */
  saveEvents?: boolean;
}

/**
 * The API of orchestration code. Everything here is deterministic: time is the history's time,
 * ids come from history, and every scheduling call gets the next sequence id.
 */
/** Options of {@link OrchestrationContext.waitForExternalEvent}. */
export interface WaitForEventOptions {
  /**
   * Routing keys (opaque to the engine) recorded in the store while the wait is open: the turn
   * that leaves it open commits them with the instance (Store.findWaitingInstances finds it by
   * them); the turn that ends the wait — the event arrived, a whenAny lost it, the execution
   * ended — removes them. A host uses them to route an incoming event to the instances waiting
   * for it without scanning instances (issue 18).
   */
  keys?: readonly string[];
}

export interface OrchestrationContext {
  readonly instanceId: string;
  /** Changes on continue-as-new. */
  readonly executionId: string;
  /** The registered orchestration name. */
  readonly name: string;
  /** Set when this instance is a sub-orchestration. */
  readonly parent: ParentInstance | undefined;
  /** True while the code re-executes events already in history (use it to silence side logs). */
  readonly isReplaying: boolean;
  /**
   * This execution's trace (engine/trace-context.ts): the caller's trace id from ExecutionStarted's
   * `traceparent`, else one derived from the instance; the execution's own span id. Deterministic.
   */
  readonly trace: ExecutionTrace;
  /** The time of the current turn, from history (OrchestratorStarted). */
  readonly currentTime: Date;
  /** {@link currentTime} in milliseconds since the epoch. */
  readonly currentTimeMs: number;
  /**
   * The engine's logger, replay-safe: lines are dropped while replaying (so a replay does not
   * repeat them) and carry `instanceId` and `orchestration` in their meta.
   */
  readonly logger: Logger;

  /** Schedules an activity; the task completes with its result or fails with a TaskFailedError. */
  callActivity<T = any>(name: string, input?: unknown, options?: CallActivityOptions): Task<T>;
  /** A durable timer: `fireAt` is an absolute time (Date) or a delay in milliseconds (number). */
  createTimer(fireAt: Date | number): Task<void>;
  /**
   * Waits for an external event. Names match case-insensitively. Events that arrived before
   * anyone waited are buffered and handed out first-in first-out per name.
   */
  waitForExternalEvent<T = any>(name: string, options?: WaitForEventOptions): Task<T>;
  /** Starts a sub-orchestration; the task completes with its output or fails with its failure. */
  callSubOrchestrator<T = any>(name: string, input?: unknown, options?: CallSubOrchestratorOptions): Task<T>;
  /** Sends an external event to another instance (fire-and-forget; dropped if it does not exist). */
  sendEvent(instanceId: string, name: string, data?: unknown): void;
  /** Completes with all results in order, or fails with the first failure. */
  whenAll<T>(tasks: Task<T>[]): Task<T[]>;
  /**
   * Completes with the first task that completes (the Task itself). External-event waits among the
   * losers are withdrawn, so a later event is buffered rather than swallowed by a stale wait.
   */
  whenAny<T>(tasks: Task<T>[]): Task<Task<T>>;
  /**
   * Declares that the orchestration will never wait on `tasks` again (an abandoned branch): the
   * external-event waits among them (also inside whenAll/whenAny) are withdrawn, so a later event
   * of that name is buffered for the next wait instead of being swallowed. Activities and timers
   * already scheduled still run; their results are ignored. Records nothing in history.
   */
  abandon(tasks: readonly Task<unknown>[]): void;
  /** Ends this execution and starts a fresh one (empty history) with `input`. */
  continueAsNew(input?: unknown, options?: ContinueAsNewOptions): void;
  /**
   * An inspection note: a program-level fact (e.g. "state X entered") that records nothing in
   * history and costs nothing in a normal turn. Only an inspection replay
   * (`EngineClient.inspect`) collects the notes, each with the turn time it was made at, so
   * a view of what the program did is derived from history instead of stored beside it (the
   * collector copies the value when it is noted).
   */
  note(entry: unknown): void;
  /** Sets the custom status visible to clients (any JSON value; undefined clears it). */
  setCustomStatus(status: unknown): void;
  /** A deterministic UUID (v5 over instance id, execution id and a counter). */
  newGuid(): string;
  /**
   * True when this execution recorded the replay-behaviour flag `flag` in its ExecutionStarted
   * (every new execution records all flags the engine knows; histories from before a flag do
   * not). Code that changes behaviour in a way that would replay an old history differently
   * branches on it (STYLE guideline 13).
   */
  hasFlag(flag: EngineFlag): boolean;
}

/**
 * An orchestration: a generator function that yields Tasks and returns the output. (A separate
 * type from {@link PlainOrchestrationFunction}, not a union, so that TypeScript types `yield`
 * expressions from context instead of reporting TS7057 in strict mode.)
 */
export type OrchestrationFunction<TIn = any, TOut = any> = (ctx: OrchestrationContext, input: TIn) => Generator<Task<any>, TOut, any>;

/** An orchestration that waits for nothing: a plain function returning its output. */
export type PlainOrchestrationFunction<TIn = any, TOut = any> = (ctx: OrchestrationContext, input: TIn) => TOut;

/** Either form, as the engine stores and runs it. */
export type AnyOrchestrationFunction = OrchestrationFunction | PlainOrchestrationFunction;
