/**
 * @module host/host
 * A running Swirl host: one engine on a store, the components of a folder, the definitions of a
 * folder validated and registered by id, CloudEvent routing, pub/sub subscriptions and start
 * schedules. `swirl serve` and the HTTP API sit on top of it; tests build one in memory.
 */
import { InvalidInputError, SwirlError } from '../errors.js';
import { formatInputProblems, inputProblems } from '../graph/input.js';
import { expressionStats } from '../expressions/index.js';
import { createEngine, type Engine } from '../engine/engine.js';
import { noopLogger, type Logger } from '../engine/logger.js';
import { isTerminalStatus, openStore } from '../store/index.js';
import { inScope, loadComponents, validateCloudEvent, type CloudEventJson, type ComponentHost, type ComponentSummary, type Subscription } from '../components/index.js';
import { WorkflowCatalog, type CatalogLoadReport, type WorkflowInfo } from './catalog.js';
import { DEFAULT_SECRET_ENV, allowsEnvSecret } from './secret-env.js';
import { EventRouter } from './event-router.js';
import { EVENT_BACKLOG_FULL, EventMailboxes } from './event-mailbox.js';
import { DefinitionStore } from './definition-store.js';
import { Scheduler } from './scheduler.js';
import { EventDedup, type DedupedOutcome } from './event-dedup.js';
import { DropReason, EventDrops, INSTANCE_FINISHED } from './event-drops.js';
import { PublicClient } from './public-client.js';
import { timeActivities, timedStore, type StoreTimings } from './latency.js';
import { HostMetricsRegistry } from './metrics-registry.js';
import type { StepTracer } from './tracing/otel-tracer.js';
import { loadOnUse } from '../optional-module.js';
import { UNUSED_DEFINITION_GRACE_MS, type HostOptions } from './host-options.js';
import { logActionFailure, remoteStepObserver, stepObserver } from './turn-observers.js';

/** `<file>.workflows` next to a SQLite file; none for memory stores (SQLite's `:memory:` included). */
function defaultDefinitionsDir(store: HostOptions['store']): string | undefined {
  if (typeof store !== 'string' || !store.startsWith('sqlite:')) return undefined;
  const file = store.slice('sqlite:'.length);
  return file === ':memory:' || file === '' ? undefined : `${file}.workflows`;
}

/** Counters the metrics endpoint reports (all measured, none estimated). */
export interface HostMetrics {
  /** Engine counters since start. */
  engine: ReturnType<Engine['stats']>;
  /** jq expression counters (process-wide). */
  expressions: ReturnType<typeof expressionStats>;
  /** Store call latency by operation. */
  store: StoreTimings;
  /** Activity execution latency by activity name. */
  activities: StoreTimings;
  /** CloudEvents accepted since start, once per (source, id): duplicates are not counted. */
  eventsReceived: number;
  /** CloudEvents dropped or refused since start, by reason (host/event-drops.ts). */
  eventsDropped: Record<DropReason, number>;
  /** Seconds since the host started. */
  uptimeSeconds: number;
}

/** Properties of the metrics snapshot, as `/metrics` reads them. */
export type { StoreTimings };

/** A Swirl host. Create with {@link createHost}, then `start()`. */
export class SwirlHost {
  readonly catalog: WorkflowCatalog;
  readonly events: EventRouter;
  readonly scheduler: Scheduler;
  /** What loading `workflowsDir` produced (refused definitions with their diagnostics). */
  loadReport: CatalogLoadReport = { loaded: [], refused: [], warnings: [] };
  private readonly subscriptions: Subscription[] = [];
  /** (source, id) de-duplication, durable in the store and shared by every node on it. */
  readonly dedup: EventDedup;
  /** Dropped and refused events: logged with the reason, counted for /metrics. */
  readonly drops: EventDrops;
  /** The engine client as the public APIs use it: Swirl's internal instances hidden (host/public-client.ts). */
  readonly client: PublicClient;
  /** The span emitter when tracing is on (HostOptions.tracing); `flush()` exports what is buffered. */
  tracer: StepTracer | undefined;
  private eventsReceived = 0;
  private startedAt = Date.now();
  private state: 'created' | 'running' | 'stopped' = 'created';
  private expirySweep: ReturnType<typeof setInterval> | undefined;
  private firstSweep: ReturnType<typeof setTimeout> | undefined;
  private definitionRefresh: ReturnType<typeof setInterval> | undefined;

