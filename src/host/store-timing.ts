/**
 * @module host/store-timing
 * Measures the store as the engine uses it: a proxy that times every async Store call by
 * operation (count, total and max seconds, and a latency histogram), for `/metrics`.
 */
import type { Store } from '../index.js';

/** Prometheus-style histogram bucket bounds in seconds. */
export const STORE_LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5] as const;

/** Latency of one store operation. */
export interface OperationTiming {
  count: number;
  errors: number;
  sumSeconds: number;
  /** Cumulative counts per bucket of {@link STORE_LATENCY_BUCKETS} (+Inf is `count`). */
  buckets: number[];
}

/** Store latency by operation name (`commitTurn`, `claimOrchestrations`, …). */
export type StoreTimings = Record<string, OperationTiming>;

/** Wraps a store; `timings()` returns a copy of the counters so far. */
export function timedStore(store: Store): { store: Store; timings: () => StoreTimings } {
  const stats: StoreTimings = {};
  const record = (op: string, seconds: number, failed: boolean): void => {
    const s = (stats[op] ??= { count: 0, errors: 0, sumSeconds: 0, buckets: STORE_LATENCY_BUCKETS.map(() => 0) });
    s.count += 1;
    if (failed) s.errors += 1;
    s.sumSeconds += seconds;
    STORE_LATENCY_BUCKETS.forEach((b, i) => {
      if (seconds <= b) s.buckets[i]! += 1;
    });
  };
  const proxy = new Proxy(store, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function' || typeof prop !== 'string' || prop === 'close') return value;
      return (...args: unknown[]) => {
        const t0 = process.hrtime.bigint();
        const result = (value as (...a: unknown[]) => unknown).apply(target, args);
        if (!(result instanceof Promise)) return result;
        return result.then(
          (v) => (record(prop, Number(process.hrtime.bigint() - t0) / 1e9, false), v),
          (e: unknown) => {
            record(prop, Number(process.hrtime.bigint() - t0) / 1e9, true);
            throw e;
          },
        );
      };
    },
  });
  return { store: proxy, timings: () => structuredClone(stats) };
}
