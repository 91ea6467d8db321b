/**
 * @module host/latency
 * Latency measurement for `/metrics`: a recorder of per-operation histograms, a proxy that times
 * every async Store call as the engine makes it, and a wrapper that times activity executions.
 */
import type { Engine } from '../engine/engine.js';
import type { ActivityContext, ActivityFunction } from '../engine/registry.js';
import type { Store } from '../store/index.js';

/** Prometheus-style histogram bucket bounds in seconds. */
export const STORE_LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10] as const;

/** Latency of one operation. */
export interface OperationTiming {
  count: number;
  errors: number;
  sumSeconds: number;
  /** Cumulative counts per bucket of {@link STORE_LATENCY_BUCKETS} (+Inf is `count`). */
  buckets: number[];
}

/** Latency by operation name (`commitTurn`, `claimOrchestrations`, … or an activity name). */
export type StoreTimings = Record<string, OperationTiming>;

/** Receives each observation as it is made (the Prometheus histograms of host/metrics-registry). */
export type LatencySink = (op: string, seconds: number, failed: boolean) => void;

/** Records durations by operation. */
export class LatencyRecorder {
  private readonly stats: StoreTimings = {};

  constructor(private readonly sink?: LatencySink) {}

  /** Adds one observation. */
  record(op: string, seconds: number, failed: boolean): void {
    this.sink?.(op, seconds, failed);
    const s = (this.stats[op] ??= { count: 0, errors: 0, sumSeconds: 0, buckets: STORE_LATENCY_BUCKETS.map(() => 0) });
    s.count += 1;
    if (failed) s.errors += 1;
    s.sumSeconds += seconds;
    for (let i = 0; i < STORE_LATENCY_BUCKETS.length; i++) if (seconds <= STORE_LATENCY_BUCKETS[i]!) s.buckets[i]! += 1;
  }

  /** Times a promise-returning call. */
  async time<T>(op: string, run: () => Promise<T> | T): Promise<T> {
    const t0 = process.hrtime.bigint();
    try {
      const v = await run();
      this.record(op, Number(process.hrtime.bigint() - t0) / 1e9, false);
      return v;
    } catch (e) {
      this.record(op, Number(process.hrtime.bigint() - t0) / 1e9, true);
      throw e;
    }
  }

  /** A copy of the counters so far. */
  snapshot(): StoreTimings {
    return structuredClone(this.stats);
  }
}

/** Wraps a store; `timings()` returns a copy of the counters so far. */
export function timedStore(store: Store, sink?: LatencySink): { store: Store; timings: () => StoreTimings } {
  const rec = new LatencyRecorder(sink);
  // One timed wrapper per member, made on first use (not a new closure on every call).
  const wrappers = new Map<string, { of: unknown; timed: (...args: unknown[]) => unknown }>();
  const timed = (prop: string, value: (...a: unknown[]) => unknown) => (...args: unknown[]) => {
    const t0 = process.hrtime.bigint();
    const result = value.apply(store, args);
    // Synchronous members (if any) pass through untimed.
    if (!(result instanceof Promise)) return result;
    return result.then(
      (v) => (rec.record(prop, Number(process.hrtime.bigint() - t0) / 1e9, false), v),
      (e: unknown) => {
        rec.record(prop, Number(process.hrtime.bigint() - t0) / 1e9, true);
        throw e;
      },
    );
  };
  const proxy = new Proxy(store, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function' || typeof prop !== 'string' || prop === 'close') return value;
      const known = wrappers.get(prop);
      if (known?.of === value) return known.timed;
      const made = { of: value, timed: timed(prop, value as (...a: unknown[]) => unknown) };
      wrappers.set(prop, made);
      return made.timed;
    },
  });
  return { store: proxy, timings: () => rec.snapshot() };
}

/**
 * Times every activity registered on `engine` from now on (the interpreter's activities are
 * registered with the first workflow), by activity name. The engine exposes no activity timing
 * of its own; this measures the function's execution in this process.
 */
export function timeActivities(engine: Engine, observe?: ActivityObserver): () => StoreTimings {
  const rec = new LatencyRecorder();
  const register = engine.registerActivity.bind(engine);
  engine.registerActivity = ((name: string, fn: ActivityFunction, options?: { available?: () => boolean }) =>
    register(name, async (input, ctx) => {
      const t0 = process.hrtime.bigint();
      try {
        const v: unknown = await fn(input, ctx);
        const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
        rec.record(name, seconds, false);
        observe?.({ name, input, ctx, seconds });
        return v;
      } catch (e) {
        const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
        rec.record(name, seconds, true);
        observe?.({ name, input, ctx, seconds, error: e });
        throw e;
      }
    }, options)) as Engine['registerActivity'];
  return () => rec.snapshot();
}

/** One activity execution as {@link timeActivities} saw it. */
export interface ActivityExecution {
  name: string;
  input: unknown;
  ctx: ActivityContext;
  seconds: number;
  /** Set when the execution threw. */
  error?: unknown;
}

/** Receives each activity execution (metrics by workflow/state/function, action log lines). */
export type ActivityObserver = (execution: ActivityExecution) => void;
