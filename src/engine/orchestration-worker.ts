/**
 * @module engine/orchestration-worker
 * Runs orchestration turns: claims instances with visible inbox messages (leased, so a crashed
 * worker's instances come back after the lease), runs up to `workerConcurrency` turns at once —
 * their commits reach the store together and share transactions — and keeps live runtimes in an
 * LRU cache between turns. Waits for work via in-process notifications plus a backoff poll.
 * This class owns the worker's lifecycle, its claim loop and capacity (including starts claimed
 * with their create); a turn itself runs in turn-runner.ts (local-turn.ts, remote-turn.ts), and
 * inline activity completion is in inline-completion.ts.
 */

import type { ActivityWorkItem, CreatedInstance, CreateInstanceRequest, OrchestrationWorkItem, Store } from '../store/types.js';
import { OrchestrationCache } from './cache.js';
import { RemoteHistoryCache } from './remote.js';
import type { HistoryEvent } from './history.js';
import type { CompiledEngineOptions } from './options.js';
import type { Registry } from './registry.js';
import { runClaimLoop } from './claim-loop.js';
import type { StoreHealth } from './store-health.js';
import { Wakeup } from './wakeup.js';
import { timerDueBy } from './replay/open-tasks.js';
import type { StartReservation } from './client-host.js';
import { completeActivityInline, type InlineCompletionHost } from './inline-completion.js';
import { adoptClaim, runTurn } from './turn-runner.js';
import { runFusedStart } from './fused-start.js';
import type { OrchestrationWorkerContext, OrchestrationWorkerHooks, OrchestrationWorkerStats } from './worker-context.js';

export type { OrchestrationWorkerHooks, OrchestrationWorkerStats } from './worker-context.js';

/** Claims instances and runs their turns; see the module doc. */
export class OrchestrationWorker {
  readonly stats: OrchestrationWorkerStats = { turns: 0, replays: 0, replayedEvents: 0, cacheHits: 0 };
  private readonly ctx: OrchestrationWorkerContext;
  private readonly inlineHost: InlineCompletionHost;
  private readonly inflight = new Set<Promise<void>>();
  private running = false;
  /** Turn capacity promised to starts claimed with their create (see reserveStart). */
  private reservedStarts = 0;
  /** The wake-up mark taken before the loop's current claim (see Wakeup.notifyIfMissed). */
  private claimMark = 0;
  private loopDone: Promise<void> | undefined;
  private leaseCounter = 0;

  /**
   * @param leasePrefix `<workerId>:<incarnation>:`, unique per engine start, so that a restarted
   *   node can release its previous incarnation's leases by prefix and never mistakes them for its own.
   */
  constructor(
    private readonly store: Store,
    private readonly registry: Registry,
    private readonly opts: CompiledEngineOptions,
    hooks: OrchestrationWorkerHooks,
    private readonly leasePrefix = `${opts.workerId}:`,
    /** Told each claim's outcome (Engine.health). */
    private readonly storeHealth?: StoreHealth,
  ) {
    this.ctx = {
      store,
      registry,
      opts,
      hooks,
      stats: this.stats,
      cache: new OrchestrationCache(opts.cacheSize),
      remotePast: new RemoteHistoryCache(opts.cacheSize),
      wakeup: new Wakeup(),
      describe: (name) => {
        const r = registry.orchestration(name);
        if (!r) return undefined;
        const d: { version?: string; definitionHash?: string } = {};
        if (r.version !== undefined) d.version = r.version;
        if (r.definitionHash !== undefined) d.definitionHash = r.definitionHash;
        return d;
      },
      active: new Map<string, OrchestrationWorkItem>(),
      turnEnds: new WeakMap(),
      waitingLogged: new Set<string>(),
      unservedLogged: new Set<string>(),
      failures: new Map<string, number>(),
      endedHere: new Set<string>(),
      claimInFlight: undefined,
    };
    this.inlineHost = {
      ctx: this.ctx,
      isRunning: () => this.running,
      newLeaseId: () => this.newLeaseId(),
      runTurn: (item, inline) => runTurn(this.ctx, item, inline),
      track: (p, mark, instanceId) => this.track(p, mark, instanceId),
    };
  }

  /** Number of live orchestrations cached. */
  get cachedInstances(): number {
    return this.ctx.cache.size;
  }

  /** Instance leases this worker holds right now (turns running here). */
  get leasesHeld(): number {
    return this.ctx.active.size;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loopDone = this.loop();
  }

  /** Stops claiming, then waits for the turns in flight (they are short: no user I/O runs in a turn). */
  async stop(): Promise<void> {
    this.running = false;
    this.ctx.wakeup.notify();
    await this.loopDone;
    await Promise.allSettled([...this.inflight]);
    this.ctx.cache.clear();
    this.ctx.remotePast.clear();
  }

  /**
   * Stops claiming at once without waiting (the store has failed: nothing more can be committed).
   * Turns in flight fail on their own.
   */
  halt(): void {
    this.running = false;
    this.ctx.wakeup.notify();
  }

  /** Work may be available now. */
  notify(): void {
    this.ctx.wakeup.notify();
  }

