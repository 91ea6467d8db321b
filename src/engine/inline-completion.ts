/**
 * @module engine/inline-completion
 * Inline activity completion (store feature `inlineActivityCompletion`): an activity's result is
 * recorded together with its orchestration's next turn in ONE commit — the instance is claimed,
 * the result applied as a new event and the task deleted in the turn's transaction. With store
 * feature `turnShortcuts` and the instance's runtime cached here, even the claim is skipped: the
 * turn commits claim-free (TurnCommit.claimless), written only if the instance is unchanged.
 */

import { isTerminalStatus, type ActivityWorkItem, type InstanceRecord, type OrchestrationWorkItem, type TurnCommit } from '../store/types.js';
import type { HistoryEvent } from './history.js';
import type { OrchestrationWorkerContext } from './worker-context.js';

/** An activity result recorded directly in a turn (see completeActivityInline). */
export interface InlineCompletion {
  /** The TaskCompleted/TaskFailed event; absent when it belongs to an execution that has ended. */
  event?: HistoryEvent;
  completedTasks: Array<{ taskRowId: number; leaseId: string }>;
  /** Set when the turn runs without a claim (TurnCommit.claimless). */
  claimless?: { now: number; executionId: string };
  /** A claim-free turn found the instance changed: nothing was written, claim it the usual way. */
  conflict?: boolean;
}

/** What an inline completion needs from its orchestration worker. */
export interface InlineCompletionHost {
  readonly ctx: OrchestrationWorkerContext;
  /** The worker is running (not stopping). */
  isRunning(): boolean;
  /** A new lease id of this worker. */
  newLeaseId(): string;
  /** Runs one turn of the item (turn-runner.ts), with the completion. */
  runTurn(item: OrchestrationWorkItem, inline: InlineCompletion): Promise<boolean>;
  /**
   * Counts the turn as in flight (the worker's stop waits for it); when it settles, wakes the
   * worker's loop if needed (`mark`: Wakeup.mark() taken before the turn's claim, see Wakeup.notifyIfMissed).
   */
  track(turn: Promise<boolean>, mark: number, instanceId: string): void;
}

/**
 * Records an activity's result together with the orchestration's next turn in ONE commit (store
 * feature `inlineActivityCompletion`): claim that instance, apply the result as a new event,
 * delete the task in the turn's transaction. Returns false when that did not happen (feature
 * missing, worker stopping, instance busy here or leased elsewhere, commit failed); the caller
 * then records the result with completeActivity as usual.
 */
export async function completeActivityInline(host: InlineCompletionHost, task: ActivityWorkItem, event: HistoryEvent): Promise<boolean> {
  const ctx = host.ctx;
  if (!ctx.store.features?.inlineActivityCompletion || !host.isRunning() || ctx.active.has(task.instanceId)) return false;
  // Before any claim (or claim-free commit) of the instance: what the loop may miss meanwhile.
  const mark = ctx.wakeup.mark();
  const claimFree = await completeWithoutClaim(host, task, event, mark);
  if (claimFree !== undefined) return claimFree;
  if (!host.isRunning() || ctx.active.has(task.instanceId)) return false;
  let items: OrchestrationWorkItem[];
  // What the cache holds of the instance: on a match the store leaves its input and output out.
  const held = ctx.cache.peek(task.instanceId);
  try {
    items = await ctx.store.claimOrchestrations({
      ...(held !== undefined ? { cached: [{ instanceId: task.instanceId, executionId: held.executionId, historyLength: held.historyLength }] } : {}),
      leaseId: host.newLeaseId(),
      now: ctx.opts.clock.now(),
      leaseMs: ctx.opts.leaseMs,
      limit: 1,
      instanceIds: [task.instanceId],
      // The activity may be all this node serves of that instance: never claim an orchestration
      // it cannot run.
      names: ctx.registry.orchestrationNames(),
    });
  } catch {
    return false;
  }
  const item = items[0];
  if (!item) return false;
  const extra: InlineCompletion = { completedTasks: [{ taskRowId: task.id, leaseId: task.leaseId }] };
  // A result for an execution that has ended (continue-as-new, reuse) is dropped; the task row goes.
  if (task.executionId === item.instance.executionId) extra.event = event;
  const done = host.runTurn(item, extra);
  // Messages that arrived meanwhile are still in the inbox: track wakes the loop for them.
  host.track(done, mark, task.instanceId);
  return done;
}

/**
 * The inline completion without its claim (store feature `turnShortcuts`): when the instance's
 * runtime is cached here, the turn runs on it at once and commits with `claimless` — the store
 * writes it only if the instance is unlocked, unchanged and has no visible message, i.e. if the
 * skipped claim would have returned nothing but the lease. Undefined when it did not apply or
 * the store refused it (nothing written, the runtime dropped): the caller claims as usual.
 */
async function completeWithoutClaim(host: InlineCompletionHost, task: ActivityWorkItem, event: HistoryEvent, mark: number): Promise<boolean | undefined> {
  const ctx = host.ctx;
  const id = task.instanceId;
  if (ctx.store.features?.turnShortcuts !== true) return undefined;
  // Cached here: an in-process runtime, or a remote orchestration's past events (its next turn goes to the app).
  const cached = ctx.cache.peek(id);
  const runtimeHeld = cached !== undefined && cached.executionId === task.executionId;
  const remote = runtimeHeld ? undefined : ctx.remotePast.peek(id);
  if (!runtimeHeld && remote?.executionId !== task.executionId) return undefined;
  // The record the cached runtime's (or remote past's) turn committed (cache.ts): the claim-free
  // commit is refused if the row changed since, so it need not be read again.
  let instance: InstanceRecord | undefined = runtimeHeld ? cached.instance : remote?.instance;
  if (instance === undefined) {
    try {
      instance = await ctx.store.getInstance(id);
    } catch {
      return undefined;
    }
  }
  if (instance === undefined || instance.executionId !== task.executionId || isTerminalStatus(instance.status)) return undefined;
  if (!host.isRunning() || ctx.active.has(id)) return undefined;
  const inline: InlineCompletion = {
    event,
    completedTasks: [{ taskRowId: task.id, leaseId: task.leaseId }],
    claimless: { now: ctx.opts.clock.now(), executionId: instance.executionId },
  };
  // No lease is held: the epoch is not checked for a claim-free commit (TurnCommit.claimless).
  const item: OrchestrationWorkItem = { instance, messages: [], leaseId: host.newLeaseId(), epoch: 0 };
  const done = host.runTurn(item, inline);
  // Messages that arrived meanwhile are still in the inbox: track wakes the loop for them (and
  // after a refused commit, which did not commit, always).
  host.track(done, mark, task.instanceId);
  const ok = await done;
  if (inline.conflict === true) return undefined;
  return ok;
}

/** An inline completion's parts of a commit: the tasks it retires, and the claim-free condition. */
export function withInline(commit: TurnCommit, inline: InlineCompletion): void {
  commit.completedTasks = inline.completedTasks;
  if (inline.claimless !== undefined) commit.claimless = inline.claimless;
}
