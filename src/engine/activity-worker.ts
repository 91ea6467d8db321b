/**
 * @module engine/activity-worker
 * Runs activities: claims tasks (leased; the lease is renewed while the function runs), calls the
 * registered function with its context (idempotency key, attempt, abort signal), and commits the
 * result into the orchestration's inbox atomically with deleting the task. At-least-once: a crash
 * before that commit re-delivers the task with the same idempotency key and a higher deliveryCount.
 * Never two local runs of one task: a task this worker claims again while still running it (its
 * lease expired, e.g. renewals failed) keeps its one run, which adopts the new lease.
 */

import { EventType, fromPayload, toFailureDetails, type HistoryEvent } from './history.js';
import { LogEvent } from './logger.js';
import { newMessage, type ActivityTaskData } from './messages.js';
import type { CompiledEngineOptions } from './options.js';
import type { ActivityContext, ActivityFunction, Registry } from './registry.js';
import { StoreErrorCode, type ActivityWorkItem, type NewActivityTask, type Store, type TurnCommit } from '../store/types.js';
import { EngineErrorCode } from './error-codes.js';
import { serializePayload } from './validation.js';
import { runClaimLoop } from './claim-loop.js';
import type { StoreHealth } from './store-health.js';
import { LeaseKeeper } from './lease-keeper.js';
import { LazyAbort } from './lazy-abort.js';
import { ActivityUnavailableError } from './remote.js';
import { Wakeup } from './wakeup.js';

/**
 * After stop() aborts the activities still running, how long it waits for them to settle before
 * releasing their tasks anyway: an activity that ignores its signal must not hang the shutdown.
 */
const ABORT_GRACE_MS = 1000;

interface Running {
  /** The claim; `leaseId` is replaced when the task is claimed again while it runs (adopted). */
  item: ActivityWorkItem;
  /** Aborts the run (stop, or its instance ended); its AbortSignal is made only if the code asks for it. */
  controller: LazyAbort;
  done: Promise<void>;
  /** The function has returned or thrown (only its result is still being recorded). */
  returned: boolean;
  /** stop() gave up on it and released its task: whatever it returns later is dropped. */
  detached: boolean;
}

/**
 * Capacity held for the tasks a turn is about to create (store feature `turnShortcuts`): the turn
 * commits them already leased to this worker (`lease`), and `settle` hands the leased items over
 * (or gives the capacity back when the commit failed or leased nothing).
 */
export interface ActivityReservation {
  lease: NonNullable<TurnCommit['taskLease']>;
  settle(leased: readonly ActivityWorkItem[] | undefined): void;
}

/** Claims and runs activity tasks; see the module doc. */
export class ActivityWorker {
  /** Activity executions started by this worker (benchmarks, tests). */
  executions = 0;

  /** Task leases this worker holds right now (activities running here). */
  get leasesHeld(): number {
    return this.running.size;
  }
  private readonly wakeup = new Wakeup();
  private readonly running = new Map<number, Running>();
  private active = false;
  private loopDone: Promise<void> | undefined;
  private leaseCounter = 0;
  private readonly unservedLogged = new Set<string>();
  /** Capacity promised to turns whose tasks come pre-leased (see reserveFor). */
  private reserved = 0;

  constructor(
    private readonly store: Store,
    private readonly registry: Registry,
    private readonly opts: CompiledEngineOptions,
    /** Called after a completion reached an orchestration's inbox. */
    private readonly completed: () => void,
    /** Records the result together with the orchestration's next turn, if it can (false: it did not). */
    private readonly completeInline: (item: ActivityWorkItem, event: HistoryEvent) => Promise<boolean> = async () => false,
    /** `<workerId>:<incarnation>:` (see OrchestrationWorker). */
    private readonly leasePrefix = `${opts.workerId}:`,
    /** Told each claim's outcome (Engine.health). */
    private readonly storeHealth?: StoreHealth,
  ) {}

