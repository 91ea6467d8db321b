/**
 * @module engine/orchestration-worker
 * Runs orchestration turns: claims instances with visible inbox messages (leased, so a crashed
 * worker's instances come back after the lease), runs up to `workerConcurrency` turns at once —
 * their commits reach the store together and share transactions — and keeps live runtimes in an
 * LRU cache between turns. Waits for work via in-process notifications plus a backoff poll.
 */

import { InfrastructureError, NonDeterminismError } from '../errors.js';
import {
  RuntimeStatus,
  StoreErrorCode,
  isTerminalStatus,
  type ActivityWorkItem,
  type CommittedTurn,
  type InstanceRecord,
  type NewActivityTask,
  type OrchestrationWorkItem,
  type Store,
  type TurnCommit,
} from '../store/types.js';
import { OrchestrationCache } from './cache.js';
import { EventType, toFailureDetails, type FailureDetails, type HistoryEvent } from './history.js';
import { LogEvent } from './logger.js';
import { notifyObserver } from './observer.js';
import { logFailed, logOutcome } from './outcome-log.js';
import { executionTrace, remoteChildSpanId, remoteTaskSpanId, spanTraceParent } from './trace-context.js';
import { fromHistoryRecord, inboxBatch, toHistoryRecord } from './messages.js';
import type { CompiledEngineOptions } from './options.js';
import type { Registry } from './registry.js';
import { OrchestrationRuntime, type ExecutionOutcome } from './replay/runtime.js';
import { buildTurn, consumeOnly, parentNotice, type DescribeOrchestration } from './turn.js';
import { EngineErrorCode } from './error-codes.js';
import { failedOutcome, parentOf, runtimeForInstance, terminatedOutcome } from './turn-runtime.js';
import { runClaimLoop } from './claim-loop.js';
import type { StoreHealth } from './store-health.js';
import { LeaseKeeper } from './lease-keeper.js';
import { asReadError, asWriteError } from './store-errors.js';
import { Wakeup } from './wakeup.js';
import type { ActivityReservation } from './activity-worker.js';
import type { StartReservation } from './client.js';
import { checkRemoteActions, RemoteHistoryCache, remoteTurnFacts, type RemoteOrchestrator } from './remote.js';

/**
 * History length from which an idle instance stays cached (LRU-bounded): below it a replay costs
 * well under a millisecond, so memory wins; above it the step-cost-vs-history-length goal wins.
 */
const IDLE_KEEP_HISTORY = 200;

/**
 * A turn that throws this many times in a row on this node for a reason that is not the store's
 * (a corrupt message, an engine bug) fails its instance. Counted here, not from the messages'
 * dequeueCount: that also grows with store faults and lease takeovers, which must never fail an
 * instance.
 */
const POISON_TURN_ATTEMPTS = 5;

/** Most instances whose failed turns are counted at once (oldest forgotten first). */
const MAX_TRACKED_FAILURES = 10_000;

/** Callbacks into the engine. */
export interface OrchestrationWorkerHooks {
  /** A turn of `instanceId` committed (wakes waitForCompletion). */
  committed(instanceId: string, status: RuntimeStatus): void;
  /** Activity tasks were enqueued. */
  activitiesEnqueued(): void;
  /**
   * The local activity worker's reservation for tasks a turn is about to create: they are then
   * committed already leased to it and handed over after the commit (ActivityWorker.reserveFor).
   */
  reserveActivities?(tasks: readonly NewActivityTask[], now: number): ActivityReservation | undefined;
}

/** An activity result recorded directly in a turn (see completeActivityInline). */
interface InlineCompletion {
  /** The TaskCompleted/TaskFailed event; absent when it belongs to an execution that has ended. */
  event?: HistoryEvent;
  completedTasks: Array<{ taskRowId: number; leaseId: string }>;
  /** Set when the turn runs without a claim (TurnCommit.claimless). */
  claimless?: { now: number; executionId: string };
  /** A claim-free turn found the instance changed: nothing was written, claim it the usual way. */
  conflict?: boolean;
}

/** Counters for benchmarks and diagnostics. */
export interface OrchestrationWorkerStats {
  turns: number;
  replays: number;
  replayedEvents: number;
  cacheHits: number;
}

