/**
 * `swirl serve` with its gRPC port on (a free loopback port picked here: 0 turns gRPC off), for
 * tests that drive it with the Dapr SDKs.
 */
import { freePort } from '../host/free-port.js';
import type { ChildProcess } from 'node:child_process';
import { startServe, type Server } from '../host/serve-child.js';

export { freePort };

export interface GrpcServer extends Server {
  grpcPort: number;
}

/** Starts serve with the workflows and store of `dir` and gRPC on `port` (default: a free one; a restart passes the same). */
export async function startGrpcServe(dir: string, started: ChildProcess[], extra: string[] = [], port?: number): Promise<GrpcServer> {
  const grpcPort = port ?? (await freePort());
  const s = await startServe(dir, started, ['--grpc-port', String(grpcPort), ...extra]);
  if (!new RegExp(`gRPC \\(Durable Task sidecar\\) listening on 127\\.0\\.0\\.1:${grpcPort}`).test(s.stdout())) throw new Error(`no gRPC listener line:\n${s.stdout()}`);
  return { ...s, grpcPort };
}
