/**
 * @module engine/remote-turn
 * One turn of a remote orchestration (engine/remote.ts), under a claim: the whole history and the
 * turn's events go to the remote side; its actions are checked against the history, given the
 * spans Swirl emits for them, and committed exactly as an in-process turn's.
 */

import type { OrchestrationWorkItem } from '../store/types.js';
import { EventType, type HistoryEvent } from './history.js';
import { LogEvent } from './logger.js';
import { fromHistoryRecord } from './messages.js';
import { notifyObserver } from './observer.js';
import { logOutcome } from './outcome-log.js';
import { checkRemoteActions, remoteTurnFacts, type RemoteOrchestrator } from './remote.js';
import type { ExecutionOutcome } from './replay/runtime.js';
import { asReadError } from './store-errors.js';
import { executionTrace, remoteChildSpanId, remoteTaskSpanId, spanTraceParent } from './trace-context.js';
import { withInline, type InlineCompletion } from './inline-completion.js';
import { commitUnderClaim } from './turn-commit.js';
import { releaseToWait } from './turn-release.js';
import { nonDeterminismOutcome } from './turn-runtime.js';
import { buildTurn, cacheableRecord } from './turn.js';
import type { OrchestrationWorkerContext } from './worker-context.js';

/**
 * A turn of a remote orchestration (engine/remote.ts): the whole history and this turn's events
 * go to the remote side, its actions are checked against the history and committed exactly as
 * an in-process turn's (one transaction, under this claim's lease, which the LeaseKeeper renews
 * while the remote side works). No worker able to take it: the instance waits.
 *
 * With `inline` (an activity result, engine/inline-completion.ts) the turn retires the activity's
 * task in the same commit — claim-free when `inline.claimless` is set, the instance's past being
 * cached here (store feature `turnShortcuts`). Its new tasks are NOT committed pre-leased to the
 * local activity worker (commitLeasing), unlike an in-process turn's: measured, handing remote
 * activities over one turn at a time cost the sidecar and the app more CPU per work item than the
 * activity worker's batched claim saves (bench/README.md, "Dapr SDK app over gRPC", 2026-12-06).
 */
export async function runRemoteTurn(ctx: OrchestrationWorkerContext, item: OrchestrationWorkItem, remote: RemoteOrchestrator, events: HistoryEvent[], now: number, inline?: InlineCompletion): Promise<boolean> {
  const { instance, leaseId } = item;
  const id = instance.instanceId;
  const cached = instance.historyLength === 0 ? undefined : ctx.remotePast.take(id, instance.executionId, instance.historyLength);
  const past = instance.historyLength === 0 ? [] : (cached?.events ?? (await asReadError(ctx.store.loadHistory(id), 'loadHistory')).map(fromHistoryRecord));
  const newEvents: HistoryEvent[] = [{ type: EventType.OrchestratorStarted, eventId: -1, timestamp: now }, ...events];
  // OrchestratorStarted comes first: the execution's ExecutionStarted follows it in its first turn.
  const started = past.find((e) => e.type === EventType.ExecutionStarted) ?? newEvents.find((e) => e.type === EventType.ExecutionStarted);
  const traceparent = started?.type === EventType.ExecutionStarted ? started.traceparent : undefined;
  const trace = executionTrace(id, instance.executionId, traceparent);
  const answer = await remote.executeTurn({ instanceId: id, executionId: instance.executionId, name: instance.name, pastEvents: past, newEvents, ...(started !== undefined ? { trace } : {}) });
  if ('unavailable' in answer) {
    if (past.length > 0) ctx.remotePast.put(id, instance.executionId, past, cached?.instance);
    // A claim-free turn holds nothing to give back: its caller records the activity result in the inbox.
    if (inline?.claimless !== undefined) return false;
    return releaseToWait(ctx, item, ctx.waitingLogged, `remote:${instance.name}`, () =>
      ctx.opts.logger.warn(`'${id}' (remote orchestration '${instance.name}') waits: ${answer.unavailable}`, { event: LogEvent.workUnserved, instanceId: id, name: instance.name }),
    );
  }
  ctx.waitingLogged.delete(`remote:${instance.name}`);
  let outcome: ExecutionOutcome | undefined = answer.outcome;
  let actions = answer.actions;
  try {
    checkRemoteActions(id, past, actions);
  } catch (e) {
    outcome = nonDeterminismOutcome(ctx.opts, instance, e);
    actions = [];
  }
  const facts = remoteTurnFacts([...past, ...newEvents]);
  // The app's code cannot name spans: its tasks and children get the spans Swirl emits for them.
  actions = actions.map((a) =>
    a.type === 'ScheduleTask'
      ? { ...a, traceparent: spanTraceParent(trace, remoteTaskSpanId(id, instance.executionId, a.id)) }
      : a.type === 'CreateSubOrchestration'
        ? { ...a, traceparent: spanTraceParent(trace, remoteChildSpanId(id, instance.executionId, a.id)) }
        : a,
  );
  const built = buildTurn({
    instance,
    leaseId,
    now,
    newEvents,
    consumedMessageIds: item.messages.map((m) => m.id),
    actions,
    outcome,
    customStatus: answer.customStatus ?? instance.customStatus,
    suspended: facts.suspended,
    parent: facts.parent,
    openChildren: facts.openChildren,
    describe: ctx.describe,
    limits: ctx.opts,
    ...(traceparent !== undefined ? { traceparent } : {}),
  });
  if (inline) withInline(built.commit, inline);
  await commitUnderClaim(ctx, item, built.commit);
  const committed = built.events;
  ctx.stats.turns += 1;
  // The next turn's past, unless this execution ended (continue-as-new starts an empty history).
  if (outcome || built.commit.resetHistory) ctx.remotePast.delete(id);
  // With the record this commit left (as a cached runtime keeps it): the claim-free completion of
  // the next activity result starts from it instead of reading the row (inline-completion.ts).
  else ctx.remotePast.put(id, instance.executionId, past.concat(committed), cacheableRecord(instance, built.commit, item.payloadsOmitted === true, cached?.instance));
  if (ctx.opts.observer?.remoteTurnCommitted) {
    notifyObserver(ctx.opts.observer, 'remoteTurnCommitted', {
      instanceId: id,
      name: instance.name,
      executionId: instance.executionId,
      trace,
      startedAtMs: started?.timestamp ?? now,
      turnTimeMs: now,
      past,
      history: committed,
      status: built.status,
      ...(outcome?.failure ? { failure: outcome.failure } : {}),
    });
  }
  logOutcome(ctx.opts, instance, built.status, outcome, trace.traceId);
  ctx.hooks.committed(id, built.status);
  if (built.commit.tasks.length > 0) ctx.hooks.activitiesEnqueued();
  if (built.commit.messages.length > 0 || built.commit.newInstances.length > 0) ctx.wakeup.notify();
  return true;
}
