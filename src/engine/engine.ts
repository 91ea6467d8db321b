/**
 * @module engine/engine
 * The embedded engine: `createEngine(options)` opens the store, `register*` adds code, `start()`
 * runs the orchestration and activity workers, `client` manages instances, `stop()` shuts down
 * gracefully (finishes turns, waits for or releases running activities, closes an owned store).
 * A fatal store fault (onFatal) makes the engine unhealthy: it stops claiming and reports it.
 */

import { randomBytes } from 'node:crypto';
import { SwirlError } from '../errors.js';
import { raiseResponseLimit } from '../components/response-limit.js';
import { openStore } from '../store/index.js';
import { isTerminalStatus, type InstanceRecord, type QueuedWorkCount, type RuntimeStatus, type Store } from '../store/types.js';
import type { StatusListener } from './client-host.js';
import { ActivityWorker } from './activity-worker.js';
import { EngineClient } from './client.js';
import { EngineErrorCode } from './error-codes.js';
import { LogEvent } from './logger.js';
import { OrchestrationWorker } from './orchestration-worker.js';
import { withDefaults, type CompiledEngineOptions, type EngineOptions } from './options.js';
import type { AnyOrchestrationFunction, OrchestrationFunction, PlainOrchestrationFunction } from './replay/context.js';
import { Registry, type ActivityFunction, type OrchestrationRegistration } from './registry.js';
import type { RemoteOrchestrator } from './remote.js';
import { StoreHealth } from './store-health.js';

/** Counters for benchmarks and diagnostics. */
export interface EngineStats {
  /** Orchestration turns committed by this engine. */
  turns: number;
  /** Turns that had to rebuild a runtime by replaying stored history (restart or eviction). */
  replays: number;
  /** History events replayed by those rebuilds. */
  replayedEvents: number;
  /** Turns served from the live-orchestration cache. */
  cacheHits: number;
  /** Live orchestrations in memory right now. */
  cachedInstances: number;
  /** Activity executions started by this engine. */
  activityExecutions: number;
  /** Instance leases held right now (turns running on this engine). */
  instanceLeases: number;
  /** Task leases held right now (activities running on this engine). */
  taskLeases: number;
}

/** Ready work of one name, and whether this engine serves it; see {@link Engine.queuedWork}. */
export interface QueuedWork extends QueuedWorkCount {
  /** This engine has a registration for the name (false: the work waits for another node). */
  served: boolean;
}

/** Whether the engine can do its work; see {@link Engine.health}. */
export type EngineHealth = { healthy: true } | { healthy: false; reason: string; error: Error };

/** A running Swirl engine. */
export class Engine {
  /** Instance management. Usable before start() (instances wait for a worker). */
  readonly client: EngineClient;
  /** The resolved options. */
  readonly options: CompiledEngineOptions;
  private readonly registry = new Registry();
  private readonly orchestrations: OrchestrationWorker;
  private readonly activities: ActivityWorker;
  private readonly listeners = new Map<string, Set<StatusListener>>();
  private readonly ownsStore: boolean;
  private state: 'created' | 'running' | 'stopped' = 'created';
  private unsubscribeClock: (() => void) | undefined;
  /** Wake-ups from other nodes on a shared store (Store.onChange). */
  private unsubscribeStore: (() => void) | undefined;
  private readonly unsubscribeFatal: () => void;
  private fatal: Error | undefined;
  /** The claim loops' view of the store (health(): failing while the latest claim failed). */
  private readonly storeHealth = new StoreHealth();
  private readonly fatalListeners = new Set<(error: Error) => void>();
  /**
   * `<workerId>:<incarnation>:`, the prefix of every lease this engine takes. The incarnation is
   * new at each process start, so leases stay unique across restarts with a stable workerId and
   * `<workerId>:` names every incarnation's (see start()).
   */
  private readonly leasePrefix: string;

