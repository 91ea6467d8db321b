/**
 * @module engine/turn
 * Turns the result of one orchestration step into the store's TurnCommit: the history to append
 * (new events, one event per action, OrchestratorCompleted), the activity tasks, timers, messages
 * to other instances, sub-orchestration starts and the instance's new status — all committed in
 * one transaction. Side-effect free; the worker does the I/O.
 */

import { randomUUID } from 'node:crypto';
import { assertNever } from '../errors.js';
import { RuntimeStatus, type InstanceRecord, type InstanceState, type NewActivityTask, type NewMessage, type TurnCommit, type TurnNewInstance } from '../store/types.js';
import { ENGINE_VERSION, EventType, type FailureDetails, type HistoryEvent, type ParentInstance } from './history.js';
import { CURRENT_FLAGS } from './flags.js';
import { EngineErrorCode } from './error-codes.js';
import { ENGINE_DEFAULTS } from './options.js';
import { encodeMessage, newMessage, toHistoryRecord, type ActivityTaskData } from './messages.js';
import type { OrchestratorAction } from './replay/actions.js';
import type { ExecutionOutcome } from './replay/runtime.js';

/** Registration facts the turn copies into a child's ExecutionStarted. */
export type DescribeOrchestration = (name: string) => { version?: string; definitionHash?: string } | undefined;

/** Everything a turn decided, as the worker hands it over. */
export interface TurnInput {
  instance: InstanceRecord;
  leaseId: string;
  now: number;
  /** The events this turn applied: OrchestratorStarted followed by the inbox events. */
  newEvents: HistoryEvent[];
  consumedMessageIds: number[];
  /** The actions the code decided this turn (in sequence order). */
  actions: OrchestratorAction[];
  /** How the execution ended, if it did. */
  outcome: ExecutionOutcome | undefined;
  customStatus: string | undefined;
  suspended: boolean;
  /** The execution's parent (from ExecutionStarted), if a sub-orchestration. */
  parent: ParentInstance | undefined;
  /** Running children (for recursive terminate). */
  openChildren: string[];
  describe: DescribeOrchestration;
  /** Fan-out bounds (engine options). @default the ENGINE_DEFAULTS values */
  limits?: FanoutLimits;
  /** The execution's recorded `traceparent` (ExecutionStarted): a continue-as-new keeps its trace. */
  traceparent?: string;
}

/** The engine options that bound a tree of sub-orchestrations (specs/limits.md "Fan-out"). */
export interface FanoutLimits {
  maxSubOrchestrationDepth: number;
  maxInstancesPerRoot: number;
}

/** The commit plus what the worker needs to know about it afterwards. */
export interface BuiltTurn {
  commit: TurnCommit;
  /** The instance's status after the commit. */
  status: RuntimeStatus;
  /** The events of `commit.history`, as objects (the turn's new events, then one per action, then OrchestratorCompleted). */
  events: HistoryEvent[];
}

function message(instanceId: string, executionId: string | undefined, event: HistoryEvent, visibleAt: number): NewMessage {
  return newMessage(instanceId, executionId === undefined ? { event } : { executionId, event }, visibleAt);
}

/** Builds a child's ExecutionStarted message (also used by the client's start). */
export function executionStarted(params: {
  instanceId: string;
  executionId: string;
  name: string;
  input: string | undefined;
  timestamp: number;
  parent?: ParentInstance;
  scheduledStartTime?: number;
  version?: string;
  definitionHash?: string;
  traceparent?: string;
}): HistoryEvent {
  const e: HistoryEvent = {
    type: EventType.ExecutionStarted,
    eventId: -1,
    timestamp: params.timestamp,
    name: params.name,
    instanceId: params.instanceId,
    executionId: params.executionId,
    engineVersion: ENGINE_VERSION,
    flags: [...CURRENT_FLAGS],
  };
  if (params.input !== undefined) e.input = params.input;
  if (params.parent !== undefined) e.parent = params.parent;
  if (params.scheduledStartTime !== undefined) e.scheduledStartTime = params.scheduledStartTime;
  if (params.version !== undefined) e.version = params.version;
  if (params.definitionHash !== undefined) e.definitionHash = params.definitionHash;
  if (params.traceparent !== undefined) e.traceparent = params.traceparent;
  return e;
}

