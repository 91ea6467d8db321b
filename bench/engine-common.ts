/**
 * @module bench/engine-common
 * Shared pieces of the engine benchmarks: a closed-loop driver (C workers pulling the next run),
 * percentiles, process CPU and RSS sampling, temp directories, result formatting, and the 3-step
 * chain workload on SQLite.
 */

import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createEngine, type Engine } from '../src/engine/engine.js';
import { openSqliteStore } from '../src/store/sqlite.js';

/** Outcome of one closed-loop run. */
export interface LoopResult {
  runs: number;
  concurrency: number;
  seconds: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** CPU time of this process (user + system) per run, in ms. */
  cpuMsPerRun: number;
}

/**
 * Runs `run(i)` for i = 0 … total-1 with `concurrency` workers, each starting its next run as
 * soon as the previous finishes (closed loop), and records each run's latency.
 */
export async function closedLoop(total: number, concurrency: number, run: (i: number) => Promise<void>): Promise<LoopResult> {
  const latencies: number[] = [];
  let next = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const worker = async (): Promise<void> => {
    while (next < total) {
      const i = next++;
      const s = performance.now();
      await run(i);
      latencies.push(performance.now() - s);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, total) }, worker));
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return {
    runs: total,
    concurrency,
    seconds,
    perSecond: total / seconds,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    cpuMsPerRun: (cpu.user + cpu.system) / 1000 / total,
  };
}

/** The p-th percentile (nearest rank) of `values`. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

/** Median of a few repetitions. */
export function median(values: number[]): number {
  return percentile(values, 50);
}

/** A fresh temp directory and a function that deletes it. */
export function tempDir(prefix: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Bytes of every file in `dir` whose name starts with `base` (db + -wal + -shm). */
export function fileBytes(dir: string, base: string): number {
  return readdirSync(dir)
    .filter((f) => f.startsWith(base))
    .reduce((sum, f) => sum + statSync(join(dir, f)).size, 0);
}

/** Formats a number with `digits` decimals. */
export function fmt(n: number, digits = 1): string {
  return n.toFixed(digits);
}

/** One line of a loop result, for the console. */
export function describeLoop(label: string, r: LoopResult): string {
  return `${label}: ${fmt(r.perSecond, 0)} wf/s at concurrency ${r.concurrency} (${r.runs} runs, ${fmt(r.seconds, 2)} s), p50 ${fmt(r.p50Ms, 2)} ms, p99 ${fmt(r.p99Ms, 2)} ms, CPU ${fmt(r.cpuMsPerRun, 2)} ms/run`;
}

/** Forces a GC when node runs with --expose-gc (memory benchmarks); a no-op otherwise. */
export function collectGarbage(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) {
    gc();
    gc();
  }
}

/** Registers the 3-step activity chain of the engine benchmarks: `chain(x)` calls `inc` three times, x + 3. */
export function registerChain(engine: Engine): void {
  engine.registerActivity('inc', async (x: number) => x + 1);
  engine.registerOrchestration('chain', function* (ctx, x: number) {
    let v = x;
    for (let i = 0; i < 3; i++) v = (yield ctx.callActivity('inc', v)) as number;
    return v;
  });
}

/**
 * The 3-step activity chain of the engine benchmarks on a fresh SQLite database: `one(i)` runs one
 * workflow to completion and checks its output; `close()` stops the engine and removes the files.
 */
export async function startChainEngine(prefix: string): Promise<{
  store: Awaited<ReturnType<typeof openSqliteStore>>;
  one: (i: number) => Promise<void>;
  close: () => Promise<void>;
}> {
  const tmp = tempDir(prefix);
  const store = await openSqliteStore(join(tmp.dir, 'chain.db'));
  const engine = await createEngine({ store });
  registerChain(engine);
  await engine.start();
  const one = async (i: number): Promise<void> => {
    const id = await engine.client.start('chain', i);
    const r = await engine.client.waitForCompletion(id, { timeoutMs: 60_000 });
    if (r.runtimeStatus !== 'COMPLETED' || r.output !== i + 3) throw new Error(`chain ${id} ended ${r.runtimeStatus} with ${JSON.stringify(r.output)}`);
  };
  const close = async (): Promise<void> => {
    await engine.stop();
    await store.close();
    tmp.remove();
  };
  return { store, one, close };
}
