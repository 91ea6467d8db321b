/**
 * @module bench/declarative-http
 * Issue 12's benchmark: the 3-step no-op chain as a Serverless Workflow — each step an `invoke:`
 * service invocation of a no-op HTTP app on loopback — run by a real `swirl serve` child (SQLite,
 * `--log-level warn`), started over HTTP (Dapr start route) and awaited with `GET …?wait=60s`,
 * at concurrency 1 (p50 latency) and 100 (workflows/s), against the embedded engine's code chain
 * (bench/engine-common.ts startChainEngine) measured in the same run, repetitions interleaved.
 * Also the server's CPU per workflow (utime + stime of the child from /proc/<pid>/stat) and, once
 * per repetition at concurrency 100, the same workflow awaited by polling GET every 5 ms (what a
 * client without `?wait=` does), to show what the long poll saves the server.
 *
 * Run: `npx tsx bench/declarative-http.ts [repetitions=3] [c1Runs=100] [c100Runs=1000]` (~1-2 min).
 * With BENCH_CPU_PROF=<dir> the serve child runs under `node --cpu-prof` and writes its profile
 * there when it stops.
 */

import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Agent, request } from 'undici';
import { closedLoop, describeLoop, fmt, median, startChainEngine, tempDir, type LoopResult } from './engine-common.js';

const REPETITIONS = Number(process.argv[2] ?? 3);
const C1_RUNS = Number(process.argv[3] ?? 100);
const C100_RUNS = Number(process.argv[4] ?? 1000);
const POLL_RUNS = Math.round(C100_RUNS / 4);
const POLL_INTERVAL_MS = 5;
/** Linux clock ticks per second (utime/stime of /proc/<pid>/stat); `getconf CLK_TCK` on this machine. */
const CLK_TCK = 100;

const CHAIN = `id: chain
specVersion: '0.8'
functions:
  - name: inc
    type: custom
    operation: invoke:noop/inc
    metadata: { httpVerb: POST }
states:
${[1, 2, 3]
  .map(
    (k) => `  - name: Step${k}
    type: operation
    actions:
      - functionRef: { refName: inc, arguments: { n: '\${ .n }' } }
    ${k < 3 ? `transition: Step${k + 1}` : 'end: true'}`,
  )
  .join('\n')}
`;

/** The no-op app: answers `{n: n + 1}` to every POST; counts its calls. */
async function startNoopApp(): Promise<{ server: Server; port: number; calls: () => number }> {
  let calls = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      calls++;
      const { n } = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as { n?: number };
      const body = JSON.stringify({ n: (n ?? 0) + 1 });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port, calls: () => calls };
}

/** `swirl serve` as a child process on a fresh SQLite database; resolves with its base URL. */
async function startServe(dir: string, appPort: number): Promise<{ proc: ChildProcess; base: string }> {
  mkdirSync(join(dir, 'workflows'));
  mkdirSync(join(dir, 'components'));
  writeFileSync(join(dir, 'workflows', 'chain.yaml'), CHAIN);
  writeFileSync(
    join(dir, 'components', 'apps.yaml'),
    `apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata: { name: apps }\nspec:\n  type: nameresolution.static\n  version: v1\n  metadata:\n    - { name: noop, value: "http://127.0.0.1:${appPort}" }\n`,
  );
  const root = fileURLToPath(new URL('..', import.meta.url));
  const profDir = process.env.BENCH_CPU_PROF;
  const nodeArgs = profDir ? ['--cpu-prof', '--cpu-prof-dir', profDir] : [];
  const args = ['serve', '--port', '0', '--host', '127.0.0.1', '--grpc-port', '0', '--log-level', 'warn', '--workflows', join(dir, 'workflows'), '--components', join(dir, 'components'), '--store', `sqlite:${join(dir, 'chain.db')}`];
  const proc = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', join(root, 'test', 'cli', 'run-cli.ts'), ...args], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  const base = await new Promise<string>((resolve, reject) => {
    let out = '';
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/[\d.]+:\d+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    proc.once('exit', (code) => reject(new Error(`swirl serve exited with ${code}: ${out}`)));
  });
  return { proc, base };
}

