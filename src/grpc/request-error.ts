/**
 * @module grpc/request-error
 * A request the gRPC shell refuses before it reaches the host (a missing id, a payload that is not
 * JSON), with the gRPC status to answer.
 */
import type { status } from '@grpc/grpc-js';

export class GrpcRequestError extends Error {
  constructor(
    readonly status: status,
    message: string,
  ) {
    super(message);
    this.name = 'GrpcRequestError';
  }
}
