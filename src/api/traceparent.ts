/**
 * @module api/traceparent
 * The W3C Trace Context `traceparent` header (https://www.w3.org/TR/trace-context/#traceparent-header):
 * parsed so that the access log can carry the caller's trace id. A malformed header is ignored,
 * as the recommendation asks (a new trace would start), never an error for the request.
 */

/** The ids of a valid `traceparent`. */
export interface TraceParent {
  traceId: string;
  spanId: string;
  flags: string;
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(?:-.*)?$/;

/** Parses a header value; undefined when absent or invalid (version ff, all-zero ids). */
export function parseTraceParent(value: string | null | undefined): TraceParent | undefined {
  if (value === null || value === undefined) return undefined;
  const m = TRACEPARENT.exec(value.trim());
  if (!m) return undefined;
  const [, version, traceId, spanId, flags] = m as unknown as [string, string, string, string, string];
  // Version 00 has exactly four fields; later versions may append more (kept compatible).
  if (version === 'ff' || (version === '00' && value.trim().length !== 55)) return undefined;
  if (/^0+$/.test(traceId) || /^0+$/.test(spanId)) return undefined;
  return { traceId, spanId, flags };
}
