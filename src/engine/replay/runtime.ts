/**
 * @module engine/replay/runtime
 * The replay executor: a live orchestration (its generator, open tasks and buffers) that consumes
 * history events and produces actions. Pure: it reads no clock, does no I/O and has no randomness;
 * the same events always give the same actions. The worker keeps a runtime cached between turns,
 * so a step costs only its new events; after a restart or eviction it is rebuilt by replaying history.
 */

import { executionTrace, type ExecutionTrace } from '../trace-context.js';
import type { ObservedNote } from '../observer.js';
import { NonDeterminismError, assertNever } from '../../errors.js';
import {
  EventType,
  fromPayload,
  toFailureDetails,
  type EventRaisedEvent,
  type FailureDetails,
  type HistoryEvent,
  type ParentInstance,
} from '../history.js';
import { ActionType, type CompleteOrchestrationAction, type OrchestratorAction } from './actions.js';
import type { AnyOrchestrationFunction, OrchestrationContext } from './context.js';
import { createContext } from './context-impl.js';
import { ExternalEvents } from './external-events.js';
import type { Logger } from '../logger.js';
import { nextRetryDelay } from './retry-policy.js';
import { Task, TaskFailedError } from './task.js';
import type { OpenKind, OpenTask } from './open-tasks.js';
import { confirmAction } from './determinism.js';
import type { EngineFlag } from '../flags.js';
import { carryOver } from './carryover.js';

export { CARRYOVER_LIMITS } from './carryover.js';

/** How an execution ended. TERMINATED comes from an ExecutionTerminated event, not from the code. */
export interface ExecutionOutcome {
  status: 'COMPLETED' | 'FAILED' | 'CONTINUED_AS_NEW' | 'TERMINATED';
  /** Output (COMPLETED, TERMINATED) or the new input (CONTINUED_AS_NEW), as payload text. */
  result?: string;
  failure?: FailureDetails;
  /** CONTINUED_AS_NEW: buffered external events to carry over. */
  carryoverEvents?: EventRaisedEvent[];
  /** TERMINATED: terminate running sub-orchestrations too. */
  recurse?: boolean;
  /** TERMINATED: the whole tree is being terminated (ExecutionTerminated.tree): the parent is terminated too. */
  tree?: boolean;
  /** The sequence id of the completing action (-1 for TERMINATED). */
  actionId: number;
}

/** Checks payload sizes inside orchestration code (throws a catchable WorkflowError). */
export type PayloadGuard = (text: string | undefined, what: string) => void;

/** Construction parameters of an {@link OrchestrationRuntime}. */
export interface RuntimeOptions {
  /** The function to run (looked up by the worker from ExecutionStarted.name). */
  fn: AnyOrchestrationFunction;
  /** Payload size check; defaults to no limit. */
  guardPayload?: PayloadGuard;
  /** Where ctx.logger writes (outside replay). Defaults to nowhere. */
  logger?: Logger;
  /** Collects ctx.note() entries with their turn time (inspection replays only). */
  onNote?: (entry: unknown, timeMs: number) => void;
}

/** A live orchestration execution. Feed it events with {@link apply}; read actions with {@link takeActions}. */
export class OrchestrationRuntime {
  instanceId = '';
  executionId = '';
  name = '';
  parent: ParentInstance | undefined;
  /** Payload text of the custom status (undefined when unset). */
  customStatus: string | undefined;
  /** Set once the execution has ended. */
  outcome: ExecutionOutcome | undefined;
  suspended = false;
  /** Number of history events applied so far (the worker's cache check). */
  appliedEvents = 0;
  /** Replay-behaviour flags recorded in this execution's ExecutionStarted (engine/flags.ts). */
  private flags: ReadonlySet<string> = new Set();
  /** The `traceparent` recorded in ExecutionStarted (undefined: none). */
  traceparent: string | undefined;
  /** ExecutionStarted's timestamp (ms): when the execution was started (the instance span's start). */
  startedAtMs = 0;
  /** This execution's trace ids (engine/trace-context.ts), set at ExecutionStarted. */
  trace: ExecutionTrace = { traceId: '', spanId: '', sampled: false };
  /** ctx.note() calls so far in this execution, replays included (deterministic: the note's index). */
  noteCount = 0;
  /**
   * When set (an observer wants notes: EngineObserver.turnCommitted), every ctx.note() is pushed
   * here with its index, time and whether it was made while replaying; the worker drains it after
   * each committed turn.
   */
  noteBuffer: ObservedNote[] | undefined;

