/**
 * @module engine/poison-turn
 * Poison turns: a turn that throws again and again on this node for a reason that is not the
 * store's (a corrupt message, an engine bug) ends its instance FAILED (code TURN_FAILED) instead
 * of being retried forever. Counted here per instance, not from the messages' dequeueCount: that
 * also grows with store faults and lease takeovers, which must never fail an instance.
 */

import { RuntimeStatus, type OrchestrationWorkItem } from '../store/types.js';
import { EngineErrorCode } from './error-codes.js';
import { EventType, type FailureDetails, type HistoryEvent } from './history.js';
import { fromHistoryRecord, toHistoryRecord } from './messages.js';
import { logFailed } from './outcome-log.js';
import { commitUnderClaim } from './turn-commit.js';
import { consumeOnly, parentNotice } from './turn.js';
import type { OrchestrationWorkerContext } from './worker-context.js';

/**
 * A turn that throws this many times in a row on this node for a reason that is not the store's
 * (a corrupt message, an engine bug) fails its instance. Counted here, not from the messages'
 * dequeueCount: that also grows with store faults and lease takeovers, which must never fail an
 * instance.
 */
export const POISON_TURN_ATTEMPTS = 5;

/** Most instances whose failed turns are counted at once (oldest forgotten first). */
const MAX_TRACKED_FAILURES = 10_000;

/** Counts one more non-store failure of `instanceId`'s turn; returns the consecutive count. */
export function countFailure(failures: Map<string, number>, instanceId: string): number {
  const n = (failures.get(instanceId) ?? 0) + 1;
  failures.delete(instanceId); // re-insert: the Map's order is the eviction order
  failures.set(instanceId, n);
  if (failures.size > MAX_TRACKED_FAILURES) failures.delete(failures.keys().next().value as string);
  return n;
}

/** Commits FAILED (code TURN_FAILED) for an instance whose turn keeps throwing. True if committed. */
export async function failPoisoned(ctx: OrchestrationWorkerContext, item: OrchestrationWorkItem, error: unknown): Promise<boolean> {
  const { instance } = item;
  const now = ctx.opts.clock.now();
  const failure: FailureDetails = {
    errorType: 'SwirlError',
    code: EngineErrorCode.TURN_FAILED,
    message: `instance '${instance.instanceId}' failed ${POISON_TURN_ATTEMPTS} turns in a row: ${(error as Error)?.message ?? String(error)}`,
  };
  const commit = consumeOnly(instance, item.leaseId, item.messages.map((m) => m.id));
  const events: HistoryEvent[] = [
    { type: EventType.OrchestratorStarted, eventId: -1, timestamp: now },
    { type: EventType.ExecutionCompleted, eventId: -1, timestamp: now, status: RuntimeStatus.FAILED, failure },
    { type: EventType.OrchestratorCompleted, eventId: -1, timestamp: now },
  ];
  commit.history = events.map((ev, i) => toHistoryRecord(ev, commit.firstSeq + i));
  commit.state = { ...commit.state, status: RuntimeStatus.FAILED, lastUpdatedAt: now, completedAt: now, failure: JSON.stringify(failure) };
  commit.dropPendingWork = true;
  try {
    // Tell the parent, as any ending would (its ExecutionStarted is the first history event).
    const first = instance.historyLength > 0 ? (await ctx.store.loadHistory(instance.instanceId))[0] : undefined;
    const started = first ? fromHistoryRecord(first) : undefined;
    if (started?.type === EventType.ExecutionStarted && started.parent) {
      commit.messages.push(parentNotice(started.parent, { status: 'FAILED', failure, actionId: -1 }, instance.instanceId, now));
    }
    await commitUnderClaim(ctx, item, commit);
  } catch {
    return false;
  }
  logFailed(ctx.opts, instance, failure);
  ctx.hooks.committed(instance.instanceId, RuntimeStatus.FAILED);
  return true;
}
