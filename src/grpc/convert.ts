/**
 * @module grpc/convert
 * Engine values ⇄ Durable Task protobuf messages (as proto-loader plain objects): runtime statuses,
 * timestamps, payloads (JSON text in StringValues, passed through as stored) and failures.
 */
import { status as grpcStatus } from '@grpc/grpc-js';
import type { InstanceMetadata } from '../engine/client.js';
import type { FailureDetails } from '../engine/history.js';
import { RuntimeStatus } from '../store/index.js';
import type { OrchestrationState, OrchestrationStatusName, StringValue, TaskFailureDetails, Timestamp } from './proto.js';
import { GrpcRequestError } from './request-error.js';

/** An engine status as the proto's enum (never CANCELED or STALLED: the JS SDKs throw on those). */
export function toProtoStatus(s: RuntimeStatus): OrchestrationStatusName {
  switch (s) {
    case RuntimeStatus.PENDING:
      return 'ORCHESTRATION_STATUS_PENDING';
    case RuntimeStatus.RUNNING:
      return 'ORCHESTRATION_STATUS_RUNNING';
    case RuntimeStatus.SUSPENDED:
      return 'ORCHESTRATION_STATUS_SUSPENDED';
    case RuntimeStatus.COMPLETED:
      return 'ORCHESTRATION_STATUS_COMPLETED';
    case RuntimeStatus.FAILED:
      return 'ORCHESTRATION_STATUS_FAILED';
    case RuntimeStatus.TERMINATED:
      return 'ORCHESTRATION_STATUS_TERMINATED';
    case RuntimeStatus.CONTINUED_AS_NEW:
      return 'ORCHESTRATION_STATUS_CONTINUED_AS_NEW';
  }
}

/** A proto status filter value as an engine status; INVALID_ARGUMENT for CANCELED (never used) or junk. */
export function fromProtoStatus(s: OrchestrationStatusName | number, where: string): RuntimeStatus {
  switch (s) {
    case 'ORCHESTRATION_STATUS_PENDING':
      return RuntimeStatus.PENDING;
    case 'ORCHESTRATION_STATUS_RUNNING':
      return RuntimeStatus.RUNNING;
    case 'ORCHESTRATION_STATUS_SUSPENDED':
      return RuntimeStatus.SUSPENDED;
    case 'ORCHESTRATION_STATUS_COMPLETED':
      return RuntimeStatus.COMPLETED;
    case 'ORCHESTRATION_STATUS_FAILED':
      return RuntimeStatus.FAILED;
    case 'ORCHESTRATION_STATUS_TERMINATED':
      return RuntimeStatus.TERMINATED;
    case 'ORCHESTRATION_STATUS_CONTINUED_AS_NEW':
      return RuntimeStatus.CONTINUED_AS_NEW;
    default:
      throw new GrpcRequestError(grpcStatus.INVALID_ARGUMENT, `${where}: status ${String(s)} is not one Swirl reports (PENDING, RUNNING, SUSPENDED, COMPLETED, FAILED, TERMINATED, CONTINUED_AS_NEW)`);
  }
}

export function toTimestamp(t: Date | number): Timestamp {
  const ms = typeof t === 'number' ? t : t.getTime();
  const seconds = Math.floor(ms / 1000);
  return { seconds, nanos: (ms - seconds * 1000) * 1_000_000 };
}

/** Milliseconds since the epoch; undefined when absent. */
export function fromTimestamp(t: Timestamp | undefined | null): number | undefined {
  if (!t) return undefined;
  return Number(t.seconds ?? 0) * 1000 + Math.floor((t.nanos ?? 0) / 1_000_000);
}

export const str = (value: string | undefined): StringValue | undefined => (value === undefined ? undefined : { value });

/**
 * A JSON payload sent in a StringValue, parsed (the engine stores values); undefined when absent
 * or empty (what the SDKs send for "no input"). INVALID_ARGUMENT naming `what` when not JSON.
 */
export function parsePayload(v: StringValue | undefined | null, what: string): unknown {
  const text = v?.value;
  if (text === undefined || text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new GrpcRequestError(grpcStatus.INVALID_ARGUMENT, `${what} is not JSON text: ${(e as Error).message}`);
  }
}

export function toFailure(f: FailureDetails): TaskFailureDetails {
  const out: TaskFailureDetails = { errorType: f.errorType, errorMessage: f.message };
  if (f.stackTrace) out.stackTrace = { value: f.stackTrace };
  if (f.inner) out.innerFailure = toFailure(f.inner);
  if (f.nonRetryable) out.isNonRetriable = true;
  return out;
}

/** InstanceMetadata as an OrchestrationState; payloads only when `withPayloads` (getInputsAndOutputs). */
export function toOrchestrationState(m: InstanceMetadata, withPayloads: boolean): OrchestrationState {
  const s: OrchestrationState = {
    instanceId: m.instanceId,
    name: m.name,
    orchestrationStatus: toProtoStatus(m.runtimeStatus),
    createdTimestamp: toTimestamp(m.createdAt),
    lastUpdatedTimestamp: toTimestamp(m.lastUpdatedAt),
  };
  if (m.definitionVersion !== undefined) s.version = { value: m.definitionVersion };
  if (m.scheduledStartAt) s.scheduledStartTimestamp = toTimestamp(m.scheduledStartAt);
  if (withPayloads) {
    if (m.serializedInput !== undefined) s.input = { value: m.serializedInput };
    if (m.serializedOutput !== undefined) s.output = { value: m.serializedOutput };
    if (m.serializedCustomStatus !== undefined) s.customStatus = { value: m.serializedCustomStatus };
    if (m.failure) s.failureDetails = toFailure(m.failure);
  }
  return s;
}
