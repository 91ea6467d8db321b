/**
 * @module engine/options
 * Engine options at the boundary (STYLE guideline 9): `EngineOptions` as users write them, each
 * with its default; `withDefaults` validates and compiles them into `CompiledEngineOptions`.
 */

import { randomUUID } from 'node:crypto';
import { DefinitionError } from '../errors.js';
import type { Store } from '../store/types.js';
import { systemClock, type Clock } from './clock.js';
import { noopLogger, type Logger } from './logger.js';
import type { EngineObserver } from './observer.js';

/** Options of `createEngine`. */
export interface EngineOptions {
  /** Where state lives: `'memory'`, `'sqlite:<path>'`, or an open Store (not closed by stop()). @default 'memory' */
  store?: string | Store;
  /** Orchestration turns run concurrently (their commits group into shared store transactions). @default 100 */
  workerConcurrency?: number;
  /** Activities run concurrently. @default 100 */
  activityConcurrency?: number;
  /** Lease on claimed work: a crashed worker's work is picked up this long after it claimed it. @default 30000 */
  leaseMs?: number;
  /** Longest sleep of an idle worker before it polls the store again (work of other processes); idle polls back off from pollIntervalMs/16 to this. @default 500 */
  pollIntervalMs?: number;
  /** Most live orchestrations kept in memory between turns (LRU). 0 disables caching. @default 1000 */
  cacheSize?: number;
  /**
   * Instances waiting only on events or on timers further away than this are evicted from the
   * cache after their turn (unless their history has 200+ events, where a replay costs more). @default 2000
   */
  cacheIdleTimerMs?: number;
  /** Largest payload (input, output, event data, activity result, custom status) in UTF-8 bytes. @default 4194304 (4 MiB) */
  maxPayloadBytes?: number;
  /**
   * Deepest sub-orchestration: a root instance is at depth 0, its children at 1 … A child that
   * would be deeper is not started; the parent's sub-orchestration task fails with
   * SUBFLOW_DEPTH_LIMIT (specs/limits.md "Fan-out"). @default 64
   */
  maxSubOrchestrationDepth?: number;
  /**
   * Most instances created under one root instance (its whole tree, the root not counted), counted
   * durably in the store. Over it a child is not started; the parent's sub-orchestration task fails
   * with FANOUT_LIMIT. The count restarts when the root continues as new. @default 10000
   */
  maxInstancesPerRoot?: number;
  /** How long stop() waits for running activities before aborting them and releasing their tasks. @default 10000 */
  shutdownTimeoutMs?: number;
  /** Where the engine logs. @default a logger that drops everything */
  logger?: Logger;
  /** Source of time (a ManualClock in tests). @default the system clock */
  clock?: Clock;
  /** Inspection events for metrics (instance started/ended, lease lost). @default none */
  observer?: EngineObserver;
  /**
   * Identifies this node in lease ids (`<workerId>:<incarnation>:o<n>`). Must be unique among the
   * live nodes on one store and must not contain ':'. When given, it is treated as stable across
   * restarts: start() releases every lease a previous incarnation of the same workerId still holds
   * (a node killed with -9 gets its work back at once instead of after leaseMs), so two live
   * nodes with the same workerId would release each other's leases.
   * @default a random UUID (nothing is released at start)
   */
  workerId?: string;
}

/** Validated options with every default filled in. */
export interface CompiledEngineOptions {
  store: string | Store;
  workerConcurrency: number;
  activityConcurrency: number;
  leaseMs: number;
  pollIntervalMs: number;
  cacheSize: number;
  cacheIdleTimerMs: number;
  maxPayloadBytes: number;
  maxSubOrchestrationDepth: number;
  maxInstancesPerRoot: number;
  shutdownTimeoutMs: number;
  logger: Logger;
  clock: Clock;
  observer: EngineObserver | undefined;
  workerId: string;
  /** True when workerId was configured (stable across restarts), not generated. */
  stableWorkerId: boolean;
}

/** Default values of {@link EngineOptions}. */
export const ENGINE_DEFAULTS = {
  store: 'memory',
  workerConcurrency: 100,
  activityConcurrency: 100,
  leaseMs: 30_000,
  pollIntervalMs: 500,
  cacheSize: 1000,
  cacheIdleTimerMs: 2000,
  maxPayloadBytes: 4 * 1024 * 1024,
  maxSubOrchestrationDepth: 64,
  maxInstancesPerRoot: 10_000,
  shutdownTimeoutMs: 10_000,
} as const;

function integer(name: string, value: number | undefined, fallback: number, min: number): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < min) {
    throw new DefinitionError('INVALID_OPTION', `engine option ${name} must be an integer >= ${min}, got ${String(value)}`);
  }
  return v;
}

function workerIdOf(value: string | undefined): string {
  if (value === undefined) return randomUUID();
  // ':' separates the parts of a lease id: a workerId containing one could be a prefix of another's.
  if (typeof value !== 'string' || value === '' || value.length > 200 || value.includes(':')) {
    throw new DefinitionError('INVALID_OPTION', `engine option workerId must be a non-empty string of at most 200 characters without ':', got ${JSON.stringify(value)}`);
  }
  return value;
}

/** Validates `options` (DefinitionError INVALID_OPTION) and fills in defaults. */
export function withDefaults(options: EngineOptions = {}): CompiledEngineOptions {
  const store = options.store ?? ENGINE_DEFAULTS.store;
  if (typeof store !== 'string' && (typeof store !== 'object' || store === null || typeof store.commitTurn !== 'function')) {
    throw new DefinitionError('INVALID_OPTION', "engine option store must be 'memory', 'sqlite:<path>' or a Store object");
  }
  return {
    store,
    workerConcurrency: integer('workerConcurrency', options.workerConcurrency, ENGINE_DEFAULTS.workerConcurrency, 1),
    activityConcurrency: integer('activityConcurrency', options.activityConcurrency, ENGINE_DEFAULTS.activityConcurrency, 1),
    leaseMs: integer('leaseMs', options.leaseMs, ENGINE_DEFAULTS.leaseMs, 100),
    pollIntervalMs: integer('pollIntervalMs', options.pollIntervalMs, ENGINE_DEFAULTS.pollIntervalMs, 1),
    cacheSize: integer('cacheSize', options.cacheSize, ENGINE_DEFAULTS.cacheSize, 0),
    cacheIdleTimerMs: integer('cacheIdleTimerMs', options.cacheIdleTimerMs, ENGINE_DEFAULTS.cacheIdleTimerMs, 0),
    maxPayloadBytes: integer('maxPayloadBytes', options.maxPayloadBytes, ENGINE_DEFAULTS.maxPayloadBytes, 16),
    maxSubOrchestrationDepth: integer('maxSubOrchestrationDepth', options.maxSubOrchestrationDepth, ENGINE_DEFAULTS.maxSubOrchestrationDepth, 1),
    maxInstancesPerRoot: integer('maxInstancesPerRoot', options.maxInstancesPerRoot, ENGINE_DEFAULTS.maxInstancesPerRoot, 1),
    shutdownTimeoutMs: integer('shutdownTimeoutMs', options.shutdownTimeoutMs, ENGINE_DEFAULTS.shutdownTimeoutMs, 0),
    logger: options.logger ?? noopLogger,
    clock: options.clock ?? systemClock,
    observer: options.observer,
    workerId: workerIdOf(options.workerId),
    stableWorkerId: options.workerId !== undefined,
  };
}
