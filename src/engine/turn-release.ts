/**
 * @module engine/turn-release
 * Giving a claim back when its instance cannot run here — its orchestration is not registered on
 * this node, its definition version is not, or its remote worker is unavailable: logged once per
 * key (not once per poll), released for a poll interval, and the instance waits; it is never
 * failed for it.
 */

import type { OrchestrationWorkItem } from '../store/types.js';
import { LogEvent } from './logger.js';
import type { OrchestrationWorkerContext } from './worker-context.js';

/**
 * Releases a claim of an orchestration this node has no registration for (a store that ignores
 * `names`, an inline claim, a registration gone): the instance waits for a node that serves it.
 */
export async function releaseUnserved(ctx: OrchestrationWorkerContext, item: OrchestrationWorkItem): Promise<false> {
  const { name, instanceId } = item.instance;
  return releaseToWait(ctx, item, ctx.unservedLogged, name, () =>
    ctx.opts.logger.warn(`no orchestration named '${name}' is registered here: '${instanceId}' (and any other instance of it) waits for a node that serves it`, {
      event: LogEvent.workUnserved,
      instanceId,
      name,
    }),
  );
}

/**
 * Logs once per `key` (not once per poll), then gives the claim back for a poll interval: the
 * instance waits — for a node that serves it, or for its definition version — never failed.
 */
export async function releaseToWait(ctx: OrchestrationWorkerContext, item: OrchestrationWorkItem, logged: Set<string>, key: string, log: () => void): Promise<false> {
  if (!logged.has(key)) {
    logged.add(key);
    log();
  }
  await ctx.store.abandonOrchestration(item.instance.instanceId, item.leaseId, ctx.opts.clock.now() + ctx.opts.pollIntervalMs).catch(() => undefined);
  return false;
}

/**
 * Releases the claim of an instance whose definition version is not registered here, to be
 * claimed again after a poll interval (never failed: the version may be registered later, or
 * another node has it). Logged once per name and version.
 */
export async function waitForDefinition(ctx: OrchestrationWorkerContext, item: OrchestrationWorkItem, reason: string): Promise<false> {
  const { instanceId, name } = item.instance;
  return releaseToWait(ctx, item, ctx.waitingLogged, reason, () =>
    ctx.opts.logger.warn(`instance '${instanceId}' waits: ${reason}`, { event: LogEvent.definitionMissing, instanceId, name, definitionHash: item.instance.definitionHash }),
  );
}
