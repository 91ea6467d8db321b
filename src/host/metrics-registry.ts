/**
 * @module host/metrics-registry
 * The one Prometheus registry of a host (prom-client): the default process/Node metrics, and every
 * swirl_* metric, maintained incrementally as the work happens (engine observer, store and activity
 * timers, event routing) or read from counters already in memory at scrape time. A scrape never
 * scans the store: the one store read it makes is the ready-work summary (queue depth and lag),
 * which costs O(distinct names with ready work), not O(stored instances). Add new metrics here, so
 * that /metrics (and --metrics-port) render them all. Decisions: specs/observability.md.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { EngineStats, QueuedWork } from '../engine/engine.js';
import type { EngineObserver } from '../engine/observer.js';
import type { FinishedStep } from './tracing/step-tracker.js';
import { assertNever } from '../errors.js';
import { RuntimeStatus } from '../store/types.js';
import { STORE_LATENCY_BUCKETS, type ActivityExecution } from './latency.js';
import { isInternal } from './public-client.js';
import { SeriesHistogram } from './series-histogram.js';

/** What the scrape-time gauges read; all of it is in memory except `queuedWork`. */
export interface MetricsSources {
  engineStats(): EngineStats;
  expressionStats(): { compiled: number; fallbacks: number; fallbackEvaluations: number };
  workflowsRegistered(): number;
  heldEvents(): number;
  /** CloudEvents dropped or refused so far, by reason (host/event-drops.ts). */
  eventsDropped(): Record<string, number>;
  healthy(): boolean;
  ready(): boolean;
  uptimeSeconds(): number;
  /** Ready work by kind and name (one grouped store read per scrape). */
  queuedWork(): Promise<QueuedWork[]>;
  /** The store's "now", for queue lag. */
  now(): number;
}

/** How a routed CloudEvent ended (label `outcome` of swirl_cloudevents_routed_total). */
export const RouteOutcome = {
  /** It started one or more instances. */
  started: 'started',
  /** It was raised on one or more waiting instances. */
  delivered: 'delivered',
  /** It was held for an instance that does not exist yet. */
  held: 'held',
  /** No workflow consumes it (or no correlation matched). */
  unmatched: 'unmatched',
  /** Its (source, id) was routed before: not routed again. */
  duplicate: 'duplicate',
} as const;
export type RouteOutcome = (typeof RouteOutcome)[keyof typeof RouteOutcome];

/** The activity name of Serverless Workflow function calls (interpreter/activities.ts). */
const FUNCTION_ACTIVITY = 'swirl.function';

/** The metrics of one host. */
/** Most distinct (workflow, state) label pairs of swirl_state_seconds before `_other`. */
export const MAX_STATE_SERIES = 2000;

/** State durations span milliseconds (inject, switch) to days (a state waiting for an event). */
export const STATE_DURATION_BUCKETS = [0.005, 0.025, 0.1, 0.5, 1, 5, 30, 120, 600, 3600, 21600, 86400] as const;

/** Bounds the label pairs of a metric: known pairs keep their values, new ones past the budget become `_other`. */
class LabelBudget {
  private readonly seen = new Set<string>();
  private readonly workflows = new Set<string>();

  constructor(private readonly max: number) {}

  labels(workflow: string, state: string): [string, string] {
    const key = `${workflow}\u0000${state}`;
    if (this.seen.has(key)) return [workflow, state];
    if (this.seen.size < this.max) {
      this.seen.add(key);
      this.workflows.add(workflow);
      return [workflow, state];
    }
    return [this.workflows.has(workflow) ? workflow : '_other', '_other'];
  }
}