/** Builds the TurnCommit of one turn. */
export function buildTurn(t: TurnInput): BuiltTurn {
  const { instance, now } = t;
  const limits = t.limits ?? ENGINE_DEFAULTS;
  const self = instance.instanceId;
  const exec = instance.executionId;
  const history: HistoryEvent[] = [...t.newEvents];
  const commit: TurnCommit = {
    instanceId: self,
    leaseId: t.leaseId,
    firstSeq: instance.historyLength,
    history: [],
    state: baseState(instance, now),
    consumedMessageIds: t.consumedMessageIds,
    tasks: [],
    messages: [],
    newInstances: [],
  };
  if (t.customStatus !== undefined) commit.state.customStatus = t.customStatus;
  else delete commit.state.customStatus;

  // A terminated execution carries out none of its pending actions.
  const actions = t.outcome?.status === 'TERMINATED' ? [] : t.actions;
  for (const a of actions) {
    switch (a.type) {
      case 'ScheduleTask': {
        const e: HistoryEvent = { type: EventType.TaskScheduled, eventId: a.id, timestamp: now, name: a.name, attempt: a.attempt, logicalTaskId: a.logicalTaskId };
        if (a.input !== undefined) e.input = a.input;
        if (a.detached === true) e.detached = true;
        history.push(e);
        const data: ActivityTaskData = { name: a.name, attempt: a.attempt, logicalTaskId: a.logicalTaskId };
        if (a.input !== undefined) data.input = a.input;
        if (a.traceparent !== undefined) data.traceparent = a.traceparent;
        const task: NewActivityTask = { instanceId: self, executionId: exec, taskId: a.id, name: a.name, data: JSON.stringify(data), visibleAt: now };
        if (a.detached === true) {
          data.detached = true;
          task.data = JSON.stringify(data);
          task.detached = true;
        }
        commit.tasks.push(task);
        break;
      }
      case 'CreateTimer':
        history.push({ type: EventType.TimerCreated, eventId: a.id, timestamp: now, fireAt: a.fireAt });
        commit.messages.push(message(self, exec, { type: EventType.TimerFired, eventId: -1, timestamp: a.fireAt, timerId: a.id, fireAt: a.fireAt }, a.fireAt));
        break;
      case 'CreateSubOrchestration': {
        const e: HistoryEvent = { type: EventType.SubOrchestrationInstanceCreated, eventId: a.id, timestamp: now, name: a.name, instanceId: a.instanceId };
        if (a.input !== undefined) e.input = a.input;
        history.push(e);
        const depth = depthOf(t.parent) + 1;
        if (depth > limits.maxSubOrchestrationDepth) {
          // Decided from history alone (the depth travels in ExecutionStarted.parent), and the
          // failure reaches the code as a recorded event: a replay sees the same outcome.
          commit.messages.push(childFailed(t, a.id, EngineErrorCode.SUBFLOW_DEPTH_LIMIT,
            `sub-orchestration '${a.name}' (instance '${a.instanceId}') was not started: it would be at depth ${depth}, deeper than the limit maxSubOrchestrationDepth = ${limits.maxSubOrchestrationDepth}`));
          break;
        }
        commit.newInstances.push(childStart(t, a.id, a.name, a.instanceId, a.input, depth, limits.maxInstancesPerRoot, a.traceparent));
        break;
      }
      case 'SendEvent': {
        const e: HistoryEvent = { type: EventType.EventSent, eventId: a.id, timestamp: now, instanceId: a.instanceId, name: a.name };
        if (a.input !== undefined) e.input = a.input;
        history.push(e);
        const raised: HistoryEvent = { type: EventType.EventRaised, eventId: -1, timestamp: now, name: a.name };
        if (a.input !== undefined) raised.input = a.input;
        commit.messages.push(message(a.instanceId, undefined, raised, now));
        break;
      }
      case 'CompleteOrchestration':
        break; // handled through the outcome below
      default:
        assertNever(a, 'action');
    }
  }

  let status: RuntimeStatus = t.suspended ? RuntimeStatus.SUSPENDED : RuntimeStatus.RUNNING;
  const o = t.outcome;
  if (o) {
    switch (o.status) {
      case 'COMPLETED':
      case 'FAILED':
      case 'TERMINATED': {
        status = o.status;
        const e: HistoryEvent = { type: EventType.ExecutionCompleted, eventId: o.actionId, timestamp: now, status: o.status };
        if (o.result !== undefined) e.result = o.result;
        if (o.failure !== undefined) e.failure = o.failure;
        history.push(e);
        commit.state.completedAt = now;
        if (o.result !== undefined) commit.state.output = o.result;
        if (o.failure !== undefined) commit.state.failure = JSON.stringify(o.failure);
        commit.dropPendingWork = true;
        // Nothing created in a final turn may outlive the instance: no activity tasks, no timers,
        // no events to itself (the store discards them too, with dropPendingWork) — except
        // detached (fire-and-forget) tasks, which are meant to. The history still records the
        // actions, so a replay of the finished history matches the code.
        commit.tasks = commit.tasks.filter((task) => task.detached === true);
        commit.messages = commit.messages.filter((m) => m.instanceId !== self);
        if (o.status === 'TERMINATED' && o.recurse) {
          // The sender lets a child ignore it unless we really are its parent (finding 3).
          const sender = { instanceId: self, executionId: exec };
          for (const child of t.openChildren) {
            commit.messages.push(message(child, undefined, { type: EventType.ExecutionTerminated, eventId: -1, timestamp: now, recurse: true, reason: `parent '${self}' was terminated`, sender }, now));
          }
        }
        if (t.parent && o.status === 'TERMINATED' && o.tree === true) commit.messages.push(treeTerminate(t.parent.instanceId, t.parent.executionId, `its tree is being terminated (child '${self}' was)`, now));
        else if (t.parent) commit.messages.push(parentNotice(t.parent, o, self, now));
        break;
      }
      case 'CONTINUED_AS_NEW': {
        status = RuntimeStatus.CONTINUED_AS_NEW;
        // The new execution starts from an empty history with a fresh id; its ExecutionStarted
        // waits in the inbox for the next turn, with the carried-over events INSIDE it, so they
        // are applied before anything that arrived while this turn ran (per-name order, finding 6).
        // Tasks and timers belong to the ending execution: none are created now, and the store
        // deletes the ones queued earlier (dropWorkOf, finding 5). Sent events leave this turn,
        // including those sent to itself: they are instance-level and reach the new execution
        // (finding 4).
        const newExec = randomUUID();
        const reg = t.describe(instance.name);
        const start = executionStarted({ instanceId: self, executionId: newExec, name: instance.name, input: o.result, timestamp: now, parent: t.parent, ...reg, ...(t.traceparent !== undefined ? { traceparent: t.traceparent } : {}) });
        commit.resetHistory = true;
        commit.firstSeq = 0;
        commit.dropWorkOf = exec;
        history.length = 0;
        // The ending execution's work goes with it, except fire-and-forget tasks (detached).
        commit.tasks = commit.tasks.filter((task) => task.detached === true);
        commit.newInstances = [];
        commit.messages = commit.messages.filter((m) => !(m.instanceId === self && m.executionId !== undefined));
        const carried = o.carryoverEvents ?? [];
        commit.messages.push(newMessage(self, carried.length > 0 ? { executionId: newExec, event: start, carried } : { executionId: newExec, event: start }, now));
        commit.state.executionId = newExec;
        if (t.parent === undefined) commit.resetTreeCount = true;
        // The new execution runs the current definition of the name (not necessarily the one the
        // ending execution ran): continue-as-new is where a long-running instance upgrades.
        if (reg?.definitionHash !== undefined) commit.state.definitionHash = reg.definitionHash;
        else delete commit.state.definitionHash;
        if (reg?.version !== undefined) commit.state.definitionVersion = reg.version;
        else delete commit.state.definitionVersion;
        if (o.result !== undefined) commit.state.input = o.result;
        else delete commit.state.input;
        break;
      }
      default:
        assertNever(o.status, 'outcome');
    }
  }
  if (history.length > 0) history.push({ type: EventType.OrchestratorCompleted, eventId: -1, timestamp: now });
  commit.history = history.map((e, i) => toHistoryRecord(e, commit.firstSeq + i));
  commit.state.status = status;
  return { commit, status, events: history };
}

