/**
 * @module bench/declarative-http-pipeline
 * Where the CPU of one declarative workflow over `swirl serve` goes, process by process: the
 * 3-step chain of bench/serve-http.ts at concurrency 100, with the no-op app in a process of its
 * own (bench/noop-app-process.ts), so /proc gives CPU per workflow of the server, the app and the
 * load generator (this process) apart, and their sum against the embedded code chain's whole
 * process in the same run. Between the two, the same Serverless Workflow run by an engine in this
 * process (SQLite, the interpreter, its `invoke:` calls to the app process over HTTP; no inbound
 * HTTP): what the interpreter and the outbound calls add to the code chain, and what the server's
 * inbound HTTP adds to that. Both ways of awaiting: start + `GET ?wait=`, and `POST …/start?wait=`.
 *
 * Run: `npx tsx bench/declarative-http-pipeline.ts [rounds=3] [runs=1000]`
 * With `--before <checkout>` the server is that checkout's (its bench/serve-http.ts startServe),
 * the app and load generator this checkout's.
 */

import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { createComponentHost } from '../src/components/loader.js';
import { createEngine } from '../src/engine/engine.js';
import { initExpressions } from '../src/expressions/index.js';
import { loadWorkflowText } from '../src/graph/load.js';
import { registerWorkflow } from '../src/interpreter/index.js';
import { openSqliteStore } from '../src/store/sqlite.js';
import { closedLoop, fmt, median, startChainEngine, tempDir, type LoopResult } from './engine-common.js';
import { useUndiciRequest } from './http-client.js';
import { CHAIN, cpuMsOf, dispatcher, measureHttp, startServe, stopServe, type AwaitMode } from './serve-http.js';

const args = process.argv.slice(2);
const at = args.indexOf('--before');
const before = at >= 0 ? args[at + 1] : undefined;
const rest = at >= 0 ? args.filter((_, i) => i !== at && i !== at + 1) : args;
const ROUNDS = Number(rest[0] ?? 3);
const RUNS = Number(rest[1] ?? 1000);

const appProc = fork(fileURLToPath(new URL('./noop-app-process.ts', import.meta.url)), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
const appPort = await new Promise<number>((resolve) => {
  let out = '';
  appProc.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    const m = /noop app listening on (\d+)/.exec(out);
    if (m) resolve(Number(m[1]));
  });
});
let lastCalls = 0;
appProc.on('message', (n) => (lastCalls = Number(n)));
const callsNow = async (): Promise<number> => {
  appProc.send('calls');
  await new Promise((r) => appProc.once('message', r));
  return lastCalls;
};

const starter = before ? ((await import(join(before, 'bench', 'serve-http.ts'))) as { startServe: typeof startServe }).startServe : startServe;
const tmp = tempDir('swirl-bench-pipeline-');
const serve = await starter(tmp.dir, appPort);
const pid = serve.proc.pid!;
const selfCpu = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

interface Row {
  wfs: number;
  server: number;
  app: number;
  client: number;
  calls: number;
  gets: number;
}
async function one(mode: AwaitMode): Promise<Row> {
  const a0 = cpuMsOf(appProc.pid!);
  const c0 = selfCpu();
  const n0 = await callsNow();
  const h = await measureHttp(serve.base, pid, () => 0, RUNS, 100, mode);
  const n1 = await callsNow();
  return { wfs: h.loop.perSecond, server: h.serverCpuMs, app: (cpuMsOf(appProc.pid!) - a0) / RUNS, client: (selfCpu() - c0) / RUNS, calls: (n1 - n0) / RUNS, gets: h.gets };
}

const CLIENTS = ['lean', 'request'] as const;
const rows: Record<string, Row[]> = {};
const embedded: { wfs: number; cpu: number }[] = [];
const embeddedSw: { wfs: number; cpu: number; app: number }[] = [];
const embeddedSwLocal: { wfs: number; cpu: number }[] = [];

