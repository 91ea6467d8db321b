/**
 * @module cli/commands/serve
 * `swirl serve`: the Dapr-compatible workflow server. Opens the store (SQLite file in the working
 * directory by default), loads components, validates and registers the definitions of
 * `--workflows` (./workflows when absent, else none; invalid ones are refused with their diagnostics, the rest
 * load), reloads the definitions registered over the API (kept in `<store file>.workflows/`),
 * serves the HTTP API, and shuts down gracefully on SIGTERM/SIGINT. Instances left running by a
 * previous process resume where they were once it listens (the default worker id takes a killed
 * run's leases back at once, test/durability/serve-kill.test.ts), and CloudEvents held for instances not started yet
 * are still held. When the store fails fatally (a failed fsync) the node turns unhealthy, logs the
 * cause and exits with code 3 (ExitCode.StoreFailed) so that a supervisor restarts it. Options may
 * also come from `swirl.yaml` (or `--config <file>`, config/serve-config.ts); flags win.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import {
  DEFAULT_EXPRESSION_LIMITS,
  ENGINE_DEFAULTS,
  PROFILES,
  parseProfile,
  createApp,
  createHost,
  createMetricsApp,
  otlpProtocolProblem,
  otlpTracing,
  parseDuration,
  setExpressionLimits,
  startGrpcServer,
  startServer,
  tracingRequested,
  type RunningGrpcServer,
  type RunningServer,
} from '../../index.js';
import { ExitCode, setExitCode } from '../exit.js';
import { applyServeConfig, CONFIG_FILE_NAME, ConfigFileError, findConfigFile, loadServeConfig } from '../config/serve-config.js';
import { addExposureOptions, apiTokenOf, isLoopback, readTls, reachOf, secretEnvOf, tlsFilesOf, type ExposureOptions } from './serve-exposure.js';
import { createServeLog, LOG_FORMATS, LOG_LEVELS, type LogFormat, type LogLevel } from './serve-logger.js';

interface ServeOptions extends ExposureOptions {
  port: string;
  grpcPort: string;
  workflows?: string;
  components?: string;
  store: string;
  appId: string;
  maxHeldEvents: string;
  maxHeldEventsPerSource: string;
  maxHeldEventsPerTarget: string;
  heldEventTtl: string;
  lease: string;
  workerId?: string;
  expressionSteps: string;
  expressionMaxLength: string;
  expressionMaxString: string;
  expressionRegexTime: string;
  expressionFallbackTime: string;
  maxSubflowDepth: string;
  maxInstancesPerRoot: string;
  verbose?: boolean;
  logFormat: string;
  profile: string;
  logLevel?: string;
  metricsPort?: string;
  config?: string;
  environment?: string;
  tracing?: boolean;
}

/**
 * Applies the configuration file to `command`'s options; undefined when there is none. Problems are
 * a ConfigFileError (its lines are the messages, `swirl.yaml:LINE:COL: error …`).
 */
function configure(command: Command, opts: ServeOptions): { display: string; path: string } | undefined {
  const found = findConfigFile(opts.config, process.cwd());
  if (!found) {
    if (opts.environment !== undefined) throw new ConfigFileError([`swirl serve: --environment ${opts.environment}: there is no configuration file to take it from (./${CONFIG_FILE_NAME}, or --config <file>)`]);
    return undefined;
  }
  const config = loadServeConfig(found.path, found.display, opts.environment);
  applyServeConfig(command, config, process.env);
  return { display: config.environment === undefined ? found.display : `${found.display} (environment ${config.environment})`, path: found.path };
}

