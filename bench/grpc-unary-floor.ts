/**
 * @module bench/grpc-unary-floor
 * The CPU floor of the Durable Task worker protocol over @grpc/grpc-js on this machine, with no
 * Swirl and no SDK in it: what one app orchestration chain (bench/grpc-chain.ts) costs in gRPC
 * traffic alone. A 3-step chain is 7 work items, each one message on the GetWorkItems server
 * stream (sidecar → app) answered by one unary call (CompleteOrchestratorTask /
 * CompleteActivityTask, app → sidecar), plus the client's 2 unary calls (StartInstance,
 * WaitForInstanceCompletion): 9 unary calls and 7 stream messages per workflow.
 *
 * A server child process (`bench/grpc-unary-floor.ts server`: grpc-js with the taskhub descriptors,
 * CompleteActivityTask answers `{}` at once, GetWorkItems streams activity work items) and the
 * client in this process (a proto-loader client, as bench/grpc-lean-worker.ts): unary calls at
 * concurrency 100, then a stream of work items, CPU of each process from /proc and
 * process.cpuUsage. Then the in-process chain (bench/engine-common.ts) at concurrency 100 for the
 * goal's budget in the same run: `cores / (0.5 × in-process wf/s)` ms of CPU per workflow for
 * sidecar, app and client together (bench/grpc-chain.ts prints the same).
 *
 * Run: `npx tsx bench/grpc-unary-floor.ts [unaryCalls=20000] [streamMessages=20000]`
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Server, ServerCredentials, credentials, loadPackageDefinition, type ClientReadableStream, type ServiceError } from '@grpc/grpc-js';
import { fromJSON } from '@grpc/proto-loader';
import { PROTO_LOADER_OPTIONS, TASKHUB_DESCRIPTOR } from '../src/grpc/proto.js';
import { closedLoop, fmt, startChainEngine } from './engine-common.js';

/** Per 3-step chain over gRPC (see the header). */
const UNARY_PER_CHAIN = 9;
const STREAM_MESSAGES_PER_CHAIN = 7;
const CLK_TCK = 100;

function service(): any {
  const def = fromJSON(JSON.parse(readFileSync(TASKHUB_DESCRIPTOR, 'utf8')), PROTO_LOADER_OPTIONS);
  return (loadPackageDefinition(def) as any).TaskHubSidecarService;
}

/** A work item of the chain's size (an activity request with a UUID instance id). */
function workItem(i: number): object {
  return { activityRequest: { name: 'inc', input: { value: String(i) }, orchestrationInstance: { instanceId: '3f2c9a1e-8d4b-4e6a-9c1f-2b7d5e8a0c3' + (i % 10), executionId: { value: 'e' } }, taskId: 1 } };
}

/** Child: the server, until SIGTERM; prints its port. Streams `count` work items per GetWorkItems (first request message's count is not in the proto: argv). */
async function serverProcess(streamMessages: number): Promise<void> {
  const Svc = service();
  const server = new Server({ 'grpc.enable_channelz': 0 });
  server.addService(Svc.service, {
    CompleteActivityTask: (_call: unknown, cb: (e: null, r: object) => void) => cb(null, {}),
    GetWorkItems: (call: { write(x: object): boolean; once(ev: string, f: () => void): void; end(): void }) => {
      let i = 0;
      const pump = (): void => {
        while (i < streamMessages) {
          if (!call.write(workItem(i++))) return call.once('drain', pump);
        }
        call.end();
      };
      pump();
    },
  });
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
  process.stdout.write(`port ${port}\n`);
  process.once('SIGTERM', () => server.tryShutdown(() => process.exit(0)));
}

function procCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1000) / CLK_TCK;
}

function selfCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

