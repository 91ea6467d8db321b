/**
 * @module components/invoke/service-invoker
 * Service invocation (`invoke:<appId>/<method>`): the app id is resolved to a base URL by the
 * name resolver, the method is appended as a path, the verb comes from the function's `httpVerb`
 * metadata (default POST). Like Dapr, the caller's app id travels as `dapr-caller-app-id`.
 */
import type { Agent } from 'undici';
import { requestError } from '../failures.js';
import type { InvokeServiceRequest, InvokeServiceResponse, NameResolver } from '../types.js';
import { httpCall } from './http-call.js';

/** Settings of the invoker. */
export interface ServiceInvokerOptions {
  resolver: NameResolver;
  dispatcher: Agent;
  /** Timeout of one call when the caller's signal does not end it first. */
  timeoutMs: number;
  /** This process's app id, sent as `dapr-caller-app-id`. */
  callerAppId: string;
}

/** Performs one service invocation. */
export async function invokeService(opts: ServiceInvokerOptions, req: InvokeServiceRequest): Promise<InvokeServiceResponse> {
  const base = opts.resolver.resolve(req.appId);
  if (base === undefined) {
    // Dapr answers ERR_DIRECT_INVOKE when it cannot resolve the target; retrying will not help.
    throw requestError('ERR_DIRECT_INVOKE', `cannot resolve app id '${req.appId}': add it to a nameresolution.static component (or the appIds option)`, { appId: req.appId });
  }
  const method = req.method.replace(/^\/+/, '');
  const url = `${base.replace(/\/+$/, '')}/${method}`;
  const headers: Record<string, string> = { 'dapr-caller-app-id': opts.callerAppId, ...(req.headers ?? {}) };
  if (req.idempotencyKey !== undefined) headers['idempotency-key'] = req.idempotencyKey;
  if (req.traceparent !== undefined) headers.traceparent = req.traceparent;
  return httpCall(opts.dispatcher, {
    url,
    method: req.verb ?? 'POST',
    headers,
    data: req.data,
    signal: req.signal,
    timeoutMs: opts.timeoutMs,
    what: `invoke ${req.appId}/${method}`,
  });
}
