/**
 * @module grpc
 * The Durable Task / Dapr gRPC shell over host/ (beside api/, the HTTP shell). grpc-js,
 * proto-loader and the service implementations load when a gRPC server starts, not when Swirl is
 * imported: `swirl serve --grpc-port 0` and the other CLI commands never load them (issue 12).
 */
import type { SwirlHost } from '../host/host.js';
import { loadOnUse } from '../optional-module.js';
import type { GrpcServerOptions, RunningGrpcServer } from './server.js';

export type { GrpcServerOptions, RunningGrpcServer } from './server.js';

/** Starts the gRPC server over `host`; resolves with the bound port (grpc/server.ts). */
export async function startGrpcServer(host: SwirlHost, options: GrpcServerOptions): Promise<RunningGrpcServer> {
  const server = await loadOnUse(() => import('./server.js'), '@grpc/grpc-js', 'the gRPC port (--grpc-port)');
  return server.startGrpcServer(host, options);
}