/** The per-server expression limits from the command line, or the first bad flag. */
function expressionLimitsOf(opts: ServeOptions): { steps: number; collectionLength: number; stringLength: number; regexTimeMs: number; fallbackTimeMs: number } | string {
  const flags = [
    ['--expression-steps', opts.expressionSteps],
    ['--expression-max-length', opts.expressionMaxLength],
    ['--expression-max-string', opts.expressionMaxString],
    ['--expression-regex-time', opts.expressionRegexTime],
    ['--expression-fallback-time', opts.expressionFallbackTime],
  ] as const;
  const values: number[] = [];
  for (const [flag, text] of flags) {
    const n = Number(text);
    if (!Number.isSafeInteger(n) || n <= 0) return `${flag} must be a positive whole number, not '${text}'`;
    values.push(n);
  }
  return { steps: values[0], collectionLength: values[1], stringLength: values[2], regexTimeMs: values[3], fallbackTimeMs: values[4] };
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

/** The per-server fan-out limits from the command line (specs/limits.md "Fan-out"), or the first bad flag. */
function fanoutLimitsOf(opts: ServeOptions): { maxSubOrchestrationDepth: number; maxInstancesPerRoot: number } | string {
  const depth = Number(opts.maxSubflowDepth);
  if (!Number.isSafeInteger(depth) || depth <= 0) return `--max-subflow-depth must be a positive whole number, not '${opts.maxSubflowDepth}'`;
  const perRoot = Number(opts.maxInstancesPerRoot);
  if (!Number.isSafeInteger(perRoot) || perRoot <= 0) return `--max-instances-per-root must be a positive whole number, not '${opts.maxInstancesPerRoot}'`;
  return { maxSubOrchestrationDepth: depth, maxInstancesPerRoot: perRoot };
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
  const serve = program
    .command('serve')
    .description('run the workflow server: Dapr workflow HTTP API, Swirl API, CloudEvents ingress, schedules')
    .option('-p, --port <port>', 'HTTP port (0: any free port)', '3500')
    .option('--grpc-port <port>', 'Durable Task / Dapr gRPC port for the Dapr workflow SDKs (0: off)', '50001');
  // Exposure, TLS and what definitions may reach: one block (serve-exposure.ts).
  addExposureOptions(serve)
    .option('--workflows <dir>', 'folder of workflow definitions (default: ./workflows when it exists, else none)')
    .option('--components <dir>', 'folder of Dapr component files')
    .option('--store <url>', 'sqlite:<path>, postgres://user@host:port/db[?schema=name] (shared by several nodes) or memory', 'sqlite:swirl.db')
    .option('--app-id <id>', 'app id reported by /v1.0/metadata and used as pub/sub consumer id', 'swirl')
    .option('--max-held-events <n>', 'CloudEvents held at most for instances that do not exist yet (more: 429)', '10000')
    .option('--max-held-events-per-source <n>', 'of those, held at most from one CloudEvent source (more: 429 naming this cap)', '1000')
    .option('--max-held-events-per-target <n>', 'of those, held at most for one instance (more: 429 naming this cap)', '1000')
    .option('--held-event-ttl <duration>', 'ISO-8601 duration after which a held CloudEvent whose instance never started is dropped', 'P1D')
    .option('--worker-id <id>', "this node's id in lease ids; must be unique among live nodes on one store (default: hostname + store path, stable across restarts)")
    .option('--expression-steps <n>', 'evaluation steps one jq expression may spend (loop iterations, def calls, iterated values); more fails with EXPRESSION_LIMIT', String(DEFAULT_EXPRESSION_LIMITS.steps))
    .option('--expression-max-length <n>', 'longest array one jq expression may build', String(DEFAULT_EXPRESSION_LIMITS.collectionLength))
    .option('--expression-max-string <n>', 'longest string one jq expression may build (UTF-16 code units)', String(DEFAULT_EXPRESSION_LIMITS.stringLength))
    .option('--expression-regex-time <ms>', 'milliseconds one regex search that could backtrack exponentially and that RE2 cannot express (lookaround, back references) may take, off the main thread; more fails with EXPRESSION_LIMIT', String(DEFAULT_EXPRESSION_LIMITS.regexTimeMs))
    .option('--expression-fallback-time <ms>', 'milliseconds one evaluation on the jq-wasm fallback may take; more fails with EXPRESSION_LIMIT', String(DEFAULT_EXPRESSION_LIMITS.fallbackTimeMs))
    .option('--max-subflow-depth <n>', 'deepest subflow (sub-orchestration) nesting, a started instance being depth 0; a deeper subflow action fails with SUBFLOW_DEPTH_LIMIT', String(ENGINE_DEFAULTS.maxSubOrchestrationDepth))
    .option('--max-instances-per-root <n>', 'most subflow instances created under one started instance (its whole tree); more fail with FANOUT_LIMIT', String(ENGINE_DEFAULTS.maxInstancesPerRoot))
    .option('--lease <duration>', 'ISO-8601 duration of work leases: how long a killed node keeps its instances from the other nodes', 'PT30S')
    .option('--profile <profile>', `${PROFILES.join(' or ')}: sonataflow validates and runs SonataFlow's extensions (specs/sonataflow-profile.md)`, 'standard')
    .option('--verbose', 'same as --log-level debug')
    .option('--log-format <format>', `log lines on stderr as ${LOG_FORMATS.join(' or ')}`, 'json')
    .option('--log-level <level>', `least severe level logged: ${LOG_LEVELS.join(', ')} (default: info)`)
    .option('--metrics-port <port>', 'also serve GET /metrics on this port, without the API token (like daprd; 0: any free port)')
    .option('--tracing', 'send OpenTelemetry traces over OTLP/HTTP, configured by the OTEL_EXPORTER_OTLP_* variables (also on with SWIRL_TRACING=true or OTEL_TRACES_EXPORTER=otlp)')
    .option('-c, --config <file>', 'configuration file (default: ./swirl.yaml when it exists); flags given here win over it')
    .option('--environment <name>', "use this environment of the configuration file's environments: section (default: its environment: key)")
    .action(async (given: ServeOptions, command: Command) => {
      let configFile: { display: string; path: string } | undefined;
      try {
        configFile = configure(command, given);
      } catch (err) {
        if (!(err instanceof ConfigFileError)) throw err;
        for (const line of err.lines) process.stderr.write(`${line}\n`);
        setExitCode(command, ExitCode.Usage);
        return;
      }
      const opts = command.opts<ServeOptions>();
      if (configFile !== undefined) process.stderr.write(`swirl serve: configured by ${configFile.display}\n`);
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
      const caps: number[] = [];
      for (const [flag, text] of [
        ['--max-held-events', opts.maxHeldEvents],
        ['--max-held-events-per-source', opts.maxHeldEventsPerSource],
        ['--max-held-events-per-target', opts.maxHeldEventsPerTarget],
      ] as const) {
        const n = Number(text);
        if (!Number.isInteger(n) || n < 0) {
          process.stderr.write(`swirl serve: ${flag} must be a whole number, not '${text}'\n`);
          setExitCode(command, ExitCode.Usage);
          return;
        }
        caps.push(n);
      }
      const [maxHeldEvents, maxHeldEventsPerSource, maxHeldEventsPerTarget] = caps as [number, number, number];
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
      const fanout = fanoutLimitsOf(opts);
      if (typeof fanout === 'string') {
        process.stderr.write(`swirl serve: ${fanout}\n`);
        setExitCode(command, ExitCode.Usage);
        return;
      }
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
      const tokenOrError = apiTokenOf(opts, process.env);
      const tlsFiles = tlsFilesOf(opts);
      const reach = reachOf(opts);
      if (typeof tokenOrError === 'string' || typeof tlsFiles === 'string' || typeof reach === 'string') {
        process.stderr.write(`swirl serve: ${[tokenOrError, tlsFiles, reach].find((x) => typeof x === 'string')}\n`);
        setExitCode(command, ExitCode.Usage);
        return;
      }
      if (reach.fileRoot !== undefined && !existsSync(reach.fileRoot)) {
        process.stderr.write(`swirl serve: the definition root '${opts.definitionRoot}' does not exist\n`);
        setExitCode(command, ExitCode.Usage);
        return;
      }
      let tls: ReturnType<typeof readTls> | undefined;
      try {
        tls = tlsFiles ? readTls(tlsFiles) : undefined;
      } catch (err) {
        process.stderr.write(`swirl serve: ${(err as Error).message}\n`);
        setExitCode(command, ExitCode.Usage);
        return;
      }
      if (!(LOG_FORMATS as readonly string[]).includes(opts.logFormat)) {
        process.stderr.write(`swirl serve: --log-format must be ${LOG_FORMATS.join(' or ')}, not '${opts.logFormat}'\n`);
        setExitCode(command, ExitCode.Usage);
        return;
      }
      const level = opts.logLevel ?? (opts.verbose === true ? 'debug' : 'info');
      if (!(LOG_LEVELS as readonly string[]).includes(level)) {
        process.stderr.write(`swirl serve: --log-level must be one of ${LOG_LEVELS.join(', ')}, not '${level}'\n`);
        setExitCode(command, ExitCode.Usage);
        return;
      }
      const metricsPort = opts.metricsPort === undefined ? undefined : Number(opts.metricsPort);
      if (metricsPort !== undefined && (!Number.isInteger(metricsPort) || metricsPort < 0 || metricsPort > 65535)) {
        process.stderr.write(`swirl serve: --metrics-port must be a port number, not '${opts.metricsPort}'\n`);
        setExitCode(command, ExitCode.Usage);
        return;
      }
      const profile = parseProfile(opts.profile);
      if (!profile.ok) {
        process.stderr.write(`swirl serve: --profile: ${profile.message}\n`);
        setExitCode(command, ExitCode.Usage);
        return;
      }
      const tracing = tracingRequested(opts.tracing, process.env);
      const tracingProblem = 'error' in tracing ? tracing.error : tracing.on ? otlpProtocolProblem(process.env) : undefined;
      if (tracingProblem !== undefined) {
        process.stderr.write(`swirl serve: ${tracingProblem}\n`);
        setExitCode(command, ExitCode.Usage);
        return;
      }
      const log = createServeLog(opts.logFormat as LogFormat, level as LogLevel, opts.appId);
      const logger = log.logger;
      let host;
      try {
        host = await createHost({
          store: opts.store,
          appId: opts.appId,
          logger,
          heldEvents: { maxHeldEvents, maxHeldEventsPerSource, maxHeldEventsPerTarget, heldEventTtlMs },
          engine: { workerId, leaseMs, ...fanout },
          reach,
          secretEnv: secretEnvOf(opts),
          ...('on' in tracing && tracing.on ? { tracing: await otlpTracing(process.env.OTEL_SERVICE_NAME?.trim() || opts.appId) } : {}),
          // --profile on the command line: every definition; from swirl.yaml or the default: where no folder file says otherwise.
          ...(command.getOptionValueSource('profile') === 'cli' ? { profile: profile.profile } : { defaultProfile: profile.profile }),
          ...(configFile !== undefined ? { configFile: configFile.path } : {}),
          ...(workflowsDir !== undefined ? { workflowsDir } : {}),
          ...(opts.components !== undefined ? { componentsDir: opts.components } : {}),
        });
        // The workers start once the listeners are up (below): a backlog left by a killed process
        // must not hold back the listening line.
        await host.start({ work: false });
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
      const token = tokenOrError.token;
      const stopRequested = shutdownSignal();
      let server: Awaited<ReturnType<typeof startServer>>;
      try {
        server = await startServer(createApp(host, { accessLog: log.access, ...(token ? { apiToken: token } : {}) }), { port, host: opts.host, ...(tls ? { tls } : {}) });
      } catch (err) {
        // EADDRINUSE, EACCES, an unknown address: nothing listens, so nothing may keep running.
        process.stderr.write(`swirl serve: cannot listen on ${opts.host}:${port} (HTTP): ${(err as Error).message}\n`);
        await host.stop().catch(() => undefined);
        setExitCode(command, ExitCode.Failure);
        return;
      }
      let metricsServer: RunningServer | undefined;
      if (metricsPort !== undefined) {
        try {
          metricsServer = await startServer(createMetricsApp(host), { port: metricsPort, host: opts.host });
        } catch (err) {
          process.stderr.write(`swirl serve: --metrics-port ${metricsPort}: ${(err as Error).message}\n`);
          await server.close();
          await host.stop().catch(() => undefined);
          setExitCode(command, ExitCode.Failure);
          return;
        }
        process.stdout.write(`swirl serve metrics on http://${opts.host}:${metricsServer.port}/metrics\n`);
      }
      let grpc: RunningGrpcServer | undefined;
      if (grpcPort !== 0) {
        try {
          grpc = await startGrpcServer(host, { port: grpcPort, host: opts.host, logger, ...(token ? { apiToken: token } : {}), ...(tls ? { tls } : {}) });
        } catch (err) {
          const message = (err as Error).message;
          process.stderr.write(`swirl serve: ${message}\n`);
          // Two nodes on one machine (README "Several nodes") both default to daprd's 50001.
          if (message.includes('EADDRINUSE')) process.stderr.write(`    hint: another process (another swirl serve?) listens on port ${grpcPort}: pass --grpc-port <a free port>, or --grpc-port 0 to serve no gRPC\n`);
          await server.close();
          await metricsServer?.close();
          await host.stop().catch(() => undefined);
          setExitCode(command, ExitCode.Failure);
          return;
        }
        process.stdout.write(`swirl serve gRPC (Durable Task sidecar) listening on ${opts.host}:${grpc.port}${tls ? ' (TLS)' : ''}\n`);
      }
      // Said before the listening line (which supervisors and tests wait for), so it is never missed.
      const mtls = tls?.clientCa !== undefined ? ', client certificates required' : '';
      if (isLoopback(opts.host)) process.stdout.write(`listening on ${opts.host} only (this machine): pass --host 0.0.0.0 to accept connections from other machines\n`);
      else if (!token) {
        process.stderr.write(
          `WARNING: swirl serve listens on ${opts.host}, beyond this machine, WITHOUT an API token: anyone who can reach port ${server.port} can register workflows, start, terminate and purge instances. Set --api-token-file <path> or $SWIRL_API_TOKEN, or listen on 127.0.0.1.\n`,
        );
      }
      process.stdout.write(`swirl serve listening on ${server.scheme}://${opts.host}:${server.port} (store ${opts.store}${token ? `, api token required (from ${tokenOrError.source})` : ''}${mtls})\n`);
      await host.startWork();
      // SIGHUP: read the certificate files again and serve them to new connections (HTTP and gRPC).
      const onHangup = () => {
        if (!tlsFiles) {
          process.stderr.write('SIGHUP: no --tls-cert to reload\n');
          return;
        }
        try {
          const material = readTls(tlsFiles);
          server.reloadTls(material);
          grpc?.reloadTls(material);
          process.stdout.write(`SIGHUP: reloaded the TLS certificate from ${tlsFiles.cert}\n`);
        } catch (err) {
          process.stderr.write(`SIGHUP: the TLS certificate was not reloaded (${(err as Error).message}); the previous one is still served\n`);
        }
      };
      process.on('SIGHUP', onHangup);
      // The store failing (the engine logs the cause) ends the process too, with its own exit code.
      let unsubscribe: () => void = () => undefined;
      const storeFailed = new Promise<Error>((done) => (unsubscribe = host.onFatal(done)));
      const ended = await Promise.race([stopRequested.then((signal) => ({ signal })), storeFailed.then((error) => ({ error }))]);
      unsubscribe();
      process.off('SIGHUP', onHangup);
      if ('error' in ended) process.stderr.write(`swirl serve: the store failed (${ended.error.message}); exiting with code ${ExitCode.StoreFailed} so that a supervisor restarts this node\n`);
      else process.stdout.write(`${ended.signal}: shutting down\n`);
      await grpc?.close();
      await server.close();
      await metricsServer?.close();
      await host.stop().catch((err: unknown) => process.stderr.write(`swirl serve: stopping: ${(err as Error).message}\n`));
      log.flush();
      process.stdout.write('stopped\n');
      setExitCode(command, 'error' in ended ? ExitCode.StoreFailed : ExitCode.Ok);
    });
}
