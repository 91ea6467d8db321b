/**
 * @module grpc/client-service
 * The management half of `TaskHubSidecarService` (what DaprWorkflowClient / TaskHubGrpcClient
 * call): StartInstance, GetInstance, WaitForInstanceStart/Completion, RaiseEvent,
 * TerminateInstance, SuspendInstance, ResumeInstance, PurgeInstances, QueryInstances — each a
 * mapping onto host.engine.client. Choices where daprd and durabletask-go differ are in
 * specs/grpc.md.
 */
import { status, type Metadata, type ServerUnaryCall } from '@grpc/grpc-js';
import type { SwirlHost } from '../host/host.js';
import { RuntimeStatus, isTerminalStatus } from '../store/index.js';
import type { InstanceMetadata } from '../engine/client.js';
import { fromProtoStatus, fromTimestamp, parsePayload, toOrchestrationState } from './convert.js';
import type { CreateInstanceRequest, GetInstanceRequest, InstanceQuery, PurgeInstancesRequest, RaiseEventRequest, SuspendResumeRequest, TerminateRequest } from './proto.js';
import { GrpcRequestError } from './request-error.js';

/** Longest a Wait* call waits in one go before it checks that its caller is still there. */
const WAIT_SLICE_MS = 15_000;
/** How long Terminate/Suspend/Resume wait for the instance to reach the state asked for (then answer anyway: the request is recorded). */
const STATE_CHANGE_WAIT_MS = 10_000;
/** Most instances one QueryInstances page returns. */
const MAX_QUERY_PAGE = 1000;

function requireId(id: string | undefined, rpc: string): string {
  if (!id) throw new GrpcRequestError(status.INVALID_ARGUMENT, `${rpc}: instanceId is required`);
  return id;
}

/** Wall-clock ms left before the call's deadline (Infinity when it has none). */
function remainingMs(call: ServerUnaryCall<unknown, unknown>): number {
  const d = call.getDeadline();
  const at = d instanceof Date ? d.getTime() : Number(d);
  return Number.isFinite(at) && at > 0 ? at - Date.now() : Number.POSITIVE_INFINITY;
}

/**
 * Waits for the instance to start or complete until the call's deadline, in slices, so a call the
 * client abandoned stops waiting within a slice. INSTANCE_NOT_FOUND (→ NOT_FOUND) for an unknown id.
 */
async function waitUntil(host: SwirlHost, call: ServerUnaryCall<unknown, unknown>, id: string, kind: 'start' | 'completion'): Promise<InstanceMetadata> {
  const until = Date.now() + remainingMs(call);
  for (;;) {
    const timeoutMs = Math.max(1, Math.min(until - Date.now(), WAIT_SLICE_MS));
    try {
      return kind === 'start' ? await host.client.waitForStart(id, { timeoutMs }) : await host.client.waitForCompletion(id, { timeoutMs });
    } catch (e) {
      if ((e as { code?: string }).code !== 'WAIT_TIMEOUT' || call.cancelled || Date.now() >= until) throw e;
    }
  }
}