/** CPU ms (user + system) the process has used so far. */
function cpuMsOf(pid: number): number {
  // Fields after the parenthesised command name: state is field 3, utime 14, stime 15.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(rest[11]) + Number(rest[12])) * 1000) / CLK_TCK;
}

interface HttpRun {
  loop: LoopResult;
  serverCpuMs: number;
  appCalls: number;
  gets: number;
}

const dispatcher = new Agent({ connections: 256, keepAliveTimeout: 60_000, pipelining: 1 });

/** One workflow over HTTP: start, then wait (long poll, or polling every POLL_INTERVAL_MS). */
function oneOverHttp(base: string, mode: 'wait' | 'poll', counter: { gets: number }) {
  return async (i: number): Promise<void> => {
    const started = await request(`${base}/v1.0/workflows/dapr/chain/start`, { method: 'POST', dispatcher, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ n: i }) });
    if (started.statusCode !== 202) throw new Error(`start answered ${started.statusCode}: ${await started.body.text()}`);
    const { instanceID } = (await started.body.json()) as { instanceID: string };
    for (;;) {
      counter.gets++;
      const res = await request(`${base}/v1.0/workflows/dapr/${instanceID}${mode === 'wait' ? '?wait=60s' : ''}`, { dispatcher });
      const body = (await res.body.json()) as { runtimeStatus: string; properties?: Record<string, string> };
      if (body.runtimeStatus === 'COMPLETED') {
        const out = JSON.parse(body.properties?.['dapr.workflow.output'] ?? 'null') as { n?: number };
        if (out.n !== i + 3) throw new Error(`chain ${instanceID} output ${JSON.stringify(out)}`);
        return;
      }
      if (body.runtimeStatus !== 'RUNNING' && body.runtimeStatus !== 'PENDING') throw new Error(`chain ${instanceID} ended ${body.runtimeStatus}`);
      if (mode === 'poll') await new Promise((r) => setTimeout(r, POLL_INTERVAL_MS));
    }
  };
}

async function measureHttp(base: string, pid: number, calls: () => number, runs: number, concurrency: number, mode: 'wait' | 'poll'): Promise<HttpRun> {
  const counter = { gets: 0 };
  const cpu0 = cpuMsOf(pid);
  const calls0 = calls();
  const loop = await closedLoop(runs, concurrency, oneOverHttp(base, mode, counter));
  return { loop, serverCpuMs: (cpuMsOf(pid) - cpu0) / runs, appCalls: (calls() - calls0) / runs, gets: counter.gets / runs };
}

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
const reps: { embedded: { c1: LoopResult; c100: LoopResult }; c1: HttpRun; c100: HttpRun; poll: HttpRun }[] = [];
try {
  await measureHttp(serve.base, pid, app.calls, 300, 50, 'wait'); // warm-up: JIT, caches, WAL growth
  for (let r = 0; r < REPETITIONS; r++) {
    const embedded = await measureEmbedded();
    const c1 = await measureHttp(serve.base, pid, app.calls, C1_RUNS, 1, 'wait');
    const c100 = await measureHttp(serve.base, pid, app.calls, C100_RUNS, 100, 'wait');
    const poll = await measureHttp(serve.base, pid, app.calls, POLL_RUNS, 100, 'poll');
    reps.push({ embedded, c1, c100, poll });
    console.log(describeLoop(`embedded   rep ${r + 1}`, embedded.c1));
    console.log(describeLoop(`embedded   rep ${r + 1}`, embedded.c100));
    for (const [label, h] of [['http wait', c1], ['http wait', c100], ['http poll', poll]] as const) {
      console.log(`${describeLoop(`${label}  rep ${r + 1}`, h.loop)}; server CPU ${fmt(h.serverCpuMs, 2)} ms/wf, ${fmt(h.gets, 2)} GETs and ${fmt(h.appCalls, 2)} app calls per wf`);
    }
  }
} finally {
  serve.proc.kill('SIGTERM');
  await new Promise((r) => serve.proc.once('exit', r));
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
    child.proc.kill('SIGTERM');
    await new Promise((r) => child.proc.once('exit', r));
    await dispatcher.close();
    app.server.close();
    dir.remove();
  }
}