  private readonly fn: AnyOrchestrationFunction;
  /** @internal */
  readonly guardPayload: PayloadGuard;
  /** @internal */
  readonly logger: Logger | undefined;
  /** @internal */
  readonly onNote: ((entry: unknown, timeMs: number) => void) | undefined;
  private generator: Generator<Task<any>, unknown, any> | undefined;
  private current: Task<unknown> | undefined;
  private started = false;
  /** @internal Last sequence id handed out. */
  seq = 0;
  /** @internal */
  guidCounter = 0;
  /** continueAsNew was called with saveEvents (the default). */
  saveEvents = false;
  /** @internal */
  replaying = true;
  /** @internal History time of the current turn (ms). */
  nowMs = 0;
  /** @internal Actions decided and not yet confirmed by history, by sequence id. */
  readonly pending = new Map<number, OrchestratorAction>();
  /** @internal Tasks waiting for a completion event, by sequence id. */
  readonly open = new Map<number, OpenTask>();
  /** @internal External-event waits and buffer. */
  readonly events = new ExternalEvents();
  /**
   * The wait keys the store holds for this execution as of the last committed turn (JSON of the
   * sorted list), undefined when unknown (rebuilt by replay): the worker writes keys only when they
   * changed.
   */
  committedWaitKeys: string | undefined;
  private readonly suspendedEvents: HistoryEvent[] = [];
  private readonly ctx: OrchestrationContext;

  constructor(options: RuntimeOptions) {
    this.fn = options.fn;
    this.guardPayload = options.guardPayload ?? (() => undefined);
    this.logger = options.logger;
    this.onNote = options.onNote;
    this.ctx = createContext(this);
  }

  /** The routing keys of the open external-event waits (none once the execution has ended). */
  waitKeys(): string[] {
    return this.outcome ? [] : this.events.keys();
  }

  /** True once ExecutionStarted has been applied. */
  get isStarted(): boolean {
    return this.started;
  }

  /** True when this execution's ExecutionStarted recorded `flag` (old histories have none). */
  hasFlag(flag: EngineFlag): boolean {
    return this.flags.has(flag);
  }

  /** Current history time of the execution (ms). */
  get currentTimeMs(): number {
    return this.nowMs;
  }

  /**
   * Applies events in order. `replaying` tells the code (ctx.isReplaying) whether these events
   * were already in history before this turn. Throws NonDeterminismError on a mismatch.
   */
  apply(events: readonly HistoryEvent[], replaying: boolean): void {
    this.replaying = replaying;
    for (const e of events) {
      this.applyOne(e);
      this.appliedEvents += 1;
    }
  }

  /**
   * Applies a turn's new events (not replaying), stopping early once the execution has continued
   * as new with saveEvents at an event that `leavable(i)` says may stay in the inbox: the events
   * from there on are not carried over but left for the next execution's claims (specs/engine.md
   * §4b), so a carry-over never grows with the inbox backlog. Returns how many events were applied.
   */
  applyTurn(events: readonly HistoryEvent[], leavable: (index: number) => boolean): number {
    this.replaying = false;
    for (let i = 0; i < events.length; i++) {
      if (this.outcome?.status === 'CONTINUED_AS_NEW' && this.saveEvents && leavable(i)) return i;
      this.applyOne(events[i]!);
      this.appliedEvents += 1;
    }
    return events.length;
  }

  /** The actions decided since the last call (not yet in history), in sequence order; clears them. */
  takeActions(): OrchestratorAction[] {
    const actions = [...this.pending.values()].sort((a, b) => a.id - b.id);
    this.pending.clear();
    return actions;
  }

