/**
 * @module grpc/proto
 * The Durable Task `TaskHubSidecarService` definition, loaded at runtime with @grpc/proto-loader
 * from the orchestrator_service.proto that @dapr/durabletask-js ships (no hand-written protobuf
 * encoding). The proto has no package statement, so the method paths are
 * `/TaskHubSidecarService/<Rpc>`, as daprd serves them. Messages are plain objects: field names as
 * in the proto (keepCase), enums as their names, wrappers as `{ value }`, timestamps as
 * `{ seconds, nanos }`, oneofs with a virtual field naming the case that is set.
 */
import { createRequire } from 'node:module';
import { loadSync } from '@grpc/proto-loader';
import { loadPackageDefinition, type ServiceDefinition } from '@grpc/grpc-js';

const require = createRequire(import.meta.url);

/** Where the shipped .proto lives. */
export const ORCHESTRATOR_PROTO = require.resolve('@dapr/durabletask-js/proto/orchestrator_service.proto');

let cached: ServiceDefinition | undefined;

/** The service definition to pass to `grpc.Server#addService` (loaded once). */
export function taskHubService(): ServiceDefinition {
  if (cached) return cached;
  const def = loadSync(ORCHESTRATOR_PROTO, { keepCase: true, longs: Number, enums: String, defaults: false, oneofs: true });
  const pkg = loadPackageDefinition(def) as unknown as { TaskHubSidecarService: { service: ServiceDefinition } };
  cached = pkg.TaskHubSidecarService.service;
  return cached;
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
