/**
 * @module store/payload-omission
 * Claims without payloads on a cache hit (issue 10): a claimed instance that the caller's cache
 * already holds at the same execution and history length comes back without `input` / `output`
 * (ClaimOrchestrationsRequest.cached), and the turn that follows says `keepInput` / `keepOutput`
 * so the store leaves them as stored. Shared by the memory and SQLite backends; PostgreSQL does
 * the same inside its claim statement, so the bytes never leave the server.
 */

import type { ClaimOrchestrationsRequest, InstanceState, OrchestrationWorkItem, TurnCommit } from './types.js';

/** Whether `request.cached` holds `instanceId` at exactly this execution and history length. */
export function cacheHolds(request: ClaimOrchestrationsRequest, instanceId: string, executionId: string, historyLength: number): boolean {
  const entry = request.cached?.find((c) => c.instanceId === instanceId);
  return entry !== undefined && entry.executionId === executionId && entry.historyLength === historyLength;
}

/** `item` without its instance's payloads when the request's cache holds it (else unchanged). */
export function omitCachedPayloads(request: ClaimOrchestrationsRequest, item: OrchestrationWorkItem): OrchestrationWorkItem {
  const r = item.instance;
  if (request.cached === undefined || !cacheHolds(request, r.instanceId, r.executionId, r.historyLength)) return item;
  delete r.input;
  delete r.output;
  item.payloadsOmitted = true;
  return item;
}

/** The input and output a turn writes: its own, or the stored ones it keeps (TurnCommit.keepInput / keepOutput). */
export function payloadsToWrite(turn: TurnCommit, stored: { input?: string; output?: string }): Pick<InstanceState, 'input' | 'output'> {
  const out: Pick<InstanceState, 'input' | 'output'> = {};
  const input = turn.keepInput === true ? stored.input : turn.state.input;
  const output = turn.keepOutput === true ? stored.output : turn.state.output;
  if (input !== undefined) out.input = input;
  if (output !== undefined) out.output = output;
  return out;
}