/** Claims instances and runs their turns; see the module doc. */
export class OrchestrationWorker {
  readonly stats: OrchestrationWorkerStats = { turns: 0, replays: 0, replayedEvents: 0, cacheHits: 0 };
  private readonly cache: OrchestrationCache;
  private readonly remotePast: RemoteHistoryCache;
  private readonly wakeup = new Wakeup();
  private readonly inflight = new Set<Promise<void>>();
  /**
   * Instances whose turn runs here, with the claim it runs under: when this node claims such an
   * instance again (its lease expired meanwhile), the running turn adopts the new claim's lease
   * and epoch (the item is updated in place) and commits under it.
   */
  private readonly active = new Map<string, OrchestrationWorkItem>();
  /** "no worker registered for … (definition …)" reasons already logged (once each, not once per poll). */
  private readonly waitingLogged = new Set<string>();
  private running = false;
  /** Turn capacity promised to starts claimed with their create (see reserveStart). */
  private reservedStarts = 0;
  private loopDone: Promise<void> | undefined;
  private leaseCounter = 0;
  private readonly describe: DescribeOrchestration;
  /** Consecutive non-store turn failures per instance (see POISON_TURN_ATTEMPTS). */
  private readonly failures = new Map<string, number>();
  /** Unregistered names already logged (once per name, not once per poll). */
  private readonly unservedLogged = new Set<string>();

  /**
   * @param leasePrefix `<workerId>:<incarnation>:`, unique per engine start, so that a restarted
   *   node can release its previous incarnation's leases by prefix and never mistakes them for its own.
   */
  constructor(
    private readonly store: Store,
    private readonly registry: Registry,
    private readonly opts: CompiledEngineOptions,
    private readonly hooks: OrchestrationWorkerHooks,
    private readonly leasePrefix = `${opts.workerId}:`,
    /** Told each claim's outcome (Engine.health). */
    private readonly storeHealth?: StoreHealth,
  ) {
    this.cache = new OrchestrationCache(opts.cacheSize);
    this.remotePast = new RemoteHistoryCache(opts.cacheSize);
    this.describe = (name) => {
      const r = registry.orchestration(name);
      if (!r) return undefined;
      const d: { version?: string; definitionHash?: string } = {};
      if (r.version !== undefined) d.version = r.version;
      if (r.definitionHash !== undefined) d.definitionHash = r.definitionHash;
      return d;
    };
  }

  /** Number of live orchestrations cached. */
  get cachedInstances(): number {
    return this.cache.size;
  }

  /** Instance leases this worker holds right now (turns running here). */
  get leasesHeld(): number {
    return this.active.size;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loopDone = this.loop();
  }

  /** Stops claiming, then waits for the turns in flight (they are short: no user I/O runs in a turn). */
  async stop(): Promise<void> {
    this.running = false;
    this.wakeup.notify();
    await this.loopDone;
    await Promise.allSettled([...this.inflight]);
    this.cache.clear();
    this.remotePast.clear();
  }

  /**
   * Stops claiming at once without waiting (the store has failed: nothing more can be committed).
   * Turns in flight fail on their own.
   */
  halt(): void {
    this.running = false;
    this.wakeup.notify();
  }

  /** Work may be available now. */
  notify(): void {
    this.wakeup.notify();
  }

  /**
   * For a start of `name` due now (store feature `turnShortcuts`): a lease for the create to claim
   * the new instance with, and `settle`, which runs the claimed item's first turn here — the claim
   * the worker would make right after the create, made in the create's transaction. Undefined when
   * this worker does not run `name` or has no capacity free (the start is then claimed as usual).
   */
  reserveStart(name: string, now: number): StartReservation | undefined {
    if (!this.running || this.store.features?.turnShortcuts !== true || this.registry.orchestration(name) === undefined) return undefined;
    if (this.opts.workerConcurrency - this.inflight.size - this.reservedStarts <= 0) return undefined;
    this.reservedStarts += 1;
    let open = true;
    return {
      claim: { leaseId: this.newLeaseId(), now, leaseMs: this.opts.leaseMs },
      settle: (claimed) => {
        if (!open) return;
        open = false;
        this.reservedStarts -= 1;
        if (claimed === undefined) return;
        // Stopped meanwhile: give the claim back at once rather than leave it to its lease expiry.
        if (this.running) this.track(this.runTurn(claimed).then(() => undefined));
        else void this.store.abandonOrchestration(claimed.instance.instanceId, claimed.leaseId).catch(() => undefined);
      },
    };
  }