/** A commit that only consumes messages (for an instance that already ended), leaving it unchanged. */
export function consumeOnly(instance: InstanceRecord, leaseId: string, consumedMessageIds: number[]): TurnCommit {
  const state = baseState(instance, instance.lastUpdatedAt);
  return { instanceId: instance.instanceId, leaseId, firstSeq: instance.historyLength, history: [], state, consumedMessageIds, tasks: [], messages: [], newInstances: [] };
}

/**
 * The instance record as a committed turn leaves it: the turn's state over the columns no turn
 * changes (created, scheduled start, parent), what the store's getInstance then returns.
 */
export function committedRecord(before: InstanceRecord, commit: TurnCommit): InstanceRecord {
  const s = commit.state;
  const r: InstanceRecord = {
    instanceId: before.instanceId,
    executionId: s.executionId,
    name: s.name,
    status: s.status,
    createdAt: before.createdAt,
    lastUpdatedAt: s.lastUpdatedAt,
    historyLength: commit.firstSeq + commit.history.length,
  };
  if (s.completedAt !== undefined) r.completedAt = s.completedAt;
  if (before.scheduledStartAt !== undefined) r.scheduledStartAt = before.scheduledStartAt;
  if (s.input !== undefined) r.input = s.input;
  if (s.output !== undefined) r.output = s.output;
  if (s.customStatus !== undefined) r.customStatus = s.customStatus;
  if (s.failure !== undefined) r.failure = s.failure;
  if (before.parentInstanceId !== undefined) r.parentInstanceId = before.parentInstanceId;
  if (s.definitionHash !== undefined) r.definitionHash = s.definitionHash;
  if (s.definitionVersion !== undefined) r.definitionVersion = s.definitionVersion;
  return r;
}