  /** Use {@link createEngine}. */
  constructor(
    readonly store: Store,
    options: CompiledEngineOptions,
  ) {
    this.options = options;
    // Outbound HTTP calls may read a response as large as a result this engine can store.
    raiseResponseLimit(options.maxPayloadBytes);
    this.ownsStore = typeof options.store === 'string';
    this.leasePrefix = `${options.workerId}:${Date.now().toString(36)}${randomBytes(3).toString('hex')}:`;
    this.orchestrations = new OrchestrationWorker(
      store,
      this.registry,
      options,
      {
        committed: (id, status, record) => {
          if (isTerminalStatus(status)) this.activities.instanceEnded(id);
          this.changed(id, status, record);
        },
        activitiesEnqueued: () => this.activities.notify(),
        reserveActivities: (tasks, now) => this.activities.reserveFor(tasks, now),
      },
      this.leasePrefix,
      this.storeHealth,
    );
    this.activities = new ActivityWorker(
      store,
      this.registry,
      options,
      () => this.orchestrations.notify(),
      (item, event) => this.orchestrations.completeActivityInline(item, event),
      this.leasePrefix,
      this.storeHealth,
    );
    // Another node's commits wake this node's workers and waiters (polling stays the safety net);
    // subscribed here, not in start(), so that a client-only engine's waitForCompletion hears them too.
    this.unsubscribeStore = store.onChange?.((change) => {
      if (change.kind === 'work') {
        // Only the worker the work is for: an activity claim after a start elsewhere finds nothing.
        if (change.what !== 'tasks') this.orchestrations.notify();
        if (change.what !== 'instances') this.activities.notify();
      } else {
        if (isTerminalStatus(change.status)) this.activities.instanceEnded(change.instanceId);
        this.changed(change.instanceId, change.status);
      }
    });
    // Guarded: a Store written against the interface before onFatal existed has no fatal faults.
    this.unsubscribeFatal = typeof store.onFatal === 'function' ? store.onFatal((error) => this.storeFailed(error)) : () => undefined;
    this.client = new EngineClient({
      store: () => {
        if (this.state === 'stopped') throw new SwirlError(EngineErrorCode.ENGINE_STOPPED, 'the engine has been stopped');
        return this.store;
      },
      registry: this.registry,
      opts: options,
      watchChanges: (id, listener) => this.watchChanges(id, listener),
      notify: () => this.orchestrations.notify(),
      reserveStart: (name, now) => this.orchestrations.reserveStart(name, now),
    });
  }

  /** Registers an orchestration (a generator function yielding ctx tasks) under `name`. */
  registerOrchestration<TIn = any, TOut = any>(name: string, fn: OrchestrationFunction<TIn, TOut>, options?: OrchestrationRegistration): this;
  /** Registers an orchestration that waits for nothing (a plain function) under `name`. */
  registerOrchestration<TIn = any, TOut = any>(name: string, fn: PlainOrchestrationFunction<TIn, TOut>, options?: OrchestrationRegistration): this;
  registerOrchestration(name: string, fn: AnyOrchestrationFunction, options?: OrchestrationRegistration): this {
    this.registry.addOrchestration(name, fn, options);
    // Claims are filtered by the registered names: instances of this name may be waiting already.
    this.orchestrations.notify();
    return this;
  }

  /** Registers an activity function under `name`. */
  /**
   * Registers `name` as an orchestration whose code runs elsewhere (engine/remote.ts): each turn
   * asks `remote` for the actions and commits them like an in-process turn. Idempotent.
   */
  registerRemoteOrchestration(name: string, remote: RemoteOrchestrator): this {
    if (this.registry.addRemoteOrchestration(name, remote)) {
      const canRun = remote.canRun?.bind(remote);
      if (canRun) this.registry.setAvailability('orchestration', name, () => canRun('orchestration', name));
      this.orchestrations.notify();
    }
    return this;
  }

  /** Whether an orchestration or activity of that name is registered (in-process or remote). */
  isRegistered(kind: 'orchestration' | 'activity', name: string): boolean {
    return kind === 'orchestration' ? this.registry.orchestration(name) !== undefined : this.registry.activity(name) !== undefined;
  }

  /**
   * `options.available`: the activity can run only while it answers true (an app's activity: while
   * a capable worker is connected); until then its tasks stay queued, counted as unserved by
   * queuedWork. Call {@link workChanged} when it may have turned true.
   */
  registerActivity<TIn = any, TOut = any>(name: string, fn: ActivityFunction<TIn, TOut>, options: { available?: () => boolean } = {}): this {
    this.registry.addActivity(name, fn as ActivityFunction);
    if (options.available) this.registry.setAvailability('activity', name, options.available);
    this.activities.notify();
    return this;
  }

  /** Wakes the workers to claim again (e.g. a remote worker connected: work that could not run may now). */
  workChanged(): void {
    this.orchestrations.notify();
    this.activities.notify();
  }

  /** Starts the workers. Idempotent. */
  async start(): Promise<void> {
    if (this.state === 'stopped') throw new SwirlError(EngineErrorCode.ENGINE_STOPPED, 'a stopped engine cannot be started again; create a new one');
    if (this.state === 'running') return;
    this.state = 'running';
    if (this.options.stableWorkerId) await this.releasePreviousLeases();
    this.unsubscribeClock = this.options.clock.onAdvance?.(() => {
      this.orchestrations.notify();
      this.activities.notify();
    });
    this.orchestrations.start();
    this.activities.start();
    this.options.logger.info('engine started', { event: LogEvent.engineStarted, store: this.store.kind, workerId: this.options.workerId });
  }

  /**
   * Graceful stop: no new work is claimed; turns in flight finish; running activities get
   * shutdownTimeoutMs to finish, then are aborted and their tasks released for another worker.
   * Closes the store if the engine opened it from a URL.
   */
  async stop(): Promise<void> {
    if (this.state === 'stopped') return;
    const wasRunning = this.state === 'running';
    this.state = 'stopped';
    this.unsubscribeClock?.();
    this.unsubscribeStore?.();
    this.unsubscribeFatal();
    if (wasRunning) await Promise.all([this.orchestrations.stop(), this.activities.stop()]);
    for (const set of this.listeners.values()) for (const l of set) l();
    this.listeners.clear();
    if (this.ownsStore) await this.store.close();
    this.options.logger.info('engine stopped', { event: LogEvent.engineStopped });
  }