  private newLeaseId(): string {
    return `${this.leasePrefix}o${++this.leaseCounter}`;
  }

  private loop(): Promise<void> {
    return runClaimLoop(
      {
        what: 'orchestrations',
        isActive: () => this.running,
        capacity: () => this.opts.workerConcurrency - this.inflight.size - this.reservedStarts,
        claim: async (now, limit) => {
          // Only names registered here (read at each claim, so later registrations count): work
          // for another node's orchestrations waits for that node instead of failing here.
          const names = this.registry.orchestrationNames();
          if (names.length === 0) return [];
          return this.store.claimOrchestrations({ leaseId: this.newLeaseId(), now, leaseMs: this.opts.leaseMs, limit, names });
        },
        launch: (item) => this.track(this.runTurn(item).then(() => undefined)),
      },
      this.store,
      this.wakeup,
      this.opts,
      this.storeHealth,
    );
  }

  private track(p: Promise<void>): void {
    this.inflight.add(p);
    void p.finally(() => {
      this.inflight.delete(p);
      this.wakeup.notify();
    });
  }

  /**
   * Records an activity's result together with the orchestration's next turn in ONE commit (store
   * feature `inlineActivityCompletion`): claim that instance, apply the result as a new event,
   * delete the task in the turn's transaction. Returns false when that did not happen (feature
   * missing, worker stopping, instance busy here or leased elsewhere, commit failed); the caller
   * then records the result with completeActivity as usual.
   */
  async completeActivityInline(task: ActivityWorkItem, event: HistoryEvent): Promise<boolean> {
    if (!this.store.features?.inlineActivityCompletion || !this.running || this.active.has(task.instanceId)) return false;
    const claimFree = await this.completeWithoutClaim(task, event);
    if (claimFree !== undefined) return claimFree;
    if (!this.running || this.active.has(task.instanceId)) return false;
    let items: OrchestrationWorkItem[];
    try {
      items = await this.store.claimOrchestrations({
        leaseId: this.newLeaseId(),
        now: this.opts.clock.now(),
        leaseMs: this.opts.leaseMs,
        limit: 1,
        instanceIds: [task.instanceId],
        // The activity may be all this node serves of that instance: never claim an orchestration
        // it cannot run.
        names: this.registry.orchestrationNames(),
      });
    } catch {
      return false;
    }
    const item = items[0];
    if (!item) return false;
    const extra: InlineCompletion = { completedTasks: [{ taskRowId: task.id, leaseId: task.leaseId }] };
    // A result for an execution that has ended (continue-as-new, reuse) is dropped; the task row goes.
    if (task.executionId === item.instance.executionId) extra.event = event;
    const done = this.runTurn(item, extra);
    this.track(done.then(() => undefined));
    const ok = await done;
    this.wakeup.notify(); // messages that arrived meanwhile are still in the inbox
    return ok;
  }

  /**
   * The inline completion without its claim (store feature `turnShortcuts`): when the instance's
   * runtime is cached here, the turn runs on it at once and commits with `claimless` — the store
   * writes it only if the instance is unlocked, unchanged and has no visible message, i.e. if the
   * skipped claim would have returned nothing but the lease. Undefined when it did not apply or
   * the store refused it (nothing written, the runtime dropped): the caller claims as usual.
   */
  private async completeWithoutClaim(task: ActivityWorkItem, event: HistoryEvent): Promise<boolean | undefined> {
    const id = task.instanceId;
    if (this.store.features?.turnShortcuts !== true || this.cache.peek(id)?.executionId !== task.executionId) return undefined;
    let instance: InstanceRecord | undefined;
    try {
      instance = await this.store.getInstance(id);
    } catch {
      return undefined;
    }
    if (instance === undefined || instance.executionId !== task.executionId || isTerminalStatus(instance.status)) return undefined;
    if (!this.running || this.active.has(id)) return undefined;
    const inline: InlineCompletion = {
      event,
      completedTasks: [{ taskRowId: task.id, leaseId: task.leaseId }],
      claimless: { now: this.opts.clock.now(), executionId: instance.executionId },
    };
    // No lease is held: the epoch is not checked for a claim-free commit (TurnCommit.claimless).
    const item: OrchestrationWorkItem = { instance, messages: [], leaseId: this.newLeaseId(), epoch: 0 };
    const done = this.runTurn(item, inline);
    this.track(done.then(() => undefined));
    const ok = await done;
    if (inline.conflict === true) return undefined;
    this.wakeup.notify(); // messages that arrived meanwhile are still in the inbox
    return ok;
  }