/**
 * The record to cache after a turn (cache.ts CachedOrchestration.instance). After a claim that left
 * the input and output out (OrchestrationWorkItem.payloadsOmitted) the commit kept the stored ones
 * (TurnCommit.keepInput / keepOutput) and `before` lacks them, so they come from `previous`, the
 * record cached before the turn; without one nothing is cached and a claim-free turn reads the row
 * — a record without them would write them away.
 */
export function cacheableRecord(before: InstanceRecord, commit: TurnCommit, payloadsOmitted: boolean, previous: InstanceRecord | undefined): InstanceRecord | undefined {
  const r = committedRecord(before, commit);
  if (!payloadsOmitted) return r;
  if (previous === undefined || previous.executionId !== r.executionId) return undefined;
  if (commit.keepInput === true) {
    if (previous.input === undefined) delete r.input;
    else r.input = previous.input;
  }
  if (commit.keepOutput === true) {
    if (previous.output === undefined) delete r.output;
    else r.output = previous.output;
  }
  return r;
}

function baseState(instance: InstanceRecord, now: number): InstanceState {
  const s: InstanceState = { executionId: instance.executionId, name: instance.name, status: instance.status, lastUpdatedAt: now };
  if (instance.completedAt !== undefined) s.completedAt = instance.completedAt;
  if (instance.input !== undefined) s.input = instance.input;
  if (instance.output !== undefined) s.output = instance.output;
  if (instance.customStatus !== undefined) s.customStatus = instance.customStatus;
  if (instance.failure !== undefined) s.failure = instance.failure;
  if (instance.definitionHash !== undefined) s.definitionHash = instance.definitionHash;
  if (instance.definitionVersion !== undefined) s.definitionVersion = instance.definitionVersion;
  return s;
}

/** An instance's depth in its tree: 0 for a root; histories without a recorded depth count as 1. */
function depthOf(parent: ParentInstance | undefined): number {
  return parent === undefined ? 0 : (parent.depth ?? 1);
}

/** The root of an instance's tree (itself when it has no parent). */
function rootOf(self: string, parent: ParentInstance | undefined): string {
  return parent === undefined ? self : (parent.rootInstanceId ?? parent.instanceId);
}

