/**
 * @module engine/fused-start
 * A start and its first turn in ONE store transaction (store feature `fusedStart`): for a start
 * due now that the local worker runs in process, the first turn is computed in memory from the
 * start message — as the worker would after claiming the new instance — and the create carries
 * the turn's commit (CreateInstanceRequest.firstTurn). One commit instead of two (create, then
 * the first turn), nothing acknowledged before it. Whatever stops the turn before its commit (a
 * remote orchestration, a definition version not here, an engine error in the turn) falls back to
 * the ordinary claimed create, whose turn then runs, and fails, as any other.
 */

import { createdRecord } from '../store/created-record.js';
import type { CreatedInstance, CreateInstanceRequest, OrchestrationWorkItem } from '../store/types.js';
import { runLocalTurn } from './local-turn.js';
import { LogEvent } from './logger.js';
import { FusedStartDeclined, type FusedCreate } from './turn-commit.js';
import type { OrchestrationWorkerContext, TurnEnd } from './worker-context.js';

/**
 * Runs the first turn of `request`'s instance and commits it with the create. Returns the
 * create's result; undefined when the start was not fused (nothing written: start it the
 * ordinary way). Throws what the create threw (INSTANCE_EXISTS, a write error): nothing written.
 */
export async function runFusedStart(ctx: OrchestrationWorkerContext, request: CreateInstanceRequest, leaseId: string): Promise<CreatedInstance | undefined> {
  const reg = ctx.registry.orchestration(request.name);
  if (reg === undefined || reg.remote !== undefined) return undefined;
  const id = request.instanceId;
  // The id is live here (a turn running, or its runtime cached): the ordinary create decides
  // (INSTANCE_EXISTS, IGNORE), and that instance's turn and cache entry stay as they are.
  if (ctx.active.has(id) || ctx.cache.peek(id) !== undefined) return undefined;
  const item: OrchestrationWorkItem = {
    // The record the create leaves, which the turn starts from.
    instance: createdRecord(request),
    // The start message as the claim would hand it over; never inserted (its id is never used).
    messages: [{ id: -1, instanceId: id, data: request.startMessage.data, visibleAt: request.startMessage.visibleAt, dequeueCount: 1 }],
    leaseId,
    // Not checked: the create's commit is fenced by the id's reuse policy, not by a lease epoch.
    epoch: 0,
  };
  const fused: FusedCreate = { request, sent: false };
  let ended!: () => void;
  const end: TurnEnd = { done: new Promise<void>((r) => (ended = r)) };
  ctx.turnEnds.set(item, end);
  ctx.active.set(id, item);
  try {
    await runLocalTurn(ctx, item, undefined, fused);
    return fused.result;
  } catch (e) {
    if (fused.result !== undefined) {
      // Not created (IGNORE kept the existing instance: nothing of the turn written), or committed
      // and only the bookkeeping after it failed (the cache entry is dropped): the start stands.
      ctx.cache.delete(id);
      if (fused.result.created) ctx.opts.logger.error(`after the fused start of '${id}': ${(e as Error).message}`, { event: LogEvent.turnFailed, instanceId: id, error: String(e) });
      return fused.result;
    }
    ctx.cache.delete(id);
    if (fused.sent) throw e;
    if (!(e instanceof FusedStartDeclined)) {
      ctx.opts.logger.debug(`the first turn of '${id}' failed before its commit; started the ordinary way: ${(e as Error).message}`, { event: LogEvent.turnFailed, instanceId: id });
    }
    return undefined;
  } finally {
    if (ctx.active.get(id) === item) ctx.active.delete(id);
    ended();
  }
}
