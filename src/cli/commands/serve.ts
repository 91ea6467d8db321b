/**
 * @module cli/commands/serve
 * `swirl serve`: the Dapr-compatible workflow server. Opens the store (SQLite file in the working
 * directory by default), loads components, validates and registers the definitions of
 * `--workflows` (./workflows when absent, else none; invalid ones are refused with their diagnostics, the rest
 * load), reloads the definitions registered over the API (kept in `<store file>.workflows/`),
 * serves the HTTP API, and shuts down gracefully on SIGTERM/SIGINT. Instances left running by a
 * previous process resume where they were, and CloudEvents held for instances not started yet
 * are still held. When the store fails fatally (a failed fsync) the node turns unhealthy, logs the
 * cause and exits with code 3 (ExitCode.StoreFailed) so that a supervisor restarts it.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { DEFAULT_EXPRESSION_LIMITS, createApp, createHost, parseDuration, setExpressionLimits, startGrpcServer, startServer, type Logger, type LogMeta, type RunningGrpcServer } from '../../index.js';
import { ExitCode, setExitCode } from '../exit.js';

interface ServeOptions {
  port: string;
  grpcPort: string;
  host: string;
  workflows?: string;
  components?: string;
  store: string;
  apiToken?: string;
  appId: string;
  maxHeldEvents: string;
  heldEventTtl: string;
  lease: string;
  workerId?: string;
  expressionSteps: string;
  expressionMaxLength: string;
  expressionMaxString: string;
  verbose?: boolean;
}

/** The per-server expression limits from the command line, or the first bad flag. */
function expressionLimitsOf(opts: ServeOptions): { steps: number; collectionLength: number; stringLength: number } | string {
  const flags = [
    ['--expression-steps', opts.expressionSteps],
    ['--expression-max-length', opts.expressionMaxLength],
    ['--expression-max-string', opts.expressionMaxString],
  ] as const;
  const values: number[] = [];
  for (const [flag, text] of flags) {
    const n = Number(text);
    if (!Number.isSafeInteger(n) || n <= 0) return `${flag} must be a positive whole number, not '${text}'`;
    values.push(n);
  }
  return { steps: values[0], collectionLength: values[1], stringLength: values[2] };
}

/**
 * The default worker id: this host and the store file, so a restart of the same node on the same
 * store has the same id and takes its previous leases back at once. Two live nodes on one store
 * file must not share it (pass --worker-id). A hash keeps ':' and long paths out of lease ids.
 */
function defaultWorkerId(store: string, port: number): string {
  // A PostgreSQL store is shared by many nodes, several per host: the port tells them apart.
  const where = store === 'memory' ? 'memory' : isPostgresUrl(store) ? `${store}#${port}` : resolve(store.slice('sqlite:'.length));
  const host = hostname().replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 64) || 'host';
  return `${host}-${createHash('sha256').update(where).digest('hex').slice(0, 12)}`;
}

function isPostgresUrl(store: string): boolean {
  return store.startsWith('postgres://') || store.startsWith('postgresql://');
}

/**
 * Without --workflows: the working directory's `workflows/` when there is one, else nothing (the
 * server starts with only the definitions registered over the API). Never the package's own
 * samples/: a server must not start demo workflows (a nightly cron among them) nobody asked for.
 */
function defaultWorkflowsDir(): { dir?: string; note: string } {
  const local = resolve('workflows');
  if (existsSync(local)) return { dir: local, note: `no --workflows given: serving the workflows in ${local}` };
  return { note: `no --workflows given and no ./workflows folder here: serving no workflow definitions (register them with POST /api/v1/workflows, or pass --workflows <dir>)` };
}

/** Log lines on stderr: warnings and errors always, the rest with --verbose. */
function stderrLogger(verbose: boolean): Logger {
  const line = (level: string, msg: string, meta?: LogMeta) => process.stderr.write(`${new Date().toISOString()} ${level} ${msg}${meta?.instanceId ? ` [${String(meta.instanceId)}]` : ''}\n`);
  return {
    debug: () => undefined,
    info: (msg, meta) => (verbose ? line('info', msg, meta) : undefined),
    warn: (msg, meta) => line('warn', msg, meta),
    error: (msg, meta) => line('error', msg, meta),
  };
}

/** Resolves when the process is asked to stop. */
function shutdownSignal(): Promise<string> {
  return new Promise((done) => {
    const on = (sig: string) => () => done(sig);
    process.once('SIGTERM', on('SIGTERM'));
    process.once('SIGINT', on('SIGINT'));
  });
}