async function main(unaryCalls: number, streamMessages: number): Promise<void> {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), 'server', String(streamMessages)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /port (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}: ${out}`)));
  });
  const Svc = service();
  const c = new Svc(`127.0.0.1:${port}`, credentials.createInsecure());
  const unary = (i: number): Promise<void> =>
    new Promise((resolve, reject) =>
      c.CompleteActivityTask({ instanceId: '3f2c9a1e-8d4b-4e6a-9c1f-2b7d5e8a0c3' + (i % 10), taskId: 1, result: { value: String(i) } }, (e: ServiceError | null) => (e ? reject(e) : resolve())),
    );
  try {
    await closedLoop(2000, 100, unary); // warm-up
    const s0 = procCpuMs(child.pid!);
    const c0 = selfCpuMs();
    const u = await closedLoop(unaryCalls, 100, unary);
    const unaryServer = ((procCpuMs(child.pid!) - s0) * 1000) / unaryCalls;
    const unaryClient = ((selfCpuMs() - c0) * 1000) / unaryCalls;
    const s1 = procCpuMs(child.pid!);
    const c1 = selfCpuMs();
    const t0 = Date.now();
    await new Promise<void>((resolve, reject) => {
      const stream = c.GetWorkItems({}) as ClientReadableStream<unknown>;
      let n = 0;
      stream.on('data', () => void n++);
      stream.on('end', () => (n === streamMessages ? resolve() : reject(new Error(`${n} of ${streamMessages} work items`))));
      stream.on('error', reject);
    });
    const streamSeconds = (Date.now() - t0) / 1000;
    const streamServer = ((procCpuMs(child.pid!) - s1) * 1000) / streamMessages;
    const streamClient = ((selfCpuMs() - c1) * 1000) / streamMessages;
    c.close();

    const { one, close } = await startChainEngine('swirl-bench-grpc-floor-');
    let inProcess;
    try {
      await closedLoop(200, 50, one);
      inProcess = await closedLoop(1000, 100, one);
    } finally {
      await close();
    }
    const perChainMs = (UNARY_PER_CHAIN * (unaryServer + unaryClient) + STREAM_MESSAGES_PER_CHAIN * (streamServer + streamClient)) / 1000;
    const cores = availableParallelism();
    const budgetMs = (cores * 1000) / (0.5 * inProcess.perSecond);
    console.log(`unary call (CompleteActivityTask → {}), ${unaryCalls} at concurrency 100: ${fmt(u.perSecond, 0)} calls/s, CPU µs per call: server ${fmt(unaryServer, 0)}, client ${fmt(unaryClient, 0)}`);
    console.log(`server-stream work item (activityRequest), ${streamMessages} on one GetWorkItems: ${fmt(streamMessages / streamSeconds, 0)} msgs/s, CPU µs per message: server ${fmt(streamServer, 0)}, client ${fmt(streamClient, 0)}`);
    console.log(`in-process chain at concurrency 100: ${fmt(inProcess.perSecond, 0)} wf/s, CPU ${fmt(inProcess.cpuMsPerRun, 2)} ms per workflow`);
    console.log(
      `gRPC floor of one chain (${UNARY_PER_CHAIN} unary calls + ${STREAM_MESSAGES_PER_CHAIN} stream messages, no Swirl, no SDK): ${fmt(perChainMs, 2)} ms of CPU; ` +
        `budget for 0.5× in-process: ${cores} cores / (0.5 × ${fmt(inProcess.perSecond, 0)} wf/s) = ${fmt(budgetMs, 2)} ms → the floor is ${fmt(perChainMs / budgetMs, 2)}× the budget; ` +
        `CPU ceiling of the protocol on grpc-js here: ${fmt((cores * 1000) / perChainMs, 0)} wf/s = ${fmt((cores * 1000) / perChainMs / inProcess.perSecond, 2)}× in-process`,
    );
  } finally {
    child.kill('SIGTERM');
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  if (process.argv[2] === 'server') await serverProcess(Number(process.argv[3] ?? 20000));
  else await main(Number(process.argv[2] ?? 20000), Number(process.argv[3] ?? 20000));
}
