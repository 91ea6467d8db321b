/**
 * @module grpc/status
 * Engine and host errors as gRPC statuses, the codes daprd answers with: a bad argument is
 * INVALID_ARGUMENT, an unknown instance NOT_FOUND, a taken id ALREADY_EXISTS, a purge of a running
 * instance FAILED_PRECONDITION. The message says what is wrong, prefixed with the Swirl error code
 * so clients can match on it; never a stack trace.
 */
import { status, type ServiceError } from '@grpc/grpc-js';
import { Metadata } from '@grpc/grpc-js';
import { InfrastructureError, InvalidInputError, SwirlError } from '../errors.js';
import { GrpcRequestError } from './request-error.js';

/** A gRPC error with `code` and a message; `swirlCode` also goes into the `swirl-error-code` trailer. */
export function grpcError(code: status, message: string, swirlCode?: string): Partial<ServiceError> {
  const metadata = new Metadata();
  if (swirlCode !== undefined) metadata.set('swirl-error-code', swirlCode);
  return { code, details: swirlCode !== undefined ? `${swirlCode}: ${message}` : message, metadata };
}

/** The status daprd would answer for a Swirl error code. */
function statusFor(code: string): status {
  switch (code) {
    case 'INSTANCE_NOT_FOUND':
    case 'ORCHESTRATION_NOT_REGISTERED':
      return status.NOT_FOUND;
    case 'INSTANCE_EXISTS':
      return status.ALREADY_EXISTS;
    case 'INSTANCE_NOT_TERMINAL':
    case 'INSTANCE_FINISHED':
    case 'NOT_A_CHILD':
      return status.FAILED_PRECONDITION;
    case 'WAIT_TIMEOUT':
      return status.DEADLINE_EXCEEDED;
    case 'ENGINE_STOPPED':
      return status.UNAVAILABLE;
    case 'INVALID_INSTANCE_ID':
    case 'INVALID_ARGUMENT':
    case 'INVALID_INPUT':
    case 'PAYLOAD_TOO_LARGE':
    case 'PAYLOAD_NOT_SERIALIZABLE':
      return status.INVALID_ARGUMENT;
    default:
      return status.INTERNAL;
  }
}

/** Maps anything a handler threw to a gRPC error. */
export function toGrpcError(err: unknown): Partial<ServiceError> {
  if (err instanceof GrpcRequestError) return grpcError(err.status, err.message, err.code);
  if (err instanceof InfrastructureError) return grpcError(status.UNAVAILABLE, err.message, err.code);
  if (err instanceof InvalidInputError) return grpcError(status.INVALID_ARGUMENT, err.message, err.code);
  if (err instanceof SwirlError) return grpcError(statusFor(err.code), err.message, err.code);
  const e = err as { code?: unknown; message?: unknown };
  if (typeof e?.code === 'string') return grpcError(statusFor(e.code), String(e.message), e.code);
  return grpcError(status.INTERNAL, `internal error: ${String((err as Error)?.message ?? err)}`);
}
