/**
 * @module host/turn-observers
 * What the host does with the engine's observations: committed turns become finished steps (state
 * durations for the metrics, spans when tracing), remote orchestrations' turns become their spans,
 * and an action whose function threw is logged with where it ran.
 */
import type { Logger } from '../engine/logger.js';
import type { RemoteTurnObservation, TurnObservation } from '../engine/observer.js';
import { parseTraceParent } from '../engine/trace-context.js';
import type { ActivityExecution } from './latency.js';
import type { HostMetricsRegistry } from './metrics-registry.js';
import { isInternal } from './public-client.js';
import type { StepTracer } from './tracing/otel-tracer.js';
import { remoteSteps } from './tracing/remote-steps.js';
import { StepTracker } from './tracing/step-tracker.js';

/** The trace id of an activity's traceparent (the action's span), if any. */
function traceIdOf(traceparent: string | undefined): string | undefined {
  return parseTraceParent(traceparent)?.traceId;
}

/** The turn observer that finishes steps (state durations for the metrics, spans when tracing). */
export function stepObserver(prometheus: HostMetricsRegistry, tracer: StepTracer | undefined): (o: TurnObservation) => void {
  // Without a tracer the steps only time states for the metrics: no spans to build.
  const tracker = new StepTracker({ spans: tracer !== undefined });
  return (o) => {
    // Swirl's own instances (held-event mailboxes) are not user workflows: no spans, no metrics.
    if (isInternal(o.name)) return;
    for (const step of tracker.turn(o)) {
      prometheus.step(step);
      tracer?.emit(step);
    }
  };
}

/** The turn observer of remote orchestrations: their instance, activity and sub-orchestration spans. */
export function remoteStepObserver(tracer: StepTracer): (o: RemoteTurnObservation) => void {
  return (o) => {
    if (isInternal(o.name)) return;
    for (const step of remoteSteps(o)) tracer.emit(step);
  };
}

/**
 * An action's function call that threw, logged with where it ran (a retried attempt is not yet
 * a failure of the instance; an instance that fails logs its own warn line).
 */
export function logActionFailure(logger: Logger, e: ActivityExecution): void {
  const call = e.input as { workflow?: unknown; state?: unknown; function?: unknown } | undefined;
  const err = e.error as { code?: unknown; message?: unknown } | undefined;
  const message = typeof err?.message === 'string' ? err.message : String(e.error);
  logger.info(`activity '${e.name}' of '${e.ctx.instanceId}' failed (attempt ${e.ctx.attempt}): ${message}`, {
    event: 'action.failed',
    instanceId: e.ctx.instanceId,
    ...(typeof call?.workflow === 'string' ? { name: call.workflow } : {}),
    ...(typeof call?.state === 'string' ? { state: call.state } : {}),
    ...(typeof call?.function === 'string' ? { function: call.function } : {}),
    activity: e.name,
    attempt: e.ctx.attempt,
    ...(traceIdOf(e.ctx.traceparent) !== undefined ? { traceId: traceIdOf(e.ctx.traceparent) } : {}),
    durationMs: Math.round(e.seconds * 1000),
    error: { ...(typeof err?.code === 'string' ? { code: err.code } : {}), message },
  });
}