/** CHAIN on an engine in this process, its `invoke:noop/inc` calls to the app process: warm-up, then RUNS at c=100. */
/** Store commits, operations and WAL syncs per workflow around `run` (the SQLite store's group-commit counters). */
async function commitsAround(store: { commitStats: { commits: number; operations: number; walSyncs: number } }, run: () => Promise<LoopResult>): Promise<{ loop: LoopResult; commits: Commits }> {
  const a = store.commitStats;
  const loop = await run();
  const b = store.commitStats;
  return { loop, commits: { commits: (b.commits - a.commits) / RUNS, operations: (b.operations - a.operations) / RUNS, syncs: (b.walSyncs - a.walSyncs) / RUNS } };
}

interface Commits {
  commits: number;
  operations: number;
  syncs: number;
}
const commitRows: Record<string, Commits[]> = {};
const noteCommits = (label: string, c: Commits): void => void (commitRows[label] ??= []).push(c);

async function measureEmbeddedSw(inProcess = false): Promise<{ loop: LoopResult; app: number }> {
  await initExpressions();
  const dir = tempDir('swirl-bench-pipeline-sw-');
  const store = await openSqliteStore(join(dir.dir, 'chain.db'));
  const engine = await createEngine({ store });
  const host = await createComponentHost([], { appIds: { noop: `http://127.0.0.1:${appPort}` } });
  // inProcess: the app's answer made here, without HTTP (the interpreter's share alone).
  const components: typeof host = inProcess
    ? Object.assign(Object.create(host) as typeof host, { invokeService: async (req: { data?: unknown }) => ({ status: 200, data: { n: (Number((req.data as { n?: unknown }).n) || 0) + 1 }, headers: {} }) })
    : host;
  const name = registerWorkflow(engine, await loadWorkflowText(CHAIN, 'chain.yaml'), { components });
  await engine.start();
  const one = async (i: number): Promise<void> => {
    const id = await engine.client.start(name, { n: i });
    const r = await engine.client.waitForCompletion(id, { timeoutMs: 60_000 });
    if (r.runtimeStatus !== 'COMPLETED' || (r.output as { n?: number } | undefined)?.n !== i + 3) throw new Error(`sw chain ${id} ended ${r.runtimeStatus} with ${JSON.stringify(r.output)}`);
  };
  try {
    await closedLoop(300, 100, one);
    const a0 = cpuMsOf(appProc.pid!);
    const { loop, commits } = await commitsAround(store, () => closedLoop(RUNS, 100, one));
    noteCommits(inProcess ? 'embedded SW chain, invoke: answered in-process' : 'embedded SW chain, invoke: over HTTP', commits);
    return { loop, app: (cpuMsOf(appProc.pid!) - a0) / RUNS };
  } finally {
    await engine.stop();
    await host.close();
    await store.close();
    dir.remove();
  }
}
try {
  await measureHttp(serve.base, pid, () => 0, 600, 50, 'wait');
  for (let r = 0; r < ROUNDS; r++) {
    const { one: chain, close, store } = await startChainEngine('swirl-bench-pipeline-embedded-');
    try {
      await closedLoop(300, 100, chain);
      const { loop: e, commits } = await commitsAround(store, () => closedLoop(RUNS, 100, chain));
      noteCommits('embedded code chain', commits);
      embedded.push({ wfs: e.perSecond, cpu: e.cpuMsPerRun });
    } finally {
      await close();
    }
    const local = (await measureEmbeddedSw(true)).loop;
    embeddedSwLocal.push({ wfs: local.perSecond, cpu: local.cpuMsPerRun });
    console.log(`round ${r + 1} embedded SW, invoke: answered in-process: ${fmt(local.perSecond, 0)} wf/s (${fmt(local.perSecond / embedded[r]!.wfs, 2)}× code); CPU ms/wf ${fmt(local.cpuMsPerRun, 3)}`);
    const sw = await measureEmbeddedSw();
    embeddedSw.push({ wfs: sw.loop.perSecond, cpu: sw.loop.cpuMsPerRun, app: sw.app });
    console.log(`round ${r + 1} embedded SW: ${fmt(sw.loop.perSecond, 0)} wf/s (${fmt(sw.loop.perSecond / embedded[r]!.wfs, 2)}× code); CPU ms/wf engine process ${fmt(sw.loop.cpuMsPerRun, 3)}, app ${fmt(sw.app, 3)}`);
    for (const client of r % 2 === 0 ? CLIENTS : [...CLIENTS].reverse())
    for (const mode of ['wait', 'start-wait'] as const) {
      useUndiciRequest(client === 'request');
      const x = await one(mode);
      (rows[`${mode} ${client}`] ??= []).push(x);
      console.log(`round ${r + 1} ${mode} ${client}: ${fmt(x.wfs, 0)} wf/s (embedded ${fmt(embedded[r]!.wfs, 0)}, ${fmt(x.wfs / embedded[r]!.wfs, 2)}×); CPU ms/wf server ${fmt(x.server, 3)}, app ${fmt(x.app, 3)}, client ${fmt(x.client, 3)}, sum ${fmt(x.server + x.app + x.client, 3)} (embedded ${fmt(embedded[r]!.cpu, 3)}); ${fmt(x.calls, 2)} app calls, ${fmt(x.gets, 2)} GETs per wf`);
    }
  }
} finally {
  await stopServe(serve);
  await dispatcher.close();
  appProc.kill('SIGTERM');
  tmp.remove();
}
const m = (xs: number[]): string => fmt(median(xs), 3);
console.log(`\n| c=100, median of ${ROUNDS} × ${RUNS} | wf/s | / embedded | server ms/wf | app ms/wf | load generator ms/wf | sum ms/wf |`);
console.log('|---|---:|---:|---:|---:|---:|---:|');
console.log(`| embedded code chain (whole process) | ${fmt(median(embedded.map((e) => e.wfs)), 0)} | 1 | | | | ${m(embedded.map((e) => e.cpu))} |`);
console.log(`| embedded SW chain, invoke: answered in-process (no HTTP) | ${fmt(median(embeddedSwLocal.map((e) => e.wfs)), 0)} | ${fmt(median(embeddedSwLocal.map((e, i) => e.wfs / embedded[i]!.wfs)), 2)}× | | | | ${m(embeddedSwLocal.map((e) => e.cpu))} |`);
console.log(`| embedded SW chain, invoke: over HTTP to the app (engine process as "server") | ${fmt(median(embeddedSw.map((e) => e.wfs)), 0)} | ${fmt(median(embeddedSw.map((e, i) => e.wfs / embedded[i]!.wfs)), 2)}× | ${m(embeddedSw.map((e) => e.cpu))} | ${m(embeddedSw.map((e) => e.app))} | — | ${m(embeddedSw.map((e) => e.cpu + e.app))} |`);
for (const mode of ['wait', 'start-wait'] as const)
for (const client of CLIENTS) {
  const xs = rows[`${mode} ${client}`]!;
  console.log(`| ${mode === 'wait' ? 'start + GET ?wait=' : 'POST start?wait='}, client ${client === 'lean' ? 'lean' : 'undici request()'} | ${fmt(median(xs.map((x) => x.wfs)), 0)} | ${fmt(median(xs.map((x, i) => x.wfs / embedded[i]!.wfs)), 2)}× | ${m(xs.map((x) => x.server))} | ${m(xs.map((x) => x.app))} | ${m(xs.map((x) => x.client))} | ${m(xs.map((x) => x.server + x.app + x.client))} |`);
}
console.log(`\n| c=100, median of ${ROUNDS} | store commits per workflow | operations per commit | WAL syncs per workflow |`);
console.log('|---|---:|---:|---:|');
for (const [label, xs] of Object.entries(commitRows)) {
  console.log(`| ${label} | ${fmt(median(xs.map((x) => x.commits)), 3)} | ${fmt(median(xs.map((x) => x.operations / x.commits)), 1)} | ${fmt(median(xs.map((x) => x.syncs)), 3)} |`);
}
