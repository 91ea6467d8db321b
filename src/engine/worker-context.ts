/**
 * @module engine/worker-context
 * What the parts of one orchestration worker share: its store, registry, options and engine
 * hooks, and the per-worker state its turns read and write (the runtime cache, the instances
 * whose turn runs here, the failure counts, the once-only log keys). The worker owns one of these;
 * the turn modules (turn-runner, local-turn, remote-turn, turn-commit, turn-release, poison-turn,
 * inline-completion) receive it instead of reaching into the worker class.
 */

import type { InstanceRecord, NewActivityTask, OrchestrationWorkItem, RuntimeStatus, Store } from '../store/types.js';
import type { ActivityReservation } from './activity-worker.js';
import type { OrchestrationCache } from './cache.js';
import type { RemoteHistoryCache } from './remote.js';
import type { CompiledEngineOptions } from './options.js';
import type { Registry } from './registry.js';
import type { DescribeOrchestration } from './turn.js';
import type { Wakeup } from './wakeup.js';

/** Callbacks into the engine. */
export interface OrchestrationWorkerHooks {
  /**
   * A turn of `instanceId` committed (wakes waitForCompletion). `record`, when given, returns the
   * instance record as that commit left it — what getInstance would read now (turn.ts
   * cacheableRecord), or undefined when the turn cannot tell (its claim omitted the payloads).
   */
  committed(instanceId: string, status: RuntimeStatus, record?: () => InstanceRecord | undefined): void;
  /** Activity tasks were enqueued. */
  activitiesEnqueued(): void;
  /**
   * The local activity worker's reservation for tasks a turn is about to create: they are then
   * committed already leased to it and handed over after the commit (ActivityWorker.reserveFor).
   */
  reserveActivities?(tasks: readonly NewActivityTask[], now: number): ActivityReservation | undefined;
}

/** Counters for benchmarks and diagnostics. */
export interface OrchestrationWorkerStats {
  turns: number;
  replays: number;
  replayedEvents: number;
  cacheHits: number;
}

/** The end of one turn running here (OrchestrationWorkerContext.turnEnds). */
export interface TurnEnd {
  /** Settles when the turn has ended (committed, given its claim back or failed). */
  readonly done: Promise<void>;
  /** The lease its commit landed under; unset while it has not committed (or never did). */
  landedUnder?: string;
}

/** One orchestration worker's collaborators and shared turn state; see the module doc. */
export interface OrchestrationWorkerContext {
  readonly store: Store;
  readonly registry: Registry;
  readonly opts: CompiledEngineOptions;
  readonly hooks: OrchestrationWorkerHooks;
  readonly stats: OrchestrationWorkerStats;
  /** Live runtimes kept between turns (LRU). */
  readonly cache: OrchestrationCache;
  /** Past events of remote orchestrations kept between their turns (LRU), trusted while execution id and history length match. */
  readonly remotePast: RemoteHistoryCache;
  /** Wakes the claim loop (work may be available). */
  readonly wakeup: Wakeup;
  /** Version and definition hash of a registered orchestration, for the turns' new instances. */
  readonly describe: DescribeOrchestration;
  /**
   * Instances whose turn runs here, with the claim it runs under: when this node claims such an
   * instance again (its lease expired meanwhile), the running turn adopts the new claim's lease
   * and epoch (the item is updated in place) and commits under it.
   */
  readonly active: Map<string, OrchestrationWorkItem>;
  /**
   * How each turn running here ends (keyed by its claim's item): a claim adopted while the turn's
   * commit was on its way, but answered before it, is only the turn's own if the commit landed
   * under it (turn-runner.ts runs it as the next turn otherwise).
   */
  readonly turnEnds: WeakMap<OrchestrationWorkItem, TurnEnd>;
  /** "no worker registered for … (definition …)" reasons already logged (once each, not once per poll). */
  readonly waitingLogged: Set<string>;
  /** Unregistered names already logged (once per name, not once per poll). */
  readonly unservedLogged: Set<string>;
  /** Consecutive non-store turn failures per instance (see POISON_TURN_ATTEMPTS in poison-turn.ts). */
  readonly failures: Map<string, number>;
  /**
   * Instances whose turn here just committed a terminal status: no timer of theirs can be due, so
   * the end of that turn wakes the claim loop only if it may have missed work (notifyIfMissed).
   * Added by the local turn, taken out by the worker when the turn settles.
   */
  readonly endedHere: Set<string>;
  /**
   * The claim loop's store claim while it is on its way, settled once every instance it returned
   * that runs here has been adopted by its running turn: a commit refused LEASE_LOST may have met
   * this very claim in the store before its answer reached us (turn-commit.ts waits for it).
   */
  claimInFlight: Promise<unknown> | undefined;
}