  /** Stops claiming at once without waiting (the store has failed). */
  halt(): void {
    this.active = false;
    this.wakeup.notify();
  }

  start(): void {
    if (this.active) return;
    this.active = true;
    this.loopDone = this.loop();
  }

  notify(): void {
    this.wakeup.notify();
  }

  /**
   * For a turn about to create `tasks`: the ones this worker would run at once (due now, served
   * here, within free capacity), to be inserted already leased to it in the turn's transaction —
   * the claim they skip could only have handed them to this worker. Undefined when none qualify
   * or the store cannot (feature `turnShortcuts`). The capacity is held until `settle`.
   */
  reserveFor(tasks: readonly NewActivityTask[], now: number): ActivityReservation | undefined {
    if (!this.active || this.store.features?.turnShortcuts !== true) return undefined;
    // Activities whose function has returned do not count: the turn asking is typically the
    // inline completion of one of them (its entry leaves once that turn commits), so at full
    // load — as many instances as activityConcurrency, one activity each — counting it sent
    // every such task the long way (inserted unleased, then probed for and claimed).
    let executing = 0;
    for (const r of this.running.values()) if (!r.returned) executing++;
    const free = this.opts.activityConcurrency - executing - this.reserved;
    const picked: number[] = [];
    for (let i = 0; i < tasks.length && picked.length < free; i++) {
      // Served here now: a remote activity only while a capable worker is connected (else its task stays queued, unserved).
      if (tasks[i].visibleAt <= now && this.registry.serves('activity', tasks[i].name)) picked.push(i);
    }
    if (picked.length === 0) return undefined;
    this.reserved += picked.length;
    let open = true;
    return {
      lease: { leaseId: `${this.leasePrefix}a${++this.leaseCounter}`, lockExpiresAt: now + this.opts.leaseMs, tasks: picked },
      settle: (leased) => {
        if (!open) return;
        open = false;
        this.reserved -= picked.length;
        for (const item of leased ?? []) {
          // Stopped meanwhile: give the task back at once rather than leave it to its lease expiry.
          if (this.active) this.launch(item);
          else void this.store.abandonActivity(item.id, item.leaseId).catch(() => undefined);
        }
      },
    };
  }

