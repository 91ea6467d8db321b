/**
 * @module grpc/history-map
 * The engine's history events ⇄ the Durable Task protobuf `HistoryEvent`, and the app's
 * `OrchestratorAction`s → engine actions. The engine already speaks the Durable Task vocabulary, so
 * this is field renaming: payloads stay JSON text, ids stay the action ids (eventId = action id
 * for TaskScheduled/TimerCreated/SubOrchestrationInstanceCreated, -1 otherwise).
 */
import { status } from '@grpc/grpc-js';
import { assertNever } from '../errors.js';
import type { EventRaisedEvent, FailureDetails, HistoryEvent } from '../engine/history.js';
import { carryOver } from '../engine/replay/carryover.js';
import { executionTrace, remoteChildSpanId, remoteTaskSpanId, spanTraceParent, type ExecutionTrace } from '../engine/trace-context.js';
import type { OrchestratorAction } from '../engine/replay/actions.js';
import type { ExecutionOutcome } from '../engine/replay/runtime.js';
import { str, toFailure, toTimestamp, fromTimestamp } from './convert.js';
import type { OrchestrationStatusName, StringValue, TaskFailureDetails, Timestamp } from './proto.js';
import { GrpcRequestError } from './request-error.js';

type ProtoEvent = { eventId: number; timestamp: Timestamp } & Record<string, unknown>;

/**
 * The execution whose history is sent: its trace names the spans Swirl emits for the instance, its
 * activity tasks and its sub-orchestration calls (engine/trace-context.ts), which the events carry
 * to the app as Durable Task's trace fields.
 */
export interface SentExecution {
  instanceId: string;
  executionId: string;
  trace: ExecutionTrace;
}

/** The execution of a history (its ExecutionStarted: instance, execution, recorded traceparent); undefined without one. */
export function sentExecution(events: readonly HistoryEvent[]): SentExecution | undefined {
  const s = events.find((e) => e.type === 'ExecutionStarted');
  if (s?.type !== 'ExecutionStarted') return undefined;
  return { instanceId: s.instanceId, executionId: s.executionId, trace: executionTrace(s.instanceId, s.executionId, s.traceparent) };
}

function traceContext(x: SentExecution | undefined, spanId: (instanceId: string, executionId: string, id: number) => string, id: number): { traceParent: string } | undefined {
  return x ? { traceParent: spanTraceParent(x.trace, spanId(x.instanceId, x.executionId, id)) } : undefined;
}

/**
 * One engine event as a protobuf HistoryEvent; undefined for events not sent to apps
 * (OrchestratorCompleted). With `x` (the execution sent), TaskScheduled and SubOrchestrationInstanceCreated
 * carry their span as parentTraceContext and ExecutionStarted the instance span as
 * orchestrationSpanID (specs/observability.md "Remote workers").
 */
