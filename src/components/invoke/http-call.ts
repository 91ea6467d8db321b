/**
 * @module components/invoke/http-call
 * One HTTP exchange with undici, shared by service invocation and `bindings.http`: JSON bodies,
 * a default timeout layered on the caller's AbortSignal (one {@link CallDeadline}, not two AbortSignals), and the error mapping of
 * components/failures (error status → WorkflowError "<status>", network → InfrastructureError).
 */
import { Agent } from 'undici';
import { tooLarge } from '../bounded-http.js';
import { responseLimitBytes } from '../response-limit.js';
import { abortError, networkError, statusError } from '../failures.js';
import { decodePayload, encodePayload } from '../payload.js';
import { CallDeadline } from './call-deadline.js';
import { exchange, type Exchanged } from './http-exchange.js';

/** A prepared request. */
export interface HttpCall {
  url: string;
  method: string;
  headers: Record<string, string>;
  data?: unknown;
  signal?: AbortSignal;
  timeoutMs: number;
  /** Short label for messages ("invoke orders/new"). */
  what: string;
  /** When false, error statuses are returned rather than thrown (bindings.http `errorIfNot2XX: false`). */
  throwOnErrorStatus?: boolean;
}

/** The decoded answer. */
export interface HttpAnswer {
  status: number;
  data: unknown;
  headers: Record<string, string>;
}

const BODYLESS = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE']);

/** Performs the call with `dispatcher` (an undici Agent the caller owns and closes). */
export async function httpCall(dispatcher: Agent, call: HttpCall): Promise<HttpAnswer> {
  const method = call.method.toUpperCase();
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(call.headers)) headers[k.toLowerCase()] = v;
  let body: string | Buffer | undefined;
  if (!BODYLESS.has(method) && call.data !== undefined) {
    body = encodePayload(call.data);
    if (headers['content-type'] === undefined) {
      headers['content-type'] = typeof call.data === 'string' ? 'text/plain; charset=utf-8' : Buffer.isBuffer(call.data) || call.data instanceof Uint8Array ? 'application/octet-stream' : 'application/json';
    }
  }
  const signal = new CallDeadline(call.timeoutMs, call.signal);
  if (signal.aborted) throw abortError(call.what, signal);
  let res: Exchanged;
  try {
    res = await exchange(dispatcher, call.url, { method, headers, body }, signal);
  } catch (err) {
    if (signal.aborted) throw abortError(call.what, signal);
    throw tooLarge(err, `${call.what} (${method} ${call.url})`) ?? networkError(`${call.what} (${method} ${call.url})`, err);
  } finally {
    signal.dispose();
  }
  const outHeaders: Record<string, string> = {};
  for (const [k, v] of Object.entries(res.headers)) {
    if (v !== undefined) outHeaders[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : String(v);
  }
  const data = decodePayload(res.text);
  if (res.statusCode >= 400 && call.throwOnErrorStatus !== false) throw statusError(call.what, res.statusCode, data);
  return { status: res.statusCode, data, headers: outHeaders };
}

/**
 * An Agent with a bounded connect timeout (so an unreachable host fails fast, not after minutes)
 * and the response size limit of components/response-limit as it is now (undici ends a longer body while it
 * arrives: a call fails with RESPONSE_TOO_LARGE, nothing past the limit is buffered).
 */
export function createHttpAgent(connectTimeoutMs: number): Agent {
  return new Agent({ connect: { timeout: connectTimeoutMs }, keepAliveTimeout: 10_000, maxResponseSize: responseLimitBytes() });
}
