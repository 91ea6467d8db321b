/**
 * @module api/events-route
 * `POST /api/v1/events`: CloudEvents 1.0 over HTTP in structured
 * (`application/cloudevents+json`), batch (`application/cloudevents-batch+json`) and binary
 * (`ce-*` headers) modes, decoded with the `cloudevents` package. Every event of a request is
 * checked before any is routed: an invalid one makes the whole request a 400 naming the problem.
 */
import { createRequire } from 'node:module';
import type * as CloudEvents from 'cloudevents';
import type { CloudEvent } from 'cloudevents';
import type { SwirlHost } from '../host/host.js';
import { DropReason } from '../host/event-drops.js';
import { HttpError, json } from './http-error.js';
import { assertJsonDepth } from './json-depth.js';

let sdk: typeof CloudEvents | undefined;

/** The `cloudevents` package (CommonJS), required with the first event received (issue 12: not at start-up). */
function cloudevents(): typeof CloudEvents {
  sdk ??= createRequire(import.meta.url)('cloudevents') as typeof CloudEvents;
  return sdk;
}

type CloudEventJson = Parameters<SwirlHost['ingest']>[0][number];

function describe(err: unknown): string {
  if (err instanceof cloudevents().ValidationError) {
    const details = (err.errors ?? []).map((e) => (typeof e === 'string' ? e : JSON.stringify(e))).join('; ');
    return details ? `${err.message}: ${details}` : err.message;
  }
  return (err as Error).message;
}

/**
 * The `cloudevents` package invents a random `id` and assumes specversion 1.0 when they are
 * missing; an event without its own id could never be de-duplicated (a retry would be a new
 * event), so both are required as sent (issue 18). Structured and batch bodies are checked as
 * JSON (a body that is not JSON is reported by the decoder), binary mode by its headers.
 */
function requireIdentity(headers: Record<string, string>, type: string, body: string): void {
  const missing = (has: (name: string) => boolean): string[] => ['id', 'specversion'].filter((a) => !has(a));
  if (!type.startsWith('application/cloudevents')) {
    const absent = missing((a) => (headers[`ce-${a}`] ?? '') !== '');
    if (absent.length > 0) throw new HttpError(400, 'ERR_CLOUDEVENT_INVALID', `invalid CloudEvent: binary mode requires the ${absent.map((a) => `ce-${a}`).join(' and ')} header${absent.length > 1 ? 's' : ''}`);
    return;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return;
  }
  const list = Array.isArray(parsed) ? parsed : [parsed];
  list.forEach((e, i) => {
    if (e === null || typeof e !== 'object' || Array.isArray(e)) return;
    const o = e as Record<string, unknown>;
    const absent = missing((a) => typeof o[a] === 'string' && o[a] !== '');
    if (absent.length > 0) {
      throw new HttpError(400, 'ERR_CLOUDEVENT_INVALID', `invalid CloudEvent${Array.isArray(parsed) ? ` at index ${i}` : ''}: ${absent.map((a) => `'${a}'`).join(' and ')} must be a non-empty string (the sender's id is what makes a retry a duplicate)`);
    }
  });
}

/** Decodes the request into CloudEvents (JSON form). @throws HttpError 400 ERR_CLOUDEVENT_INVALID */
export async function readCloudEvents(req: Request): Promise<CloudEventJson[]> {
  const body = await req.text();
  const headers: Record<string, string> = {};
  req.headers.forEach((v, k) => (headers[k] = v));
  const type = (headers['content-type'] ?? '').toLowerCase();
  if (!type.startsWith('application/cloudevents') && headers['ce-id'] === undefined) {
    throw new HttpError(
      400,
      'ERR_CLOUDEVENT_INVALID',
      `not a CloudEvent: send content type application/cloudevents+json (structured), application/cloudevents-batch+json (batch), or binary mode with ce-id, ce-source, ce-type and ce-specversion headers${type ? ` (got '${type}')` : ''}`,
    );
  }
  // Nested thousands deep is the client's mistake (400), checked on the text before any decoding,
  // as for start inputs: routed, such data would fail the instance it reaches (specs/limits.md).
  const mediaType = type.split(';')[0]!.trim();
  if (mediaType.startsWith('application/cloudevents') || mediaType === 'application/json' || mediaType.endsWith('+json')) {
    assertJsonDepth(body, mediaType.startsWith('application/cloudevents-batch') ? 'the CloudEvents batch' : mediaType.startsWith('application/cloudevents') ? 'the CloudEvent' : 'the CloudEvent data');
  }
  if (type.startsWith('application/cloudevents-batch+json')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch (err) {
      throw new HttpError(400, 'ERR_CLOUDEVENT_INVALID', `the batch is not valid JSON: ${(err as Error).message}`);
    }
    if (!Array.isArray(parsed)) throw new HttpError(400, 'ERR_CLOUDEVENT_INVALID', 'a batch must be a JSON array of CloudEvents');
  }
  requireIdentity(headers, type, body);
  let decoded: CloudEvent<unknown> | CloudEvent<unknown>[];
  try {
    decoded = cloudevents().HTTP.toEvent({ headers, body }) as CloudEvent<unknown> | CloudEvent<unknown>[];
  } catch (err) {
    throw new HttpError(400, 'ERR_CLOUDEVENT_INVALID', `invalid CloudEvent: ${describe(err)}`);
  }
  const list = Array.isArray(decoded) ? decoded : [decoded];
  return list.map((e, i) => {
    try {
      // Structured and binary decoding skip validation in the package: validate here.
      e.validate();
    } catch (err) {
      throw new HttpError(400, 'ERR_CLOUDEVENT_INVALID', `invalid CloudEvent${list.length > 1 ? ` at index ${i}` : ''}: ${describe(err)}`);
    }
    return e.toJSON() as CloudEventJson;
  });
}

/**
 * The handler of POST /api/v1/events: 202 with what happened to each event; 404
 * ERR_EVENT_NOT_DELIVERED (with the same per-event outcomes) when every event of the request
 * reached nothing — refused, so the sender knows and may retry (issue 18). A request that is not
 * valid CloudEvents is refused (400) and counted as dropped.
 */
export async function postEvents(req: Request, host: SwirlHost): Promise<Response> {
  let events: CloudEventJson[];
  try {
    events = await readCloudEvents(req);
  } catch (err) {
    if (err instanceof HttpError && err.status === 400) host.drops.note(DropReason.INVALID, err.message);
    throw err;
  }
  const outcomes = await host.ingest(events);
  const refused = outcomes.filter((o) => o.dropped !== undefined);
  if (refused.length > 0 && refused.length === outcomes.length) {
    const message = refused.length === 1 ? `event '${refused[0].id}' was not delivered: ${refused[0].dropped!.message}` : `none of the ${refused.length} events was delivered (see events[].dropped)`;
    return json(404, { errorCode: 'ERR_EVENT_NOT_DELIVERED', message, events: outcomes });
  }
  return json(202, { events: outcomes });
}