  /** One turn of one instance; never throws (errors are logged and the lease released). True if it committed. */
  private async runTurn(item: OrchestrationWorkItem, inline?: InlineCompletion): Promise<boolean> {
    const id = item.instance.instanceId;
    const running = this.active.get(id);
    if (running) {
      // Our own earlier lease expired while its turn still runs and this node claimed the instance
      // again: the running turn adopts the new lease (renewals and its commit use it). Abandoning
      // the claim instead made it claimable at once — a claim/abandon spin — and left the running
      // turn's commit to fail LEASE_LOST.
      running.leaseId = item.leaseId;
      running.epoch = item.epoch;
      this.opts.logger.warn(`instance '${id}' was claimed again while its turn runs here: the turn adopts the new lease`, { event: LogEvent.turnLeaseAdopted, instanceId: id });
      return false;
    }
    this.active.set(id, item);
    // A turn may outlast the lease (a slow replay of a long history, a slow disk): keep renewing it
    // so no other worker takes the instance over and replays it again meanwhile. A claim-free turn
    // holds no lease (its commit is its claim).
    const keeper = new LeaseKeeper(
      () => this.store.renewOrchestrationLease(id, item.leaseId, this.opts.clock.now(), this.opts.leaseMs),
      LeaseKeeper.intervalFor(this.opts.leaseMs),
      (e, lost) =>
        this.opts.logger[lost ? 'warn' : 'debug'](`renewing the lease of '${id}' failed: ${(e as Error).message}`, { event: LogEvent.leaseRenewFailed, instanceId: id }),
      () => item.leaseId,
    );
    if (inline?.claimless === undefined) keeper.start();
    const claimFreeLease = inline?.claimless === undefined ? undefined : item.leaseId;
    try {
      const committed = await this.turn(item, inline);
      this.failures.delete(id);
      return committed;
    } catch (e) {
      keeper.stop();
      this.cache.delete(id);
      const code = (e as { code?: string }).code;
      if (inline !== undefined && claimFreeLease !== undefined && claimFreeLease === item.leaseId && (code === StoreErrorCode.LEASE_LOST || code === StoreErrorCode.HISTORY_CONFLICT)) {
        // The claim-free commit was refused (nothing written, no lease taken): the caller claims.
        inline.conflict = true;
        return false;
      }
      if (code === StoreErrorCode.LEASE_LOST || code === StoreErrorCode.HISTORY_CONFLICT) {
        this.opts.logger.warn(`turn of '${id}' discarded: ${(e as Error).message}`, { event: LogEvent.leaseLost, instanceId: id });
        notifyObserver(this.opts.observer, 'leaseLost', { instanceId: id, name: item.instance.name });
        // HISTORY_CONFLICT is checked after the lease, so the lease is still ours: release it now
        // rather than sit on it for leaseMs. With an inline completion the lost lease may be the
        // task's, not ours; and a lease adopted after the commit was sent is ours as well: release
        // it. (Under a lease another node holds now, the abandon fails harmlessly.)
        await this.store.abandonOrchestration(id, item.leaseId).catch(() => undefined);
      } else {
        this.opts.logger.error(`turn of '${id}' failed: ${(e as Error).message}`, { event: LogEvent.turnFailed, instanceId: id, error: String(e) });
        if (!(e instanceof InfrastructureError) && this.countFailure(id) >= POISON_TURN_ATTEMPTS) {
          // Not the store's fault and not going away (a corrupt message, an engine bug): end the
          // instance with the error instead of retrying it forever.
          this.failures.delete(id);
          if (await this.failPoisoned(item, e)) return false;
        }
        const retryAt = this.opts.clock.now() + this.opts.pollIntervalMs;
        await this.store.abandonOrchestration(id, item.leaseId, retryAt).catch(() => undefined);
      }
      return false;
    } finally {
      keeper.stop();
      if (this.active.get(id) === item) this.active.delete(id);
    }
  }

  /** Counts one more non-store failure of `instanceId`'s turn; returns the consecutive count. */
  private countFailure(instanceId: string): number {
    const n = (this.failures.get(instanceId) ?? 0) + 1;
    this.failures.delete(instanceId); // re-insert: the Map's order is the eviction order
    this.failures.set(instanceId, n);
    if (this.failures.size > MAX_TRACKED_FAILURES) this.failures.delete(this.failures.keys().next().value as string);
    return n;
  }