/** Polls until the instance's status satisfies `done`, at most STATE_CHANGE_WAIT_MS (or the call's deadline). */
export async function settle(host: SwirlHost, call: ServerUnaryCall<unknown, unknown>, id: string, done: (s: RuntimeStatus) => boolean): Promise<void> {
  const until = Date.now() + Math.min(STATE_CHANGE_WAIT_MS, remainingMs(call));
  while (Date.now() < until && !call.cancelled) {
    const m = await host.client.get(id);
    if (!m || done(m.runtimeStatus)) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

export interface ClientHandlers {
  startInstance(call: ServerUnaryCall<CreateInstanceRequest, unknown>): Promise<unknown>;
  getInstance(call: ServerUnaryCall<GetInstanceRequest, unknown>): Promise<unknown>;
  waitForInstanceStart(call: ServerUnaryCall<GetInstanceRequest, unknown>): Promise<unknown>;
  waitForInstanceCompletion(call: ServerUnaryCall<GetInstanceRequest, unknown>): Promise<unknown>;
  raiseEvent(call: ServerUnaryCall<RaiseEventRequest, unknown>): Promise<unknown>;
  terminateInstance(call: ServerUnaryCall<TerminateRequest, unknown>): Promise<unknown>;
  suspendInstance(call: ServerUnaryCall<SuspendResumeRequest, unknown>): Promise<unknown>;
  resumeInstance(call: ServerUnaryCall<SuspendResumeRequest, unknown>): Promise<unknown>;
  purgeInstances(call: ServerUnaryCall<PurgeInstancesRequest, unknown>): Promise<unknown>;
  queryInstances(call: ServerUnaryCall<{ query?: InstanceQuery }, unknown>): Promise<unknown>;
}

/** The caller's W3C `traceparent` from the call's gRPC metadata (the instance's span continues its trace). */
export function metadataTraceparent(metadata: Metadata | undefined): string | undefined {
  const v = metadata?.get('traceparent')[0];
  return typeof v === 'string' ? v : undefined;
}

/** The management RPCs over `host`. */
export function clientHandlers(host: SwirlHost, onStart?: (name: string) => void): ClientHandlers {
  const client = host.client;
  const stateOf = (m: InstanceMetadata | undefined, withPayloads: boolean) =>
    m ? { exists: true, orchestrationState: toOrchestrationState(m, withPayloads) } : { exists: false };
  return {
    async startInstance(call) {
      const r = call.request;
      if (!r.name) throw new GrpcRequestError(status.INVALID_ARGUMENT, 'StartInstance: name (the workflow to start) is required');
      const input = parsePayload(r.input, `StartInstance '${r.name}': input`);
      onStart?.(r.name);
      host.checkInput(r.name, input);
      const startAt = fromTimestamp(r.scheduledStartTimestamp);
      // durabletask-js always sends a start time (epoch 0 for "now"): only a future one schedules.
      const traceparent = metadataTraceparent(call.metadata);
      const options = { ...(r.instanceId ? { instanceId: r.instanceId } : {}), ...(startAt !== undefined && startAt > Date.now() ? { startAt } : {}), ...(traceparent !== undefined ? { traceparent } : {}) };
      return { instanceId: await client.start(r.name, input, options) };
    },
    async getInstance(call) {
      const id = requireId(call.request.instanceId, 'GetInstance');
      return stateOf(await client.get(id), call.request.getInputsAndOutputs === true);
    },
    async waitForInstanceStart(call) {
      const id = requireId(call.request.instanceId, 'WaitForInstanceStart');
      return stateOf(await waitUntil(host, call, id, 'start'), call.request.getInputsAndOutputs === true);
    },
    async waitForInstanceCompletion(call) {
      const id = requireId(call.request.instanceId, 'WaitForInstanceCompletion');
      return stateOf(await waitUntil(host, call, id, 'completion'), call.request.getInputsAndOutputs === true);
    },
    async raiseEvent(call) {
      const r = call.request;
      const id = requireId(r.instanceId, 'RaiseEvent');
      if (!r.name) throw new GrpcRequestError(status.INVALID_ARGUMENT, `RaiseEvent on '${id}': name (the event name) is required`);
      await host.raiseEvent(id, r.name, parsePayload(r.input, `RaiseEvent '${r.name}' on '${id}': input`));
      return {};
    },
    async terminateInstance(call) {
      const r = call.request;
      const id = requireId(r.instanceId, 'TerminateInstance');
      const output = parsePayload(r.output, `TerminateInstance '${id}': output`);
      // The JS SDKs' proto has no `recursive` field (absent = false on the wire): Swirl, like
      // daprd's HTTP API, terminates children too unless asked otherwise — see specs/grpc.md.
      await client.terminate(id, { recursive: true, ...(output !== undefined ? { output } : {}) });
      await settle(host, call, id, isTerminalStatus);
      return {};
    },
    async suspendInstance(call) {
      const id = requireId(call.request.instanceId, 'SuspendInstance');
      const reason = call.request.reason?.value;
      await client.suspend(id, reason || undefined);
      await settle(host, call, id, (s) => s === RuntimeStatus.SUSPENDED || isTerminalStatus(s));
      return {};
    },
    async resumeInstance(call) {
      const id = requireId(call.request.instanceId, 'ResumeInstance');
      const reason = call.request.reason?.value;
      await client.resume(id, reason || undefined);
      await settle(host, call, id, (s) => s !== RuntimeStatus.SUSPENDED);
      return {};
    },
    async purgeInstances(call) {
      const r = call.request;
      if (r.request === 'instanceId' || (r.request === undefined && r.instanceId)) {
        const id = requireId(r.instanceId, 'PurgeInstances');
        if (!(await client.get(id))) return { deletedInstanceCount: 0 };
        return client.purge(id, { recursive: true });
      }
      const f = r.purgeInstanceFilter;
      if (!f) throw new GrpcRequestError(status.INVALID_ARGUMENT, 'PurgeInstances: give an instanceId or a purgeInstanceFilter');
      const from = fromTimestamp(f.createdTimeFrom);
      const to = fromTimestamp(f.createdTimeTo);
      const statuses = (f.runtimeStatus ?? []).map((s, i) => fromProtoStatus(s, `PurgeInstances filter runtimeStatus[${i}]`));
      return client.purgeInstances({
        ...(statuses.length > 0 ? { statuses } : {}),
        ...(from ? { createdFrom: from } : {}),
        ...(to ? { createdTo: to } : {}),
      });
    },
    async queryInstances(call) {
      const q = call.request.query ?? {};
      const max = q.maxInstanceCount ?? 0;
      if (max < 0 || max > MAX_QUERY_PAGE) throw new GrpcRequestError(status.INVALID_ARGUMENT, `QueryInstances: maxInstanceCount must be 1..${MAX_QUERY_PAGE} (0: 100), got ${max}`);
      const statuses = (q.runtimeStatus ?? []).map((s, i) => fromProtoStatus(s, `QueryInstances runtimeStatus[${i}]`));
      const from = fromTimestamp(q.createdTimeFrom);
      const to = fromTimestamp(q.createdTimeTo);
      const token = q.continuationToken?.value;
      // The prefix is the store's (a key range), so a page holds up to max matches, not a filtered page.
      const prefix = q.instanceIdPrefix?.value ?? '';
      const page = await client.list(
        { ...(statuses.length > 0 ? { statuses } : {}), ...(from ? { createdFrom: from } : {}), ...(to ? { createdTo: to } : {}), ...(prefix !== '' ? { instanceIdPrefix: prefix } : {}) },
        { pageSize: max || 100, ...(token ? { pageToken: token } : {}) },
      );
      const res: Record<string, unknown> = {
        orchestrationState: page.instances.map((m) => toOrchestrationState(m, q.fetchInputsAndOutputs === true)),
      };
      if (page.nextPageToken !== undefined) res.continuationToken = { value: page.nextPageToken };
      return res;
    },
  };
}
