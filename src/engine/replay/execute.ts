/**
 * @module engine/replay/execute
 * The executor as one pure function (STYLE guideline 1): past history + new events → actions and
 * the execution's state. The worker uses the incremental {@link OrchestrationRuntime} directly (to
 * cache it between turns); this form is for tests, tools and the future gRPC executor.
 */

import type { HistoryEvent } from '../history.js';
import type { OrchestratorAction } from './actions.js';
import type { AnyOrchestrationFunction } from './context.js';
import { OrchestrationRuntime, type ExecutionOutcome, type RuntimeOptions } from './runtime.js';

/** What one execution step decided. */
export interface ExecuteResult {
  /** New actions, in sequence order (each becomes a history event with eventId = action id). */
  actions: OrchestratorAction[];
  /** Set when the execution ended in this step or before. */
  outcome: ExecutionOutcome | undefined;
  /** Payload text of the custom status. */
  customStatus: string | undefined;
  suspended: boolean;
}

/**
 * Replays `pastEvents` (ctx.isReplaying = true), then applies `newEvents`, and returns the actions
 * decided that history does not contain yet. Throws NonDeterminismError on a mismatch.
 */
export function execute(
  fn: AnyOrchestrationFunction,
  pastEvents: readonly HistoryEvent[],
  newEvents: readonly HistoryEvent[],
  options: Omit<RuntimeOptions, 'fn'> = {},
): ExecuteResult {
  const rt = new OrchestrationRuntime({ ...options, fn });
  rt.apply(pastEvents, true);
  rt.apply(newEvents, false);
  return { actions: rt.takeActions(), outcome: rt.outcome, customStatus: rt.customStatus, suspended: rt.suspended };
}
