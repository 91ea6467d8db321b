/**
 * @module grpc/dapr-service
 * Dapr's own runtime API on the gRPC port (`dapr.proto.runtime.v1.Dapr`, from dapr.proto): the
 * workflow methods `{Start,Get,Pause,Resume,RaiseEvent,Terminate,Purge}Workflow{Beta1,Alpha1}`
 * (the same handlers under both names, as daprd's `universal` API) and `GetMetadata` (what the
 * SDKs' DaprClient calls to see that the sidecar is up). Each maps onto host.engine.client as the
 * HTTP Dapr routes do (api/dapr-routes.ts): the workflow name is the definition id (or an app
 * orchestration's name), terminate and purge are recursive. Errors carry daprd's error codes
 * (specs/grpc.md "Dapr runtime API"). Every other Dapr RPC answers UNIMPLEMENTED (server.ts).
 */
import { status, type ServerUnaryCall } from '@grpc/grpc-js';
import type { SwirlHost } from '../host/host.js';
import type { InstanceMetadata } from '../engine/client.js';
import { RuntimeStatus, isTerminalStatus } from '../store/index.js';
import { VERSION } from '../version.js';
import { metadataTraceparent, settle } from './client-service.js';
import { parsePayload, toTimestamp } from './convert.js';
import type { DaprInstanceRequest, DaprRaiseEventWorkflowRequest, DaprStartWorkflowRequest } from './proto.js';
import { GrpcRequestError } from './request-error.js';

/** daprd's limits on new instance ids (pkg/api/universal/workflow.go), as over HTTP. */
const MAX_INSTANCE_ID_LENGTH = 64;
const INSTANCE_ID_CHARS = /^[A-Za-z0-9_-]+$/;
/** The start option daprd reads a scheduled start from (RFC 3339). */
const START_TIME_OPTION = 'dapr.workflow.start_time';

type Call<T> = ServerUnaryCall<T, unknown>;
export type DaprHandler = (call: Call<any>) => Promise<unknown>;

const invalid = (code: string, message: string): GrpcRequestError => new GrpcRequestError(status.INVALID_ARGUMENT, message, code);

function requireInstanceId(r: DaprInstanceRequest): string {
  if (!r.instance_id) throw invalid('ERR_INSTANCE_ID_PROVIDED_MISSING', 'no instance ID was provided');
  return r.instance_id;
}

function checkNewInstanceId(id: string): void {
  if (id.length > MAX_INSTANCE_ID_LENGTH) throw invalid('ERR_INSTANCE_ID_TOO_LONG', `workflow instance ID exceeds the max length of ${MAX_INSTANCE_ID_LENGTH} characters`);
  if (!INSTANCE_ID_CHARS.test(id)) throw invalid('ERR_INSTANCE_ID_INVALID', `workflow instance ID '${id}' is invalid: only alphanumeric and underscore characters are allowed`);
}

/** A bytes payload (input, event data): JSON text, as every SDK sends; undefined when empty. */
function payload(bytes: Buffer | undefined, what: string): unknown {
  if (!bytes || bytes.length === 0) return undefined;
  try {
    return parsePayload({ value: bytes.toString('utf8') }, what);
  } catch (e) {
    throw invalid('ERR_MALFORMED_REQUEST', (e as Error).message);
  }
}

/** `dapr.workflow.start_time` as epoch ms when it is in the future; INVALID_ARGUMENT when not RFC 3339. */
function startTime(options: Record<string, string> | undefined): number | undefined {
  const text = options?.[START_TIME_OPTION];
  if (text === undefined || text === '') return undefined;
  const at = Date.parse(text);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(text) || Number.isNaN(at)) throw invalid('ERR_START_WORKFLOW', `option ${START_TIME_OPTION} '${text}' is not an RFC 3339 timestamp`);
  return at > Date.now() ? at : undefined;
}

/** GetWorkflowResponse: the properties daprd fills (the same as the HTTP GET body). */
export function toGetWorkflowResponse(m: InstanceMetadata): Record<string, unknown> {
  const properties: Record<string, string> = {};
  if (m.serializedInput !== undefined) properties['dapr.workflow.input'] = m.serializedInput;
  // daprd omits the output when the instance carries failure details.
  if (m.serializedOutput !== undefined && !m.failure) properties['dapr.workflow.output'] = m.serializedOutput;
  if (m.serializedCustomStatus !== undefined) properties['dapr.workflow.custom_status'] = m.serializedCustomStatus;
  if (m.definitionHash !== undefined) properties['swirl.definition.hash'] = m.definitionHash;
  if (m.definitionVersion !== undefined) properties['swirl.definition.version'] = m.definitionVersion;
  if (m.failure) {
    properties['dapr.workflow.failure.error_type'] = m.failure.errorType;
    properties['dapr.workflow.failure.error_message'] = m.failure.message;
    if (m.failure.stackTrace) properties['dapr.workflow.failure.stack_trace'] = m.failure.stackTrace;
  }
  return {
    instance_id: m.instanceId,
    workflow_name: m.name,
    created_at: toTimestamp(m.createdAt),
    last_updated_at: toTimestamp(m.lastUpdatedAt),
    runtime_status: m.runtimeStatus,
    properties,
  };
}

