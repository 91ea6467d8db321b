/**
 * @module engine/local-turn
 * One turn of an in-process orchestration, under a claim: the inbox batch (plus an inline
 * activity result) becomes the turn's new events; the runtime comes from the cache or a replay of
 * the history (on the definition version the instance started on); the code runs, its actions
 * become one TurnCommit (with the wait keys when they changed, and the new tasks pre-leased to
 * the local activity worker); after the commit the runtime is cached or dropped and the engine
 * told. Remote orchestrations go to remote-turn.ts; instances that cannot run here wait.
 */

import { isTerminalStatus, type InstanceRecord, type OrchestrationWorkItem, type RuntimeStatus } from '../store/types.js';
import { EventType, type HistoryEvent } from './history.js';
import { withInline, type InlineCompletion } from './inline-completion.js';
import { fromHistoryRecord, inboxBatch } from './messages.js';
import { notifyObserver } from './observer.js';
import type { CompiledEngineOptions } from './options.js';
import { logOutcome } from './outcome-log.js';
import { isIdle, openChildren } from './replay/open-tasks.js';
import type { ExecutionOutcome, OrchestrationRuntime } from './replay/runtime.js';
import { runRemoteTurn } from './remote-turn.js';
import { asReadError } from './store-errors.js';
import { commitLeasing, commitUnderClaim, FusedStartDeclined, type FusedCreate } from './turn-commit.js';
import { releaseUnserved, waitForDefinition } from './turn-release.js';
import { failedOutcome, nonDeterminismOutcome, parentOf, runtimeForInstance, terminatedOutcome } from './turn-runtime.js';
import { buildTurn, cacheableRecord, consumeOnly } from './turn.js';
import type { OrchestrationWorkerContext } from './worker-context.js';

/**
 * History length from which an idle instance stays cached (LRU-bounded): below it a replay costs
 * well under a millisecond, so memory wins; above it the step-cost-vs-history-length goal wins.
 */
const IDLE_KEEP_HISTORY = 200;

/**
 * Runs and commits one turn of the claimed `item` (with `inline`'s activity result, if any).
 * True if it committed; false if the claim was given back (the instance waits). Throws what the
 * commit or the store throws (turn-runner.ts handles it).
 */