  /** Actions decided but not yet confirmed by history (without clearing them). */
  peekActions(): OrchestratorAction[] {
    return [...this.pending.values()].sort((a, b) => a.id - b.id);
  }

  // ── event handling ───────────────────────────────────────────────────────────────────────────

  private applyOne(e: HistoryEvent): void {
    switch (e.type) {
      case EventType.OrchestratorStarted:
        this.nowMs = e.timestamp;
        return;
      case EventType.OrchestratorCompleted:
      case EventType.GenericEvent:
        return;
      case EventType.ExecutionStarted:
        this.flags = new Set(e.flags ?? []);
        this.traceparent = e.traceparent;
        this.startedAtMs = e.timestamp;
        this.trace = executionTrace(e.instanceId, e.executionId, e.traceparent);
        this.start(e.name, e.instanceId, e.executionId, e.parent, fromPayload(e.input));
        return;
      case EventType.TaskScheduled:
        confirmAction(this, e.eventId, ActionType.ScheduleTask, e.type, e.name);
        return;
      case EventType.TimerCreated:
        confirmAction(this, e.eventId, ActionType.CreateTimer, e.type, undefined);
        return;
      case EventType.SubOrchestrationInstanceCreated:
        confirmAction(this, e.eventId, ActionType.CreateSubOrchestration, e.type, e.name);
        return;
      case EventType.EventSent:
        confirmAction(this, e.eventId, ActionType.SendEvent, e.type, e.name);
        return;
      case EventType.ExecutionCompleted:
      case EventType.ContinueAsNew:
        if (e.eventId > 0) confirmAction(this, e.eventId, ActionType.CompleteOrchestration, e.type, undefined);
        return;
      case EventType.ExecutionSuspended:
        if (!this.outcome) this.suspended = true;
        return;
      case EventType.ExecutionResumed: {
        this.suspended = false;
        const held = this.suspendedEvents.splice(0);
        for (const h of held) this.deliver(h);
        return;
      }
      case EventType.ExecutionTerminated:
        if (this.outcome) return;
        // A terminate from a parent reaches only that parent's own children (finding 3). The
        // worker already drops others; this keeps the rule if one is in history anyway.
        if (e.sender !== undefined && (e.sender.instanceId !== this.parent?.instanceId || e.sender.executionId !== this.parent.executionId)) return;
        this.outcome = { status: 'TERMINATED', result: e.input, recurse: e.recurse, actionId: -1 };
        if (e.tree === true) this.outcome.tree = true;
        // Pending actions of a terminated execution are never carried out: the children it was
        // about to create are not open (their creation never reaches history).
        for (const id of this.pending.keys()) this.open.delete(id);
        this.pending.clear();
        this.generator = undefined;
        return;
      case EventType.TaskCompleted:
      case EventType.TaskFailed:
      case EventType.TimerFired:
      case EventType.SubOrchestrationInstanceCompleted:
      case EventType.SubOrchestrationInstanceFailed:
      case EventType.EventRaised:
        // Suspension holds back what the code would observe; resume releases it in order.
        if (this.suspended) this.suspendedEvents.push(e);
        else this.deliver(e);
        return;
      default:
        assertNever(e, 'history event');
    }
  }

  /** Delivers a completion or an external event to the code. */
  private deliver(e: HistoryEvent): void {
    if (this.outcome) {
      // An external event that arrives in the same turn right after continueAsNew (saveEvents)
      // belongs to the next execution, like the ones buffered before it.
      if (e.type === EventType.EventRaised && this.outcome.status === 'CONTINUED_AS_NEW' && this.saveEvents) this.carry(e);
      return;
    }
    switch (e.type) {
      case EventType.TaskCompleted:
        this.completeOpen(e.taskScheduledId, 'activity', fromPayload(e.result));
        break;
      case EventType.TaskFailed:
        this.failOpen(e.taskScheduledId, 'activity', e.failure);
        break;
      case EventType.TimerFired:
        this.timerFired(e.timerId);
        break;
      case EventType.SubOrchestrationInstanceCompleted:
        this.completeOpen(e.taskScheduledId, 'sub', fromPayload(e.result));
        break;
      case EventType.SubOrchestrationInstanceFailed:
        this.failOpen(e.taskScheduledId, 'sub', e.failure);
        break;
      case EventType.EventRaised:
        this.events.deliver(e);
        break;
      default:
        return;
    }
    this.resume();
  }

