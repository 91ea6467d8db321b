/**
 * @module engine/activity-worker
 * Runs activities: claims tasks (leased; the lease is renewed while the function runs), calls the
 * registered function with its context (idempotency key, attempt, abort signal), and commits the
 * result into the orchestration's inbox atomically with deleting the task. At-least-once: a crash
 * before that commit re-delivers the task with the same idempotency key and a higher deliveryCount.
 */

import { EventType, fromPayload, toFailureDetails, type HistoryEvent } from './history.js';
import { LogEvent } from './logger.js';
import { newMessage, type ActivityTaskData } from './messages.js';
import type { CompiledEngineOptions } from './options.js';
import type { ActivityContext, Registry } from './registry.js';
import { StoreErrorCode, type ActivityWorkItem, type Store } from '../store/types.js';
import { EngineErrorCode } from './error-codes.js';
import { serializePayload } from './validation.js';
import { runClaimLoop } from './claim-loop.js';
import { Wakeup } from './wakeup.js';

interface Running {
  item: ActivityWorkItem;
  controller: AbortController;
  done: Promise<void>;
  /** The function has returned or thrown (only its result is still being recorded). */
  returned: boolean;
}

/** Claims and runs activity tasks; see the module doc. */
export class ActivityWorker {
  /** Activity executions started by this worker (benchmarks, tests). */
  executions = 0;
  private readonly wakeup = new Wakeup();
  private readonly running = new Map<number, Running>();
  private active = false;
  private loopDone: Promise<void> | undefined;
  private leaseCounter = 0;

  constructor(
    private readonly store: Store,
    private readonly registry: Registry,
    private readonly opts: CompiledEngineOptions,
    /** Called after a completion reached an orchestration's inbox. */
    private readonly completed: () => void,
    /** Records the result together with the orchestration's next turn, if it can (false: it did not). */
    private readonly completeInline: (item: ActivityWorkItem, event: HistoryEvent) => Promise<boolean> = async () => false,
  ) {}

  start(): void {
    if (this.active) return;
    this.active = true;
    this.loopDone = this.loop();
  }

  notify(): void {
    this.wakeup.notify();
  }

  /**
   * The instance ended (completed, failed, terminated): abort the signals of its activities still
   * running here — their results would be dropped anyway, so let them stop early.
   */
  instanceEnded(instanceId: string): void {
    for (const r of this.running.values()) {
      if (r.item.instanceId === instanceId && !r.returned) r.controller.abort(new Error(`instance '${instanceId}' has ended`));
    }
  }

