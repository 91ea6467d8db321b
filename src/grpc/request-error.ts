/**
 * @module grpc/request-error
 * A request the gRPC shell refuses before it reaches the host (a missing id, a payload that is not
 * JSON), with the gRPC status to answer and, for Dapr's runtime API, daprd's error code
 * (`ERR_INSTANCE_ID_PROVIDED_MISSING`…: the message prefix and the `swirl-error-code` trailer).
 */
import type { status } from '@grpc/grpc-js';

export class GrpcRequestError extends Error {
  constructor(
    readonly status: status,
    message: string,
    readonly code?: string,
  ) {
    super(message);
    this.name = 'GrpcRequestError';
  }
}