  /**
   * Commits a turn under the claim's lease and epoch (fencing: a stale claim's commit is refused),
   * read now: the turn may have adopted a newer claim of its instance while it ran.
   */
  private async commit(item: OrchestrationWorkItem, commit: TurnCommit): Promise<CommittedTurn | void> {
    for (;;) {
      const lease = item.leaseId;
      commit.leaseId = lease;
      if (item.epoch !== undefined) commit.epoch = item.epoch;
      try {
        const result = await asWriteError(this.store.commitTurn(commit), 'commitTurn');
        // Committed: the lease is released, so a claim from now on is a new turn, not one to adopt.
        if (this.active.get(item.instance.instanceId) === item) this.active.delete(item.instance.instanceId);
        return result;
      } catch (e) {
        // Refused because this node's re-claim (adopted by this turn) landed while the commit was
        // on its way: a refused commit wrote nothing, so the same commit goes again under the
        // adopted lease (a claim-free one now as an ordinary commit under that claim). Any other
        // refusal stands.
        if ((e as { code?: string }).code === StoreErrorCode.LEASE_LOST && item.leaseId !== lease) {
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
  private async commitLeasing(item: OrchestrationWorkItem, commit: TurnCommit, now: number): Promise<{ count: number; settle: () => void } | undefined> {
    const reservation = commit.tasks.length > 0 ? this.hooks.reserveActivities?.(commit.tasks, now) : undefined;
    if (reservation === undefined) {
      await this.commit(item, commit);
      return undefined;
    }
    commit.taskLease = reservation.lease;
    let result: CommittedTurn | void;
    try {
      result = await this.commit(item, commit);
    } catch (e) {
      reservation.settle(undefined);
      throw e;
    }
    const leased = result?.leasedTasks ?? [];
    return { count: leased.length, settle: () => reservation.settle(leased) };
  }

  /**
   * Releases a claim of an orchestration this node has no registration for (a store that ignores
   * `names`, an inline claim, a registration gone): the instance waits for a node that serves it.
   */
  private async releaseUnserved(item: OrchestrationWorkItem): Promise<false> {
    const { name, instanceId } = item.instance;
    return this.releaseToWait(item, this.unservedLogged, name, () =>
      this.opts.logger.warn(`no orchestration named '${name}' is registered here: '${instanceId}' (and any other instance of it) waits for a node that serves it`, {
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
  private async releaseToWait(item: OrchestrationWorkItem, logged: Set<string>, key: string, log: () => void): Promise<false> {
    if (!logged.has(key)) {
      logged.add(key);
      log();
    }
    await this.store.abandonOrchestration(item.instance.instanceId, item.leaseId, this.opts.clock.now() + this.opts.pollIntervalMs).catch(() => undefined);
    return false;
  }

  private async turn(item: OrchestrationWorkItem, inline?: InlineCompletion): Promise<boolean> {
    const { instance, leaseId } = item;
    const id = instance.instanceId;
    const consumed = item.messages.map((m) => m.id);
    if (isTerminalStatus(instance.status)) {
      // Late events for a finished instance: consume them and change nothing.
      const commit = consumeOnly(instance, leaseId, consumed);
      if (inline) withInline(commit, inline);
      await this.commit(item, commit);
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
      await this.commit(item, commit);
      return true;
    }
    const now = this.opts.clock.now();
    let runtime: OrchestrationRuntime | undefined;
    let forced: ExecutionOutcome | undefined;

    if (instance.historyLength === 0) {
      const startIdx = events.findIndex((e) => e.type === EventType.ExecutionStarted);
      if (startIdx < 0) {
        if (events.some((e) => e.type === EventType.ExecutionTerminated)) {
          forced = terminatedOutcome(events);
        } else {
          // Events for an instance whose (scheduled) start is not due yet: keep them for later.
          const retryAt = instance.scheduledStartAt !== undefined && instance.scheduledStartAt > now ? instance.scheduledStartAt : now + this.opts.pollIntervalMs;
          await this.store.abandonOrchestration(id, item.leaseId, retryAt);
          return false;
        }
      } else if (startIdx > 0) {
        events.unshift(...events.splice(startIdx, 1));
      }
    }

    const remote = forced ? undefined : this.registry.orchestration(instance.name)?.remote;
    if (remote) return this.remoteTurn(item, remote, events, now);

    if (!forced) {
      const cached = this.cache.take(id, instance.executionId, instance.historyLength);
      if (cached) {
        runtime = cached.runtime;
        this.stats.cacheHits += 1;
      } else {
        if (!this.registry.orchestration(instance.name)) return this.releaseUnserved(item);
        // Read at most once, and only when needed: the replay needs it, and its ExecutionStarted
        // names the definition of rows written before instances had a definition hash. A node that
        // lacks the instance's (known) version finds out without reading it.
        let loaded: HistoryEvent[] | undefined;
        const loadPast = async (): Promise<HistoryEvent[]> =>
          (loaded ??= instance.historyLength > 0 ? (await asReadError(this.store.loadHistory(id), 'loadHistory')).map(fromHistoryRecord) : []);
        const made = await runtimeForInstance(instance, events, loadPast, this.registry, this.opts);
        if ('waiting' in made) return this.waitForDefinition(item, made.waiting);
        if ('failure' in made) forced = failedOutcome(made.failure);
        else {
          runtime = made.runtime;
          if (this.opts.observer?.turnCommitted) runtime.noteBuffer = [];
          if (instance.historyLength > 0) {
            const past = await loadPast();
            this.stats.replays += 1;
            this.stats.replayedEvents += past.length;
            try {
              runtime.apply(past, true);
            } catch (e) {
              forced = this.nonDeterminism(instance, e);
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
        forced = this.nonDeterminism(instance, e);
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
      openChildren: runtime ? runtime.openChildren() : [],
      describe: this.describe,
      limits: this.opts,
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
    const handOver = await this.commitLeasing(item, built.commit, now);
    try {
      if (rt) rt.committedWaitKeys = waitKeys;
      this.stats.turns += 1;
      const historyLength = built.commit.firstSeq + built.commit.history.length;
      // Idle instances (waiting only on events or far timers) leave memory, unless their history is
      // long enough that replaying it on the next event would cost more than keeping them.
      if (rt && !rt.outcome && (historyLength >= IDLE_KEEP_HISTORY || !rt.isIdle(now + this.opts.cacheIdleTimerMs))) {
        this.cache.put(id, { runtime: rt, executionId: instance.executionId, historyLength });
      }
      if (rt?.noteBuffer) this.observeTurn(instance, rt, built.status);
      logOutcome(this.opts, instance, built.status, forced ?? rt?.outcome, rt?.trace.traceId);
      this.hooks.committed(id, built.status);
    } finally {
      // After the cache holds the runtime: the activities' inline completions find it there.
      handOver?.settle();
    }
    // Tasks not handed over pre-leased wait for the activity worker's claim.
    if (built.commit.tasks.length > (handOver?.count ?? 0)) this.hooks.activitiesEnqueued();
    if (built.commit.messages.length > 0 || built.commit.newInstances.length > 0) this.wakeup.notify();
    return true;
  }

  /**
   * A turn of a remote orchestration (engine/remote.ts): the whole history and this turn's events
   * go to the remote side, its actions are checked against the history and committed exactly as
   * an in-process turn's (one transaction, under this claim's lease, which the LeaseKeeper renews
   * while the remote side works). No worker able to take it: the instance waits.
   */
  private async remoteTurn(item: OrchestrationWorkItem, remote: RemoteOrchestrator, events: HistoryEvent[], now: number): Promise<boolean> {
    const { instance, leaseId } = item;
    const id = instance.instanceId;
    const past =
      instance.historyLength === 0
        ? []
        : (this.remotePast.take(id, instance.executionId, instance.historyLength) ?? (await asReadError(this.store.loadHistory(id), 'loadHistory')).map(fromHistoryRecord));
    const newEvents: HistoryEvent[] = [{ type: EventType.OrchestratorStarted, eventId: -1, timestamp: now }, ...events];
    const answer = await remote.executeTurn({ instanceId: id, executionId: instance.executionId, name: instance.name, pastEvents: past, newEvents });
    if ('unavailable' in answer) {
      if (past.length > 0) this.remotePast.put(id, instance.executionId, past);
      return this.releaseToWait(item, this.waitingLogged, `remote:${instance.name}`, () =>
        this.opts.logger.warn(`'${id}' (remote orchestration '${instance.name}') waits: ${answer.unavailable}`, { event: LogEvent.workUnserved, instanceId: id, name: instance.name }),
      );
    }
    this.waitingLogged.delete(`remote:${instance.name}`);
    let outcome: ExecutionOutcome | undefined = answer.outcome;
    let actions = answer.actions;
    try {
      checkRemoteActions(id, past, actions);
    } catch (e) {
      outcome = this.nonDeterminism(instance, e);
      actions = [];
    }
    const facts = remoteTurnFacts([...past, ...newEvents]);
    // OrchestratorStarted comes first: the execution's ExecutionStarted follows it in its first turn.
    const started = past.find((e) => e.type === EventType.ExecutionStarted) ?? newEvents.find((e) => e.type === EventType.ExecutionStarted);
    const traceparent = started?.type === EventType.ExecutionStarted ? started.traceparent : undefined;
    const trace = executionTrace(id, instance.executionId, traceparent);
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
      describe: this.describe,
      limits: this.opts,
      ...(traceparent !== undefined ? { traceparent } : {}),
    });
    await this.commit(item, built.commit);
    this.stats.turns += 1;
    const committed = built.events;
    // The next turn's past, unless this execution ended (continue-as-new starts an empty history).
    if (outcome || built.commit.resetHistory) this.remotePast.delete(id);
    else this.remotePast.put(id, instance.executionId, past.concat(committed));
    if (this.opts.observer?.remoteTurnCommitted) {
      notifyObserver(this.opts.observer, 'remoteTurnCommitted', {
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
    logOutcome(this.opts, instance, built.status, outcome, trace.traceId);
    this.hooks.committed(id, built.status);
    if (built.commit.tasks.length > 0) this.hooks.activitiesEnqueued();
    if (built.commit.messages.length > 0 || built.commit.newInstances.length > 0) this.wakeup.notify();
    return true;
  }

  /** Hands a committed turn's notes to the observer (EngineObserver.turnCommitted). */
  private observeTurn(instance: InstanceRecord, rt: OrchestrationRuntime, status: RuntimeStatus): void {
    const notes = rt.noteBuffer?.splice(0) ?? [];
    const failure = rt.outcome?.failure;
    notifyObserver(this.opts.observer, 'turnCommitted', {
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

  /** Commits FAILED (code TURN_FAILED) for an instance whose turn keeps throwing. True if committed. */
  private async failPoisoned(item: OrchestrationWorkItem, error: unknown): Promise<boolean> {
    const { instance } = item;
    const now = this.opts.clock.now();
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
      const first = instance.historyLength > 0 ? (await this.store.loadHistory(instance.instanceId))[0] : undefined;
      const started = first ? fromHistoryRecord(first) : undefined;
      if (started?.type === EventType.ExecutionStarted && started.parent) {
        commit.messages.push(parentNotice(started.parent, { status: 'FAILED', failure, actionId: -1 }, instance.instanceId, now));
      }
      await this.commit(item, commit);
    } catch {
      return false;
    }
    logFailed(this.opts, instance, failure);
    this.hooks.committed(instance.instanceId, RuntimeStatus.FAILED);
    return true;
  }

  /**
   * Releases the claim of an instance whose definition version is not registered here, to be
   * claimed again after a poll interval (never failed: the version may be registered later, or
   * another node has it). Logged once per name and version.
   */
  private async waitForDefinition(item: OrchestrationWorkItem, reason: string): Promise<false> {
    const { instanceId, name } = item.instance;
    return this.releaseToWait(item, this.waitingLogged, reason, () =>
      this.opts.logger.warn(`instance '${instanceId}' waits: ${reason}`, { event: LogEvent.definitionMissing, instanceId, name, definitionHash: item.instance.definitionHash }),
    );
  }

  private nonDeterminism(instance: InstanceRecord, e: unknown): ExecutionOutcome {
    if (!(e instanceof NonDeterminismError)) throw e;
    this.opts.logger.error(e.message, { event: LogEvent.nonDeterminism, instanceId: instance.instanceId });
    return failedOutcome(toFailureDetails(e));
  }
}

/** An inline completion's parts of a commit: the tasks it retires, and the claim-free condition. */
function withInline(commit: TurnCommit, inline: InlineCompletion): void {
  commit.completedTasks = inline.completedTasks;
  if (inline.claimless !== undefined) commit.claimless = inline.claimless;
}
