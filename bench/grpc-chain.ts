/**
 * @module bench/grpc-chain
 * The 3-step activity chain as an app orchestration over gRPC against the same chain as an
 * in-process code orchestration (bench/engine-common.ts startChainEngine, SQLite), measured in the
 * same run: workflows/s and p50 latency at concurrency 1 and 100, the ratios, and the CPU per work
 * item (each chain is 4 orchestrator turns + 3 activity work items), per process where the
 * processes are separate.
 *
 * Shapes:
 * - **same process**: Swirl's gRPC sidecar (`startGrpcServer` over a host on SQLite) and the app's
 *   worker in this one process (one CPU budget); starts and waits through the engine client, so the
 *   difference to in-process is the worker protocol. The app is a @dapr/dapr 3.18 `WorkflowRuntime`
 *   (bench/grpc-chain-app.ts) or the lean protocol worker (bench/grpc-lean-worker.ts: grpc-js and
 *   the same descriptors, next action from newEvents, no SDK, no replay).
 * - **sidecar process**: `swirl serve` as its own process (the deployment shape; `--log-level
 *   warn`, as the in-process engine logs nothing), the app in 1 or 2 child processes (@dapr/dapr)
 *   or 1 (lean), and a `DaprWorkflowClient` in this process (starts and waits over gRPC). CPU is
 *   read per process from /proc: sidecar, apps, client.
 *
 * Run: `npx tsx bench/grpc-chain.ts [c1Runs=100] [c100Runs=1000]` (about two minutes on 2 vCPUs).
 * With `GRPC_BENCH_CPU_PROF=<dir>` the child processes (sidecar, apps) write V8 CPU profiles
 * there (`node --cpu-prof`; read them with bench/cpu-profile-top.ts); `GRPC_BENCH_ONLY=<regex>`
 * runs only the shapes whose label matches (the in-process baseline always runs).
 *
 * Last, for each shape with separate processes, the CPU budget of the goal (over gRPC ≥ 0.5× the
 * in-process rate at c=100): the cores of this machine shared by sidecar, app and client give each
 * workflow at most `cores / (0.5 × in-process wf/s)` ms of CPU; printed against what each process
 * used per workflow, and the ratio the shape would reach if all cores ran it at that CPU cost
 * (its CPU ceiling: `cores / total CPU per workflow / in-process wf/s`, and the same with the
 * in-process rate an idle box gives, `IN_PROCESS_IDLE_CORES / in-process CPU`, and the sidecar's
 * own: one Node main thread at its CPU per workflow). Each is also given as a
 * multiple of the in-process chain's CPU per workflow, which moves less with the machine's load
 * than the in-process rate (bench/README.md "h-grpc3": the budget is ≈ 3.2× that on an idle box).
 */

import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { credentials, loadPackageDefinition } from '@grpc/grpc-js';
import { fromJSON } from '@grpc/proto-loader';
import { DaprWorkflowClient, WorkflowRuntimeStatus } from '@dapr/dapr';
import { createHost } from '../src/host/host.js';
import { startGrpcServer } from '../src/grpc/server.js';
import { DAPR_RUNTIME_DESCRIPTOR, PROTO_LOADER_OPTIONS } from '../src/grpc/proto.js';
import { closedLoop, describeLoop, fmt, startChainEngine, tempDir, type LoopResult } from './engine-common.js';
import { chain, chainRuntime } from './grpc-chain-app.js';
import { startLeanWorker } from './grpc-lean-worker.js';

const C1_RUNS = Number(process.argv[2] ?? 100);
const C100_RUNS = Number(process.argv[3] ?? 1000);
/** Work items per chain over gRPC: turns (start + 3 completions) and the 3 activities. */
const WORK_ITEMS_PER_CHAIN = 7;
const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** Clock ticks per second of /proc/<pid>/stat (USER_HZ: 100 on Linux). */
const CLK_TCK = 100;

/** CPU ms per chain of each process, for one loop. */
interface ProcCpu {
  sidecar: number;
  apps: number;
  client: number;
}

/** Store transactions and WAL syncs per chain (SQLite commitStats; same-process shapes only). */
interface TxCounts {
  transactions: number;
  walSyncs: number;
}

interface Side {
  c1: LoopResult;
  c100: LoopResult;
  cpu?: { c1: ProcCpu; c100: ProcCpu };
  tx?: { c1: TxCounts; c100: TxCounts };
}

type AppKind = 'dapr' | 'lean';