  /** Use {@link createHost}. */
  constructor(
    /** The Prometheus registry every metric of this host is in (rendered by /metrics). */
    readonly prometheus: HostMetricsRegistry,
    readonly engine: Engine,
    readonly components: ComponentHost | undefined,
    readonly appId: string,
    private readonly timings: () => StoreTimings,
    private readonly activityTimings: () => StoreTimings,
    private readonly logger: Logger,
    private readonly options: HostOptions,
  ) {
    this.dedup = new EventDedup(engine.store, options.eventDedup);
    this.drops = new EventDrops(logger);
    this.client = new PublicClient(engine.client);
    const definitionsDir = options.definitionsDir ?? defaultDefinitionsDir(options.store);
    this.catalog = new WorkflowCatalog(engine, components, logger, definitionsDir !== undefined ? new DefinitionStore(definitionsDir) : undefined, options.reach, options.secretEnv, options.profile, options.defaultProfile, options.configFile);
    // Registered before the engine starts, so mailboxes left by a previous process resume.
    this.events = new EventRouter(engine, this.catalog, logger, new EventMailboxes(engine, logger, { ...options.heldEvents, onExpired: (_target, n) => this.drops.count(DropReason.HELD_EXPIRED, n) }));
    this.scheduler = new Scheduler(engine, { logger, ...(options.scheduleTickMs !== undefined ? { tickMs: options.scheduleTickMs } : {}) });
    this.catalog.onRegistered((g, replaced) => {
      this.scheduler.add(g);
      // A new version of an id already served keeps that id's subscriptions (its topics as first
      // registered here; a restart subscribes the current version's).
      if (this.state === 'running' && !replaced) void this.subscribe(g.id).catch((err) => logger.error(`subscribing for '${g.id}' failed: ${(err as Error).message}`));
    });
  }

  /**
   * Loads the definitions folder, starts the engine, subscriptions and schedules. With
   * `{ work: false }` the engine's workers and the schedules wait for {@link startWork}: a server
   * opens its listeners first, so that recovering a backlog (instances and activities a killed
   * process left, whose turns and calls would otherwise run in the gaps of the start-up) does not
   * delay the moment it answers (bench/recovery.ts, issue 12).
   */
  async start(options: { work?: boolean } = {}): Promise<void> {
    if (this.state !== 'created') return;
    // Definition versions (specs/engine.md): first the stored versions unfinished instances still
    // run (for replay only), then the current ones (folder, then API), then forget the rest.
    const inUse = await this.catalog.loadInUse();
    if (this.options.workflowsDir !== undefined) this.loadReport = await this.catalog.loadFolder(this.options.workflowsDir);
    const persisted = await this.catalog.loadPersisted();
    this.loadReport.loaded.push(...persisted.loaded);
    // Older versions are not "loaded workflows" (serve lists those): only their problems are reported.
    this.loadReport.refused.push(...persisted.refused, ...inUse.refused);
    this.loadReport.warnings.push(...persisted.warnings, ...inUse.warnings);
    const deleted = await this.catalog.collectUnused(Date.now(), this.options.unusedDefinitionGraceMs ?? UNUSED_DEFINITION_GRACE_MS);
    if (deleted.length > 0) this.logger.info(`deleted ${deleted.length} stored definition version(s) no instance runs any more`, { definitionHashes: deleted });
    if (options.work !== false) await this.engine.start();
    await this.events.recover();
    const ttl = this.events.mailboxes.heldEventTtlMs;
    this.expirySweep = setInterval(() => {
      void this.events.expire().catch((err) => this.logger.error(`expiring held events failed: ${(err as Error).message}`));
      void this.dedup.prune().catch((err) => this.logger.error(`pruning event keys failed: ${(err as Error).message}`));
    }, Math.min(Math.max(ttl / 2, 1000), 60_000));
    this.expirySweep.unref();
    // Once soon after start as well: it also recounts the mailboxes recovered from the store.
    this.firstSweep = setTimeout(() => void this.events.expire().catch(() => undefined), 1000);
    this.firstSweep.unref();
    this.state = 'running';
    this.startedAt = Date.now();
    await this.catalog.refresh();
    this.definitionRefresh = setInterval(() => void this.refreshDefinitions(), this.options.definitionRefreshMs ?? 2000);
    this.definitionRefresh.unref();
    for (const w of this.catalog.list()) await this.subscribe(w.id);
    await this.readInputBindings();
    if (options.work !== false) this.scheduler.start();
  }