  /**
   * Healthy unless the store reported a fatal fault (a failed fsync: durability can no longer be
   * guaranteed). Then nothing is claimed any more, every write fails, and the process must be
   * restarted (`swirl serve` exits with its own code for a supervisor to act on). Also unhealthy,
   * while it lasts, when the workers' latest claim failed (the database is unreachable or refuses
   * writes, the disk is full: store-health.ts); healthy again once a claim works.
   */
  health(): EngineHealth {
    if (!this.fatal) {
      const failing = this.state === 'running' ? this.storeHealth.problem() : undefined;
      return failing === undefined ? { healthy: true } : { healthy: false, ...failing };
    }
    return { healthy: false, reason: `the store failed and refuses every write: ${this.fatal.message}; restart the process`, error: this.fatal };
  }

  /** True between start() and stop() (the workers claim work), and false once the store has failed. */
  get running(): boolean {
    return this.state === 'running' && this.fatal === undefined;
  }

  /**
   * Calls `listener` once when the store reports a fatal fault (at once, asynchronously, if it
   * already has). Returns an unsubscribe function.
   */
  onFatal(listener: (error: Error) => void): () => void {
    const fatal = this.fatal;
    if (fatal) queueMicrotask(() => listener(fatal));
    else this.fatalListeners.add(listener);
    return () => this.fatalListeners.delete(listener);
  }

  /**
   * Work ready in the store now, by kind and name, each marked with whether this engine serves it.
   * Unserved work is never failed here: it waits for a node registered for it (metrics show it).
   */
  async queuedWork(): Promise<QueuedWork[]> {
    const counts = await this.store.queuedWork(this.options.clock.now());
    return counts.map((c) => ({
      ...c,
      served: this.registry.serves(c.kind, c.name),
    }));
  }

  /** Counters (turns, replays, cache hits, activity executions). */
  stats(): EngineStats {
    return {
      ...this.orchestrations.stats,
      cachedInstances: this.orchestrations.cachedInstances,
      activityExecutions: this.activities.executions,
      instanceLeases: this.orchestrations.leasesHeld,
      taskLeases: this.activities.leasesHeld,
    };
  }

  private storeFailed(error: Error): void {
    if (this.fatal) return;
    this.fatal = error;
    // One line that names the cause; the node keeps serving reads and health (503) until restarted.
    this.options.logger.error(`store failed: ${error.message}; this node stops claiming work and must be restarted`, {
      event: LogEvent.storeFailed,
      store: this.store.kind,
      code: (error as { code?: string }).code,
    });
    this.orchestrations.halt();
    this.activities.halt();
    for (const l of [...this.fatalListeners]) l(error);
    this.fatalListeners.clear();
  }

  /**
   * With a stable (configured) workerId, leases held by a previous incarnation of this node are
   * released at once: after kill -9 its instances and tasks resume now, not leaseMs later.
   */
  private async releasePreviousLeases(): Promise<void> {
    const prefix = `${this.options.workerId}:`;
    try {
      const released = await this.store.releaseLeases(prefix);
      if (released.instances > 0 || released.tasks > 0) {
        this.options.logger.info(`released ${released.instances} instance and ${released.tasks} task leases of a previous run of worker '${this.options.workerId}'`, {
          event: LogEvent.leasesReleased,
          ...released,
        });
      }
    } catch (e) {
      // Not fatal: those leases still expire after leaseMs.
      this.options.logger.warn(`releasing the leases of a previous run of worker '${this.options.workerId}' failed: ${(e as Error).message}`, { event: LogEvent.leasesReleased });
    }
  }

  private changed(instanceId: string, status: RuntimeStatus, record?: () => InstanceRecord | undefined): void {
    const set = this.listeners.get(instanceId);
    if (!set) return;
    for (const l of [...set]) l(status, record);
  }

  /** Calls `listener` with every committed status of `instanceId` (undefined: the engine stopped) until the returned function is called. */
  private watchChanges(instanceId: string, listener: StatusListener): () => void {
    let set = this.listeners.get(instanceId);
    if (!set) this.listeners.set(instanceId, (set = new Set()));
    set.add(listener);
    return () => {
      const s = this.listeners.get(instanceId);
      s?.delete(listener);
      if (s && s.size === 0) this.listeners.delete(instanceId);
    };
  }

}

/**
 * Creates an engine: validates the options, opens (and migrates) the store. Call `start()` to run
 * workers. `store`: 'memory' (default), 'sqlite:<path>', or a Store object.
 */
export async function createEngine(options: EngineOptions = {}): Promise<Engine> {
  const compiled = withDefaults(options);
  const store = typeof compiled.store === 'string' ? await openStore(compiled.store) : compiled.store;
  return new Engine(store, compiled);
}