/** An unknown instance as daprd answers it over gRPC. */
const notFound = (id: string): GrpcRequestError => new GrpcRequestError(status.NOT_FOUND, `unable to find workflow with the provided instance ID: ${id}`, 'ERR_INSTANCE_ID_NOT_FOUND');

/**
 * The Dapr runtime handlers Swirl serves, by RPC name. `onStart` is the worker side's hook: a
 * name no definition or registration has is an app orchestration (as StartInstance).
 * `connectedWorkers` is reported in GetMetadata.
 */
export function daprHandlers(host: SwirlHost, hooks: { onStart?: (name: string) => void; connectedWorkers?: () => number } = {}): Record<string, DaprHandler> {
  const client = host.client;
  /** The instance, or NOT_FOUND. */
  const existing = async (id: string): Promise<InstanceMetadata> => {
    const m = await client.get(id).catch((e: { code?: string }) => {
      // daprd checks ids only when creating: any other id it cannot find is simply not found.
      if (e?.code === 'INVALID_INSTANCE_ID') return undefined;
      throw e;
    });
    if (!m) throw notFound(id);
    return m;
  };
  const workflow: Record<string, DaprHandler> = {
    async StartWorkflow(call: Call<DaprStartWorkflowRequest>) {
      const r = call.request;
      if (!r.workflow_name) throw invalid('ERR_WORKFLOW_NAME_MISSING', 'workflow name is not configured');
      if (r.instance_id) checkNewInstanceId(r.instance_id);
      const input = payload(r.input, `StartWorkflow '${r.workflow_name}': input`);
      const startAt = startTime(r.options);
      await host.knowWorkflow(r.workflow_name);
      hooks.onStart?.(r.workflow_name);
      host.checkInput(r.workflow_name, input);
      const traceparent = metadataTraceparent(call.metadata);
      const instanceId = await client.start(r.workflow_name, input, { ...(r.instance_id ? { instanceId: r.instance_id } : {}), ...(startAt !== undefined ? { startAt } : {}), ...(traceparent !== undefined ? { traceparent } : {}) });
      return { instance_id: instanceId };
    },
    async GetWorkflow(call: Call<DaprInstanceRequest>) {
      return toGetWorkflowResponse(await existing(requireInstanceId(call.request)));
    },
    async PauseWorkflow(call: Call<DaprInstanceRequest>) {
      const id = requireInstanceId(call.request);
      await existing(id);
      await client.suspend(id);
      await settle(host, call, id, (s) => s === RuntimeStatus.SUSPENDED || isTerminalStatus(s));
      return {};
    },
    async ResumeWorkflow(call: Call<DaprInstanceRequest>) {
      const id = requireInstanceId(call.request);
      await existing(id);
      await client.resume(id);
      await settle(host, call, id, (s) => s !== RuntimeStatus.SUSPENDED);
      return {};
    },
    async RaiseEventWorkflow(call: Call<DaprRaiseEventWorkflowRequest>) {
      const r = call.request;
      const id = requireInstanceId(r);
      if (!r.event_name) throw invalid('ERR_WORKFLOW_EVENT_NAME_MISSING', 'missing workflow event name');
      const data = payload(r.event_data, `RaiseEventWorkflow '${r.event_name}' on '${id}': event_data`);
      await existing(id);
      await client.raiseEvent(id, r.event_name, data);
      return {};
    },
    async TerminateWorkflow(call: Call<DaprInstanceRequest>) {
      const id = requireInstanceId(call.request);
      await existing(id);
      await client.terminate(id, { recursive: true });
      await settle(host, call, id, isTerminalStatus);
      return {};
    },
    async PurgeWorkflow(call: Call<DaprInstanceRequest>) {
      const id = requireInstanceId(call.request);
      await existing(id);
      await client.purge(id, { recursive: true });
      return {};
    },
  };
  const handlers: Record<string, DaprHandler> = {
    async GetMetadata() {
      return {
        id: host.appId,
        runtime_version: `swirl-${VERSION}`,
        registered_components: host.describeComponents().map((c) => ({ name: c.name, type: c.type, version: c.version, capabilities: [] })),
        extended_metadata: { 'swirl.workflows': host.workflows().map((w) => w.id).join(',') },
        workflows: { connected_workers: hooks.connectedWorkers?.() ?? 0 },
      };
    },
  };
  // daprd serves the same handlers under the Alpha1 and Beta1 names.
  for (const [name, fn] of Object.entries(workflow)) {
    handlers[`${name}Beta1`] = fn;
    handlers[`${name}Alpha1`] = fn;
  }
  return handlers;
}