  /**
   * Starts the engine's workers (taking back the leases of a previous run of this worker id) and
   * the schedules, after `start({ work: false })`. Idempotent; a no-op once stopped.
   */
  async startWork(): Promise<void> {
    if (this.state !== 'running') return;
    await this.engine.start();
    this.scheduler.start();
  }

  /**
   * Graceful stop: schedules first, then the engine (turns in flight finish, running activities
   * get their shutdown timeout), then the components. Subscriptions are not unsubscribed: the
   * components end them keeping their durable state (Redis group, MQTT session, JetStream
   * consumer), so events published while the host is down are delivered after the restart; an
   * event arriving during the stop fails its handler and is redelivered.
   */
  async stop(): Promise<void> {
    if (this.state === 'stopped') return;
    this.state = 'stopped';
    clearInterval(this.expirySweep);
    clearTimeout(this.firstSweep);
    clearInterval(this.definitionRefresh);
    await this.scheduler.stop();
    await this.engine.stop();
    await this.components?.close();
    this.subscriptions.length = 0;
  }

  /**
   * Makes sure the definitions other nodes registered are known here: called on a miss (a start
   * or read naming a workflow id this node does not know) and periodically.
   */
  async refreshDefinitions(): Promise<void> {
    if (this.state !== 'running') return;
    try {
      await this.catalog.refresh();
    } catch (err) {
      this.logger.error(`reading definitions registered on other nodes failed: ${(err as Error).message}`, { event: 'host.definitions-refresh-failed' });
    }
  }

  /** Registers the definitions other nodes registered when `id` is not known here yet. */
  async knowWorkflow(id: string): Promise<void> {
    if (this.catalog.graph(id) === undefined) await this.refreshDefinitions();
  }

  /** Registered definitions. */
  workflows(): WorkflowInfo[] {
    return this.catalog.list();
  }

  /**
   * Refuses input that the current version of workflow `name` can only fail on (not an object, or
   * not matching its `dataInputSchema` with failOnValidationErrors): throws InvalidInputError
   * (code INVALID_INPUT) with every problem, before anything is started. Names the catalog does
   * not serve (orchestrations registered as code) are not checked.
   */
  checkInput(name: string, input: unknown): void {
    const graph = this.catalog.graph(name);
    if (!graph) return;
    const problems = inputProblems(graph, input);
    if (problems.length > 0) throw new InvalidInputError(`input of workflow '${name}' is refused: ${formatInputProblems(problems)}`, problems);
  }

  /** The configured components (Dapr metadata). */
  describeComponents(): ComponentSummary[] {
    return this.components?.describe?.() ?? [];
  }

  /**
   * Validates CloudEvents (JSON form) and routes each once: a (source, id) already routed (by this
   * node or another on the store, before a restart included) is not routed again; its outcome
   * comes back with `duplicate: true`. Throws a WorkflowError INVALID_CLOUDEVENT naming what is
   * wrong before any event is routed, so a bad batch changes nothing.
   */
  async ingest(events: CloudEventJson[], reaches?: (workflowId: string) => boolean): Promise<DedupedOutcome[]> {
    let valid: CloudEventJson[];
    try {
      valid = events.map((e) => validateCloudEvent(e));
    } catch (err) {
      this.drops.note(DropReason.INVALID, (err as Error).message, {}, events.length);
      throw err;
    }
    const out: DedupedOutcome[] = [];
    for (const e of valid) {
      let outcome: DedupedOutcome;
      try {
        outcome = await this.dedup.once(e, () => this.events.route(e, reaches));
      } catch (err) {
        if ((err as SwirlError).code === EVENT_BACKLOG_FULL) this.drops.note(DropReason.HELD_BACKLOG_FULL, (err as Error).message, e);
        throw err;
      }
      if (outcome.dropped !== undefined) this.drops.note(outcome.dropped.reason, outcome.dropped.message, e);
      // Counted once per (source, id): a redelivered copy (or a second subscription's) is not new.
      else if (outcome.duplicate !== true) this.eventsReceived += 1;
      this.prometheus.routedEvent(outcome);
      out.push(outcome);
    }
    return out;
  }