  /**
   * The instance ended (completed, failed, terminated): abort the signals of its activities still
   * running here — their results would be dropped anyway, so let them stop early.
   */
  instanceEnded(instanceId: string): void {
    for (const r of this.running.values()) {
      // A detached (fire-and-forget) task is meant to outlive its instance: it keeps running.
      if (r.item.instanceId === instanceId && !r.returned && r.item.detached !== true) r.controller.abort(new Error(`instance '${instanceId}' has ended`));
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
    const grace = new Promise<void>((r) => (timer = setTimeout(r, ABORT_GRACE_MS)));
    await Promise.race([Promise.allSettled([...this.running.values()].map((r) => r.done)), grace]);
    clearTimeout(timer);
    // Still running: the function ignores its abort signal. Release the task for another worker
    // and stop waiting; its eventual result is dropped (the task may run again elsewhere, as after
    // a crash: at-least-once with the same idempotency key).
    const stuck = [...this.running.values()];
    for (const r of stuck) {
      r.detached = true;
      this.opts.logger.error(`activity task ${r.item.id} ('${r.item.name}' of '${r.item.instanceId}') ignored its abort signal for ${ABORT_GRACE_MS} ms: its task was released without waiting for it`, {
        event: LogEvent.activityAbandoned,
        instanceId: r.item.instanceId,
        taskId: r.item.taskId,
      });
    }
    await Promise.allSettled(stuck.map((r) => this.store.abandonActivity(r.item.id, r.item.leaseId)));
    this.running.clear();
  }

  private loop(): Promise<void> {
    return runClaimLoop(
      {
        what: 'activities',
        isActive: () => this.active,
        capacity: () => this.opts.activityConcurrency - this.running.size - this.reserved,
        claim: async (now, limit) => {
          // Only activities registered here (read at each claim, so later registrations count).
          const names = this.registry.activityNames();
          if (names.length === 0) return [];
          return this.store.claimActivities({ leaseId: `${this.leasePrefix}a${++this.leaseCounter}`, now, leaseMs: this.opts.leaseMs, limit, names });
        },
        launch: (item) => this.launch(item),
      },
      this.store,
      this.wakeup,
      this.opts,
      this.storeHealth,
    );
  }

  private launch(item: ActivityWorkItem): void {
    const current = this.running.get(item.id);
    if (current) {
      // Our own lease on a task we are still running expired and we claimed it again: the store
      // now knows it by the new lease, so the one run takes that over (renewals and completion
      // use it) instead of a second run sharing one bookkeeping entry.
      current.item = { ...current.item, leaseId: item.leaseId, dequeueCount: item.dequeueCount };
      this.opts.logger.warn(`activity task ${item.id} ('${item.name}' of '${item.instanceId}') was claimed again while running here: its run adopts the new lease`, {
        event: LogEvent.activityLeaseAdopted,
        instanceId: item.instanceId,
        taskId: item.taskId,
      });
      return;
    }
    const controller = new LazyAbort();
    // A task hides no other work while it runs: its end matters to the loop only as capacity.
    const mark = this.wakeup.mark();
    const entry: Running = { item, controller, done: Promise.resolve(), returned: false, detached: false };
    entry.done = this.run(entry)
      .catch((e: unknown) => {
        // Only a corrupt task row gets here (run() handles the function's own errors); its lease
        // expires and the store hands it out again with a higher dequeueCount.
        this.opts.logger.error(`activity task ${item.id} of '${item.instanceId}' could not run: ${String(e)}`, { event: LogEvent.workerError, instanceId: item.instanceId });
      })
      .finally(() => {
        if (this.running.get(item.id) === entry) this.running.delete(item.id);
        this.wakeup.notifyIfMissed(mark);
      });
    this.running.set(item.id, entry);
  }

  private async run(entry: Running): Promise<void> {
    const { item } = entry;
    const data = JSON.parse(item.data) as ActivityTaskData;
    const fn = this.registry.activity(data.name);
    if (!fn) {
      // Claimed although not served here (a store that ignores `names`): the task waits for a
      // worker that has the activity; failing it would fail a healthy instance.
      if (!this.unservedLogged.has(data.name)) {
        this.unservedLogged.add(data.name);
        this.opts.logger.warn(`no activity named '${data.name}' is registered here: its tasks wait for a node that serves it`, { event: LogEvent.workUnserved, instanceId: item.instanceId, name: data.name });
      }
      await this.store.abandonActivity(item.id, item.leaseId, this.opts.clock.now() + this.opts.pollIntervalMs).catch(() => undefined);
      return;
    }
    // Heartbeat: keep the lease while the function runs, so a long activity is not re-delivered.
    // It reads entry.item at each renewal: an adopted lease (see launch) is the one renewed.
    const heartbeat = new LeaseKeeper(
      () => this.store.renewActivityLease(entry.item.id, entry.item.leaseId, this.opts.clock.now(), this.opts.leaseMs),
      LeaseKeeper.intervalFor(this.opts.leaseMs),
      (e, lost) =>
        this.opts.logger[lost ? 'warn' : 'debug'](`renewing the lease of activity task ${item.id} ('${data.name}' of '${item.instanceId}') failed: ${(e as Error).message}`, {
          event: LogEvent.leaseRenewFailed,
          instanceId: item.instanceId,
          taskId: item.taskId,
        }),
      () => entry.item.leaseId,
    ).start();
    try {
      await this.execute(entry, fn, data);
    } finally {
      heartbeat.stop();
    }
  }

  /**
   * Runs the function and records its result. Runs under the heartbeat until the result is
   * recorded: an inline completion runs a whole orchestration turn, which may outlast the lease.
   */
  private async execute(entry: Running, fn: ActivityFunction, data: ActivityTaskData): Promise<void> {
    const told: Array<(recorded: boolean) => void> = [];
    let recorded = false;
    try {
      recorded = await this.runAndRecord(entry, fn, data, (cb) => told.push(cb));
    } finally {
      for (const cb of told) {
        try {
          cb(recorded);
        } catch {
          // a listener's failure is its own
        }
      }
    }
  }

  /** {@link execute}'s body; true when the result (completion or failure) was recorded. */
  private async runAndRecord(entry: Running, fn: ActivityFunction, data: ActivityTaskData, afterRecord: (cb: (recorded: boolean) => void) => void): Promise<boolean> {
    const { item, controller } = entry;
    const ctx: ActivityContext = {
      instanceId: item.instanceId,
      executionId: item.executionId,
      name: data.name,
      taskId: data.logicalTaskId,
      // The execution id keeps keys unique across continue-as-new, where task ids restart at 1:
      // a receiver that de-duplicates by key must not drop the next execution's first call.
      idempotencyKey: `${item.instanceId}:${item.executionId}:${data.logicalTaskId}`,
      attempt: data.attempt,
      deliveryCount: item.dequeueCount,
      get signal() {
        return controller.signal;
      },
      ...(data.traceparent !== undefined ? { traceparent: data.traceparent } : {}),
      afterRecord,
    };
    this.executions += 1;
    let event: HistoryEvent;
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
      if (controller.aborted) {
        // Stopped mid-flight: give the task back rather than record a failure nobody caused.
        if (!entry.detached) await this.store.abandonActivity(entry.item.id, entry.item.leaseId).catch(() => undefined);
        return false;
      }
      if (err instanceof ActivityUnavailableError) {
        // Nothing can run it now (no capable remote worker): back to the queue, no failure recorded.
        if (!entry.detached) await this.store.abandonActivity(entry.item.id, entry.item.leaseId, this.opts.clock.now() + this.opts.pollIntervalMs).catch(() => undefined);
        return false;
      }
      const failure = toFailureDetails(err);
      if (failure.code === EngineErrorCode.PAYLOAD_TOO_LARGE || failure.code === EngineErrorCode.PAYLOAD_NOT_SERIALIZABLE) failure.nonRetryable = true;
      // The stack stays in the log (for the operator); the failure recorded for clients has none.
      this.opts.logger.debug(`activity '${data.name}' failed: ${failure.message}`, { event: LogEvent.activityFailed, instanceId: item.instanceId, taskId: item.taskId, ...(err instanceof Error && err.stack !== undefined ? { stack: err.stack } : {}) });
      event = this.failed(item, failure);
    }
    if (entry.detached) return false;
    if (controller.aborted) {
      await this.store.abandonActivity(entry.item.id, entry.item.leaseId).catch(() => undefined);
      return false;
    }
    if (await this.completeInline(entry.item, event)) return true;
    try {
      await this.store.completeActivity({
        taskRowId: item.id,
        leaseId: entry.item.leaseId,
        message: newMessage(item.instanceId, { executionId: item.executionId, event }, this.opts.clock.now()),
      });
      this.completed();
      return true;
    } catch (e) {
      const code = (e as { code?: string }).code;
      this.opts.logger[code === StoreErrorCode.LEASE_LOST ? 'warn' : 'error'](`result of activity '${data.name}' for '${item.instanceId}' not recorded: ${(e as Error).message}`, {
        event: LogEvent.activityCompletionLost,
        instanceId: item.instanceId,
        taskId: item.taskId,
      });
      return false;
    }
  }

  private failed(item: ActivityWorkItem, failure: ReturnType<typeof toFailureDetails>): HistoryEvent {
    return { type: EventType.TaskFailed, eventId: -1, timestamp: this.opts.clock.now(), taskScheduledId: item.taskId, failure };
  }
}