  /**
   * Stops claiming; waits up to shutdownTimeoutMs for running activities, then aborts the rest and
   * releases their tasks so another worker (or the next start) runs them.
   */
  async stop(): Promise<void> {
    this.active = false;
    this.wakeup.notify();
    await this.loopDone;
    const all = [...this.running.values()];
    if (all.length === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((r) => (timer = setTimeout(r, this.opts.shutdownTimeoutMs)));
    await Promise.race([Promise.allSettled(all.map((r) => r.done)), timeout]);
    clearTimeout(timer);
    for (const r of this.running.values()) r.controller.abort(new Error('the engine is stopping'));
    await Promise.allSettled([...this.running.values()].map((r) => r.done));
  }

  private loop(): Promise<void> {
    return runClaimLoop(
      {
        what: 'activities',
        isActive: () => this.active,
        capacity: () => this.opts.activityConcurrency - this.running.size,
        claim: (now, limit) => this.store.claimActivities({ leaseId: `${this.opts.workerId}:a${++this.leaseCounter}`, now, leaseMs: this.opts.leaseMs, limit }),
        launch: (item) => this.launch(item),
      },
      this.store,
      this.wakeup,
      this.opts,
    );
  }

  private launch(item: ActivityWorkItem): void {
    const controller = new AbortController();
    const entry: Running = { item, controller, done: Promise.resolve(), returned: false };
    entry.done = this.run(entry)
      .catch((e: unknown) => {
        // Only a corrupt task row gets here (run() handles the function's own errors); its lease
        // expires and the store hands it out again with a higher dequeueCount.
        this.opts.logger.error(`activity task ${item.id} of '${item.instanceId}' could not run: ${String(e)}`, { event: LogEvent.workerError, instanceId: item.instanceId });
      })
      .finally(() => {
        this.running.delete(item.id);
        this.wakeup.notify();
      });
    this.running.set(item.id, entry);
  }

  private async run(entry: Running): Promise<void> {
    const { item, controller } = entry;
    const data = JSON.parse(item.data) as ActivityTaskData;
    const fn = this.registry.activity(data.name);
    // Heartbeat: keep the lease while the function runs, so a long activity is not re-delivered.
    const renewEvery = Math.max(50, Math.floor(this.opts.leaseMs / 3));
    const heartbeat = setInterval(() => {
      this.store.renewActivityLease(item.id, item.leaseId, this.opts.clock.now(), this.opts.leaseMs).catch(() => undefined);
    }, renewEvery);
    let event: HistoryEvent;
    try {
      if (!fn) {
        event = this.failed(item, {
          errorType: 'SwirlError',
          code: EngineErrorCode.ACTIVITY_NOT_REGISTERED,
          message: `no activity named '${data.name}' is registered with this engine`,
          nonRetryable: true,
        });
      } else {
        const ctx: ActivityContext = {
          instanceId: item.instanceId,
          name: data.name,
          taskId: data.logicalTaskId,
          // The execution id keeps keys unique across continue-as-new, where task ids restart at 1:
          // a receiver that de-duplicates by key must not drop the next execution's first call.
          idempotencyKey: `${item.instanceId}:${item.executionId}:${data.logicalTaskId}`,
          attempt: data.attempt,
          deliveryCount: item.dequeueCount,
          signal: controller.signal,
        };
        this.executions += 1;
        try {
          let value: unknown;
          try {
            value = await fn(fromPayload(data.input), ctx);
          } finally {
            entry.returned = true;
          }
          const result = serializePayload(value, `result of activity '${data.name}'`, this.opts.maxPayloadBytes);
          event = { type: EventType.TaskCompleted, eventId: -1, timestamp: this.opts.clock.now(), taskScheduledId: item.taskId };
          if (result !== undefined) event.result = result;
        } catch (err) {
          if (controller.signal.aborted) {
            // Stopped mid-flight: give the task back rather than record a failure nobody caused.
            await this.store.abandonActivity(item.id, item.leaseId).catch(() => undefined);
            return;
          }
          const failure = toFailureDetails(err);
          if (failure.code === EngineErrorCode.PAYLOAD_TOO_LARGE || failure.code === EngineErrorCode.PAYLOAD_NOT_SERIALIZABLE) failure.nonRetryable = true;
          this.opts.logger.debug(`activity '${data.name}' failed: ${failure.message}`, { event: LogEvent.activityFailed, instanceId: item.instanceId, taskId: item.taskId });
          event = this.failed(item, failure);
        }
      }
    } finally {
      clearInterval(heartbeat);
    }
    if (controller.signal.aborted) {
      await this.store.abandonActivity(item.id, item.leaseId).catch(() => undefined);
      return;
    }
    if (await this.completeInline(item, event)) return;
    try {
      await this.store.completeActivity({
        taskRowId: item.id,
        leaseId: item.leaseId,
        message: newMessage(item.instanceId, { executionId: item.executionId, event }, this.opts.clock.now()),
      });
      this.completed();
    } catch (e) {
      const code = (e as { code?: string }).code;
      this.opts.logger[code === StoreErrorCode.LEASE_LOST ? 'warn' : 'error'](`result of activity '${data.name}' for '${item.instanceId}' not recorded: ${(e as Error).message}`, {
        event: LogEvent.activityCompletionLost,
        instanceId: item.instanceId,
        taskId: item.taskId,
      });
    }
  }

  private failed(item: ActivityWorkItem, failure: ReturnType<typeof toFailureDetails>): HistoryEvent {
    return { type: EventType.TaskFailed, eventId: -1, timestamp: this.opts.clock.now(), taskScheduledId: item.taskId, failure };
  }
}