  /**
   * Raises an external event on an instance (the Dapr raiseEvent routes, gRPC RaiseEvent). An
   * instance that has finished is refused, logged and counted — never accepted and dropped.
   * @throws SwirlError INSTANCE_FINISHED (completed, failed or terminated), INSTANCE_NOT_FOUND
   */
  async raiseEvent(instanceId: string, eventName: string, data: unknown): Promise<void> {
    const inst = await this.client.get(instanceId);
    if (inst === undefined) this.client.visible(instanceId);
    if (inst !== undefined && isTerminalStatus(inst.runtimeStatus)) {
      const message = `instance '${instanceId}' is ${inst.runtimeStatus}: event '${eventName}' cannot reach it`;
      this.drops.note(DropReason.INSTANCE_FINISHED, message, { instanceId });
      throw new SwirlError(INSTANCE_FINISHED, message);
    }
    await this.engine.client.raiseEvent(instanceId, eventName, data);
  }

  /**
   * The node's health: unhealthy once the store has failed (see Engine.health). Health probes
   * (`/healthz`) answer 503 with the reason; `swirl serve` exits so a supervisor restarts it.
   */
  health(): ReturnType<Engine['health']> {
    return this.engine.health();
  }

  /**
   * Readiness, apart from liveness ({@link health}): ready once start() has finished (definitions
   * loaded, subscriptions made) while the engine's workers claim work and the store is healthy.
   * Not ready before start, after stop, or once the store failed; `reasons` says which.
   */
  readiness(): { ready: boolean; reasons: string[] } {
    const reasons: string[] = [];
    if (this.state === 'created') reasons.push('the host is starting');
    if (this.state === 'stopped') reasons.push('the host is stopping');
    const h = this.engine.health();
    if (!h.healthy) reasons.push(h.reason);
    else if (this.state === 'running' && !this.engine.running) reasons.push('the engine workers are not running');
    return { ready: reasons.length === 0, reasons };
  }

  /**
   * Outbound readiness like daprd's /v1.0/healthz/outbound: the components are loaded and the
   * pub/sub subscriptions made (start() finished), and the store accepts writes. It does not
   * depend on the workers (an outbound-only probe of a node that drains work still passes).
   */
  outboundReadiness(): { ready: boolean; reasons: string[] } {
    const reasons: string[] = [];
    if (this.state !== 'running') reasons.push(this.state === 'created' ? 'components are being initialized' : 'the host is stopping');
    const h = this.engine.health();
    if (!h.healthy) reasons.push(h.reason);
    return { ready: reasons.length === 0, reasons };
  }

  /** Seconds since the host started. */
  uptimeSeconds(): number {
    return (Date.now() - this.startedAt) / 1000;
  }

  /** Calls `listener` once when the store fails fatally (see Engine.onFatal). */
  onFatal(listener: (error: Error) => void): () => void {
    return this.engine.onFatal(listener);
  }

  /** A snapshot of the counters. */
  metrics(): HostMetrics {
    return {
      engine: this.engine.stats(),
      expressions: expressionStats(),
      store: this.timings(),
      activities: this.activityTimings(),
      eventsReceived: this.eventsReceived,
      eventsDropped: this.drops.snapshot(),
      uptimeSeconds: this.uptimeSeconds(),
    };
  }

  /**
   * Reads every input binding (`bindings.*` with `direction: input`, `bindings.cron`): each message
   * is ingested like an HTTP CloudEvent — (source, id) de-duplication in the store, start events
   * and correlation — and the component acknowledges it to the broker only once `ingest` resolved,
   * i.e. once the event is committed to the store (at-least-once; a redelivery is answered by the
   * de-duplication). An event no workflow takes (dropped: logged and counted) and an invalid one
   * are acknowledged too: redelivering them could only fail again. Anything else (store trouble,
   * a full held-event backlog) rejects, and the broker redelivers. The binding's `scopes` limit the
   * workflows its events reach.
   */
  private async readInputBindings(): Promise<void> {
    const components = this.components;
    if (!components?.readBinding) return;
    for (const b of components.inputBindings?.() ?? []) {
      const reaches = b.scopes.length === 0 ? undefined : (workflowId: string) => inScope(b.scopes, workflowId, this.appId);
      const sub = await components.readBinding(b.name, async (event) => {
        try {
          await this.ingest([event], reaches);
        } catch (err) {
          if ((err as SwirlError).code !== 'INVALID_CLOUDEVENT') throw err;
          this.logger.warn(`input binding '${b.name}': message '${event.id}' acknowledged and dropped: ${(err as Error).message}`, { event: 'host.binding-invalid' });
        }
      });
      this.subscriptions.push(sub);
    }
  }

