/**
 * @module bench/declarative-http
 * Issue 12's benchmark: the 3-step no-op chain as a Serverless Workflow — each step an `invoke:`
 * service invocation of a no-op HTTP app on loopback — run by a real `swirl serve` child (SQLite,
 * `--log-level warn`), started over HTTP (Dapr start route) and awaited with `GET …?wait=60s`,
 * at concurrency 1 (p50 latency) and 100 (workflows/s), against the embedded engine's code chain
 * (bench/engine-common.ts startChainEngine) measured in the same run, repetitions interleaved.
 * Also the server's CPU per workflow (utime + stime of the child from /proc/<pid>/stat) and, once
 * per repetition at concurrency 100, the same workflow awaited by polling GET every 5 ms (what a
 * client without `?wait=` does), to show what the long poll saves the server; and the workflow
 * started and awaited in one exchange (`POST …/start?wait=60s`) at concurrency 1 and 100.
 *
 * Run: `npx tsx bench/declarative-http.ts [repetitions=3] [c1Runs=100] [c100Runs=1000]` (~1-2 min).
 * With BENCH_CPU_PROF=<dir> the serve child runs under `node --cpu-prof` and writes its profile
 * there when it stops.
 */

import { closedLoop, describeLoop, fmt, median, startChainEngine, tempDir, type LoopResult } from './engine-common.js';
import { dispatcher, measureHttp, startNoopApp, startServe, stopServe, type HttpRun } from './serve-http.js';

const REPETITIONS = Number(process.argv[2] ?? 3);
const C1_RUNS = Number(process.argv[3] ?? 100);
const C100_RUNS = Number(process.argv[4] ?? 1000);
const POLL_RUNS = Math.round(C100_RUNS / 4);
const POLL_INTERVAL_MS = 5;

async function measureEmbedded(): Promise<{ c1: LoopResult; c100: LoopResult }> {
  const { one, close } = await startChainEngine('swirl-bench-decl-embedded-');
  try {
    await closedLoop(300, 100, one); // warm-up
    return { c1: await closedLoop(C1_RUNS, 1, one), c100: await closedLoop(C100_RUNS, 100, one) };
  } finally {
    await close();
  }
}

const app = await startNoopApp();
if (process.env.BENCH_CPU_PROF) {
  // Profile mode: only the concurrency-100 long-poll load, so the profile is that path alone.
  await profileOnly();
  process.exit(0);
}
const tmp = tempDir('swirl-bench-decl-http-');
const serve = await startServe(tmp.dir, app.port);
const pid = serve.proc.pid!;
const reps: { embedded: { c1: LoopResult; c100: LoopResult }; c1: HttpRun; c100: HttpRun; poll: HttpRun; sc1: HttpRun; sc100: HttpRun }[] = [];
try {
  await measureHttp(serve.base, pid, app.calls, 300, 50, 'wait'); // warm-up: JIT, caches, WAL growth
  for (let r = 0; r < REPETITIONS; r++) {
    const embedded = await measureEmbedded();
    const c1 = await measureHttp(serve.base, pid, app.calls, C1_RUNS, 1, 'wait');
    const c100 = await measureHttp(serve.base, pid, app.calls, C100_RUNS, 100, 'wait');
    const poll = await measureHttp(serve.base, pid, app.calls, POLL_RUNS, 100, 'poll', POLL_INTERVAL_MS);
    // Started and awaited in one exchange (`POST …/start?wait=60s`), as Restate's harness calls it.
    const sc1 = await measureHttp(serve.base, pid, app.calls, C1_RUNS, 1, 'start-wait');
    const sc100 = await measureHttp(serve.base, pid, app.calls, C100_RUNS, 100, 'start-wait');
    reps.push({ embedded, c1, c100, poll, sc1, sc100 });
    console.log(describeLoop(`embedded   rep ${r + 1}`, embedded.c1));
    console.log(describeLoop(`embedded   rep ${r + 1}`, embedded.c100));
    for (const [label, h] of [['http wait', c1], ['http wait', c100], ['http poll', poll], ['start?wait', sc1], ['start?wait', sc100]] as const) {
      console.log(`${describeLoop(`${label}  rep ${r + 1}`, h.loop)}; server CPU ${fmt(h.serverCpuMs, 2)} ms/wf, ${fmt(h.gets, 2)} GETs and ${fmt(h.appCalls, 2)} app calls per wf`);
    }
  }
} finally {
  await stopServe(serve);
  await dispatcher.close();
  app.server.close();
  tmp.remove();
}

