/**
 * @module grpc
 * The Durable Task / Dapr gRPC shell over host/ (beside api/, the HTTP shell).
 */
export { startGrpcServer } from './server.js';
export type { GrpcServerOptions, RunningGrpcServer } from './server.js';
