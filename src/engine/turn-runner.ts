/**
 * @module engine/turn-runner
 * Running a claimed turn: the instance is marked active here, its lease renewed while the turn
 * runs (not for a claim-free turn: its commit is its claim), and whatever the turn throws handled
 * — a lost lease or history conflict discards the turn, a claim-free commit that was refused
 * tells its caller to claim, any other error releases the claim for a retry (and ends a poison
 * turn's instance). Lease adoption: a re-claim of an instance whose turn still runs here is not a
 * new turn; the running one adopts the new claim's lease and epoch — unless the running turn's
 * commit had landed under its own lease before the claim (the claim's answer merely came first):
 * then the claim is run as the next turn once the running one has ended.
 */

import { InfrastructureError } from '../errors.js';
import { StoreErrorCode, type OrchestrationWorkItem } from '../store/types.js';
import type { InlineCompletion } from './inline-completion.js';
import { LeaseKeeper } from './lease-keeper.js';
import { runLocalTurn } from './local-turn.js';
import { LogEvent } from './logger.js';
import { notifyObserver } from './observer.js';
import { countFailure, failPoisoned, POISON_TURN_ATTEMPTS } from './poison-turn.js';
import type { OrchestrationWorkerContext, TurnEnd } from './worker-context.js';

/**
 * A claim of an instance whose turn runs here: the running turn takes over the claim's lease and
 * epoch (renewals and its commit use them). True if there was such a turn.
 */
export function adoptClaim(ctx: OrchestrationWorkerContext, item: OrchestrationWorkItem): boolean {
  const running = ctx.active.get(item.instance.instanceId);
  if (running === undefined || running === item) return false;
  running.leaseId = item.leaseId;
  running.epoch = item.epoch;
  return true;
}

/** One turn of one instance; never throws (errors are logged and the lease released). True if it committed. */
export async function runTurn(ctx: OrchestrationWorkerContext, item: OrchestrationWorkItem, inline?: InlineCompletion): Promise<boolean> {
  const id = item.instance.instanceId;
  const running = ctx.active.get(id);
  if (adoptClaim(ctx, item)) {
    // Our own earlier lease expired while its turn still runs and this node claimed the instance
    // again: the running turn adopts the new lease (renewals and its commit use it). Abandoning
    // the claim instead made it claimable at once — a claim/abandon spin — and left the running
    // turn's commit to fail LEASE_LOST.
    // Or the running turn's commit landed (releasing the lease) and a message already in the
    // inbox made the instance claimable at once; this claim was made after it but answered
    // before it (separate connections: PostgreSQL). No commit uses such a claim: unless this turn
    // runs it, it holds the instance, and its claimed messages, until its lease expires.
    // Only the latest claim adopted can be such a one: an earlier one was superseded by a later
    // claim (its lease had expired), which the running turn adopted in its turn.
    const runningEnd = running === undefined ? undefined : ctx.turnEnds.get(running);
    if (runningEnd !== undefined) await runningEnd.done;
    if (runningEnd?.landedUnder === undefined || runningEnd.landedUnder === item.leaseId || running?.leaseId !== item.leaseId) {
      ctx.opts.logger.warn(`instance '${id}' was claimed again while its turn runs here: the turn adopts the new lease`, { event: LogEvent.turnLeaseAdopted, instanceId: id });
      return false;
    }
    ctx.opts.logger.debug(`instance '${id}' was claimed again right after its turn committed (the claim answered first): the claim runs as the next turn`, {
      event: LogEvent.turnClaimAfterCommit,
      instanceId: id,
    });
  }
  let ended!: () => void;
  const end: TurnEnd = { done: new Promise<void>((r) => (ended = r)) };
  ctx.turnEnds.set(item, end);
  ctx.active.set(id, item);
  // A turn may outlast the lease (a slow replay of a long history, a slow disk): keep renewing it
  // so no other worker takes the instance over and replays it again meanwhile. A claim-free turn
  // holds no lease (its commit is its claim).
  const keeper = new LeaseKeeper(
    () => ctx.store.renewOrchestrationLease(id, item.leaseId, ctx.opts.clock.now(), ctx.opts.leaseMs),
    LeaseKeeper.intervalFor(ctx.opts.leaseMs),
    (e, lost) =>
      ctx.opts.logger[lost ? 'warn' : 'debug'](`renewing the lease of '${id}' failed: ${(e as Error).message}`, { event: LogEvent.leaseRenewFailed, instanceId: id }),
    () => item.leaseId,
  );
  if (inline?.claimless === undefined) keeper.start();
  const claimFreeLease = inline?.claimless === undefined ? undefined : item.leaseId;
  try {
    const committed = await runLocalTurn(ctx, item, inline);
    ctx.failures.delete(id);
    return committed;
  } catch (e) {
    keeper.stop();
    ctx.cache.delete(id);
    const code = (e as { code?: string }).code;
    if (inline !== undefined && claimFreeLease !== undefined && claimFreeLease === item.leaseId && (code === StoreErrorCode.LEASE_LOST || code === StoreErrorCode.HISTORY_CONFLICT)) {
      // The claim-free commit was refused (nothing written, no lease taken): the caller claims.
      inline.conflict = true;
      return false;
    }
    if (code === StoreErrorCode.LEASE_LOST || code === StoreErrorCode.HISTORY_CONFLICT) {
      ctx.opts.logger.warn(`turn of '${id}' discarded: ${(e as Error).message}`, { event: LogEvent.leaseLost, instanceId: id });
      notifyObserver(ctx.opts.observer, 'leaseLost', { instanceId: id, name: item.instance.name });
      // HISTORY_CONFLICT is checked after the lease, so the lease is still ours: release it now
      // rather than sit on it for leaseMs. With an inline completion the lost lease may be the
      // task's, not ours; and a lease adopted after the commit was sent is ours as well: release
      // it. (Under a lease another node holds now, the abandon fails harmlessly.)
      await ctx.store.abandonOrchestration(id, item.leaseId).catch(() => undefined);
    } else {
      ctx.opts.logger.error(`turn of '${id}' failed: ${(e as Error).message}`, { event: LogEvent.turnFailed, instanceId: id, error: String(e) });
      if (!(e instanceof InfrastructureError) && countFailure(ctx.failures, id) >= POISON_TURN_ATTEMPTS) {
        // Not the store's fault and not going away (a corrupt message, an engine bug): end the
        // instance with the error instead of retrying it forever.
        ctx.failures.delete(id);
        if (await failPoisoned(ctx, item, e)) return false;
      }
      const retryAt = ctx.opts.clock.now() + ctx.opts.pollIntervalMs;
      await ctx.store.abandonOrchestration(id, item.leaseId, retryAt).catch(() => undefined);
    }
    return false;
  } finally {
    keeper.stop();
    if (ctx.active.get(id) === item) ctx.active.delete(id);
    ended();
  }
}
