/**
 * @module bench/timeline-history
 * What the state-level timeline costs (specs/timeline.md). The timeline is derived from the engine
 * history by an inspection replay, so it adds no history bytes; this measures, for a
 * conformance-sized workflow (7 states: inject, switch, operation with two actions, foreach of 3,
 * parallel of 2 branches, sleep, inject), the history bytes per instance, the bytes that recording
 * the same facts in history (one GenericEvent per fact) would have added, and what a timeline
 * request costs instead (one replay).
 *
 * Run: `npx tsx bench/timeline-history.ts [instances=50]`
 */
import { createEngine } from '../src/engine/engine.js';
import { loadWorkflowText } from '../src/graph/load.js';
import { registerWorkflow } from '../src/interpreter/index.js';
import { timelineItems } from '../src/interpreter/timeline-view.js';
import { initExpressions } from '../src/expressions/index.js';
import { fmt, percentile } from './engine-common.js';

const N = Number(process.argv[2] ?? 50);

const WORKFLOW = `
id: bench-timeline
specVersion: '0.8'
functions:
  - { name: price, type: expression, operation: '{price: (.qty * 3)}' }
  - { name: tax, type: expression, operation: '{tax: (.price / 10)}' }
  - { name: label, type: expression, operation: '{label: ("item-" + (.item | tostring))}' }
states:
  - name: Init
    type: inject
    data: { qty: 4, items: [1, 2, 3] }
    transition: Route
  - name: Route
    type: switch
    dataConditions:
      - { condition: '\${ .qty > 10 }', transition: Done }
    defaultCondition: { transition: Price }
  - name: Price
    type: operation
    actions: [{ functionRef: price }, { functionRef: tax }]
    transition: Label
  - name: Label
    type: foreach
    inputCollection: '\${ .items }'
    outputCollection: '\${ .labels }'
    actions: [{ functionRef: label, actionDataFilter: { results: '\${ .label }' } }]
    transition: Fan
  - name: Fan
    type: parallel
    branches:
      - { name: A, actions: [{ functionRef: price }] }
      - { name: B, actions: [{ functionRef: tax }] }
    transition: Nap
  - name: Nap
    type: sleep
    duration: PT0.001S
    transition: Done
  - name: Done
    type: inject
    data: { done: true }
    end: true
`;

await initExpressions();
const engine = await createEngine({ store: 'memory', pollIntervalMs: 10 });
registerWorkflow(engine, await loadWorkflowText(WORKFLOW, 'bench-timeline.yaml'));
await engine.start();
const ids: string[] = [];
for (let i = 0; i < N; i++) ids.push(await engine.client.start('bench-timeline', {}, { instanceId: `bt-${i}` }));
for (const id of ids) {
  const m = await engine.client.waitForCompletion(id, { timeoutMs: 30_000 });
  if (m.runtimeStatus !== 'COMPLETED') throw new Error(`${id} ended ${m.runtimeStatus}`);
}

let historyBytes = 0;
let historyEvents = 0;
let recordedBytes = 0;
let markerBytes = 0;
let facts = 0;
const inspectMs: number[] = [];
for (const id of ids) {
  const records = await engine.store.loadHistory(id);
  historyEvents += records.length;
  for (const r of records) historyBytes += Buffer.byteLength(r.data);
  const t0 = performance.now();
  const inspection = await engine.client.inspect(id);
  const items = timelineItems(inspection.notes);
  inspectMs.push(performance.now() - t0);
  facts += items.length;
  // Recording instead: each fact as a GenericEvent in the history, its entry as payload text.
  for (const n of inspection.notes) {
    recordedBytes += Buffer.byteLength(JSON.stringify({ eventId: -1, timestamp: n.timeMs, type: 'GenericEvent', data: JSON.stringify(n.entry) }));
    // Minimal markers: the same facts without their data (input, output, result, event data).
    const { input: _i, output: _o, result: _r, data: _d, ...marker } = n.entry as Record<string, unknown>;
    markerBytes += Buffer.byteLength(JSON.stringify({ eventId: -1, timestamp: n.timeMs, type: 'GenericEvent', data: JSON.stringify(marker) }));
  }
}
await engine.stop();

const per = (x: number) => fmt(x / N);
console.log(`| instances | history events / instance | history bytes / instance (derived timeline: +0) | timeline facts / instance | recorded as history events: + bytes / instance | markers without data: + bytes / instance | timeline request p50 / p99 ms |`);
console.log(`|---:|---:|---:|---:|---:|---:|---:|`);
console.log(
  `| ${N} | ${per(historyEvents)} | ${per(historyBytes)} | ${per(facts)} | +${per(recordedBytes)} (+${fmt((100 * recordedBytes) / historyBytes)} %) | +${per(markerBytes)} (+${fmt((100 * markerBytes) / historyBytes)} %) | ${fmt(percentile(inspectMs, 50))} / ${fmt(percentile(inspectMs, 99))} |`,
);