  private start(name: string, instanceId: string, executionId: string, parent: ParentInstance | undefined, input: unknown): void {
    if (this.started) {
      throw new NonDeterminismError(`instance '${instanceId}': a second ExecutionStarted in one execution's history`);
    }
    this.started = true;
    this.name = name;
    this.instanceId = instanceId;
    this.executionId = executionId;
    this.parent = parent;
    let result: unknown;
    try {
      result = this.fn(this.ctx, input);
    } catch (err) {
      this.finish('FAILED', undefined, toFailureDetails(err));
      return;
    }
    if (isGenerator(result)) {
      this.generator = result;
      this.resume();
    } else if (result instanceof Promise) {
      void result.catch(() => undefined);
      this.finish('FAILED', undefined, {
        errorType: 'TypeError',
        code: 'ASYNC_ORCHESTRATION',
        message: `orchestration '${name}' returned a Promise: orchestrations must be generator functions (function*) that yield ctx tasks`,
      });
    } else {
      this.finishWithOutput(result);
    }
  }

  private completeOpen(id: number, kind: OpenKind, value: unknown): void {
    const o = this.open.get(id);
    // Unknown or mismatched completions are stale duplicates (at-least-once delivery): ignore them.
    if (!o || o.kind !== kind) return;
    this.open.delete(id);
    o.task.complete(value);
  }

  private failOpen(id: number, kind: OpenKind, failure: FailureDetails): void {
    const o = this.open.get(id);
    if (!o || o.kind !== kind) return;
    this.open.delete(id);
    const r = o.retry;
    if (r && !failure.nonRetryable) {
      const delay = nextRetryDelay(r.policy, r.attempt, this.nowMs, r.firstAttemptAt);
      if (delay !== undefined) {
        const fireAt = this.nowMs + delay;
        const timerId = this.addTimer(fireAt);
        this.open.set(timerId, { kind: 'timer', name: o.name, task: o.task, retry: r, fireAt });
        return;
      }
    }
    const what = kind === 'activity' ? `activity '${o.name}'` : `sub-orchestration '${o.name}'`;
    const attempts = r ? ` after ${r.attempt} attempt(s)` : '';
    o.task.fail(
      new TaskFailedError(`${what} (task #${r ? r.logicalTaskId : id}) failed${attempts}: ${failure.message}`, id, failure, kind === 'activity' ? 'TASK_FAILED' : 'SUB_ORCHESTRATION_FAILED'),
    );
  }

  private timerFired(timerId: number): void {
    const o = this.open.get(timerId);
    if (!o || o.kind !== 'timer') return;
    this.open.delete(timerId);
    if (o.retry) {
      o.retry.attempt += 1;
      o.retry.scheduleAttempt(o.retry.attempt);
      return;
    }
    o.task.complete(undefined);
  }

  /** Runs the code until it waits on an incomplete task or ends. */
  private resume(): void {
    const gen = this.generator;
    if (!gen || this.outcome) return;
    for (;;) {
      let step: IteratorResult<Task<any>, unknown>;
      const t = this.current;
      try {
        if (t === undefined) step = gen.next();
        else if (!t.isComplete) return;
        else if (t.isFailed) step = gen.throw(t.getException());
        else step = gen.next(t.getResult());
      } catch (err) {
        if (err instanceof NonDeterminismError) throw err;
        this.finish('FAILED', undefined, toFailureDetails(err));
        return;
      }
      if (this.outcome) return; // continueAsNew was called inside the step
      if (step.done) {
        this.finishWithOutput(step.value);
        return;
      }
      if (!(step.value instanceof Task)) {
        this.finish('FAILED', undefined, {
          errorType: 'TypeError',
          code: 'INVALID_YIELD',
          message: `orchestration '${this.name}' yielded ${describe(step.value)}: yield only tasks from ctx (callActivity, createTimer, whenAll …)`,
        });
        return;
      }
      this.current = step.value;
    }
  }

