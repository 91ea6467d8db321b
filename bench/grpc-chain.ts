/**
 * @module bench/grpc-chain
 * The 3-step activity chain as an app orchestration over gRPC — a @dapr/dapr 3.18
 * `WorkflowRuntime` (orchestrator + activity) connected to Swirl's gRPC sidecar
 * (`startGrpcServer` over a host on SQLite) — against the same chain as an in-process code
 * orchestration (bench/engine-common.ts startChainEngine, SQLite), measured in the same run:
 * workflows/s and p50 latency at concurrency 1 and 100, the ratios, and the gRPC cost per work
 * item (each chain is 4 orchestrator turns + 3 activity work items) in µs of latency (concurrency
 * 1) and of CPU.
 *
 * Everything runs in this one process (engine, gRPC server, the app's worker), so both sides share
 * the same CPU budget; both start and await instances through the engine client, so the
 * difference is the worker protocol: history sent per turn, actions decoded, activities sent and
 * answered over gRPC.
 *
 * A third measurement is the deployment shape: `swirl serve` as its own process (the sidecar, on
 * SQLite) with the app's worker and a `DaprWorkflowClient` in this process, so the two share the
 * machine's cores as a sidecar and its app do; starts and waits go over gRPC too.
 *
 * Run: `npx tsx bench/grpc-chain.ts [c1Runs=100] [c100Runs=1000]` (about a minute on 2 vCPUs).
 */

import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DaprWorkflowClient, WorkflowRuntime, WorkflowRuntimeStatus, type WorkflowActivityContext, type WorkflowContext } from '@dapr/dapr';
import { createHost } from '../src/host/host.js';
import { startGrpcServer } from '../src/grpc/server.js';
import { closedLoop, describeLoop, fmt, startChainEngine, tempDir, type LoopResult } from './engine-common.js';

const C1_RUNS = Number(process.argv[2] ?? 100);
const C100_RUNS = Number(process.argv[3] ?? 1000);
/** Work items per chain over gRPC: turns (start + 3 completions) and the 3 activities. */
const WORK_ITEMS_PER_CHAIN = 7;

interface Side {
  c1: LoopResult;
  c100: LoopResult;
}

async function inProcess(): Promise<Side> {
  const { one, close } = await startChainEngine('swirl-bench-grpc-inproc-');
  try {
    await closedLoop(200, 50, one); // warm-up
    return { c1: await closedLoop(C1_RUNS, 1, one), c100: await closedLoop(C100_RUNS, 100, one) };
  } finally {
    await close();
  }
}

const inc = async (_ctx: WorkflowActivityContext, x: number): Promise<number> => x + 1;
const chain = async function* (ctx: WorkflowContext, x: number): any {
  let v = x;
  for (let i = 0; i < 3; i++) v = yield ctx.callActivity(inc, v);
  return v;
};

async function overGrpc(): Promise<Side> {
  const tmp = tempDir('swirl-bench-grpc-');
  const host = await createHost({ store: `sqlite:${join(tmp.dir, 'chain.db')}` });
  await host.start();
  const server = await startGrpcServer(host, { port: 0, host: '127.0.0.1' });
  const runtime = new WorkflowRuntime({ daprHost: '127.0.0.1', daprPort: String(server.port) }).registerWorkflow(chain).registerActivity(inc);
  await runtime.start();
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
  try {
    await closedLoop(200, 50, one); // warm-up (also: the names are learned)
    return { c1: await closedLoop(C1_RUNS, 1, one), c100: await closedLoop(C100_RUNS, 100, one) };
  } finally {
    await runtime.stop().catch(() => undefined);
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

/** `swirl serve` as a separate process (the sidecar), the app and its client here. */
async function sidecarProcess(): Promise<Side> {
  const tmp = tempDir('swirl-bench-grpc-serve-');
  const grpcPort = await freePort();
  const root = fileURLToPath(new URL('..', import.meta.url));
  const proc = spawn(process.execPath, ['--import', 'tsx', join(root, 'test', 'cli', 'run-cli.ts'), 'serve', '--port', '0', '--host', '127.0.0.1', '--grpc-port', String(grpcPort), '--workflows', tmp.dir, '--store', `sqlite:${join(tmp.dir, 'chain.db')}`], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (/listening on http:/.test(out)) resolve();
    });
    proc.once('exit', (code) => reject(new Error(`swirl serve exited with ${code}: ${out}`)));
  });
  const opts = { daprHost: '127.0.0.1', daprPort: String(grpcPort) };
  const runtime = new WorkflowRuntime(opts).registerWorkflow(chain).registerActivity(inc);
  await runtime.start();
  const dapr = new DaprWorkflowClient(opts);
  const one = async (i: number): Promise<void> => {
    const id = await dapr.scheduleNewWorkflow(chain, i + 1);
    const r = await dapr.waitForWorkflowCompletion(id, true, 60);
    if (r?.runtimeStatus !== WorkflowRuntimeStatus.COMPLETED || JSON.parse(r.serializedOutput ?? 'null') !== i + 4) throw new Error(`chain ${id} ended ${r?.runtimeStatus} with ${r?.serializedOutput}`);
  };
  try {
    await closedLoop(200, 50, one);
    return { c1: await closedLoop(C1_RUNS, 1, one), c100: await closedLoop(C100_RUNS, 100, one) };
  } finally {
    await runtime.stop().catch(() => undefined);
    await dapr.stop();
    proc.kill('SIGTERM');
    await new Promise((r) => proc.once('exit', r));
    tmp.remove();
  }
}

