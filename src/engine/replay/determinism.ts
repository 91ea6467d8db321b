/**
 * @module engine/replay/determinism
 * The determinism check of replay: every history event that records an action must meet, at the
 * same sequence id, the action the code decides now — same type, same name. A mismatch means the
 * code or definition changed under a running instance (NonDeterminismError, never retried).
 */

import { NonDeterminismError } from '../../errors.js';
import type { ActionType, OrchestratorAction } from './actions.js';

/** What the check needs of the execution: its decided actions and how to name it. */
export interface DecidedActions {
  readonly name: string;
  readonly instanceId: string;
  /** Last sequence id handed out. */
  readonly seq: number;
  /** Actions decided and not yet confirmed by history, by sequence id. */
  readonly pending: Map<number, OrchestratorAction>;
}

/** Matches a history event (`eventType` #`id`, `name`) against the action decided at `id`, and confirms it. */
export function confirmAction(rt: DecidedActions, id: number, expected: ActionType, eventType: string, name: string | undefined): void {
  const action = rt.pending.get(id);
  const found = `${eventType} #${id}${name !== undefined ? ` '${name}'` : ''}`;
  if (!action) {
    throw new NonDeterminismError(
      `orchestration '${rt.name}' (instance '${rt.instanceId}'): history has ${found}, but the code did not schedule anything with id ${id}` +
        ` (it scheduled ${rt.seq} action(s) so far). The orchestration code or definition probably changed while this instance was running.`,
    );
  }
  const actionName = 'name' in action ? action.name : undefined;
  if (action.type !== expected || (name !== undefined && actionName !== name)) {
    throw new NonDeterminismError(
      `orchestration '${rt.name}' (instance '${rt.instanceId}'): history has ${found}, but the code now does ` +
        `${action.type} #${id}${actionName !== undefined ? ` '${actionName}'` : ''}. ` +
        'The orchestration code or definition probably changed while this instance was running.',
    );
  }
  rt.pending.delete(id);
}
