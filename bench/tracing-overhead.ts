/**
 * @module bench/tracing-overhead
 * What the spans and state durations cost a turn (specs/observability.md "Traces"). Three engines
 * run the same 5-state workflow (inject, operation with two expression functions, switch, sleep,
 * inject; no I/O, so the overhead is not hidden behind a network call), in alternating rounds in
 * one process:
 *   - baseline: no turn observer (ctx.note() stays a no-op),
 *   - notes: the host's step tracker (what every `swirl serve` runs for swirl_state_seconds),
 *   - spans: tracker + the OpenTelemetry tracer with a BatchSpanProcessor over an exporter that
 *     drops the batches (the SDK's span building and batching, without a network).
 * Reported: instances/s of each and the ratio to the baseline.
 *
 * Run: `npx tsx bench/tracing-overhead.ts [instances=300] [rounds=3]`
 */
import { BatchSpanProcessor, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { createEngine } from '../src/engine/engine.js';
import type { EngineObserver } from '../src/engine/observer.js';
import { loadWorkflowText } from '../src/graph/load.js';
import { registerWorkflow } from '../src/interpreter/index.js';
import { initExpressions } from '../src/expressions/index.js';
import { StepTracker } from '../src/host/tracing/step-tracker.js';
import { StepTracer } from '../src/host/tracing/otel-tracer.js';
import { fmt } from './engine-common.js';

const N = Number(process.argv[2] ?? 300);
const ROUNDS = Number(process.argv[3] ?? 3);

const WORKFLOW = `
id: bench-trace
specVersion: '0.8'
functions:
  - { name: price, type: expression, operation: '{price: (.qty * 3)}' }
  - { name: tax, type: expression, operation: '{tax: (.price / 10)}' }
states:
  - name: Init
    type: inject
    data: { qty: 4 }
    transition: Price
  - name: Price
    type: operation
    actions: [{ functionRef: price }, { functionRef: tax }]
    transition: Route
  - name: Route
    type: switch
    dataConditions:
      - { condition: '\${ .qty > 10 }', transition: Done }
    defaultCondition: { transition: Nap }
  - name: Nap
    type: sleep
    duration: PT0.001S
    transition: Done
  - name: Done
    type: inject
    data: { done: true }
    end: true
`;

/** Accepts every batch and keeps nothing. */
class DropExporter implements SpanExporter {
  spans = 0;
  export(spans: ReadableSpan[], done: (r: { code: 0 }) => void): void {
    this.spans += spans.length;
    done({ code: 0 });
  }
  async shutdown(): Promise<void> {}
}

type Mode = 'baseline' | 'notes' | 'spans';

async function round(mode: Mode, tag: string): Promise<{ perSecond: number; spans: number }> {
  const exporter = new DropExporter();
  const tracer = mode === 'spans' ? new StepTracer({ serviceName: 'bench', spanProcessors: [new BatchSpanProcessor(exporter)] }) : undefined;
  const tracker = new StepTracker();
  let steps = 0;
  const observer: EngineObserver | undefined =
    mode === 'baseline'
      ? undefined
      : {
          turnCommitted: (o) => {
            for (const s of tracker.turn(o)) {
              steps += 1;
              tracer?.emit(s);
            }
          },
        };
  const engine = await createEngine({ store: 'memory', pollIntervalMs: 10, ...(observer ? { observer } : {}) });
  registerWorkflow(engine, await loadWorkflowText(WORKFLOW, 'bench-trace.yaml'));
  await engine.start();
  const t0 = performance.now();
  const ids: string[] = [];
  for (let i = 0; i < N; i++) ids.push(await engine.client.start('bench-trace', {}, { instanceId: `${tag}-${i}` }));
  for (const id of ids) {
    const m = await engine.client.waitForCompletion(id, { timeoutMs: 60_000 });
    if (m.runtimeStatus !== 'COMPLETED') throw new Error(`${id} ended ${m.runtimeStatus}`);
  }
  const seconds = (performance.now() - t0) / 1000;
  await engine.stop();
  await tracer?.shutdown();
  if (mode !== 'baseline' && steps === 0) throw new Error('no steps observed');
  return { perSecond: N / seconds, spans: exporter.spans };
}

await initExpressions();
const modes: Mode[] = ['baseline', 'notes', 'spans'];
const rates: Record<Mode, number[]> = { baseline: [], notes: [], spans: [] };
let spans = 0;
await round('baseline', 'warm'); // JIT warm-up, not counted
for (let r = 0; r < ROUNDS; r++) {
  for (const m of modes) {
    const out = await round(m, `${m}-${r}`);
    rates[m].push(out.perSecond);
    if (m === 'spans') spans = out.spans;
  }
}
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const base = mean(rates.baseline);
console.log(`| mode | instances/s (mean of ${ROUNDS} rounds of ${N}) | ratio to baseline |`);
console.log('|---|---:|---:|');
for (const m of modes) console.log(`| ${m} | ${fmt(mean(rates[m]))} | ×${fmt(mean(rates[m]) / base, 2)} |`);
console.log(`\nspans exported per instance (spans mode): ${fmt(spans / N)}`);
