/**
 * @module engine/trace-context
 * W3C Trace Context (https://www.w3.org/TR/trace-context/) as the engine carries it: an opaque
 * `traceparent` string recorded in ExecutionStarted (the caller's context) and handed to
 * activities, plus the deterministic ids a tracer gives an instance's spans. Ids are derived from
 * the instance id, the execution id and a key (never random), so a replay or a restart names the
 * same span the same way and a span already ended is recognised, not emitted again. No OpenTelemetry
 * here: the engine stays a carrier; host/tracing turns these ids into spans.
 */
import { hash } from 'node:crypto';

/** The ids of a valid `traceparent`. */
export interface TraceParent {
  traceId: string;
  spanId: string;
  flags: string;
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(?:-.*)?$/;
/** Longest `traceparent` accepted (version 00 is 55 characters; later versions may append fields). */
const MAX_TRACEPARENT = 256;

/** Parses a header value; undefined when absent or invalid (version ff, all-zero ids): a new trace starts. */
export function parseTraceParent(value: string | null | undefined): TraceParent | undefined {
  if (value === null || value === undefined || value.length > MAX_TRACEPARENT) return undefined;
  const v = value.trim();
  const m = TRACEPARENT.exec(v);
  if (!m) return undefined;
  const [, version, traceId, spanId, flags] = m as unknown as [string, string, string, string, string];
  // Version 00 has exactly four fields; later versions may append more (kept compatible).
  if (version === 'ff' || (version === '00' && v.length !== 55)) return undefined;
  if (/^0+$/.test(traceId) || /^0+$/.test(spanId)) return undefined;
  return { traceId, spanId, flags };
}

/** The version-00 `traceparent` of a span. */
export function formatTraceParent(traceId: string, spanId: string, sampled = true): string {
  return `00-${traceId}-${spanId}-${sampled ? '01' : '00'}`;
}

function digest(parts: readonly (string | number)[], hexChars: number): string {
  // One crypto.hash call over the joined parts: the same bytes as updating a Hash part by part
  // (so the same ids), at a third of the CPU — every turn and every action call derives some.
  let text = '';
  for (const p of parts) text += `${p}\u0000`;
  const hex = hash('sha256', text, 'hex').slice(0, hexChars);
  // All-zero ids are invalid; a sha-256 prefix of zeros is astronomically rare, but never emit one.
  return /^0+$/.test(hex) ? `${hex.slice(0, -1)}1` : hex;
}

/** A span id (16 hex digits) derived from an execution and a key, the same on every replay. */
export function deriveSpanId(instanceId: string, executionId: string, ...key: (string | number)[]): string {
  return digest([instanceId, executionId, ...key], 16);
}

/** Where an execution's spans hang: its trace, its own (instance) span, and the caller's span if any. */
export interface ExecutionTrace {
  traceId: string;
  /** The span of the execution itself (the instance span). */
  spanId: string;
  /** The caller's span (from the start request's `traceparent`); absent for a trace started here. */
  parentSpanId?: string;
  /** The caller's sampled flag (W3C flags bit 0); true for a trace started here. */
  sampled: boolean;
}

/**
 * The trace of an execution: the caller's trace when it started with a valid `traceparent`, else
 * a trace id derived from the instance and execution ids (so logs carry a trace id either way).
 */
export function executionTrace(instanceId: string, executionId: string, traceparent: string | undefined): ExecutionTrace {
  const parent = parseTraceParent(traceparent);
  const spanId = deriveSpanId(instanceId, executionId, 'instance');
  if (!parent) return { traceId: digest([instanceId, executionId, 'trace'], 32), spanId, sampled: true };
  return { traceId: parent.traceId, spanId, parentSpanId: parent.spanId, sampled: (parseInt(parent.flags, 16) & 1) === 1 };
}

/**
 * The span of a remote orchestration's activity task (its TaskScheduled event id): Swirl emits it
 * from the scheduling to the result, and it travels as the task's `traceparent` and as
 * TaskScheduledEvent.parentTraceContext to the app (grpc/history-map.ts).
 */
export function remoteTaskSpanId(instanceId: string, executionId: string, taskId: number): string {
  return deriveSpanId(instanceId, executionId, 'remote-task', taskId);
}

/**
 * The span of a remote orchestration's sub-orchestration call (its SubOrchestrationInstanceCreated
 * event id): the child instance's span is its child (the child's ExecutionStarted records it).
 */
export function remoteChildSpanId(instanceId: string, executionId: string, taskId: number): string {
  return deriveSpanId(instanceId, executionId, 'remote-child', taskId);
}

/** The `traceparent` of a span of an execution's trace. */
export function spanTraceParent(trace: ExecutionTrace, spanId: string): string {
  return formatTraceParent(trace.traceId, spanId, trace.sampled);
}
