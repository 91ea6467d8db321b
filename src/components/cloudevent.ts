/**
 * @module components/cloudevent
 * CloudEvents 1.0 in JSON (structured) form, built and checked with the `cloudevents` package:
 * what pub/sub components put on the wire and hand to subscribers.
 */
import { createRequire } from 'node:module';
import type * as CloudEvents from 'cloudevents';
import { randomUUID } from 'node:crypto';
import type { CloudEventJson } from './types.js';
import { WorkflowError } from '../errors.js';

/** Attributes to build an event from; `id`, `time` and `specversion` are filled in when absent. */
let sdk: typeof CloudEvents | undefined;

/**
 * The `cloudevents` package (CommonJS), required with the first event built or checked, not when
 * Swirl starts (issue 12: start-up CPU).
 */
function cloudevents(): typeof CloudEvents {
  sdk ??= createRequire(import.meta.url)('cloudevents') as typeof CloudEvents;
  return sdk;
}

export interface CloudEventInit {
  source: string;
  type: string;
  id?: string;
  data?: unknown;
  datacontenttype?: string;
  subject?: string;
  time?: string;
  [extension: string]: unknown;
}

/** Builds a valid CloudEvent 1.0 (JSON form). Throws WorkflowError INVALID_CLOUDEVENT when invalid. */
export function toCloudEvent(init: CloudEventInit): CloudEventJson {
  const attrs: Record<string, unknown> = { ...init, id: init.id ?? randomUUID(), specversion: '1.0' };
  if (attrs.data !== undefined && attrs.datacontenttype === undefined) attrs.datacontenttype = 'application/json';
  return checked(attrs);
}

/** Validates an event object (e.g. one a workflow produced) and returns its JSON form. */
export function validateCloudEvent(event: CloudEventJson): CloudEventJson {
  return checked({ ...event });
}

/**
 * Decodes a message body into a CloudEvent. A body that is not a structured CloudEvent (a plain
 * publisher wrote raw JSON) is wrapped like Dapr's `rawPayload` mode: the body becomes `data`, and
 * `id` comes from `fallback.id` (the broker's message id) so redeliveries keep one id.
 */
export function parseCloudEvent(body: string | Buffer, fallback: { id: string; source: string; type: string }): CloudEventJson {
  const text = typeof body === 'string' ? body : body.toString('utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { specversion: '1.0', id: fallback.id, source: fallback.source, type: fallback.type, datacontenttype: 'text/plain', data: text };
  }
  if (parsed && typeof parsed === 'object' && !Array.isArray(parsed) && 'specversion' in parsed) {
    const ev = parsed as Record<string, unknown>;
    // A data_base64 event keeps its payload as bytes in `data_base64`; cloudevents would decode it.
    if (typeof ev.id === 'string' && typeof ev.source === 'string' && typeof ev.type === 'string') return ev as CloudEventJson;
  }
  return { specversion: '1.0', id: fallback.id, source: fallback.source, type: fallback.type, datacontenttype: 'application/json', data: parsed };
}

function checked(attrs: Record<string, unknown>): CloudEventJson {
  // The cloudevents constructor fills in a missing/empty id and time; a given event must carry its own.
  for (const a of ['id', 'source', 'type', 'specversion'] as const) {
    if (typeof attrs[a] !== 'string' || attrs[a] === '') {
      throw new WorkflowError('INVALID_CLOUDEVENT', `invalid CloudEvent: '${a}' must be a non-empty string`, { nonRetryable: true });
    }
  }
  if (attrs.specversion !== '1.0') throw new WorkflowError('INVALID_CLOUDEVENT', `invalid CloudEvent: specversion must be '1.0', found '${String(attrs.specversion)}'`, { nonRetryable: true });
  try {
    const { CloudEvent } = cloudevents();
    const ev = new CloudEvent(attrs as never, true);
    // toJSON keeps extensions and data as given (not stringified).
    return JSON.parse(JSON.stringify(ev)) as CloudEventJson;
  } catch (err) {
    const detail = err instanceof cloudevents().ValidationError && Array.isArray(err.errors) && err.errors.length ? `: ${JSON.stringify(err.errors)}` : '';
    throw new WorkflowError('INVALID_CLOUDEVENT', `invalid CloudEvent${detail || `: ${(err as Error).message}`}`, { nonRetryable: true, cause: err });
  }
}