/** Adds the `serve` command to the program. */
export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('run the workflow server: Dapr workflow HTTP API, Swirl API, CloudEvents ingress, schedules')
    .option('-p, --port <port>', 'HTTP port (0: any free port)', '3500')
    .option('--grpc-port <port>', 'Durable Task / Dapr gRPC port for the Dapr workflow SDKs (0: off)', '50001')
    .option('--host <address>', 'address to listen on', '0.0.0.0')
    .option('--workflows <dir>', 'folder of workflow definitions (default: ./workflows when it exists, else none)')
    .option('--components <dir>', 'folder of Dapr component files')
    .option('--store <url>', 'sqlite:<path>, postgres://user@host:port/db[?schema=name] (shared by several nodes) or memory', 'sqlite:swirl.db')
    .option('--api-token <token>', 'require this dapr-api-token header on every route but health (default: $DAPR_API_TOKEN)')
    .option('--app-id <id>', 'app id reported by /v1.0/metadata and used as pub/sub consumer id', 'swirl')
    .option('--max-held-events <n>', 'CloudEvents held at most for instances that do not exist yet (more: 429)', '10000')
    .option('--held-event-ttl <duration>', 'ISO-8601 duration after which a held CloudEvent whose instance never started is dropped', 'P1D')
    .option('--worker-id <id>', "this node's id in lease ids; must be unique among live nodes on one store (default: hostname + store path, stable across restarts)")
    .option('--expression-steps <n>', 'evaluation steps one jq expression may spend (loop iterations, def calls, iterated values); more fails with EXPRESSION_LIMIT', String(DEFAULT_EXPRESSION_LIMITS.steps))
    .option('--expression-max-length <n>', 'longest array one jq expression may build', String(DEFAULT_EXPRESSION_LIMITS.collectionLength))
    .option('--expression-max-string <n>', 'longest string one jq expression may build (UTF-16 code units)', String(DEFAULT_EXPRESSION_LIMITS.stringLength))
    .option('--lease <duration>', 'ISO-8601 duration of work leases: how long a killed node keeps its instances from the other nodes', 'PT30S')
    .option('--verbose', 'log engine and host events on stderr')
    .action(async (opts: ServeOptions, command: Command) => {
      const port = Number(opts.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) {
        process.stderr.write(`swirl serve: --port must be a port number, not '${opts.port}'\n`);
        setExitCode(command, ExitCode.Usage);
        return;
      }
      const grpcPort = Number(opts.grpcPort);
      if (!Number.isInteger(grpcPort) || grpcPort < 0 || grpcPort > 65535) {
        process.stderr.write(`swirl serve: --grpc-port must be a port number (0: no gRPC), not '${opts.grpcPort}'\n`);
        setExitCode(command, ExitCode.Usage);
        return;
      }
      if (opts.store !== 'memory' && !opts.store.startsWith('sqlite:') && !isPostgresUrl(opts.store)) {
        process.stderr.write(`swirl serve: --store must be sqlite:<path>, postgres://user@host:port/db[?schema=name] or memory, not '${opts.store}'\n`);
        setExitCode(command, ExitCode.Usage);
        return;
      }
      const maxHeldEvents = Number(opts.maxHeldEvents);
      if (!Number.isInteger(maxHeldEvents) || maxHeldEvents < 0) {
        process.stderr.write(`swirl serve: --max-held-events must be a whole number, not '${opts.maxHeldEvents}'\n`);
        setExitCode(command, ExitCode.Usage);
        return;
      }
      const heldEventTtlMs = parseDuration(opts.heldEventTtl);
      if (heldEventTtlMs === undefined || heldEventTtlMs <= 0) {
        process.stderr.write(`swirl serve: --held-event-ttl must be an ISO-8601 duration such as PT1H or P1D, not '${opts.heldEventTtl}'\n`);
        setExitCode(command, ExitCode.Usage);
        return;
      }
      const limits = expressionLimitsOf(opts);
      if (typeof limits === 'string') {
        process.stderr.write(`swirl serve: ${limits}\n`);
        setExitCode(command, ExitCode.Usage);
        return;
      }
      setExpressionLimits(limits);
      const leaseMs = parseDuration(opts.lease);
      if (leaseMs === undefined || leaseMs < 100) {
        process.stderr.write(`swirl serve: --lease must be an ISO-8601 duration of at least 0.1 s such as PT30S, not '${opts.lease}'\n`);
        setExitCode(command, ExitCode.Usage);
        return;
      }
      const fallback = opts.workflows === undefined ? defaultWorkflowsDir() : undefined;
      if (fallback) process.stderr.write(`swirl serve: ${fallback.note}\n`);
      const workflowsDir = opts.workflows ?? fallback?.dir;
      if (workflowsDir !== undefined && !existsSync(workflowsDir)) {
        process.stderr.write(`swirl serve: the workflows folder '${workflowsDir}' does not exist\n`);
        setExitCode(command, ExitCode.Usage);
        return;
      }
      const workerId = opts.workerId ?? defaultWorkerId(opts.store, port);
      if (workerId === '' || workerId.includes(':')) {
        process.stderr.write(`swirl serve: --worker-id must be non-empty and must not contain ':', not '${workerId}'\n`);
        setExitCode(command, ExitCode.Usage);
        return;
      }
      const logger = stderrLogger(opts.verbose === true);
      let host;
      try {
        host = await createHost({
          store: opts.store,
          appId: opts.appId,
          logger,
          heldEvents: { maxHeldEvents, heldEventTtlMs },
          engine: { workerId, leaseMs },
          ...(workflowsDir !== undefined ? { workflowsDir } : {}),
          ...(opts.components !== undefined ? { componentsDir: opts.components } : {}),
        });
        await host.start();
      } catch (err) {
        process.stderr.write(`swirl serve: ${(err as Error).message}\n`);
        await host?.stop().catch(() => undefined);
        setExitCode(command, ExitCode.Failure);
        return;
      }
      for (const w of host.loadReport.warnings) process.stderr.write(w + '\n');
      for (const r of host.loadReport.refused) {
        for (const m of r.messages) process.stderr.write(m + '\n');
        process.stderr.write(`refused ${r.file}: invalid definition\n`);
      }
      const loaded = host.workflows();
      process.stdout.write(`loaded ${loaded.length} workflow${loaded.length === 1 ? '' : 's'}${workflowsDir ? ` from ${workflowsDir}` : ''}: ${loaded.map((w) => w.id).join(', ') || '(none)'}\n`);
      const token = opts.apiToken ?? process.env.DAPR_API_TOKEN;
      const stopRequested = shutdownSignal();
      let server: Awaited<ReturnType<typeof startServer>>;
      try {
        server = await startServer(createApp(host, token ? { apiToken: token } : {}), { port, host: opts.host });
      } catch (err) {
        // EADDRINUSE, EACCES, an unknown address: nothing listens, so nothing may keep running.
        process.stderr.write(`swirl serve: cannot listen on ${opts.host}:${port} (HTTP): ${(err as Error).message}\n`);
        await host.stop().catch(() => undefined);
        setExitCode(command, ExitCode.Failure);
        return;
      }
      let grpc: RunningGrpcServer | undefined;
      if (grpcPort !== 0) {
        try {
          grpc = await startGrpcServer(host, { port: grpcPort, host: opts.host, logger, ...(token ? { apiToken: token } : {}) });
        } catch (err) {
          process.stderr.write(`swirl serve: ${(err as Error).message}\n`);
          await server.close();
          await host.stop().catch(() => undefined);
          setExitCode(command, ExitCode.Failure);
          return;
        }
        process.stdout.write(`swirl serve gRPC (Durable Task sidecar) listening on ${opts.host}:${grpc.port}\n`);
      }
      process.stdout.write(`swirl serve listening on http://${opts.host}:${server.port} (store ${opts.store}${token ? ', api token required' : ''})\n`);
      // The store failing (the engine logs the cause) ends the process too, with its own exit code.
      let unsubscribe: () => void = () => undefined;
      const storeFailed = new Promise<Error>((done) => (unsubscribe = host.onFatal(done)));
      const ended = await Promise.race([stopRequested.then((signal) => ({ signal })), storeFailed.then((error) => ({ error }))]);
      unsubscribe();
      if ('error' in ended) process.stderr.write(`swirl serve: the store failed (${ended.error.message}); exiting with code ${ExitCode.StoreFailed} so that a supervisor restarts this node\n`);
      else process.stdout.write(`${ended.signal}: shutting down\n`);
      await grpc?.close();
      await server.close();
      await host.stop().catch((err: unknown) => process.stderr.write(`swirl serve: stopping: ${(err as Error).message}\n`));
      process.stdout.write('stopped\n');
      setExitCode(command, 'error' in ended ? ExitCode.StoreFailed : ExitCode.Ok);
    });
}