/** A SubOrchestrationInstanceFailed for the turn's own task `taskId`, as a message to itself. */
function childFailed(t: TurnInput, taskId: number, code: string, text: string): NewMessage {
  const failure: FailureDetails = { errorType: 'SwirlError', code, message: text };
  return message(t.instance.instanceId, t.instance.executionId, { type: EventType.SubOrchestrationInstanceFailed, eventId: -1, timestamp: t.now, taskScheduledId: taskId, failure }, t.now);
}

function childStart(t: TurnInput, taskId: number, name: string, childId: string, input: string | undefined, depth: number, max: number, traceparent: string | undefined): TurnNewInstance {
  const { instance, now } = t;
  const childExec = randomUUID();
  const rootInstanceId = rootOf(instance.instanceId, t.parent);
  const parent: ParentInstance = { instanceId: instance.instanceId, executionId: instance.executionId, name: instance.name, taskScheduledId: taskId, rootInstanceId, depth };
  const reg = t.describe(name);
  const start = executionStarted({ instanceId: childId, executionId: childExec, name, input, timestamp: now, parent, ...reg, ...(traceparent !== undefined ? { traceparent } : {}) });
  const failure: FailureDetails = {
    errorType: 'SwirlError',
    code: 'INSTANCE_EXISTS',
    message: `cannot start sub-orchestration '${name}': an instance with id '${childId}' is already running`,
  };
  const req: TurnNewInstance = {
    instanceId: childId,
    executionId: childExec,
    name,
    createdAt: now,
    parentInstanceId: instance.instanceId,
    startMessage: { data: encodeMessage({ executionId: childExec, event: start }), visibleAt: now },
    onConflict: message(instance.instanceId, instance.executionId, { type: EventType.SubOrchestrationInstanceFailed, eventId: -1, timestamp: now, taskScheduledId: taskId, failure }, now),
  };
  req.tree = {
    rootInstanceId,
    maxInstances: max,
    onLimit: childFailed(t, taskId, EngineErrorCode.FANOUT_LIMIT,
      `sub-orchestration '${name}' (instance '${childId}') was not started: root instance '${rootInstanceId}' already has ${max} instances created under it, the limit maxInstancesPerRoot = ${max}`),
    // The tree is being terminated: the creator ends too (its own terminate may still be on its
    // way down the tree), so nothing in the tree keeps running or growing.
    onTerminating: treeTerminate(instance.instanceId, instance.executionId, `its tree (root '${rootInstanceId}') is being terminated`, now),
  };
  if (input !== undefined) req.input = input;
  if (reg?.definitionHash !== undefined) req.definitionHash = reg.definitionHash;
  if (reg?.version !== undefined) req.definitionVersion = reg.version;
  return req;
}

/**
 * A recursive ExecutionTerminated marked `tree`, for an instance of a tree being terminated: its
 * children are terminated by it, its parent in turn (see ExecutionTerminatedEvent.tree). Scoped to
 * the execution, so a reused id is never reached.
 */
function treeTerminate(instanceId: string, executionId: string, reason: string, now: number): NewMessage {
  return newMessage(instanceId, { executionId, event: { type: EventType.ExecutionTerminated, eventId: -1, timestamp: now, recurse: true, reason, tree: true } }, now);
}

/** The message that tells a parent how its child ended. */
export function parentNotice(parent: ParentInstance, o: ExecutionOutcome, self: string, now: number): NewMessage {
  if (o.status === 'COMPLETED') {
    const e: HistoryEvent = { type: EventType.SubOrchestrationInstanceCompleted, eventId: -1, timestamp: now, taskScheduledId: parent.taskScheduledId };
    if (o.result !== undefined) e.result = o.result;
    return message(parent.instanceId, parent.executionId, e, now);
  }
  const failure: FailureDetails =
    o.status === 'TERMINATED'
      ? { errorType: 'TerminatedError', code: 'TERMINATED', message: `sub-orchestration '${self}' was terminated` }
      : (o.failure ?? { errorType: 'Error', message: `sub-orchestration '${self}' failed` });
  return message(parent.instanceId, parent.executionId, { type: EventType.SubOrchestrationInstanceFailed, eventId: -1, timestamp: now, taskScheduledId: parent.taskScheduledId, failure }, now);
}
