/**
 * @module host/tracing/otel-tracer
 * Finished steps (host/tracing/step-tracker.ts) as OpenTelemetry spans, through the official
 * SDK: a BasicTracerProvider of its own (no global registration, so several hosts in one process
 * keep their spans apart) whose id generator hands out the step's deterministic ids, so the span
 * the SDK exports is the span the engine's ids name (the outgoing `traceparent` of an action is
 * its span). Exporters and processors are the caller's: OTLP/HTTP for `swirl serve --tracing`,
 * the SDK's InMemorySpanExporter in tests.
 */
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, TraceFlags, trace, type Tracer } from '@opentelemetry/api';
import { BasicTracerProvider, RandomIdGenerator, type IdGenerator, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import type { FinishedStep } from './step-tracker.js';

/** Options of {@link StepTracer}. */
export interface TracingOptions {
  /** Where spans go (a BatchSpanProcessor over an OTLP exporter, a SimpleSpanProcessor over an in-memory one). */
  spanProcessors: SpanProcessor[];
  /** `service.name` of the resource. @default the host's app id */
  serviceName?: string;
}

/** Hands the SDK the ids of the span being started; random ids for anything else. */
class StepIds implements IdGenerator {
  private readonly random = new RandomIdGenerator();
  next: { traceId: string; spanId: string } | undefined;

  generateTraceId(): string {
    return this.next?.traceId ?? this.random.generateTraceId();
  }

  generateSpanId(): string {
    return this.next?.spanId ?? this.random.generateSpanId();
  }
}

/** Emits finished steps as spans. */
export class StepTracer {
  private readonly provider: BasicTracerProvider;
  private readonly tracer: Tracer;
  private readonly ids = new StepIds();

  constructor(options: TracingOptions & { serviceName: string }) {
    this.provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: options.serviceName }),
      idGenerator: this.ids,
      spanProcessors: options.spanProcessors,
    });
    this.tracer = this.provider.getTracer('swirl');
  }

  /** Starts and ends the step's span with its recorded times and ids. */
  emit(step: FinishedStep): void {
    const parent =
      step.parentSpanId === undefined
        ? ROOT_CONTEXT
        : trace.setSpanContext(ROOT_CONTEXT, {
            traceId: step.traceId,
            spanId: step.parentSpanId,
            traceFlags: step.sampled ? TraceFlags.SAMPLED : TraceFlags.NONE,
            isRemote: step.parentRemote,
          });
    this.ids.next = { traceId: step.traceId, spanId: step.spanId };
    let span;
    try {
      span = this.tracer.startSpan(step.name, { kind: SpanKind.INTERNAL, startTime: step.startMs, attributes: step.attributes }, parent);
    } finally {
      this.ids.next = undefined;
    }
    if (step.outcome === 'error') span.setStatus({ code: SpanStatusCode.ERROR, ...(step.errorMessage !== undefined ? { message: step.errorMessage } : {}) });
    span.end(Math.max(step.endMs, step.startMs));
  }

  /** Exports what is buffered (tests, shutdown). */
  async flush(): Promise<void> {
    await this.provider.forceFlush();
  }

  /** Flushes and stops the processors (host stop). */
  async shutdown(): Promise<void> {
    await this.provider.shutdown();
  }
}