export async function runLocalTurn(ctx: OrchestrationWorkerContext, item: OrchestrationWorkItem, inline?: InlineCompletion, fused?: FusedCreate): Promise<boolean> {
  const { instance, leaseId } = item;
  const id = instance.instanceId;
  const consumed = item.messages.map((m) => m.id);
  if (isTerminalStatus(instance.status)) {
    // Late events for a finished instance: consume them and change nothing.
    const commit = consumeOnly(instance, leaseId, consumed);
    if (inline) withInline(commit, inline);
    await commitUnderClaim(ctx, item, commit);
    return true;
  }
  const batch = inboxBatch(instance, item.messages);
  const events = batch.events;
  if (inline?.event) events.push(inline.event);
  if (events.length === 0 && instance.historyLength > 0) {
    // Only stale messages (for an execution that has ended): consume them, write no turn. The
    // cached runtime (if any) stays valid: the history did not change.
    const commit = consumeOnly(instance, leaseId, consumed);
    if (inline) withInline(commit, inline);
    await commitUnderClaim(ctx, item, commit);
    return true;
  }
  const now = ctx.opts.clock.now();
  let runtime: OrchestrationRuntime | undefined;
  let forced: ExecutionOutcome | undefined;
  let cachedRecord: InstanceRecord | undefined;

  if (instance.historyLength === 0) {
    const startIdx = events.findIndex((e) => e.type === EventType.ExecutionStarted);
    if (startIdx < 0) {
      if (events.some((e) => e.type === EventType.ExecutionTerminated)) {
        forced = terminatedOutcome(events);
      } else {
        // Events for an instance whose (scheduled) start is not due yet: keep them for later.
        const retryAt = instance.scheduledStartAt !== undefined && instance.scheduledStartAt > now ? instance.scheduledStartAt : now + ctx.opts.pollIntervalMs;
        await ctx.store.abandonOrchestration(id, item.leaseId, retryAt);
        return false;
      }
    } else if (startIdx > 0) {
      events.unshift(...events.splice(startIdx, 1));
    }
  }

  const remote = forced ? undefined : ctx.registry.orchestration(instance.name)?.remote;
  // A fused start's instance is not stored yet: only a turn that runs here to its commit fits it.
  if (fused !== undefined && (remote !== undefined || forced !== undefined)) throw new FusedStartDeclined('not a local turn');
  if (remote) return runRemoteTurn(ctx, item, remote, events, now, inline);

  if (!forced) {
    const cached = ctx.cache.take(id, instance.executionId, instance.historyLength);
    if (cached) {
      runtime = cached.runtime;
      cachedRecord = cached.instance;
      ctx.stats.cacheHits += 1;
    } else {
      if (fused !== undefined && !ctx.registry.orchestration(instance.name)) throw new FusedStartDeclined('not served here');
      if (!ctx.registry.orchestration(instance.name)) return releaseUnserved(ctx, item);
      // Read at most once, and only when needed: the replay needs it, and its ExecutionStarted
      // names the definition of rows written before instances had a definition hash. A node that
      // lacks the instance's (known) version finds out without reading it.
      let loaded: HistoryEvent[] | undefined;
      const loadPast = async (): Promise<HistoryEvent[]> =>
        (loaded ??= instance.historyLength > 0 ? (await asReadError(ctx.store.loadHistory(id), 'loadHistory')).map(fromHistoryRecord) : []);
      const made = await runtimeForInstance(instance, events, loadPast, ctx.registry, ctx.opts);
      if ('waiting' in made && fused !== undefined) throw new FusedStartDeclined(made.waiting);
      if ('waiting' in made) return waitForDefinition(ctx, item, made.waiting);
      if ('failure' in made) forced = failedOutcome(made.failure);
      else {
        runtime = made.runtime;
        if (ctx.opts.observer?.turnCommitted) runtime.noteBuffer = [];
        if (instance.historyLength > 0) {
          const past = await loadPast();
          ctx.stats.replays += 1;
          ctx.stats.replayedEvents += past.length;
          try {
            runtime.apply(past, true);
          } catch (e) {
            forced = nonDeterminismOutcome(ctx.opts, instance, e);
          }
        }
      }
    }
  }

  const newEvents: HistoryEvent[] = [{ type: EventType.OrchestratorStarted, eventId: -1, timestamp: now }, ...events];
  let turnConsumed = consumed;
  if (runtime && !forced) {
    try {
      const applied = runtime.applyTurn(newEvents, (i) => batch.messageOf.has(newEvents[i]!));
      if (applied < newEvents.length) {
        // Continued as new: the instance-level messages not applied stay queued for the next
        // execution, in their order, instead of joining the carry-over (specs/engine.md §4b).
        const left = new Set<number>();
        for (let i = applied; i < newEvents.length; i++) {
          const mid = batch.messageOf.get(newEvents[i]!);
          if (mid !== undefined) left.add(mid);
        }
        turnConsumed = consumed.filter((mid) => !left.has(mid));
      }
    } catch (e) {
      forced = nonDeterminismOutcome(ctx.opts, instance, e);
    }
  }
  const rt = forced ? undefined : runtime;
  const built = buildTurn({
    instance,
    leaseId,
    now,
    newEvents,
    consumedMessageIds: turnConsumed,
    actions: rt ? rt.takeActions() : [],
    outcome: forced ?? rt?.outcome,
    customStatus: rt ? rt.customStatus : instance.customStatus,
    suspended: rt?.suspended ?? false,
    parent: runtime?.parent ?? parentOf(events),
    openChildren: runtime ? openChildren(runtime.open, runtime.pending) : [],
    describe: ctx.describe,
    limits: ctx.opts,
    ...(runtime?.traceparent !== undefined ? { traceparent: runtime.traceparent } : {}),
  });
  if (inline) withInline(built.commit, inline);
  // Wait keys (issue 18): written with the turn when they changed. A new execution starts with
  // none in the store (created, replaced, or continued-as-new by a turn that cleared them).
  let waitKeys: string | undefined;
  if (rt && !built.commit.dropPendingWork) {
    const keys = rt.waitKeys();
    waitKeys = JSON.stringify(keys);
    if (waitKeys !== (rt.committedWaitKeys ?? (instance.historyLength === 0 ? '[]' : undefined))) built.commit.waitKeys = keys;
  }
  const handOver = await commitLeasing(ctx, item, built.commit, now, fused);
  try {
    if (rt) rt.committedWaitKeys = waitKeys;
    ctx.stats.turns += 1;
    const historyLength = built.commit.firstSeq + built.commit.history.length;
    // Idle instances (waiting only on events or far timers) leave memory, unless their history is
    // long enough that replaying it on the next event would cost more than keeping them.
    // The record this commit left, built at most once: for the cache, and for waiters (a
    // waitForCompletion that hears the status it waits for returns it instead of reading the row).
    let record: InstanceRecord | undefined | null = null;
    const committedRecord = (): InstanceRecord | undefined =>
      record === null ? (record = cacheableRecord(instance, built.commit, item.payloadsOmitted === true, cachedRecord)) : record;
    if (rt && !rt.outcome && (historyLength >= IDLE_KEEP_HISTORY || !isIdle(rt.open, now + ctx.opts.cacheIdleTimerMs))) {
      const r = committedRecord();
      ctx.cache.put(id, { runtime: rt, executionId: instance.executionId, historyLength, ...(r !== undefined ? { instance: r } : {}) });
    }
    if (rt?.noteBuffer) observeTurn(ctx.opts, instance, rt, built.status);
    logOutcome(ctx.opts, instance, built.status, forced ?? rt?.outcome, rt?.trace.traceId);
    ctx.hooks.committed(id, built.status, committedRecord);
    if (isTerminalStatus(built.status)) ctx.endedHere.add(id);
  } finally {
    // After the cache holds the runtime: the activities' inline completions find it there.
    handOver?.settle();
  }
  // Tasks not handed over pre-leased wait for the activity worker's claim.
  if (built.commit.tasks.length > (handOver?.count ?? 0)) ctx.hooks.activitiesEnqueued();
  if (built.commit.messages.length > 0 || built.commit.newInstances.length > 0) ctx.wakeup.notify();
  return true;
}

/** Hands a committed turn's notes to the observer (EngineObserver.turnCommitted). */
function observeTurn(opts: CompiledEngineOptions, instance: InstanceRecord, rt: OrchestrationRuntime, status: RuntimeStatus): void {
  const notes = rt.noteBuffer?.splice(0) ?? [];
  const failure = rt.outcome?.failure;
  notifyObserver(opts.observer, 'turnCommitted', {
    instanceId: instance.instanceId,
    name: instance.name,
    executionId: rt.executionId,
    session: rt,
    trace: rt.trace,
    startedAtMs: rt.startedAtMs,
    turnTimeMs: rt.currentTimeMs,
    notes,
    status,
    ...(failure ? { failure } : {}),
  });
}
