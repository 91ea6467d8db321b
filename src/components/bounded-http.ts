/**
 * @module components/bounded-http
 * The HTTP dispatcher of the graphql and odata callers: a response body larger than
 * {@link MAX_RESPONSE_BYTES} is cut off by undici while it arrives (never read whole into memory)
 * and becomes RESPONSE_TOO_LARGE — a service must not be able to exhaust the engine's memory.
 */
import { Agent } from 'undici';
import { WorkflowError } from '../errors.js';

/** Twice the engine's default payload limit (4 MiB): a bigger result could not be stored anyway. */
export const MAX_RESPONSE_BYTES = 8 * 1024 * 1024;

let agent: Agent | undefined;

/** The shared dispatcher with the response size limit. */
export function boundedDispatcher(): Agent {
  agent ??= new Agent({ maxResponseSize: MAX_RESPONSE_BYTES });
  return agent;
}

/** RESPONSE_TOO_LARGE when `err` is undici's size-limit error, else undefined. */
export function tooLarge(err: unknown, what: string): WorkflowError | undefined {
  if ((err as { code?: unknown } | null)?.code !== 'UND_ERR_RES_EXCEEDED_MAX_SIZE') return undefined;
  return new WorkflowError('RESPONSE_TOO_LARGE', `${what}: the response is larger than ${MAX_RESPONSE_BYTES} bytes`, { nonRetryable: true });
}