  /**
   * Subscribes to the pub/sub topics a workflow's consumed events name in their metadata
   * (`metadata: { pubsub: <component>, topic: <topic> }`). Deliveries are de-duplicated by
   * source + id in the store (the components deliver at least once).
   */
  private async subscribe(workflowId: string): Promise<void> {
    const graph = this.catalog.graph(workflowId);
    if (!graph || !this.components) return;
    for (const def of graph.events.values()) {
      const meta = (def as { metadata?: Record<string, unknown> }).metadata;
      if ((def.kind ?? 'consumed') !== 'consumed' || typeof meta?.pubsub !== 'string' || typeof meta.topic !== 'string') continue;
      const sub = await this.components.subscribe({
        pubsub: meta.pubsub,
        topic: meta.topic,
        caller: workflowId,
        // Redeliveries are answered by the store's de-duplication (ingest); a copy arriving while
        // the first is routed waits for it, and fails with it to be redelivered.
        handler: async (event) => {
          await this.ingest([event]);
        },
      });
      this.subscriptions.push(sub);
    }
  }
}

/**
 * Creates a host: opens the store (timed, for the metrics), loads components (a bad component
 * file fails here, naming the file and field), creates the engine. Call `start()` next.
 */
export async function createHost(options: HostOptions = {}): Promise<SwirlHost> {
  // jq-wasm (the expression fallback) is not loaded here: every definition is validated before it
  // compiles, and validation loads it (definition/validate.ts; issue 12: start-up CPU).
  const logger = options.logger ?? noopLogger;
  const raw = typeof options.store === 'object' ? options.store : await openStore((options.store ?? 'memory') as Parameters<typeof openStore>[0]);
  // The registry's gauges read the host, which exists only below: they are read at scrape time.
  const late: { host?: SwirlHost } = {};
  const the = (): SwirlHost => late.host!;
  const prometheus = new HostMetricsRegistry({
    engineStats: () => the().engine.stats(),
    expressionStats,
    workflowsRegistered: () => the().workflows().length,
    heldEvents: () => the().events.mailboxes.held,
    eventsDropped: () => the().drops.snapshot(),
    healthy: () => the().health().healthy,
    ready: () => the().readiness().ready,
    uptimeSeconds: () => the().uptimeSeconds(),
    queuedWork: () => the().engine.queuedWork(),
    now: () => the().engine.options.clock.now(),
  });
  const { store, timings } = timedStore(raw, (op, seconds, failed) => prometheus.storeCall(op, seconds, failed));
  const appId = options.appId ?? 'swirl';
  const components = options.components ?? (options.componentsDir !== undefined ? await loadComponents(options.componentsDir, { appId, implicitSecretEnv: (name) => allowsEnvSecret(options.secretEnv ?? DEFAULT_SECRET_ENV, name), warn: (message) => logger.warn(message) }) : undefined);
  // The OpenTelemetry SDK loads only when tracing is on (issue 12: start-up CPU).
  const tracer = options.tracing
    ? new (await loadOnUse(() => import('./tracing/otel-tracer.js'), '@opentelemetry/sdk-trace-base', 'tracing')).StepTracer({ ...options.tracing, serviceName: options.tracing.serviceName ?? appId })
    : undefined;
  let engine: Engine;
  try {
    engine = await createEngine({ observer: { ...prometheus.observer(), turnCommitted: stepObserver(prometheus, tracer), ...(tracer ? { remoteTurnCommitted: remoteStepObserver(tracer) } : {}) }, ...options.engine, store, logger });
  } catch (err) {
    await components?.close();
    throw err;
  }
  const ownsStore = typeof options.store !== 'object';
  const activityTimings = timeActivities(engine, (e) => {
    prometheus.activity(e);
    if (e.error !== undefined) logActionFailure(logger, e);
  });
  const host = new SwirlHost(prometheus, engine, components, appId, timings, activityTimings, logger, options);
  late.host = host;
  if (tracer) {
    host.tracer = tracer;
    const stopHost = host.stop.bind(host);
    host.stop = async () => {
      await stopHost();
      // Spans of the last turns leave before the process does (a failed export is the exporter's to log).
      await tracer.shutdown().catch(() => undefined);
    };
  }
  if (ownsStore) {
    const stop = host.stop.bind(host);
    host.stop = async () => {
      await stop();
      await raw.close();
    };
  }
  return host;
}