  private finishWithOutput(value: unknown): void {
    let text: string | undefined;
    try {
      text = value === undefined ? undefined : JSON.stringify(value);
      this.guardPayload(text, `output of orchestration '${this.name}'`);
    } catch (err) {
      this.finish('FAILED', undefined, toFailureDetails(err));
      return;
    }
    this.finish('COMPLETED', text, undefined);
  }

  /**
   * @internal Adds an event to the continue-as-new carry-over, within {@link CARRYOVER_LIMITS}.
   * Deterministic: the age is judged against the turn's history time.
   */
  carry(e: EventRaisedEvent): void {
    const list = this.outcome?.carryoverEvents;
    if (list) carryOver(list, e, this.nowMs, (dropped, why) => this.warnDropped(dropped, why));
  }

  private warnDropped(e: EventRaisedEvent, why: string): void {
    if (this.replaying || !this.logger) return;
    this.logger.warn(`continue-as-new of '${this.instanceId}' drops unconsumed event '${e.name}': ${why}`, { instanceId: this.instanceId, orchestration: this.name, eventName: e.name });
  }

  /** @internal Ends the execution (completed, failed or continued as new). */
  finish(status: CompleteOrchestrationAction['status'], result: string | undefined, failure: FailureDetails | undefined, carryover?: EventRaisedEvent[]): void {
    if (this.outcome) return;
    const id = ++this.seq;
    const action: CompleteOrchestrationAction = { type: ActionType.CompleteOrchestration, id, status };
    if (result !== undefined) action.result = result;
    if (failure !== undefined) action.failure = failure;
    // One list shared by the action and the outcome: events delivered later in the turn join it.
    const carried: EventRaisedEvent[] | undefined = carryover !== undefined ? [] : undefined;
    if (carried !== undefined) action.carryoverEvents = carried;
    this.pending.set(id, action);
    this.outcome = { status, actionId: id };
    if (result !== undefined) this.outcome.result = result;
    if (failure !== undefined) this.outcome.failure = failure;
    if (carried !== undefined) {
      this.outcome.carryoverEvents = carried;
      for (const e of carryover!) this.carry(e);
    }
    this.generator = undefined;
  }

  // ── scheduling (called from orchestration code through the context) ──────────────────────────

  /** @internal */
  addTimer(fireAt: number): number {
    const id = ++this.seq;
    this.pending.set(id, { type: ActionType.CreateTimer, id, fireAt });
    return id;
  }

  /** @internal */
  scheduleActivity(name: string, input: string | undefined, attempt: number, logicalTaskId: number | undefined, detached = false, traceparent?: string): number {
    const id = ++this.seq;
    const action: OrchestratorAction = { type: ActionType.ScheduleTask, id, name, attempt, logicalTaskId: logicalTaskId ?? id };
    if (input !== undefined) action.input = input;
    if (detached) action.detached = true;
    if (traceparent !== undefined) action.traceparent = traceparent;
    this.pending.set(id, action);
    return id;
  }

  /** @internal */
  scheduleSub(name: string, instanceId: string | undefined, input: string | undefined, traceparent?: string): { id: number; childId: string } {
    const id = ++this.seq;
    const childId = instanceId ?? `${this.instanceId}:${id.toString(16).padStart(4, '0')}`;
    const action: OrchestratorAction = { type: ActionType.CreateSubOrchestration, id, name, instanceId: childId };
    if (input !== undefined) action.input = input;
    if (traceparent !== undefined) action.traceparent = traceparent;
    this.pending.set(id, action);
    return { id, childId };
  }

}

function isGenerator(value: unknown): value is Generator<Task<any>, unknown, any> {
  return typeof value === 'object' && value !== null && typeof (value as Generator).next === 'function' && typeof (value as Generator).throw === 'function';
}

function describe(value: unknown): string {
  if (value instanceof Promise) return 'a Promise';
  if (value === null) return 'null';
  return typeof value === 'object' ? 'an object that is not a Task' : `a ${typeof value}`;
}