async function inProcess(): Promise<Side> {
  const { one, close } = await startChainEngine('swirl-bench-grpc-inproc-');
  try {
    await closedLoop(200, 50, one); // warm-up
    return { c1: await closedLoop(C1_RUNS, 1, one), c100: await closedLoop(C100_RUNS, 100, one) };
  } finally {
    await close();
  }
}

/** Sidecar and app in this process. */
async function sameProcess(kind: AppKind): Promise<Side> {
  const tmp = tempDir('swirl-bench-grpc-');
  const host = await createHost({ store: `sqlite:${join(tmp.dir, 'chain.db')}` });
  await host.start();
  const server = await startGrpcServer(host, { port: 0, host: '127.0.0.1' });
  let stopApp: () => Promise<void>;
  if (kind === 'dapr') {
    const runtime = chainRuntime(server.port);
    await runtime.start();
    stopApp = () => runtime.stop().catch(() => undefined);
  } else {
    const w = await startLeanWorker(server.port);
    stopApp = async () => w.stop();
  }
  await connectedWorkers(server.port, 1);
  // The first start comes from the app's client, as a user's would: Swirl learns 'chain' is the app's.
  const dapr = new DaprWorkflowClient({ daprHost: '127.0.0.1', daprPort: String(server.port) });
  await dapr.waitForWorkflowCompletion(await dapr.scheduleNewWorkflow(chain, 1), false, 30);
  await dapr.stop();
  const client = host.engine.client;
  const one = async (i: number): Promise<void> => {
    // Inputs from 1: the SDK's executor drops a falsy input (0 would arrive as undefined).
    const id = await client.start('chain', i + 1);
    const r = await client.waitForCompletion(id, { timeoutMs: 60_000 });
    if (r.runtimeStatus !== 'COMPLETED' || r.output !== i + 4) throw new Error(`chain ${id} ended ${r.runtimeStatus} with ${JSON.stringify(r.output)}`);
  };
  const stats = (): TxCounts => {
    const st = (host.engine.store as { commitStats?: { commits: number; walSyncs: number } }).commitStats;
    return { transactions: st?.commits ?? NaN, walSyncs: st?.walSyncs ?? NaN };
  };
  const counted = async (runs: number, concurrency: number): Promise<{ loop: LoopResult; tx: TxCounts }> => {
    const before = stats();
    const loop = await closedLoop(runs, concurrency, one);
    const after = stats();
    return { loop, tx: { transactions: (after.transactions - before.transactions) / runs, walSyncs: (after.walSyncs - before.walSyncs) / runs } };
  };
  try {
    await closedLoop(200, 50, one); // warm-up (also: the names are learned)
    const c1 = await counted(C1_RUNS, 1);
    const c100 = await counted(C100_RUNS, 100);
    return { c1: c1.loop, c100: c100.loop, tx: { c1: c1.tx, c100: c100.tx } };
  } finally {
    await stopApp();
    await server.close();
    await host.stop();
    tmp.remove();
  }
}

// The 3.18 worker logs every work item with console.info and WorkflowRuntime passes it no logger
// options: silenced here, so the bench measures the protocol rather than the terminal.
console.info = () => undefined;

/** A free loopback port. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

/** User + system CPU ms of a process so far (/proc/<pid>/stat fields 14 and 15). */
function procCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1000) / CLK_TCK;
}

