/**
 * @module engine/turn-commit
 * Committing a turn under its claim: with the claim's lease and epoch read at commit time
 * (fencing: a stale claim's commit is refused; a turn that adopted a newer claim of its instance
 * while it ran commits under that one, and a refused commit goes again under the adopted lease),
 * and the pre-leased task hand-off — a turn's new activity tasks committed already leased to the
 * local activity worker, handed over once the turn's bookkeeping is done.
 */

import { StoreErrorCode, type CommittedTurn, type CreatedInstance, type CreateInstanceRequest, type OrchestrationWorkItem, type TurnCommit } from '../store/types.js';
import { asWriteError } from './store-errors.js';
import type { OrchestrationWorkerContext } from './worker-context.js';

/** Thrown in a fused start's turn where it cannot go on without a stored instance (fused-start.ts): nothing written. */
export class FusedStartDeclined extends Error {
  constructor(readonly reason: string) {
    super(`the first turn cannot be committed with the create: ${reason}`);
    this.name = 'FusedStartDeclined';
  }
}

/** The create of a fused start (fused-start.ts), whose first turn commits with it. */
export interface FusedCreate {
  request: CreateInstanceRequest;
  /** Set once the create with the turn was sent to the store: from then on its errors are the start's. */
  sent: boolean;
  /** What the store answered. */
  result?: CreatedInstance;
}

/**
 * The first turn of a fused start, committed by the create that carries it (store feature
 * `fusedStart`). The start message was never inserted, so the turn consumes none. A create that
 * IGNORE turned down wrote nothing of the turn: FusedStartDeclined, so the turn's bookkeeping
 * (cache, waiters) does not run.
 */
async function commitWithCreate(ctx: OrchestrationWorkerContext, item: OrchestrationWorkItem, commit: TurnCommit, fused: FusedCreate): Promise<CommittedTurn | undefined> {
  commit.consumedMessageIds = [];
  fused.sent = true;
  const result = await ctx.store.createInstance({ ...fused.request, firstTurn: commit });
  fused.result = result;
  if (!result.created) throw new FusedStartDeclined('the id exists and the reuse policy kept it');
  if (ctx.active.get(item.instance.instanceId) === item) ctx.active.delete(item.instance.instanceId);
  const end = ctx.turnEnds.get(item);
  if (end !== undefined) end.landedUnder = commit.leaseId;
  return result.committed;
}

/**
 * Commits a turn under the claim's lease and epoch (fencing: a stale claim's commit is refused),
 * read now: the turn may have adopted a newer claim of its instance while it ran.
 */
export async function commitUnderClaim(ctx: OrchestrationWorkerContext, item: OrchestrationWorkItem, commit: TurnCommit, fused?: FusedCreate): Promise<CommittedTurn | void> {
  if (fused !== undefined) return commitWithCreate(ctx, item, commit, fused);
  keepOmittedPayloads(item, commit);
  for (;;) {
    const lease = item.leaseId;
    commit.leaseId = lease;
    if (item.epoch !== undefined) commit.epoch = item.epoch;
    try {
      const result = await asWriteError(ctx.store.commitTurn(commit), 'commitTurn');
      // Committed: the lease is released, so a claim from now on is a new turn, not one to adopt.
      // One adopted already under another lease was made after this commit landed (it held the
      // row under `lease`) and only answered first: it is a new turn too (turn-runner.ts).
      if (ctx.active.get(item.instance.instanceId) === item) ctx.active.delete(item.instance.instanceId);
      const end = ctx.turnEnds.get(item);
      if (end !== undefined) end.landedUnder = lease;
      return result;
    } catch (e) {
      // Refused because this node's re-claim (adopted by this turn) landed while the commit was
      // on its way: a refused commit wrote nothing, so the same commit goes again under the
      // adopted lease (a claim-free one now as an ordinary commit under that claim). Any other
      // refusal stands.
      if ((e as { code?: string }).code !== StoreErrorCode.LEASE_LOST) throw e;
      // The refusal may have crossed this node's re-claim in the store before the claim's answer
      // got here (separate connections: PostgreSQL): let the claim land and be adopted first.
      if (item.leaseId === lease && ctx.claimInFlight !== undefined) await ctx.claimInFlight.catch(() => undefined);
      if (item.leaseId !== lease) {
        delete commit.claimless;
        continue;
      }
      throw e;
    }
  }
}

/**
 * Commits a turn with its tasks pre-leased to the local activity worker where it can take them;
 * returns how many it leased and `settle`, which hands them over (call it once, after the turn's
 * bookkeeping). Undefined when no task was pre-leased.
 */
export async function commitLeasing(
  ctx: OrchestrationWorkerContext,
  item: OrchestrationWorkItem,
  commit: TurnCommit,
  now: number,
  fused?: FusedCreate,
): Promise<{ count: number; settle: () => void } | undefined> {
  const reservation = commit.tasks.length > 0 ? ctx.hooks.reserveActivities?.(commit.tasks, now) : undefined;
  if (reservation === undefined) {
    await commitUnderClaim(ctx, item, commit, fused);
    return undefined;
  }
  commit.taskLease = reservation.lease;
  let result: CommittedTurn | void;
  try {
    result = await commitUnderClaim(ctx, item, commit, fused);
  } catch (e) {
    reservation.settle(undefined);
    throw e;
  }
  const leased = result?.leasedTasks ?? [];
  return { count: leased.length, settle: () => reservation.settle(leased) };
}

/**
 * A claim that left the instance's input and output out (OrchestrationWorkItem.payloadsOmitted:
 * the cache held the instance) gave the turn nothing to write back: the commit keeps the stored
 * ones — except what the turn sets itself. A new execution (continue-as-new: resetHistory) sets
 * its input and starts without output; a final turn (dropPendingWork) sets the output. Every
 * other turn leaves both as they were (turn.ts: only those two outcomes change them).
 */
export function keepOmittedPayloads(item: OrchestrationWorkItem, commit: TurnCommit): void {
  if (item.payloadsOmitted !== true || commit.resetHistory === true) return;
  commit.keepInput = true;
  if (commit.dropPendingWork !== true) commit.keepOutput = true;
}
