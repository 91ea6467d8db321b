/**
 * @module interpreter/span-ids
 * The span ids of a Serverless Workflow instance's states and actions, derived from the instance,
 * the execution and the timeline note that opens the span (never random): the interpreter names
 * an action's span when it schedules the call (its `traceparent` travels with the task), and the
 * tracer (host/tracing) names the same span from the same note, on every replay alike.
 */
import { deriveSpanId } from '../engine/trace-context.js';

/** The span of one attempt of an action (actionStarted `id` and `attempt`). */
export function actionSpanId(instanceId: string, executionId: string, noteId: number, attempt: number): string {
  return deriveSpanId(instanceId, executionId, 'action', noteId, attempt);
}

/** The span of one visit of a state: keyed by the stateEntered note's position in the execution. */
export function stateSpanId(instanceId: string, executionId: string, noteIndex: number): string {
  return deriveSpanId(instanceId, executionId, 'state', noteIndex);
}