/** Spawns `node --import tsx <script> ...args`; resolves when its stdout matches `ready`. */
async function spawnNode(script: string, args: string[], ready: RegExp): Promise<ChildProcess> {
  const prof = process.env.GRPC_BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.GRPC_BENCH_CPU_PROF}`] : [];
  const proc = spawn(process.execPath, [...prof, '--import', 'tsx', join(ROOT, script), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (ready.test(out)) resolve();
    });
    proc.once('exit', (code) => reject(new Error(`${script} exited with ${code}: ${out}`)));
  });
  return proc;
}

async function stopProc(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null) return;
  const exited = new Promise((r) => proc.once('exit', r));
  proc.kill('SIGTERM');
  await exited;
}

/** Waits until the sidecar reports `n` connected app workers (Dapr GetMetadata). */
async function connectedWorkers(port: number, n: number): Promise<void> {
  const def = fromJSON(JSON.parse(readFileSync(DAPR_RUNTIME_DESCRIPTOR, 'utf8')), PROTO_LOADER_OPTIONS);
  const Dapr = (loadPackageDefinition(def) as any).dapr.proto.runtime.v1.Dapr;
  const c = new Dapr(`127.0.0.1:${port}`, credentials.createInsecure());
  try {
    for (let i = 0; i < 300; i++) {
      const md = await new Promise<any>((resolve, reject) => c.GetMetadata({}, (err: Error | null, res: any) => (err ? reject(err) : resolve(res))));
      if ((md.workflows?.connected_workers ?? 0) >= n) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`${n} app workers did not connect`);
  } finally {
    c.close();
  }
}

/** `swirl serve` as its own process, `apps` app processes of `kind`, the client here. */
async function sidecarProcess(kind: AppKind, apps: number): Promise<Side> {
  const tmp = tempDir('swirl-bench-grpc-serve-');
  const grpcPort = await freePort();
  const serveArgs = ['serve', '--port', '0', '--host', '127.0.0.1', '--grpc-port', String(grpcPort), '--workflows', tmp.dir, '--store', `sqlite:${join(tmp.dir, 'chain.db')}`, '--log-level', 'warn'];
  const sidecar = await spawnNode('test/cli/run-cli.ts', serveArgs, /listening on http:/);
  const children: ChildProcess[] = [];
  const opts = { daprHost: '127.0.0.1', daprPort: String(grpcPort) };
  const dapr = new DaprWorkflowClient(opts);
  try {
    for (let i = 0; i < apps; i++) children.push(await spawnNode('bench/grpc-lean-worker.ts', [kind, String(grpcPort)], /ready/));
    await connectedWorkers(grpcPort, apps);
    const one = async (i: number): Promise<void> => {
      const id = await dapr.scheduleNewWorkflow(chain, i + 1);
      const r = await dapr.waitForWorkflowCompletion(id, true, 60);
      if (r?.runtimeStatus !== WorkflowRuntimeStatus.COMPLETED || JSON.parse(r.serializedOutput ?? 'null') !== i + 4) throw new Error(`chain ${id} ended ${r?.runtimeStatus} with ${r?.serializedOutput}`);
    };
    const measured = async (runs: number, concurrency: number): Promise<{ loop: LoopResult; cpu: ProcCpu }> => {
      const s0 = procCpuMs(sidecar.pid!);
      const a0 = children.reduce((t, p) => t + procCpuMs(p.pid!), 0);
      const loop = await closedLoop(runs, concurrency, one);
      const cpu = { sidecar: (procCpuMs(sidecar.pid!) - s0) / runs, apps: (children.reduce((t, p) => t + procCpuMs(p.pid!), 0) - a0) / runs, client: loop.cpuMsPerRun };
      return { loop, cpu };
    };
    await closedLoop(200, 50, one); // warm-up
    const c1 = await measured(C1_RUNS, 1);
    const c100 = await measured(C100_RUNS, 100);
    return { c1: c1.loop, c100: c100.loop, cpu: { c1: c1.cpu, c100: c100.cpu } };
  } finally {
    await dapr.stop();
    for (const p of children) await stopProc(p);
    await stopProc(sidecar);
    tmp.remove();
  }
}

const local = await inProcess();
console.log(describeLoop('in-process', local.c1));
console.log(describeLoop('in-process', local.c100));
const shapes: [string, Side][] = [];
/** GRPC_BENCH_ONLY=<regex>: only the shapes whose label matches (in-process always runs). */
const only = process.env.GRPC_BENCH_ONLY ? new RegExp(process.env.GRPC_BENCH_ONLY) : undefined;
const run = async (label: string, f: () => Promise<Side>): Promise<void> => {
  if (only && !only.test(label)) return;
  const side = await f();
  console.log(describeLoop(label, side.c1));
  console.log(describeLoop(label, side.c100));
  shapes.push([label, side]);
};
await run('same process, @dapr/dapr app', () => sameProcess('dapr'));
await run('same process, lean worker', () => sameProcess('lean'));
await run('sidecar process, 1 @dapr/dapr app process', () => sidecarProcess('dapr', 1));
await run('sidecar process, 2 @dapr/dapr app processes', () => sidecarProcess('dapr', 2));
await run('sidecar process, lean worker process', () => sidecarProcess('lean', 1));

const us = (msPerChain: number): string => fmt((msPerChain * 1000) / WORK_ITEMS_PER_CHAIN, 0);
console.log('');
console.log(`in-process code: ${fmt(local.c1.perSecond)} / ${fmt(local.c100.perSecond)} workflows/s at concurrency 1 / 100, p50 ${fmt(local.c1.p50Ms, 2)} / ${fmt(local.c100.p50Ms, 1)} ms, CPU ${fmt(local.c100.cpuMsPerRun, 2)} ms per workflow at 100`);
console.log('');
console.log('| shape | wf/s c=1 | ratio c=1 | wf/s c=100 | ratio c=100 | p50 ms c=1 / c=100 | CPU µs per work item at c=100: total (sidecar + apps + client) |');
console.log('|---|---:|---:|---:|---:|---:|---|');
for (const [label, s] of shapes) {
  const cpu = s.cpu ? `${us(s.cpu.c100.sidecar + s.cpu.c100.apps + s.cpu.c100.client)} (${us(s.cpu.c100.sidecar)} + ${us(s.cpu.c100.apps)} + ${us(s.cpu.c100.client)})` : `${us(s.c100.cpuMsPerRun)} (one process; in-process ${us(local.c100.cpuMsPerRun)})`;
  console.log(`| ${label} | ${fmt(s.c1.perSecond)} | ${fmt(s.c1.perSecond / local.c1.perSecond, 2)} | ${fmt(s.c100.perSecond)} | ${fmt(s.c100.perSecond / local.c100.perSecond, 2)} | ${fmt(s.c1.p50Ms, 2)} / ${fmt(s.c100.p50Ms, 1)} | ${cpu} |`);
}
console.log('');
for (const [label, s] of shapes) {
  if (s.cpu) console.log(`${label}: CPU µs per work item at c=1: sidecar ${us(s.cpu.c1.sidecar)}, apps ${us(s.cpu.c1.apps)}, client ${us(s.cpu.c1.client)}`);
}
for (const [label, s] of shapes) {
  if (s.tx) console.log(`${label}: store transactions / WAL syncs per chain: ${fmt(s.tx.c1.transactions, 2)} / ${fmt(s.tx.c1.walSyncs, 2)} at c=1, ${fmt(s.tx.c100.transactions, 2)} / ${fmt(s.tx.c100.walSyncs, 2)} at c=100`);
}
for (const [label, s] of shapes) console.log(`${label}: ${fmt(((s.c1.p50Ms - local.c1.p50Ms) * 1000) / WORK_ITEMS_PER_CHAIN, 0)} µs of p50 latency per work item at concurrency 1 over in-process`);

/**
 * Cores the in-process chain keeps busy at c=100 when it has the machine to itself (its main
 * thread and the SQLite WAL sync; 2692 wf/s × 0.46 ms and 2247 × 0.56 ms on the 2-vCPU bench box,
 * bench/README.md "h-grpc3"): with it, a ceiling that does not loosen when the load starves the
 * in-process run.
 */
const IN_PROCESS_IDLE_CORES = 1.25;

/** The goal's CPU budget per workflow at c=100 against each process's use (see the header). */
const cores = availableParallelism();
const budgetMs = (cores * 1000) / (0.5 * local.c100.perSecond);
console.log('');
console.log(`CPU budget for 0.5× in-process at c=100: ${cores} cores / (0.5 × ${fmt(local.c100.perSecond)} wf/s) = ${fmt(budgetMs, 2)} ms of CPU per workflow (sidecar + app + client); in-process uses ${fmt(local.c100.cpuMsPerRun, 2)} ms`);
for (const [label, s] of shapes) {
  if (!s.cpu) continue;
  const { sidecar, apps, client } = s.cpu.c100;
  const total = sidecar + apps + client;
  // Also as a multiple of the in-process chain's CPU: steadier than the budget under load, which moves with the in-process rate.
  const share = (ms: number): string => `${fmt(ms, 2)} ms (${fmt(ms / budgetMs, 2)}× budget, ${fmt(ms / local.c100.cpuMsPerRun, 1)}× in-process CPU)`;
  console.log(`${label}: app ${share(apps)}, client ${share(client)}, app + client ${share(apps + client)}, sidecar ${share(sidecar)}, all ${share(total)}; CPU ceiling ${fmt((cores * 1000) / total, 0)} wf/s = ${fmt((cores * 1000) / total / local.c100.perSecond, 2)}× in-process (on an idle box ≈ ${fmt((cores * local.c100.cpuMsPerRun) / (IN_PROCESS_IDLE_CORES * total), 2)}×; the sidecar alone on its one main thread ≈ ${fmt(local.c100.cpuMsPerRun / (IN_PROCESS_IDLE_CORES * sidecar), 2)}×)`);
}
