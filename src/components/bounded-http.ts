/**
 * @module components/bounded-http
 * The response size limit of every outbound HTTP call (service invocation and bindings.http,
 * rest/OpenAPI calls and documents, oauth2 tokens, graphql, odata, remote .proto files): a
 * response body larger than the limit (components/response-limit: the engine's payload limit) is
 * cut off by undici while it arrives (never buffered past the limit) and becomes
 * RESPONSE_TOO_LARGE — a service must not be able to exhaust the engine's memory, and a bigger
 * result could not be stored as an activity result anyway.
 */
import { Agent, request, type Dispatcher } from 'undici';
import { WorkflowError } from '../errors.js';
import { responseLimitBytes } from './response-limit.js';

let agent: { agent: Agent; limit: number } | undefined;

/** The shared dispatcher with the response size limit (a new one once the limit was raised). */
export function boundedDispatcher(): Agent {
  const limit = responseLimitBytes();
  if (agent?.limit !== limit) {
    void agent?.agent.close().catch(() => undefined);
    agent = { agent: new Agent({ maxResponseSize: limit }), limit };
  }
  return agent.agent;
}

/** True when `err` is undici's size-limit error (the `maxResponseSize` of the dispatcher). */
export function isTooLarge(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === 'UND_ERR_RES_EXCEEDED_MAX_SIZE';
}

/**
 * RESPONSE_TOO_LARGE when `err` is undici's size-limit error, else undefined. `what` names the
 * call and its URL ("GET http://…/svc"); the message names the limit. Not retryable: the same
 * service answers the same way again.
 */
export function tooLarge(err: unknown, what: string): WorkflowError | undefined {
  if (!isTooLarge(err)) return undefined;
  const limit = responseLimitBytes();
  return new WorkflowError('RESPONSE_TOO_LARGE', `${what}: the response is larger than ${limit} bytes (${+(limit / (1024 * 1024)).toFixed(2)} MiB, the limit of a payload)`, { nonRetryable: true });
}

/** undici's `request` through {@link boundedDispatcher} (the callers that load undici on first use import this module then). */
export function boundedRequest(url: string | URL, options: Omit<Dispatcher.RequestOptions, 'origin' | 'path'>): Promise<Dispatcher.ResponseData> {
  return request(url, { ...options, dispatcher: boundedDispatcher() });
}

/**
 * The body of `res` as text; a body over the limit (undici ends it while it arrives) rejects with
 * RESPONSE_TOO_LARGE naming `what`, any other failure as it is.
 */
export async function boundedText(res: Dispatcher.ResponseData, what: string): Promise<string> {
  try {
    return await res.body.text();
  } catch (err) {
    throw tooLarge(err, what) ?? err;
  }
}
