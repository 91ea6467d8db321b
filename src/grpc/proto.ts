/**
 * @module grpc/proto
 * The service definitions Swirl serves over gRPC, from the .proto files in the package's `proto/`
 * folder — verbatim copies of the ones @dapr/durabletask-js and @dapr/dapr ship (proto/README.md: sources, licences), so an installed Swirl needs neither SDK;
 * no hand-written protobuf encoding.
 * - The Durable Task `TaskHubSidecarService` (orchestrator_service.proto): no package statement,
 *   so the method paths are `/TaskHubSidecarService/<Rpc>`, as daprd serves them.
 * - Dapr's runtime API `dapr.proto.runtime.v1.Dapr` (dapr.proto and its imports), for its
 *   workflow methods and GetMetadata.
 * At start-up they load from their JSON form (proto/descriptors/, written from the .proto files by
 * scripts/proto-descriptors.mjs; test/grpc/proto-files.test.ts checks it is current): parsing the
 * .proto text was a third of the cost of loading them (issue 12: start-up CPU). The definitions are
 * built from that JSON by grpc/service-definition.ts, which encodes and decodes as proto-loader's
 * `fromJSON` does but builds the protobuf.js types with the first message, not at start-up.
 * Messages are plain objects: field names as in the proto (keepCase), enums as their names,
 * wrappers as `{ value }`, timestamps as `{ seconds, nanos }`, bytes as Buffers, oneofs with a
 * virtual field naming the case that is set.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Options } from '@grpc/proto-loader';
import type { ServiceDefinition } from '@grpc/grpc-js';
import { serviceDefinition } from './service-definition.js';

/** The package's proto/ folder (src/grpc/ and dist/grpc/ are both two levels below the root). */
export const PROTO_DIR = fileURLToPath(new URL('../../proto/', import.meta.url));
/** The Durable Task sidecar proto (from @dapr/durabletask-js 1.0.0). */
export const ORCHESTRATOR_PROTO = `${PROTO_DIR}durabletask/orchestrator_service.proto`;
/** The include root of Dapr's protos (from @dapr/dapr 3.18.0): they import each other as `dapr/proto/...`. */
export const DAPR_PROTO_ROOT = `${PROTO_DIR}dapr`;
/** Dapr's runtime API, relative to DAPR_PROTO_ROOT. */
export const DAPR_RUNTIME_PROTO = 'dapr/proto/runtime/v1/dapr.proto';

/** The JSON descriptors of the two protos (scripts/proto-descriptors.mjs). */
export const TASKHUB_DESCRIPTOR = `${PROTO_DIR}descriptors/taskhub.json`;
export const DAPR_RUNTIME_DESCRIPTOR = `${PROTO_DIR}descriptors/dapr-runtime.json`;

/** How every proto is decoded (the message shapes below). */
export const PROTO_LOADER_OPTIONS: Options = { keepCase: true, longs: Number, enums: String, defaults: false, oneofs: true };

let taskHub: ServiceDefinition | undefined;
let daprRuntime: ServiceDefinition | undefined;

/** The TaskHubSidecarService definition to pass to `grpc.Server#addService` (loaded once). */
export function taskHubService(): ServiceDefinition {
  if (taskHub) return taskHub;
  const service = serviceDefinition(JSON.parse(readFileSync(TASKHUB_DESCRIPTOR, 'utf8')), 'TaskHubSidecarService', PROTO_LOADER_OPTIONS);
  // GetWorkItems writes orchestrator work items already encoded (work-item-encoding.ts): a Buffer
  // goes out as it is, an object (an activity work item) is encoded as for every other message.
  const items = service.GetWorkItems!;
  const encode = items.responseSerialize;
  taskHub = { ...service, GetWorkItems: { ...items, responseSerialize: (value: unknown) => (Buffer.isBuffer(value) ? value : encode(value)) } };
  return taskHub;
}

/** The `dapr.proto.runtime.v1.Dapr` definition (loaded once). */
export function daprRuntimeService(): ServiceDefinition {
  if (daprRuntime) return daprRuntime;
  daprRuntime = serviceDefinition(JSON.parse(readFileSync(DAPR_RUNTIME_DESCRIPTOR, 'utf8')), 'dapr.proto.runtime.v1.Dapr', PROTO_LOADER_OPTIONS);
  return daprRuntime;
}

/** google.protobuf.StringValue. */
export interface StringValue {
  value?: string;
}

/** google.protobuf.Timestamp as proto-loader decodes it (longs as numbers). */
export interface Timestamp {
  seconds?: number | string;
  nanos?: number;
}

/** The OrchestrationStatus enum of the proto, by name. */
export type OrchestrationStatusName =
  | 'ORCHESTRATION_STATUS_RUNNING'
  | 'ORCHESTRATION_STATUS_COMPLETED'
  | 'ORCHESTRATION_STATUS_CONTINUED_AS_NEW'
  | 'ORCHESTRATION_STATUS_FAILED'
  | 'ORCHESTRATION_STATUS_CANCELED'
  | 'ORCHESTRATION_STATUS_TERMINATED'
  | 'ORCHESTRATION_STATUS_PENDING'
  | 'ORCHESTRATION_STATUS_SUSPENDED';

export interface TaskFailureDetails {
  errorType?: string;
  errorMessage?: string;
  stackTrace?: StringValue;
  innerFailure?: TaskFailureDetails;
  isNonRetriable?: boolean;
}

export interface OrchestrationState {
  instanceId: string;
  name: string;
  version?: StringValue;
  orchestrationStatus: OrchestrationStatusName;
  scheduledStartTimestamp?: Timestamp;
  createdTimestamp?: Timestamp;
  lastUpdatedTimestamp?: Timestamp;
  input?: StringValue;
  output?: StringValue;
  customStatus?: StringValue;
  failureDetails?: TaskFailureDetails;
}

export interface CreateInstanceRequest {
  instanceId?: string;
  name?: string;
  version?: StringValue;
  input?: StringValue;
  scheduledStartTimestamp?: Timestamp;
}

export interface GetInstanceRequest {
  instanceId?: string;
  getInputsAndOutputs?: boolean;
}

export interface RaiseEventRequest {
  instanceId?: string;
  name?: string;
  input?: StringValue;
}

export interface TerminateRequest {
  instanceId?: string;
  output?: StringValue;
  recursive?: boolean;
}

export interface SuspendResumeRequest {
  instanceId?: string;
  reason?: StringValue;
}

export interface InstanceQuery {
  runtimeStatus?: OrchestrationStatusName[];
  createdTimeFrom?: Timestamp;
  createdTimeTo?: Timestamp;
  maxInstanceCount?: number;
  continuationToken?: StringValue;
  instanceIdPrefix?: StringValue;
  fetchInputsAndOutputs?: boolean;
}

export interface PurgeInstancesRequest {
  request?: 'instanceId' | 'purgeInstanceFilter';
  instanceId?: string;
  purgeInstanceFilter?: { createdTimeFrom?: Timestamp; createdTimeTo?: Timestamp; runtimeStatus?: OrchestrationStatusName[] };
}

/** dapr.proto.runtime.v1 workflow requests (workflow.proto), as decoded: bytes as Buffers. */
export interface DaprStartWorkflowRequest {
  instance_id?: string;
  workflow_component?: string;
  workflow_name?: string;
  options?: Record<string, string>;
  input?: Buffer;
}

export interface DaprInstanceRequest {
  instance_id?: string;
  workflow_component?: string;
}

export interface DaprRaiseEventWorkflowRequest extends DaprInstanceRequest {
  event_name?: string;
  event_data?: Buffer;
}
