/**
 * @module api/traceparent
 * The W3C Trace Context `traceparent` header (https://www.w3.org/TR/trace-context/#traceparent-header):
 * parsed so that the access log can carry the caller's trace id and the start routes can record it
 * with the instance. A malformed header is ignored, as the recommendation asks (a new trace
 * starts), never an error for the request. The parser is the engine's (engine/trace-context.ts).
 */
export { parseTraceParent, type TraceParent } from '../engine/trace-context.js';