export class HostMetricsRegistry {
  readonly registry = new Registry();
  private readonly started: Counter<'workflow'>;
  private readonly ended: Record<'COMPLETED' | 'FAILED' | 'TERMINATED' | 'CONTINUED_AS_NEW', Counter<'workflow'>>;
  private readonly leasesLost: Counter;
  private readonly routed: Counter<'outcome'>;
  private readonly received: Counter;
  private readonly storeSeconds: SeriesHistogram<'operation'>;
  private readonly storeErrors: Counter<'operation'>;
  private readonly activitySeconds: SeriesHistogram<'activity'>;
  private readonly actionSeconds: SeriesHistogram<'workflow' | 'state' | 'function' | 'outcome'>;
  private readonly stateSeconds: SeriesHistogram<'workflow' | 'state' | 'outcome'>;
  private readonly stepSeries = new LabelBudget(MAX_STATE_SERIES);
  /** Store operations whose error counter exists (at 0 or more). */
  private readonly storeOperationsSeen = new Set<string>();
  /** The ready-work read of the scrape in progress. */
  private scrapeQueue: Promise<QueuedWork[]> | undefined;

  constructor(private readonly sources: MetricsSources) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    const perWorkflow = (name: string, help: string) => new Counter({ name, help, labelNames: ['workflow'] as const, registers });
    this.started = perWorkflow('swirl_instances_started_total', 'Instances whose first turn this node committed, by workflow.');
    this.ended = {
      COMPLETED: perWorkflow('swirl_instances_completed_total', 'Instances this node completed, by workflow.'),
      FAILED: perWorkflow('swirl_instances_failed_total', 'Instances this node failed, by workflow.'),
      TERMINATED: perWorkflow('swirl_instances_terminated_total', 'Instances this node terminated, by workflow.'),
      CONTINUED_AS_NEW: perWorkflow('swirl_instances_continued_as_new_total', 'Executions this node continued as new, by workflow.'),
    };
    this.leasesLost = new Counter({ name: 'swirl_leases_lost_total', help: 'Turns discarded because their instance lease had passed to another worker.', registers });
    this.received = new Counter({ name: 'swirl_cloudevents_received_total', help: 'CloudEvents accepted (HTTP ingress and subscriptions), once per (source, id).', registers });
    this.routed = new Counter({ name: 'swirl_cloudevents_routed_total', help: 'CloudEvents routed, by outcome (started, delivered, held, unmatched, duplicate).', labelNames: ['outcome'] as const, registers });
    const buckets = [...STORE_LATENCY_BUCKETS];
    // The histograms observed on every store call and activity: prom-client's exposition, a cheaper observe.
    this.storeSeconds = new SeriesHistogram('swirl_store_operation_seconds', 'Latency of store calls by operation.', ['operation'], buckets, this.registry);
    this.storeErrors = new Counter({ name: 'swirl_store_operation_errors_total', help: 'Store calls that failed, by operation.', labelNames: ['operation'] as const, registers });
    this.activitySeconds = new SeriesHistogram('swirl_activity_seconds', 'Activity execution latency in this process, by activity name.', ['activity'], buckets, this.registry);
    this.actionSeconds = new SeriesHistogram(
      'swirl_action_seconds',
      'Function calls of workflow actions executed in this process, by workflow, state, function and outcome (ok, error).',
      ['workflow', 'state', 'function', 'outcome'],
      buckets,
      this.registry,
    );
    this.stateSeconds = new SeriesHistogram(
      'swirl_state_seconds',
      'Time from entering a workflow state to leaving it (history time), by workflow, state and outcome (ok, error); states of instances this node advanced.',
      ['workflow', 'state', 'outcome'],
      [...STATE_DURATION_BUCKETS],
      this.registry,
    );
    this.scrapeTimeMetrics(sources);
  }

  /**
   * Records a finished state visit (host/tracing/step-tracker.ts). Label values come from
   * definitions, which API clients may register: past {@link MAX_STATE_SERIES} distinct
   * (workflow, state) pairs, new pairs are counted under `state="_other"` of their workflow
   * (and past the budget of workflows too, `workflow="_other"`), so the series stay bounded.
   */
  step(s: FinishedStep): void {
    if (s.kind !== 'state' || s.state === undefined) return;
    const seconds = Math.max(0, s.endMs - s.startMs) / 1000;
    const [workflow, state] = this.stepSeries.labels(s.workflow, s.state);
    this.stateSeconds.observe(this.stateSeconds.seriesOf({ workflow, state, outcome: s.outcome }), seconds);
  }

  /** The engine observer that feeds the per-workflow counters. */
  observer(): EngineObserver {
    return {
      // Swirl's own instances (held-event mailboxes) are not user workflows: not counted.
      instanceStarted: (o) => {
        if (!isInternal(o.name)) this.started.inc({ workflow: o.name });
      },
      instanceEnded: (o) => {
        if (isInternal(o.name)) return;
        switch (o.status) {
          case RuntimeStatus.COMPLETED:
          case RuntimeStatus.FAILED:
          case RuntimeStatus.TERMINATED:
          case RuntimeStatus.CONTINUED_AS_NEW:
            this.ended[o.status].inc({ workflow: o.name });
            return;
          case RuntimeStatus.PENDING:
          case RuntimeStatus.RUNNING:
          case RuntimeStatus.SUSPENDED:
            return;
          default:
            return assertNever(o.status, 'runtime status');
        }
      },
      leaseLost: () => this.leasesLost.inc(),
    };
  }

  /** Records a store call (host/latency's timedStore sink). */
  storeCall(operation: string, seconds: number, failed: boolean): void {
    this.storeSeconds.observe(this.storeSeconds.seriesOf({ operation }), seconds);
    // Created at 0 on the first call, so a rate() exists before the first error (once: an
    // inc(0) on every call was half of the metrics' CPU per store call).
    if (failed) this.storeErrors.inc({ operation }, 1);
    else if (!this.storeOperationsSeen.has(operation)) this.storeErrors.inc({ operation }, 0);
    this.storeOperationsSeen.add(operation);
  }

  /** Records an activity execution; a workflow function call also by workflow, state and function. */
  activity(e: ActivityExecution): void {
    this.activitySeconds.observe(this.activitySeconds.seriesOf({ activity: e.name }), e.seconds);
    if (e.name !== FUNCTION_ACTIVITY) return;
    const call = e.input as { workflow?: unknown; state?: unknown; function?: unknown } | undefined;
    if (typeof call?.workflow !== 'string' || typeof call.state !== 'string' || typeof call.function !== 'string') return;
    this.actionSeconds.observe(this.actionSeconds.seriesOf({ workflow: call.workflow, state: call.state, function: call.function, outcome: e.error === undefined ? 'ok' : 'error' }), e.seconds);
  }

  /** Counts a routed CloudEvent once per outcome it had (an event may start one instance and be raised on another). */
  routedEvent(outcome: { started: string[]; delivered: string[]; kept: string[]; duplicate?: true; dropped?: unknown }): void {
    if (outcome.duplicate === true) return this.routed.inc({ outcome: RouteOutcome.duplicate });
    // A refused event was not accepted (it is in swirl_events_dropped_total instead).
    if (outcome.dropped === undefined) this.received.inc();
    const had = [
      [outcome.started, RouteOutcome.started],
      [outcome.delivered, RouteOutcome.delivered],
      [outcome.kept, RouteOutcome.held],
    ] as const;
    let any = false;
    for (const [ids, label] of had) {
      if (ids.length === 0) continue;
      this.routed.inc({ outcome: label });
      any = true;
    }
    if (!any) this.routed.inc({ outcome: RouteOutcome.unmatched });
  }

  /** The exposition text (Prometheus 0.0.4). */
  async render(): Promise<string> {
    const queue = this.sources.queuedWork();
    // Not left unhandled if the registry fails before a gauge awaits it.
    queue.catch(() => undefined);
    this.scrapeQueue = queue;
    try {
      return await this.registry.metrics();
    } finally {
      if (this.scrapeQueue === queue) this.scrapeQueue = undefined;
    }
  }

  /** Its content type. */
  get contentType(): string {
    return this.registry.contentType;
  }

  /** Gauges and counters read at scrape time from in-memory counters (and the ready-work summary). */
  private scrapeTimeMetrics(s: MetricsSources): void {
    const registers = [this.registry];
    const counter = (name: string, help: string, read: () => number) =>
      new Counter({
        name,
        help,
        registers,
        collect() {
          this.reset();
          this.inc(read());
        },
      });
    const gauge = (name: string, help: string, read: () => number) =>
      new Gauge({
        name,
        help,
        registers,
        collect() {
          this.set(read());
        },
      });
    counter('swirl_turns_total', 'Orchestration turns committed by this process (rate() gives turns/s).', () => s.engineStats().turns);
    counter('swirl_replays_total', 'Turns that rebuilt an orchestration by replaying its history.', () => s.engineStats().replays);
    counter('swirl_replayed_events_total', 'History events replayed by those rebuilds.', () => s.engineStats().replayedEvents);
    counter('swirl_cache_hits_total', 'Turns served from the live-orchestration cache.', () => s.engineStats().cacheHits);
    gauge('swirl_cached_instances', 'Live orchestrations held in memory.', () => s.engineStats().cachedInstances);
    counter('swirl_activity_executions_total', 'Activity executions started by this process.', () => s.engineStats().activityExecutions);
    gauge('swirl_instance_leases', 'Instance leases this node holds right now (turns running).', () => s.engineStats().instanceLeases);
    gauge('swirl_task_leases', 'Activity task leases this node holds right now (activities running).', () => s.engineStats().taskLeases);
    gauge('swirl_jq_compiled_expressions', 'jq expressions compiled to closures.', () => s.expressionStats().compiled);
    gauge('swirl_jq_fallback_expressions', 'jq expressions evaluated by the jq-wasm fallback.', () => s.expressionStats().fallbacks);
    counter('swirl_jq_fallback_evaluations_total', 'Evaluations that went through the jq-wasm fallback.', () => s.expressionStats().fallbackEvaluations);
    gauge('swirl_workflows_registered', 'Workflow definitions registered on this host.', () => s.workflowsRegistered());
    new Counter({
      name: 'swirl_events_dropped_total',
      help: 'CloudEvents dropped or refused, by reason (each also logged with its reason).',
      labelNames: ['reason'] as const,
      registers,
      collect() {
        this.reset();
        for (const [reason, n] of Object.entries(s.eventsDropped())) this.inc({ reason }, n);
      },
    });
    gauge('swirl_held_events', 'CloudEvents held durably for instances that do not exist yet (limit: --max-held-events).', () => s.heldEvents());
    gauge('swirl_healthy', '1 while the node is healthy, 0 once its store has failed (it must be restarted).', () => (s.healthy() ? 1 : 0));
    gauge('swirl_ready', '1 while the node is ready (store healthy, workers claiming), else 0.', () => (s.ready() ? 1 : 0));
    gauge('swirl_uptime_seconds', 'Seconds since the host started.', () => s.uptimeSeconds());
    // One grouped read of the ready queue per scrape feeds the three queue gauges (render() makes
    // it; a registry read some other way makes its own).
    const queued = (): Promise<QueuedWork[]> => this.scrapeQueue ?? s.queuedWork();
    const labelNames = ['kind', 'name'] as const;
    new Gauge({
      name: 'swirl_queued_work',
      help: 'Work ready in the store by kind (orchestration, activity) and name.',
      labelNames,
      registers,
      async collect() {
        this.reset();
        for (const q of await queued()) this.set({ kind: q.kind, name: q.name }, q.ready);
      },
    });
    new Gauge({
      name: 'swirl_unserved_work',
      help: 'Ready work this node has no registration for, by kind and name: it waits for a node that serves the name.',
      labelNames,
      registers,
      async collect() {
        this.reset();
        for (const q of await queued()) if (!q.served) this.set({ kind: q.kind, name: q.name }, q.ready);
      },
    });
    new Gauge({
      name: 'swirl_queue_lag_seconds',
      help: 'How long the oldest ready work of each kind and name has waited to be claimed.',
      labelNames,
      registers,
      async collect() {
        this.reset();
        const now = s.now();
        for (const q of await queued()) this.set({ kind: q.kind, name: q.name }, Math.max(0, (now - q.oldestVisibleAt) / 1000));
      },
    });
  }
}
