/**
 * @module host/tracing/remote-steps
 * The finished steps of a remote orchestration (code in an app connected over the Durable Task
 * gRPC stream, engine/remote.ts), read from the history its committed turns record: the
 * instance, each activity task (TaskScheduled → TaskCompleted/TaskFailed) and each
 * sub-orchestration call (SubOrchestrationInstanceCreated → …Completed/…Failed). There are no
 * states: tasks and calls hang under the instance span. A step is finished by the committed turn
 * that recorded its end, so it is reported once (a turn whose commit failed reported nothing; a
 * replay sends the app history, not the observer). Span ids come from engine/trace-context.ts, the
 * same ids the app receives in the events' parentTraceContext.
 */
import { EventType, type HistoryEvent } from '../../engine/history.js';
import type { RemoteTurnObservation } from '../../engine/observer.js';
import { remoteChildSpanId, remoteTaskSpanId } from '../../engine/trace-context.js';
import { RuntimeStatus } from '../../store/types.js';
import { base, instanceStep, type FinishedStep } from './step-tracker.js';

const ENDED: ReadonlySet<RuntimeStatus> = new Set([RuntimeStatus.COMPLETED, RuntimeStatus.FAILED, RuntimeStatus.TERMINATED, RuntimeStatus.CONTINUED_AS_NEW]);

type Opened = Extract<HistoryEvent, { type: 'TaskScheduled' | 'SubOrchestrationInstanceCreated' }>;

/** The steps a committed turn of a remote orchestration finished. */
export function remoteSteps(o: RemoteTurnObservation): FinishedStep[] {
  const opened = new Map<number, Opened>();
  const closed = new Set<number>();
  const out: FinishedStep[] = [];
  const open = (e: HistoryEvent): void => {
    if (e.type === EventType.TaskScheduled || e.type === EventType.SubOrchestrationInstanceCreated) opened.set(e.eventId, e);
  };
  for (const e of o.past) {
    open(e);
    if (e.type === EventType.TaskCompleted || e.type === EventType.TaskFailed || e.type === EventType.SubOrchestrationInstanceCompleted || e.type === EventType.SubOrchestrationInstanceFailed) closed.add(e.taskScheduledId);
  }
  for (const e of o.history) {
    open(e);
    switch (e.type) {
      case EventType.TaskCompleted:
      case EventType.SubOrchestrationInstanceCompleted:
      case EventType.TaskFailed:
      case EventType.SubOrchestrationInstanceFailed: {
        const s = opened.get(e.taskScheduledId);
        if (!s || closed.has(e.taskScheduledId)) break;
        closed.add(e.taskScheduledId);
        const failed = e.type === EventType.TaskFailed || e.type === EventType.SubOrchestrationInstanceFailed;
        out.push(step(o, s, e.timestamp, failed ? `[${e.failure.errorType}] ${e.failure.message}` : undefined));
        break;
      }
      default:
        break;
    }
  }
  if (ENDED.has(o.status)) {
    // Work still open when the execution ends (a terminate, a failure) ends with it.
    const why = o.status === RuntimeStatus.FAILED ? (o.failure?.message ?? 'failed') : undefined;
    for (const [id, s] of opened) if (!closed.has(id)) out.push(step(o, s, o.turnTimeMs, why));
    out.push(instanceStep(o, { 'swirl.remote': true }));
  }
  return out;
}

function step(o: RemoteTurnObservation, s: Opened, endMs: number, error: string | undefined): FinishedStep {
  const task = s.type === EventType.TaskScheduled;
  return {
    kind: task ? 'activity' : 'suborchestration',
    name: `${task ? 'activity' : 'suborchestration'} ${s.name}`,
    traceId: o.trace.traceId,
    spanId: (task ? remoteTaskSpanId : remoteChildSpanId)(o.instanceId, o.executionId, s.eventId),
    parentSpanId: o.trace.spanId,
    parentRemote: false,
    sampled: o.trace.sampled,
    startMs: s.timestamp,
    endMs,
    outcome: error === undefined ? 'ok' : 'error',
    ...(error !== undefined ? { errorMessage: error } : {}),
    workflow: o.name,
    instanceId: o.instanceId,
    attributes: {
      ...base(o),
      'swirl.task.id': s.eventId,
      ...(task ? { 'swirl.activity.name': s.name } : { 'swirl.subflow.id': s.name, 'swirl.subflow.instance.id': s.instanceId }),
    },
  };
}