  /**
   * For a start of `name` due now (store feature `turnShortcuts` or `fusedStart`): a lease for the
   * create to claim the new instance with (`fuse`: to commit its first turn with, computed here),
   * and `settle`, which runs the claimed item's first turn here — the claim
   * the worker would make right after the create, made in the create's transaction. Undefined when
   * this worker does not run `name` or has no capacity free (the start is then claimed as usual).
   */
  reserveStart(name: string, now: number): StartReservation | undefined {
    const features = this.store.features;
    if (!this.running || (features?.turnShortcuts !== true && features?.fusedStart !== true) || this.registry.orchestration(name) === undefined) return undefined;
    if (this.opts.workerConcurrency - this.inflight.size - this.reservedStarts <= 0) return undefined;
    this.reservedStarts += 1;
    // Before the create that locks the instance is submitted (see Wakeup.notifyIfMissed).
    const mark = this.ctx.wakeup.mark();
    let open = true;
    const claim = { leaseId: this.newLeaseId(), now, leaseMs: this.opts.leaseMs };
    const fuse =
      this.store.features?.fusedStart === true
        ? (request: CreateInstanceRequest): Promise<CreatedInstance | undefined> => {
            // In flight like any turn from now on (its end wakes the loop as a turn's does): its
            // capacity moves from the reservation to the turns in flight, not counted twice.
            open = false;
            this.reservedStarts -= 1;
            const fused = runFusedStart(this.ctx, request, claim.leaseId).then((r) => {
              if (r === undefined) {
                // Not fused (nothing written): the claimed create's turn needs the reservation again.
                open = true;
                this.reservedStarts += 1;
              }
              return r;
            });
            this.track(fused.then((r) => r?.created === true), mark, request.instanceId);
            return fused;
          }
        : undefined;
    return {
      claim,
      ...(fuse !== undefined ? { fuse } : {}),
      settle: (claimed) => {
        if (!open) return;
        open = false;
        this.reservedStarts -= 1;
        if (claimed === undefined) return;
        // Stopped meanwhile: give the claim back at once rather than leave it to its lease expiry.
        if (this.running) this.track(runTurn(this.ctx, claimed), mark, claimed.instance.instanceId);
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
          this.claimMark = this.ctx.wakeup.mark();
          const claimed = this.store.claimOrchestrations({ leaseId: this.newLeaseId(), now, leaseMs: this.opts.leaseMs, limit, names }).then((items) => {
            // A re-claim of an instance whose turn still runs here: that turn adopts it now, before
            // a commit refused because of it looks at its lease (runTurn adopts it too, and logs).
            for (const item of items) adoptClaim(this.ctx, item);
            return items;
          });
          this.ctx.claimInFlight = claimed;
          try {
            return await claimed;
          } finally {
            if (this.ctx.claimInFlight === claimed) this.ctx.claimInFlight = undefined;
          }
        },
        // Launched right after the claim that returned them, before the loop's next claim.
        launch: (item) => this.track(runTurn(this.ctx, item), this.claimMark, item.instance.instanceId),
      },
      this.store,
      this.ctx.wakeup,
      this.opts,
      this.storeHealth,
    );
  }

  /**
   * Counts a turn as in flight until it settles; then wakes the loop if it may have missed work
   * because of it (Wakeup.notifyIfMissed, `mark` taken before the turn's instance was locked) or
   * the turn did not commit (its instance may be claimable again at once), or a timer of its
   * instance came due while the turn held it (no one announces that: the loop found the instance
   * locked and sleeps until its next poll) — or it cannot tell (no cached runtime: a remote
   * orchestration, an evicted one; not when a later turn of the instance already runs here, which
   * is tracked in turn, nor when this turn ended the instance: nothing of it is due any more).
   */
  private track(turn: Promise<boolean>, mark: number, instanceId: string): void {
    const p = turn.then(
      (committed) => {
        this.inflight.delete(p);
        // Ended by this turn: no timer of it can be due.
        const ended = this.ctx.endedHere.delete(instanceId);
        const cached = this.ctx.cache.peek(instanceId);
        // Not cached because the instance's next turn already runs here (an inline completion
        // took the runtime from the cache before this callback ran): that turn holds the instance
        // now and its own end looks at its timers, so this one need not wake the loop for them.
        const next = cached === undefined && this.ctx.active.has(instanceId);
        const timerDue = !next && !ended && (cached === undefined || timerDueBy(cached.runtime.open, this.ctx.opts.clock.now()));
        if (committed && !timerDue) this.ctx.wakeup.notifyIfMissed(mark);
        else this.ctx.wakeup.notify();
      },
      () => {
        this.inflight.delete(p);
        this.ctx.endedHere.delete(instanceId);
        this.ctx.wakeup.notify();
      },
    );
    this.inflight.add(p);
  }

  /**
   * Records an activity's result together with the orchestration's next turn in ONE commit (store
   * feature `inlineActivityCompletion`): claim that instance, apply the result as a new event,
   * delete the task in the turn's transaction. Returns false when that did not happen (feature
   * missing, worker stopping, instance busy here or leased elsewhere, commit failed); the caller
   * then records the result with completeActivity as usual.
   */
  async completeActivityInline(task: ActivityWorkItem, event: HistoryEvent): Promise<boolean> {
    return completeActivityInline(this.inlineHost, task, event);
  }
}