export function toProtoEvent(e: HistoryEvent, x?: SentExecution): ProtoEvent | undefined {
  const base = { eventId: e.eventId, timestamp: toTimestamp(e.timestamp) };
  switch (e.type) {
    case 'ExecutionStarted':
      return {
        ...base,
        executionStarted: {
          name: e.name,
          version: str(e.version),
          input: str(e.input),
          orchestrationInstance: { instanceId: e.instanceId, executionId: { value: e.executionId } },
          parentInstance: e.parent
            ? { taskScheduledId: e.parent.taskScheduledId, name: { value: e.parent.name }, orchestrationInstance: { instanceId: e.parent.instanceId, executionId: { value: e.parent.executionId } } }
            : undefined,
          scheduledStartTimestamp: e.scheduledStartTime !== undefined ? toTimestamp(e.scheduledStartTime) : undefined,
          // The start request's W3C trace context, for SDKs that trace (durabletask's field for it).
          parentTraceContext: e.traceparent !== undefined ? { traceParent: e.traceparent } : undefined,
          orchestrationSpanID: x && x.instanceId === e.instanceId && x.executionId === e.executionId ? { value: x.trace.spanId } : undefined,
        },
      };
    case 'ExecutionCompleted':
      return { ...base, executionCompleted: { orchestrationStatus: `ORCHESTRATION_STATUS_${e.status}`, result: str(e.result), failureDetails: e.failure ? toFailure(e.failure) : undefined } };
    case 'ExecutionTerminated':
      return { ...base, executionTerminated: { input: str(e.input), recurse: e.recurse } };
    case 'ExecutionSuspended':
      return { ...base, executionSuspended: { input: str(e.reason) } };
    case 'ExecutionResumed':
      return { ...base, executionResumed: { input: str(e.reason) } };
    case 'ContinueAsNew':
      return { ...base, continueAsNew: { input: str(e.input) } };
    case 'OrchestratorStarted':
      return { ...base, orchestratorStarted: {} };
    case 'OrchestratorCompleted':
      // Not sent: it only marks where a turn's events end, the JS SDKs' executors have no case for
      // it (each one logged "Unknown history event type: ORCHESTRATORCOMPLETED … skipping" on every
      // replay) and it was a fifth of a short history's events (specs/grpc.md).
      return undefined;
    case 'TaskScheduled':
      return { ...base, taskScheduled: { name: e.name, input: str(e.input), parentTraceContext: traceContext(x, remoteTaskSpanId, e.eventId) } };
    case 'TaskCompleted':
      return { ...base, taskCompleted: { taskScheduledId: e.taskScheduledId, result: str(e.result) } };
    case 'TaskFailed':
      return { ...base, taskFailed: { taskScheduledId: e.taskScheduledId, failureDetails: toFailure(e.failure) } };
    case 'TimerCreated':
      return { ...base, timerCreated: { fireAt: toTimestamp(e.fireAt) } };
    case 'TimerFired':
      return { ...base, timerFired: { fireAt: toTimestamp(e.fireAt), timerId: e.timerId } };
    case 'EventRaised':
      return { ...base, eventRaised: { name: e.name, input: str(e.input) } };
    case 'EventSent':
      return { ...base, eventSent: { instanceId: e.instanceId, name: e.name, input: str(e.input) } };
    case 'SubOrchestrationInstanceCreated':
      return { ...base, subOrchestrationInstanceCreated: { instanceId: e.instanceId, name: e.name, input: str(e.input), parentTraceContext: traceContext(x, remoteChildSpanId, e.eventId) } };
    case 'SubOrchestrationInstanceCompleted':
      return { ...base, subOrchestrationInstanceCompleted: { taskScheduledId: e.taskScheduledId, result: str(e.result) } };
    case 'SubOrchestrationInstanceFailed':
      return { ...base, subOrchestrationInstanceFailed: { taskScheduledId: e.taskScheduledId, failureDetails: toFailure(e.failure) } };
    case 'GenericEvent':
      return { ...base, genericEvent: { data: str(e.data) } };
    default:
      return assertNever(e, 'history event');
  }
}

export function toProtoEvents(events: readonly HistoryEvent[], x?: SentExecution): ProtoEvent[] {
  return events.map((e) => toProtoEvent(e, x)).filter((e): e is ProtoEvent => e !== undefined);
}

/** A TaskFailureDetails from the app as engine FailureDetails. */
export function fromProtoFailure(f: TaskFailureDetails | undefined, fallback: string): FailureDetails {
  const out: FailureDetails = { errorType: f?.errorType || 'Error', message: f?.errorMessage || fallback };
  if (f?.stackTrace?.value) out.stackTrace = f.stackTrace.value;
  if (f?.isNonRetriable) out.nonRetryable = true;
  if (f?.innerFailure) out.inner = fromProtoFailure(f.innerFailure, 'inner failure');
  return out;
}

interface ProtoAction {
  id?: number;
  orchestratorActionType?: string;
  scheduleTask?: { name?: string; input?: StringValue };
  createSubOrchestration?: { instanceId?: string; name?: string; input?: StringValue };
  createTimer?: { fireAt?: Timestamp };
  sendEvent?: { instance?: { instanceId?: string }; name?: string; data?: StringValue };
  completeOrchestration?: { orchestrationStatus?: OrchestrationStatusName; result?: StringValue; failureDetails?: TaskFailureDetails; carryoverEvents?: unknown[] };
  terminateOrchestration?: unknown;
}

/** What one CompleteOrchestratorTask decided, in engine terms. */
export interface DecodedTurn {
  actions: OrchestratorAction[];
  outcome?: ExecutionOutcome;
  /** Activity and orchestration names the app uses (learned for routing, specs/grpc.md). */
  activityNames: string[];
  orchestrationNames: string[];
}

const bad = (msg: string): never => {
  throw new GrpcRequestError(status.INVALID_ARGUMENT, `CompleteOrchestratorTask: ${msg}`);
};

/** The app's carryoverEvents (protobuf HistoryEvents; only eventRaised ones are meaningful) as engine events. */
function carriedEvents(list: readonly unknown[], where: string): EventRaisedEvent[] {
  const now = Date.now();
  const out: EventRaisedEvent[] = [];
  for (const [j, raw] of list.entries()) {
    const p = raw as { timestamp?: Timestamp; eventRaised?: { name?: string; input?: StringValue } };
    if (!p.eventRaised) bad(`${where}: carryoverEvents[${j}] is not an eventRaised event (only raised events are carried over)`);
    const name = p.eventRaised!.name || bad(`${where}: carryoverEvents[${j}] has no name`);
    const e: EventRaisedEvent = { type: 'EventRaised', eventId: -1, timestamp: fromTimestamp(p.timestamp) || now, name };
    const input = p.eventRaised!.input?.value;
    if (input !== undefined && input !== '') e.input = input;
    // Over the limits (CARRYOVER_LIMITS), the oldest are dropped, as for in-process orchestrations.
    carryOver(out, e, now, () => undefined);
  }
  return out;
}

