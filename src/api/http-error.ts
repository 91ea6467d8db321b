/**
 * @module api/http-error
 * The one error → HTTP status map. Dapr workflow routes answer exactly as daprd does
 * (pkg/api/http/workflow.go, pkg/messages/predefined.go): `{"errorCode","message"}` bodies,
 * 400 for bad ids/names/input, 404 only where daprd gives it (get, terminate, purge), 500 with
 * the operation's code for everything else. Swirl's own routes use the same body shape.
 * Store faults are 503 on every route (retry later; specs/engine.md "Faults"), and a write whose
 * outcome is unknown has its own code, so a client never takes "may have happened" for "failed".
 */
import { InvalidInputError, SwirlError } from '../errors.js';
import { toWebResponse, type PlainAnswer } from './plain.js';

/** An error with its HTTP status and error code decided where it is raised. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: string,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/** The Dapr workflow operations, each with daprd's failure code and message prefix. */
export const DaprOperation = {
  start: { code: 'ERR_START_WORKFLOW', prefix: (x: string) => `error starting workflow '${x}'` },
  get: { code: 'ERR_GET_WORKFLOW', prefix: (x: string) => `error while getting workflow info on instance '${x}'` },
  raise: { code: 'ERR_RAISE_EVENT_WORKFLOW', prefix: (x: string) => `error raising event on workflow '${x}'` },
  terminate: { code: 'ERR_TERMINATE_WORKFLOW', prefix: (x: string) => `error terminating workflow '${x}'` },
  pause: { code: 'ERR_PAUSE_WORKFLOW', prefix: (x: string) => `error pausing workflow ${x}` },
  resume: { code: 'ERR_RESUME_WORKFLOW', prefix: (x: string) => `error resuming workflow ${x}` },
  purge: { code: 'ERR_PURGE_WORKFLOW', prefix: (x: string) => `error purging workflow ${x}` },
} as const;
export type DaprOperationName = keyof typeof DaprOperation;

/** Operations where daprd answers an unknown instance with 404 (the others give their 500 code). */
const NOT_FOUND_IS_404: ReadonlySet<DaprOperationName> = new Set(['get', 'terminate', 'purge']);

/** A JSON response. */
export function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });
}

/** An error body response. */
export function errorBody(status: number, errorCode: string, message: string): Response {
  return json(status, { errorCode, message });
}

const fail = (status: number, errorCode: string, message: string): PlainAnswer => ({ status, body: { errorCode, message } });

/** Maps any thrown value to a response. `dapr` names the Dapr operation and its subject (workflow name or instance id). */
export function toErrorResponse(err: unknown, dapr?: { op: DaprOperationName; subject: string }): Response {
  return toWebResponse(errorAnswer(err, dapr));
}

/** Maps any thrown value to its status and JSON body (what {@link toErrorResponse} sends). */
export function errorAnswer(err: unknown, dapr?: { op: DaprOperationName; subject: string }): PlainAnswer {
  if (err instanceof HttpError) return fail(err.status, err.errorCode, err.message);
  // Input the workflow would fail on: nothing was started; each problem names where in the input.
  if (err instanceof InvalidInputError) return { status: 400, body: { errorCode: 'ERR_INVALID_INPUT', message: err.message, problems: err.problems } };
  let code = err instanceof SwirlError ? err.code : undefined;
  // daprd checks ids only when creating; any other id it cannot find is simply not found.
  if (code === 'INVALID_INSTANCE_ID' && dapr && dapr.op !== 'start') code = 'INSTANCE_NOT_FOUND';
  const message = err instanceof Error ? err.message : String(err);
  switch (code) {
    case 'INVALID_INSTANCE_ID':
      return fail(400, 'ERR_INSTANCE_ID_INVALID', message);
    case 'PAYLOAD_TOO_LARGE':
      // Well-formed but over the engine's payload limit (4 MiB): not a malformed request.
      return fail(413, 'ERR_PAYLOAD_TOO_LARGE', message);
    case 'PAYLOAD_NOT_SERIALIZABLE':
    case 'INVALID_ARGUMENT':
      return fail(400, 'ERR_MALFORMED_REQUEST', message);
    case 'INVALID_PAGE_TOKEN':
      // A token the client made up or mangled: its mistake, not the server's.
      return fail(400, 'ERR_INVALID_PAGE_TOKEN', `${message}: pass the nextPageToken of the previous page unchanged`);
    case 'INVALID_CLOUDEVENT':
      return fail(400, 'ERR_CLOUDEVENT_INVALID', message);
    case 'INSTANCE_NOT_FOUND':
      if (!dapr || NOT_FOUND_IS_404.has(dapr.op)) return fail(404, 'ERR_INSTANCE_ID_NOT_FOUND', `unable to find workflow with the provided instance ID: ${dapr?.subject ?? ''}`.trimEnd());
      break;
    case 'WORKFLOW_REGISTERED':
      if (!dapr) return fail(409, 'ERR_WORKFLOW_REGISTERED', message);
      break;
    case 'INSTANCE_NOT_TERMINAL':
      if (!dapr) return fail(409, 'ERR_INSTANCE_NOT_TERMINAL', message);
      break;
    case 'INSTANCE_FINISHED':
      // raiseEvent on a completed/failed/terminated instance: refused, not accepted and dropped.
      return fail(409, 'ERR_INSTANCE_FINISHED', message);
    case 'EVENT_BACKLOG_FULL': {
      // Nothing is dropped silently: the sender keeps the event and retries (pub/sub redelivers).
      // `cap` names the limit hit (its swirl serve flag): the total, the sender's or the target's share.
      const cap = (err as { cap?: unknown }).cap;
      return { status: 429, body: { errorCode: 'ERR_EVENT_BACKLOG_FULL', message, ...(typeof cap === 'string' ? { cap } : {}) } };
    }
    case 'EVENT_IN_PROGRESS':
      // A copy of an event another request is still routing: retrying later answers its outcome.
      return fail(409, 'ERR_EVENT_IN_PROGRESS', message);
    case 'ENGINE_STOPPED':
      return fail(503, 'ERR_SHUTTING_DOWN', message);
    case 'WRITE_OUTCOME_UNKNOWN': {
      // Not a failure: the start (or event) may have been recorded. The id lets the client retry
      // idempotently instead of starting a duplicate under a new id.
      const instanceId = (err as { instanceId?: unknown }).instanceId;
      return { status: 503, body: { errorCode: 'ERR_OUTCOME_UNKNOWN', message, ...(typeof instanceId === 'string' ? { instanceID: instanceId } : {}) } };
    }
    case 'STORE_FAILED':
      return fail(503, 'ERR_STORE_FAILED', message);
    case 'STORE_READ_FAILED':
    case 'STORE_WRITE_FAILED':
    case 'STORE_CLOSED':
      // Nothing was changed: retrying later is safe.
      return fail(503, 'ERR_STORE_UNAVAILABLE', message);
    default:
      break;
  }
  if (dapr) {
    const op = DaprOperation[dapr.op];
    return fail(500, op.code, `${op.prefix(dapr.subject)}: ${message}`);
  }
  return fail(500, 'ERR_INTERNAL', message);
}
