/**
 * @module api/dapr-routes
 * The Dapr workflow HTTP API (daprd pkg/api/http/workflow.go), registered under `v1.0`,
 * `v1.0-beta1` and `v1.0-alpha1`, so `DaprClient.workflow` of the Dapr SDKs works unchanged:
 * start (202 `{"instanceID"}`; with Swirl's `?wait=`, 200 and the GET body once finished), get (200, protojson GetWorkflowResponse), raiseEvent, terminate
 * (recursive), pause, resume, purge (recursive) — each 202 `{}` — and `GET /v1.0/metadata`.
 * The workflow name is the definition id; `{workflowComponent}` is accepted as daprd does.
 */
import { VERSION } from '../version.js';
import type { InstanceMetadata } from '../engine/client.js';
import type { SwirlHost } from '../host/host.js';
import { SwirlError } from '../errors.js';
import { parseJsonBody, readJsonBody } from './body.js';
import { HttpError, errorAnswer, json, toErrorResponse, type DaprOperationName } from './http-error.js';
import type { HangUp, PlainAnswer } from './plain.js';
import { parseWait, type InstanceWaits } from './instance-wait.js';
import type { Router } from './router.js';

/** The API versions daprd registers every workflow route under. */
export const DAPR_WORKFLOW_API_VERSIONS = ['v1.0', 'v1.0-beta1', 'v1.0-alpha1'] as const;

/** daprd's limit on new instance ids (pkg/api/universal/workflow.go); messages are daprd's (pkg/messages/predefined.go). */
const MAX_INSTANCE_ID_LENGTH = 64;
const INSTANCE_ID_CHARS = /^[A-Za-z0-9_-]+$/;

function checkNewInstanceId(id: string): void {
  if (id.length > MAX_INSTANCE_ID_LENGTH) throw new HttpError(400, 'ERR_INSTANCE_ID_TOO_LONG', `workflow instance ID exceeds the max length of ${MAX_INSTANCE_ID_LENGTH} characters`);
  if (!INSTANCE_ID_CHARS.test(id)) throw new HttpError(400, 'ERR_INSTANCE_ID_INVALID', `workflow instance ID '${id}' is invalid: only alphanumeric and underscore characters are allowed`);
}

function requireInstanceId(id: string | undefined): string {
  if (!id) throw new HttpError(400, 'ERR_INSTANCE_ID_PROVIDED_MISSING', 'no instance ID was provided');
  return id;
}

/** An RFC 3339 timestamp as protojson writes it. */
const timestamp = (d: Date): string => d.toISOString();

/** The GET body: protojson of dapr.proto.runtime.v1.GetWorkflowResponse (empty fields omitted). */
export function toDaprWorkflowState(m: InstanceMetadata): Record<string, unknown> {
  const properties: Record<string, string> = {};
  if (m.serializedInput !== undefined) properties['dapr.workflow.input'] = m.serializedInput;
  // daprd omits the output when the instance carries failure details.
  if (m.serializedOutput !== undefined && !m.failure) properties['dapr.workflow.output'] = m.serializedOutput;
  if (m.serializedCustomStatus !== undefined) properties['dapr.workflow.custom_status'] = m.serializedCustomStatus;
  // Not daprd's: the definition version the instance runs (specs/engine.md "Definition versions").
  if (m.definitionHash !== undefined) properties['swirl.definition.hash'] = m.definitionHash;
  if (m.definitionVersion !== undefined) properties['swirl.definition.version'] = m.definitionVersion;
  if (m.failure) {
    properties['dapr.workflow.failure.error_type'] = m.failure.errorType;
    properties['dapr.workflow.failure.error_message'] = m.failure.message;
    if (m.failure.stackTrace) properties['dapr.workflow.failure.stack_trace'] = m.failure.stackTrace;
  }
  const body: Record<string, unknown> = {
    instanceID: m.instanceId,
    workflowName: m.name,
    createdAt: timestamp(m.createdAt),
    lastUpdatedAt: timestamp(m.lastUpdatedAt),
    runtimeStatus: m.runtimeStatus,
  };
  if (Object.keys(properties).length > 0) body.properties = properties;
  return body;
}

/** Runs a handler, mapping failures to daprd's errors for `op`. */
async function guarded(op: DaprOperationName, subject: string, fn: () => Promise<Response>): Promise<Response> {
  try {
    return await fn();
  } catch (err) {
    return toErrorResponse(err, { op, subject });
  }
}

/** {@link guarded} of a hot route (api/plain.ts): the same error map, as an answer. */
async function guardedPlain(op: DaprOperationName, subject: string, fn: () => Promise<PlainAnswer>): Promise<PlainAnswer> {
  try {
    return await fn();
  } catch (err) {
    return errorAnswer(err, { op, subject });
  }
}

const accepted = (): Response => json(202, {});

/**
 * An unknown workflow name, said in the API's words: the engine's message lists every
 * orchestration it has (`swirl.mailbox`, the `id@version` aliases), the caller wants the workflow
 * ids it may start. Any other error passes unchanged.
 */
function unknownWorkflow(err: unknown, name: string, host: SwirlHost): unknown {
  if (!(err instanceof SwirlError) || err.code !== 'ORCHESTRATION_NOT_REGISTERED') return err;
  const ids = host.workflows().map((w) => w.id);
  const shown = ids.length > 10 ? `${ids.slice(0, 10).join(', ')}, …` : ids.join(', ');
  return new SwirlError(err.code, `no workflow named '${name}' is registered` + (ids.length > 0 ? ` (workflow definitions: ${shown})` : ''));
}