/** The app's actions as engine actions; INVALID_ARGUMENT naming the action for what the engine cannot do. */
export function fromProtoActions(instanceId: string, list: readonly ProtoAction[]): DecodedTurn {
  const out: DecodedTurn = { actions: [], activityNames: [], orchestrationNames: [] };
  for (const [i, a] of list.entries()) {
    const id = a.id ?? 0;
    const where = `action ${i} (id ${id})`;
    switch (a.orchestratorActionType) {
      case 'scheduleTask': {
        const name = a.scheduleTask?.name || bad(`${where}: scheduleTask without a name`);
        out.activityNames.push(name);
        const act: OrchestratorAction = { type: 'ScheduleTask', id, name, attempt: 1, logicalTaskId: id };
        if (a.scheduleTask?.input?.value !== undefined) act.input = a.scheduleTask.input.value;
        out.actions.push(act);
        break;
      }
      case 'createSubOrchestration': {
        const c = a.createSubOrchestration ?? {};
        const name = c.name || bad(`${where}: createSubOrchestration without a name`);
        out.orchestrationNames.push(name);
        const act: OrchestratorAction = { type: 'CreateSubOrchestration', id, name, instanceId: c.instanceId || `${instanceId}:${id.toString(16).padStart(4, '0')}` };
        if (c.input?.value !== undefined) act.input = c.input.value;
        out.actions.push(act);
        break;
      }
      case 'createTimer': {
        const fireAt = fromTimestamp(a.createTimer?.fireAt) ?? bad(`${where}: createTimer without fireAt`);
        out.actions.push({ type: 'CreateTimer', id, fireAt });
        break;
      }
      case 'sendEvent': {
        const s = a.sendEvent ?? {};
        const target = s.instance?.instanceId || bad(`${where}: sendEvent without a target instance`);
        const act: OrchestratorAction = { type: 'SendEvent', id, instanceId: target, name: s.name || bad(`${where}: sendEvent without a name`) };
        if (s.data?.value !== undefined) act.input = s.data.value;
        out.actions.push(act);
        break;
      }
      case 'completeOrchestration': {
        const c = a.completeOrchestration ?? {};
        const result = c.result?.value;
        switch (c.orchestrationStatus) {
          case 'ORCHESTRATION_STATUS_COMPLETED':
          case 'ORCHESTRATION_STATUS_CONTINUED_AS_NEW':
          case 'ORCHESTRATION_STATUS_FAILED': {
            const st = c.orchestrationStatus === 'ORCHESTRATION_STATUS_COMPLETED' ? 'COMPLETED' : c.orchestrationStatus === 'ORCHESTRATION_STATUS_FAILED' ? 'FAILED' : 'CONTINUED_AS_NEW';
            const act: OrchestratorAction = { type: 'CompleteOrchestration', id, status: st };
            const outcome: ExecutionOutcome = { status: st, actionId: id };
            if (result !== undefined && result !== '') {
              act.result = result;
              outcome.result = result;
            }
            if (st === 'FAILED') {
              const failure = fromProtoFailure(c.failureDetails, 'the orchestration failed');
              act.failure = failure;
              outcome.failure = failure;
            }
            if (st === 'CONTINUED_AS_NEW') {
              // continueAsNew(input, saveEvents=true): the events the app received but did not
              // consume go to the new execution (within the engine's carry-over limits); events
              // that arrive while the app works on this turn join the same list (turn builder).
              act.carryoverEvents = carriedEvents(c.carryoverEvents ?? [], where);
              outcome.carryoverEvents = act.carryoverEvents;
            }
            out.actions.push(act);
            out.outcome = outcome;
            break;
          }
          case 'ORCHESTRATION_STATUS_TERMINATED':
            // The app acknowledges an ExecutionTerminated event: output = the termination input.
            out.outcome = { status: 'TERMINATED', actionId: -1, recurse: true, ...(result !== undefined && result !== '' ? { result } : {}) };
            break;
          default:
            bad(`${where}: completeOrchestration with status ${String(c.orchestrationStatus)}`);
        }
        break;
      }
      case 'terminateOrchestration':
        bad(`${where}: terminateOrchestration is not supported (terminate through the client API)`);
        break;
      default:
        bad(`${where}: unknown action type ${String(a.orchestratorActionType)}`);
    }
  }
  return out;
}