const med = (f: (x: (typeof reps)[number]) => number): number => median(reps.map(f));
const throughputRatios = reps.map((x) => x.c100.loop.perSecond / x.embedded.c100.perSecond);
const latencyRatios = reps.map((x) => x.c1.loop.p50Ms / x.embedded.c1.p50Ms);
const list = (xs: number[]) => xs.map((x) => fmt(x, 2)).join(', ');
console.log(`\n| 3-step no-op chain (median of ${REPETITIONS}) | embedded engine, code | Serverless Workflow over \`swirl serve\` HTTP, ?wait= | ratio (HTTP / embedded), per repetition |`);
console.log('|---|---:|---:|---:|');
console.log(`| workflows/s, concurrency 100 | ${fmt(med((x) => x.embedded.c100.perSecond), 0)} | ${fmt(med((x) => x.c100.loop.perSecond), 0)} | **${fmt(median(throughputRatios), 2)}×** [${list(throughputRatios)}] |`);
console.log(`| p50 ms, concurrency 1 | ${fmt(med((x) => x.embedded.c1.p50Ms), 2)} | ${fmt(med((x) => x.c1.loop.p50Ms), 2)} | **${fmt(median(latencyRatios), 2)}×** [${list(latencyRatios)}] |`);
console.log(`| p99 ms, concurrency 1 | ${fmt(med((x) => x.embedded.c1.p99Ms), 2)} | ${fmt(med((x) => x.c1.loop.p99Ms), 2)} | |`);
console.log(`| p50 ms, concurrency 100 | ${fmt(med((x) => x.embedded.c100.p50Ms), 1)} | ${fmt(med((x) => x.c100.loop.p50Ms), 1)} | |`);
console.log(`| CPU ms per workflow, concurrency 100 | ${fmt(med((x) => x.embedded.c100.cpuMsPerRun), 2)} (whole process) | ${fmt(med((x) => x.c100.serverCpuMs), 2)} (server process) | ${fmt(med((x) => x.c100.serverCpuMs / x.embedded.c100.cpuMsPerRun), 2)}× |`);
console.log(`| HTTP exchanges per workflow | — | ${fmt(1 + med((x) => x.c100.gets) + med((x) => x.c100.appCalls), 2)} (1 start, ${fmt(med((x) => x.c100.gets), 2)} GET, ${fmt(med((x) => x.c100.appCalls), 2)} app calls) | |`);
const scThroughput = reps.map((x) => x.sc100.loop.perSecond / x.embedded.c100.perSecond);
const scLatency = reps.map((x) => x.sc1.loop.p50Ms / x.embedded.c1.p50Ms);
console.log(
  `\nStarted and awaited in one exchange (\`POST …/start?wait=60s\`): c=100 ${fmt(med((x) => x.sc100.loop.perSecond), 0)} wf/s, **${fmt(median(scThroughput), 2)}×** embedded [${list(scThroughput)}]; c=1 p50 ${fmt(med((x) => x.sc1.loop.p50Ms), 2)} ms, **${fmt(median(scLatency), 2)}×** embedded [${list(scLatency)}]; server CPU ${fmt(med((x) => x.sc100.serverCpuMs), 2)} ms/wf (${fmt(med((x) => x.sc100.serverCpuMs / x.c100.serverCpuMs), 2)}× the start + GET ?wait= of the same repetition), ${fmt(med((x) => 1 + x.sc100.gets + x.sc100.appCalls), 2)} HTTP exchanges per workflow.`,
);
const pollCpu = med((x) => x.poll.serverCpuMs);
const waitCpu = med((x) => x.c100.serverCpuMs);
console.log(
  `\nAwaited by polling GET every ${POLL_INTERVAL_MS} ms instead (concurrency 100, ${POLL_RUNS} runs): ${fmt(med((x) => x.poll.loop.perSecond), 0)} wf/s, ${fmt(med((x) => x.poll.gets), 1)} GETs per workflow, server CPU ${fmt(pollCpu, 2)} ms/wf — ?wait= uses ${fmt(waitCpu / pollCpu, 2)}× of that CPU and gives ${fmt(med((x) => x.c100.loop.perSecond / x.poll.loop.perSecond), 2)}× the throughput.`,
);

/** BENCH_CPU_PROF: one serve child under --cpu-prof, warm-up then C100_RUNS at concurrency 100. */
async function profileOnly(): Promise<void> {
  const dir = tempDir('swirl-bench-decl-prof-');
  const child = await startServe(dir.dir, app.port);
  try {
    await measureHttp(child.base, child.proc.pid!, app.calls, 300, 50, 'wait');
    const h = await measureHttp(child.base, child.proc.pid!, app.calls, C100_RUNS, 100, 'wait');
    console.log(`${describeLoop('profiled http wait', h.loop)}; server CPU ${fmt(h.serverCpuMs, 2)} ms/wf (profiling included)`);
  } finally {
    await stopServe(child);
    await dispatcher.close();
    app.server.close();
    dir.remove();
  }
}