/** Registers the Dapr workflow routes and `/v1.0/metadata`. */
export function registerDaprRoutes(router: Router, host: SwirlHost, waits: InstanceWaits): void {
  const client = host.client;
  /**
   * The answer of a start with `?wait=`: 200 with the instance's state once it has finished or
   * the wait has passed (the GET body). The instance is started whatever happens next: when no
   * wait can be opened (ERR_TOO_MANY_WAITERS) or its state cannot be read, the start's own 202.
   */
  const startedState = async (instanceID: string, waitMs: number, hangUp: HangUp): Promise<PlainAnswer> => {
    try {
      const m = (await waits.untilFinished(instanceID, waitMs, hangUp)) ?? (await client.get(instanceID));
      if (m) return { status: 200, body: toDaprWorkflowState(m) };
    } catch (err) {
      // The client hung up: nothing more is read for it (499, logged, sent to nobody).
      if (hangUp.aborted) throw err;
      // Started: answered as a start without ?wait= (the client can GET the instance).
    }
    return { status: 202, body: { instanceID } };
  };
  for (const v of DAPR_WORKFLOW_API_VERSIONS) {
    const base = `/${v}/workflows/:component`;
    // The hot routes (start, get) are answered straight from node:http by the socket adapter.
    router.onPlain('POST', `${base}/:name/start`, (req, p) =>
      guardedPlain('start', p.name ?? '', async () => {
        if (!p.name) throw new HttpError(400, 'ERR_WORKFLOW_NAME_MISSING', 'workflow name is not configured');
        const requested = req.url.searchParams.get('instanceID');
        if (requested !== null && requested !== '') checkNewInstanceId(requested);
        // Not daprd's: `?wait=` answers once the instance has finished, as GET …/{id}?wait= would
        // (checked before anything is started: a bad value starts nothing).
        const waitMs = parseWait(req.url.searchParams.get('wait'));
        const input = parseJsonBody(await req.text(), req.headers.get('content-type'));
        await host.knowWorkflow(p.name);
        host.checkInput(p.name, input);
        // W3C Trace Context: the instance's span continues the caller's trace (an invalid header is ignored).
        const traceparent = req.headers.get('traceparent') ?? undefined;
        const instanceID = await client
          .start(p.name, input, { ...(requested ? { instanceId: requested } : {}), ...(traceparent !== undefined ? { traceparent } : {}) })
          .catch((err: unknown) => {
            throw unknownWorkflow(err, p.name!, host);
          });
        if (waitMs === undefined || waitMs <= 0) return { status: 202, body: { instanceID } };
        return await startedState(instanceID, waitMs, req.hangUp);
      }),
    );
    router.onPlain('GET', `${base}/:id`, (req, p) =>
      guardedPlain('get', p.id ?? '', async () => {
        const id = requireInstanceId(p.id);
        // Not daprd's: `?wait=` answers once the instance has finished (api/instance-wait.ts).
        const waitMs = parseWait(req.url.searchParams.get('wait'));
        const m = (waitMs !== undefined ? await waits.untilFinished(id, waitMs, req.hangUp) : undefined) ?? (await client.get(id));
        if (!m) throw new HttpError(404, 'ERR_INSTANCE_ID_NOT_FOUND', `unable to find workflow with the provided instance ID: ${p.id}`);
        return { status: 200, body: toDaprWorkflowState(m) };
      }),
    );
    router.on('POST', `${base}/:id/raiseEvent/:event`, (req, p) =>
      guarded('raise', p.id ?? '', async () => {
        const id = requireInstanceId(p.id);
        if (!p.event) throw new HttpError(400, 'ERR_WORKFLOW_EVENT_NAME_MISSING', 'missing workflow event name');
        // A finished instance is refused (409 ERR_INSTANCE_FINISHED), logged and counted.
        await host.raiseEvent(id, p.event, await readJsonBody(req));
        return accepted();
      }),
    );
    // `…/raiseEvent/` (no name): daprd answers 400, not 404.
    router.on('POST', `${base}/:id/raiseEvent`, () => {
      throw new HttpError(400, 'ERR_WORKFLOW_EVENT_NAME_MISSING', 'missing workflow event name');
    });
    // Recursive as daprd's; `?recursive=false` (Swirl's, for `swirl instances terminate`) leaves
    // running sub-workflows alone.
    router.on('POST', `${base}/:id/terminate`, (_req, p, url) =>
      guarded('terminate', p.id ?? '', async () => {
        await client.terminate(requireInstanceId(p.id), { recursive: url.searchParams.get('recursive') !== 'false' });
        return accepted();
      }),
    );
    router.on('POST', `${base}/:id/pause`, (_req, p) =>
      guarded('pause', p.id ?? '', async () => {
        await client.suspend(requireInstanceId(p.id));
        return accepted();
      }),
    );
    router.on('POST', `${base}/:id/resume`, (_req, p) =>
      guarded('resume', p.id ?? '', async () => {
        await client.resume(requireInstanceId(p.id));
        return accepted();
      }),
    );
    router.on('POST', `${base}/:id/purge`, (_req, p) =>
      guarded('purge', p.id ?? '', async () => {
        await client.purge(requireInstanceId(p.id), { recursive: true });
        return accepted();
      }),
    );
  }
  // daprd's metadata API (the SDK polls it before its first call to see that the sidecar is up).
  router.on('GET', '/v1.0/metadata', () =>
    json(200, {
      id: host.appId,
      runtimeVersion: `swirl-${VERSION}`,
      enabledFeatures: [],
      actors: [],
      components: host.describeComponents().map((c) => ({ name: c.name, type: c.type, version: c.version, capabilities: [] })),
      httpEndpoints: [],
      subscriptions: [],
      extended: { 'swirl.workflows': host.workflows().map((w) => w.id).join(',') },
    }),
  );
}