const local = await inProcess();
console.log(describeLoop('in-process', local.c1));
console.log(describeLoop('in-process', local.c100));
const remote = await overGrpc();
console.log(describeLoop('gRPC app  ', remote.c1));
console.log(describeLoop('gRPC app  ', remote.c100));
const sidecar = await sidecarProcess();
console.log(describeLoop('sidecar   ', sidecar.c1));
console.log(describeLoop('sidecar   ', sidecar.c100));

const latencyUs = ((remote.c1.p50Ms - local.c1.p50Ms) * 1000) / WORK_ITEMS_PER_CHAIN;
const cpuUs = ((remote.c100.cpuMsPerRun - local.c100.cpuMsPerRun) * 1000) / WORK_ITEMS_PER_CHAIN;
console.log('');
console.log('| | in-process code | app over gRPC | ratio (gRPC / in-process) |');
console.log('|---|---:|---:|---:|');
console.log(`| workflows/s, concurrency 1 | ${fmt(local.c1.perSecond)} | ${fmt(remote.c1.perSecond)} | ${fmt(remote.c1.perSecond / local.c1.perSecond, 2)} |`);
console.log(`| workflows/s, concurrency 100 | ${fmt(local.c100.perSecond)} | ${fmt(remote.c100.perSecond)} | ${fmt(remote.c100.perSecond / local.c100.perSecond, 2)} |`);
console.log(`| p50 ms, concurrency 1 | ${fmt(local.c1.p50Ms, 2)} | ${fmt(remote.c1.p50Ms, 2)} | ${fmt(remote.c1.p50Ms / local.c1.p50Ms, 2)} |`);
console.log(`| p50 ms, concurrency 100 | ${fmt(local.c100.p50Ms, 1)} | ${fmt(remote.c100.p50Ms, 1)} | ${fmt(remote.c100.p50Ms / local.c100.p50Ms, 2)} |`);
console.log(`| CPU ms per workflow, concurrency 100 | ${fmt(local.c100.cpuMsPerRun, 2)} | ${fmt(remote.c100.cpuMsPerRun, 2)} | ${fmt(remote.c100.cpuMsPerRun / local.c100.cpuMsPerRun, 2)} |`);
console.log(`| sidecar process: workflows/s, concurrency 1 / 100 | | ${fmt(sidecar.c1.perSecond)} / ${fmt(sidecar.c100.perSecond)} | ${fmt(sidecar.c1.perSecond / local.c1.perSecond, 2)} / ${fmt(sidecar.c100.perSecond / local.c100.perSecond, 2)} |`);
console.log(`| sidecar process: p50 ms, concurrency 1 / 100 | | ${fmt(sidecar.c1.p50Ms, 2)} / ${fmt(sidecar.c100.p50Ms, 1)} | ${fmt(sidecar.c1.p50Ms / local.c1.p50Ms, 2)} / ${fmt(sidecar.c100.p50Ms / local.c100.p50Ms, 2)} |`);
console.log('');
console.log(`gRPC cost per work item (${WORK_ITEMS_PER_CHAIN} per chain): ${fmt(latencyUs, 0)} µs of p50 latency at concurrency 1, ${fmt(cpuUs, 0)} µs of CPU at concurrency 100`);
const ratio = remote.c100.perSecond / local.c100.perSecond;
console.log(`goal ≥ 0.5× in-process throughput at concurrency 100: ${fmt(ratio, 2)}× → ${ratio >= 0.5 ? 'met' : 'NOT met'}`);
