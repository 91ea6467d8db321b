/**
 * @module bench/serve-http
 * What the benchmarks that drive a real `swirl serve` child share: the 3-step no-op chain as a
 * Serverless Workflow (each step an `invoke:noop/inc` service invocation), the no-op app it calls,
 * starting `swirl serve` (tsx, SQLite file store, `--log-level warn`) on a directory, the child's
 * CPU from /proc, and one workflow over HTTP (Dapr start route, then `GET …?wait=60s` or polling;
 * or `POST …/start?wait=60s`, started and awaited in one exchange).
 * Used by bench/declarative-http.ts, bench/peers/run.ts and bench/recovery.ts.
 */

import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { closedLoop, type LoopResult } from './engine-common.js';
import { dispatcher, exchange } from './http-client.js';

export { dispatcher };

/** Linux clock ticks per second (utime/stime of /proc/<pid>/stat); `getconf CLK_TCK` on this machine. */
const CLK_TCK = 100;

/** The 3-step chain: three operation states, each one `invoke:noop/inc` of the no-op app. */
export const CHAIN = `id: chain
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

/** A JSON-over-HTTP app on loopback: `handle(body, req, res)` answers each POST. */
export async function startJsonApp(
  handle: (body: Record<string, unknown>, req: IncomingMessage, res: ServerResponse) => void,
): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handle(JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>, req, res));
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port };
}

/** Answers `value` as JSON. */
export function answerJson(res: ServerResponse, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** The no-op app: answers `{n: n + 1}` to every POST; counts its calls. */
export async function startNoopApp(): Promise<{ server: Server; port: number; calls: () => number }> {
  let calls = 0;
  const app = await startJsonApp((body, _req, res) => {
    calls++;
    answerJson(res, { n: (Number(body.n) || 0) + 1 });
  });
  return { ...app, calls: () => calls };
}

/** Writes `workflows/<name>.yaml` and a `nameresolution.static` component resolving `noop` to the app. */
export function writeServeDir(dir: string, workflows: Record<string, string>, appPort: number): void {
  mkdirSync(join(dir, 'workflows'), { recursive: true });
  mkdirSync(join(dir, 'components'), { recursive: true });
  for (const [name, yaml] of Object.entries(workflows)) writeFileSync(join(dir, 'workflows', `${name}.yaml`), yaml);
  writeFileSync(
    join(dir, 'components', 'apps.yaml'),
    `apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata: { name: apps }\nspec:\n  type: nameresolution.static\n  version: v1\n  metadata:\n    - { name: noop, value: "http://127.0.0.1:${appPort}" }\n`,
  );
}

/** A running `swirl serve` child. */
export interface ServeChild {
  proc: ChildProcess;
  base: string;
  /** ms from spawn to the listening line. */
  readyMs: number;
  /** CPU ms (user + system) the child had used when it printed the listening line. */
  cpuAtReadyMs: number;
}

/** How `spawnServe` starts the server. */
export interface SpawnOptions {
  /** `--store`; default `sqlite:<dir>/chain.db`. */
  store?: string;
  /** HTTP port; default 0 (any free port). */
  port?: number;
  /** gRPC port; default 0 (gRPC off). */
  grpcPort?: number;
  /** 'tsx': the sources through tsx (default); 'dist': bin/swirl on the build (`npm run build`), as a user runs it. */
  launcher?: 'tsx' | 'dist';
  /** With launcher 'dist': the checkout whose build runs (default this one), e.g. a build of the code before a change. */
  checkout?: string;
  extraArgs?: string[];
}

/**
 * `swirl serve` as a child process on the directory `writeServeDir` prepared; resolves once it
 * prints its listening line. BENCH_CPU_PROF=<dir> runs it under `node --cpu-prof` (profile
 * written when it stops).
 */
export async function spawnServe(dir: string, options: SpawnOptions = {}): Promise<ServeChild> {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const profDir = process.env.BENCH_CPU_PROF;
  const nodeArgs = profDir ? ['--cpu-prof', '--cpu-prof-dir', profDir] : [];
  const store = options.store ?? `sqlite:${join(dir, 'chain.db')}`;
  const args = ['serve', '--port', String(options.port ?? 0), '--host', '127.0.0.1', '--grpc-port', String(options.grpcPort ?? 0), '--log-level', 'warn', '--workflows', join(dir, 'workflows'), '--components', join(dir, 'components'), '--store', store, ...(options.extraArgs ?? [])];
  const entry = options.launcher === 'dist' ? [join(options.checkout ?? root, 'bin', 'swirl')] : ['--import', 'tsx', join(root, 'test', 'cli', 'run-cli.ts')];
  const logFile = process.env.BENCH_SERVE_LOG;
  if (logFile) args.push('--log-level', 'info');
  const t0 = performance.now();
  const proc = spawn(process.execPath, [...nodeArgs, ...entry, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  return await new Promise<ServeChild>((resolve, reject) => {
    let out = '';
    const onData = (d: Buffer): void => {
      out += d.toString();
      if (logFile) appendFileSync(logFile, d);
      const m = /swirl serve listening on (http:\/\/[\d.]+:\d+)/.exec(out);
      if (!m) return;
      const readyMs = performance.now() - t0;
      const cpuAtReadyMs = cpuMsOf(proc.pid!);
      proc.stdout!.off('data', onData);
      // Later output is drained; BENCH_SERVE_LOG=<file> appends it there (with --log-level info).
      if (logFile) proc.stdout!.on('data', (d: Buffer) => appendFileSync(logFile, d));
      else proc.stdout!.resume();
      resolve({ proc, base: m[1]!, readyMs, cpuAtReadyMs });
    };
    proc.stdout!.on('data', onData);
    proc.once('exit', (code, signal) => reject(new Error(`swirl serve exited with ${code ?? signal}: ${out}`)));
  });
}

/** `spawnServe` on a fresh directory serving CHAIN against the app on `appPort`. */
export async function startServe(dir: string, appPort: number): Promise<ServeChild> {
  writeServeDir(dir, { chain: CHAIN }, appPort);
  return await spawnServe(dir);
}

/** Stops a serve child gracefully and waits for it to exit. */
export async function stopServe(child: ServeChild): Promise<void> {
  if (child.proc.exitCode !== null || child.proc.signalCode !== null) return;
  const exited = new Promise((r) => child.proc.once('exit', r));
  child.proc.kill('SIGTERM');
  await exited;
}

/** CPU ms (user + system) the process has used so far. */
export function cpuMsOf(pid: number): number {
  // Fields after the parenthesised command name: state is field 3, utime 14, stime 15.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(rest[11]) + Number(rest[12])) * 1000) / CLK_TCK;
}

/** Starts `workflow` over the Dapr start route; resolves with the instance id. */
export async function startOverHttp(base: string, workflow: string, input: unknown, instanceId?: string): Promise<string> {
  const query = instanceId === undefined ? '' : `?instanceID=${encodeURIComponent(instanceId)}`;
  const started = await exchange(`${base}/v1.0/workflows/dapr/${workflow}/start${query}`, 'POST', JSON.stringify(input));
  if (started.statusCode !== 202) throw new Error(`start answered ${started.statusCode}: ${started.text}`);
  return (JSON.parse(started.text) as { instanceID: string }).instanceID;
}

/** One GET of an instance (Dapr route), with `?wait=` when `waitMs` is given. */
export async function getOverHttp(base: string, id: string, waitMs?: number): Promise<{ runtimeStatus: string; output: unknown }> {
  const res = await exchange(`${base}/v1.0/workflows/dapr/${encodeURIComponent(id)}${waitMs === undefined ? '' : `?wait=${waitMs / 1000}s`}`, 'GET');
  const body = JSON.parse(res.text) as { runtimeStatus: string; properties?: Record<string, string> };
  const output = body.properties?.['dapr.workflow.output'];
  return { runtimeStatus: body.runtimeStatus, output: output === undefined ? undefined : JSON.parse(output) };
}

/** A started CHAIN workflow awaited in the start request (`POST …/start?wait=60s`: one exchange); its final state. */
export async function startAndWaitOverHttp(base: string, workflow: string, input: unknown): Promise<{ instanceID: string; runtimeStatus: string; output: unknown }> {
  const res = await exchange(`${base}/v1.0/workflows/dapr/${workflow}/start?wait=60s`, 'POST', JSON.stringify(input));
  if (res.statusCode !== 200) throw new Error(`start?wait= answered ${res.statusCode}: ${res.text}`);
  const body = JSON.parse(res.text) as { instanceID: string; runtimeStatus: string; properties?: Record<string, string> };
  const output = body.properties?.['dapr.workflow.output'];
  return { instanceID: body.instanceID, runtimeStatus: body.runtimeStatus, output: output === undefined ? undefined : JSON.parse(output) };
}

/** How a client awaits the workflow: `GET ?wait=` long poll, polling GET, or `?wait=` on the start itself. */
export type AwaitMode = 'wait' | 'poll' | 'start-wait';

/** One CHAIN workflow over HTTP: start, then wait (long poll, or polling every `pollMs`; or in the start); checks the output. */
export function chainOverHttp(base: string, mode: AwaitMode, counter: { gets: number }, pollMs = 5) {
  return async (i: number): Promise<void> => {
    if (mode === 'start-wait') {
      const done = await startAndWaitOverHttp(base, 'chain', { n: i });
      // A wait that passed (60 s) would leave it running: then long-poll GETs as in 'wait'.
      let got: { runtimeStatus: string; output: unknown } = done;
      while (got.runtimeStatus === 'RUNNING' || got.runtimeStatus === 'PENDING') {
        counter.gets++;
        got = await getOverHttp(base, done.instanceID, 60_000);
      }
      const out = got.output as { n?: number } | undefined;
      if (got.runtimeStatus !== 'COMPLETED' || out?.n !== i + 3) throw new Error(`chain ${done.instanceID} ended ${got.runtimeStatus} with ${JSON.stringify(out)}`);
      return;
    }
    const id = await startOverHttp(base, 'chain', { n: i });
    for (;;) {
      counter.gets++;
      const got = await getOverHttp(base, id, mode === 'wait' ? 60_000 : undefined);
      if (got.runtimeStatus === 'COMPLETED') {
        const out = got.output as { n?: number } | undefined;
        if (out?.n !== i + 3) throw new Error(`chain ${id} output ${JSON.stringify(out)}`);
        return;
      }
      if (got.runtimeStatus !== 'RUNNING' && got.runtimeStatus !== 'PENDING') throw new Error(`chain ${id} ended ${got.runtimeStatus}`);
      if (mode === 'poll') await new Promise((r) => setTimeout(r, pollMs));
    }
  };
}

/** A closed loop of CHAIN workflows over HTTP, with the server's CPU, app calls and GETs per workflow. */
export interface HttpRun {
  loop: LoopResult;
  serverCpuMs: number;
  appCalls: number;
  gets: number;
}

export async function measureHttp(base: string, pid: number, calls: () => number, runs: number, concurrency: number, mode: AwaitMode, pollMs = 5): Promise<HttpRun> {
  const counter = { gets: 0 };
  const cpu0 = cpuMsOf(pid);
  const calls0 = calls();
  const loop = await closedLoop(runs, concurrency, chainOverHttp(base, mode, counter, pollMs));
  return { loop, serverCpuMs: (cpuMsOf(pid) - cpu0) / runs, appCalls: (calls() - calls0) / runs, gets: counter.gets / runs };
}
