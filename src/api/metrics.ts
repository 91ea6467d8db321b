/**
 * @module api/metrics
 * `GET /metrics` in the Prometheus text exposition format (0.0.4). Only what the host measures:
 * instances by status (counted in the store), engine counters (turns, replays, cache, activity
 * executions), jq fallback counters, CloudEvents received, store call and activity latency
 * histograms, health, and ready work by name (with the part no registration here serves).
 * Rates such as turns/s are left to Prometheus (`rate(swirl_turns_total[1m])`).
 */
import { RuntimeStatus } from '../store/index.js';
import type { SwirlHost } from '../host/host.js';
import { STORE_LATENCY_BUCKETS } from '../host/latency.js';

/** Counts instances per status (paged through the store: O(instances)). */
async function countByStatus(host: SwirlHost): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const status of Object.values(RuntimeStatus)) {
    let n = 0;
    let pageToken: string | undefined;
    do {
      const page = await host.engine.client.list({ statuses: [status] }, { pageSize: 1000, ...(pageToken !== undefined ? { pageToken } : {}) });
      n += page.instances.length;
      pageToken = page.nextPageToken;
    } while (pageToken !== undefined);
    counts.set(status, n);
  }
  return counts;
}

const label = (v: string): string => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

/** Renders the metrics page. */
export async function renderMetrics(host: SwirlHost): Promise<string> {
  const m = host.metrics();
  const lines: string[] = [];
  const metric = (name: string, type: 'counter' | 'gauge' | 'histogram', help: string): void => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
  };
  metric('swirl_instances', 'gauge', 'Workflow instances in the store by runtime status.');
  for (const [status, n] of await countByStatus(host)) lines.push(`swirl_instances{status="${status}"} ${n}`);
  metric('swirl_workflows_registered', 'gauge', 'Workflow definitions registered on this host.');
  lines.push(`swirl_workflows_registered ${host.workflows().length}`);
  metric('swirl_turns_total', 'counter', 'Orchestration turns committed by this process (rate() gives turns/s).');
  lines.push(`swirl_turns_total ${m.engine.turns}`);
  metric('swirl_replays_total', 'counter', 'Turns that rebuilt an orchestration by replaying its history.');
  lines.push(`swirl_replays_total ${m.engine.replays}`);
  metric('swirl_replayed_events_total', 'counter', 'History events replayed by those rebuilds.');
  lines.push(`swirl_replayed_events_total ${m.engine.replayedEvents}`);
  metric('swirl_cache_hits_total', 'counter', 'Turns served from the live-orchestration cache.');
  lines.push(`swirl_cache_hits_total ${m.engine.cacheHits}`);
  metric('swirl_cached_instances', 'gauge', 'Live orchestrations held in memory.');
  lines.push(`swirl_cached_instances ${m.engine.cachedInstances}`);
  metric('swirl_activity_executions_total', 'counter', 'Activity executions started by this process.');
  lines.push(`swirl_activity_executions_total ${m.engine.activityExecutions}`);
  metric('swirl_jq_compiled_expressions', 'gauge', 'jq expressions compiled to closures.');
  lines.push(`swirl_jq_compiled_expressions ${m.expressions.compiled}`);
  metric('swirl_jq_fallback_expressions', 'gauge', 'jq expressions evaluated by the jq-wasm fallback.');
  lines.push(`swirl_jq_fallback_expressions ${m.expressions.fallbacks}`);
  metric('swirl_jq_fallback_evaluations_total', 'counter', 'Evaluations that went through the jq-wasm fallback.');
  lines.push(`swirl_jq_fallback_evaluations_total ${m.expressions.fallbackEvaluations}`);
  metric('swirl_cloudevents_received_total', 'counter', 'CloudEvents accepted (HTTP ingress and subscriptions).');
  lines.push(`swirl_cloudevents_received_total ${m.eventsReceived}`);
  metric('swirl_events_dropped_total', 'counter', 'CloudEvents dropped or refused, by reason (each also logged with its reason).');
  for (const [reason, n] of Object.entries(m.eventsDropped)) lines.push(`swirl_events_dropped_total{reason="${reason}"} ${n}`);
  metric('swirl_held_events', 'gauge', 'CloudEvents held durably for instances that do not exist yet (limit: --max-held-events).');
  lines.push(`swirl_held_events ${host.events.mailboxes.held}`);
  metric('swirl_store_operation_seconds', 'histogram', 'Latency of store calls by operation.');
  for (const [op, t] of Object.entries(m.store).sort(([a], [b]) => a.localeCompare(b))) {
    const l = `operation="${label(op)}"`;
    STORE_LATENCY_BUCKETS.forEach((b, i) => lines.push(`swirl_store_operation_seconds_bucket{${l},le="${b}"} ${t.buckets[i]}`));
    lines.push(`swirl_store_operation_seconds_bucket{${l},le="+Inf"} ${t.count}`);
    lines.push(`swirl_store_operation_seconds_sum{${l}} ${t.sumSeconds}`);
    lines.push(`swirl_store_operation_seconds_count{${l}} ${t.count}`);
  }
  metric('swirl_activity_seconds', 'histogram', 'Activity execution latency in this process, by activity name.');
  for (const [op, t] of Object.entries(m.activities).sort(([a], [b]) => a.localeCompare(b))) {
    const l = `activity="${label(op)}"`;
    STORE_LATENCY_BUCKETS.forEach((b, i) => lines.push(`swirl_activity_seconds_bucket{${l},le="${b}"} ${t.buckets[i]}`));
    lines.push(`swirl_activity_seconds_bucket{${l},le="+Inf"} ${t.count}`);
    lines.push(`swirl_activity_seconds_sum{${l}} ${t.sumSeconds}`);
    lines.push(`swirl_activity_seconds_count{${l}} ${t.count}`);
  }
  metric('swirl_store_operation_errors_total', 'counter', 'Store calls that failed, by operation.');
  for (const [op, t] of Object.entries(m.store)) lines.push(`swirl_store_operation_errors_total{operation="${label(op)}"} ${t.errors}`);
  metric('swirl_healthy', 'gauge', '1 while the node is healthy, 0 once its store has failed (it must be restarted).');
  lines.push(`swirl_healthy ${host.health().healthy ? 1 : 0}`);
  const queued = await host.engine.queuedWork();
  metric('swirl_queued_work', 'gauge', 'Work ready in the store by kind (orchestration, activity) and name.');
  for (const q of queued) lines.push(`swirl_queued_work{kind="${q.kind}",name="${label(q.name)}"} ${q.ready}`);
  metric('swirl_unserved_work', 'gauge', 'Ready work this node has no registration for, by kind and name: it waits for a node that serves the name.');
  for (const q of queued) if (!q.served) lines.push(`swirl_unserved_work{kind="${q.kind}",name="${label(q.name)}"} ${q.ready}`);
  metric('swirl_uptime_seconds', 'gauge', 'Seconds since the host started.');
  lines.push(`swirl_uptime_seconds ${m.uptimeSeconds}`);
  return lines.join('\n') + '\n';
}
