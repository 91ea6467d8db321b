/**
 * A plain gRPC client of TaskHubSidecarService built from the same shipped .proto (for requests
 * the SDKs never send malformed: missing names, non-JSON payloads, filters; and for a worker that
 * misbehaves on purpose: one that takes work and disconnects, or answers late).
 */
import { credentials, loadPackageDefinition, Metadata, type ClientReadableStream, type ServiceError } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { ORCHESTRATOR_PROTO, PROTO_LOADER_OPTIONS } from '../../src/grpc/proto.js';

type Unary = (req: object, md: Metadata, cb: (err: ServiceError | null, res: any) => void) => void;

export function rawClient(port: number, token?: string, metadata: Record<string, string> = {}): { call(rpc: string, req: object): Promise<any>; stream(rpc: string, req: object): ClientReadableStream<any>; close(): void } {
  const def = loadSync(ORCHESTRATOR_PROTO, PROTO_LOADER_OPTIONS);
  const Ctor = (loadPackageDefinition(def) as any).TaskHubSidecarService;
  const c = new Ctor(`127.0.0.1:${port}`, credentials.createInsecure());
  const md = (): Metadata => {
    const m = new Metadata();
    if (token !== undefined) m.set('dapr-api-token', token);
    for (const [k, v] of Object.entries(metadata)) m.set(k, v);
    return m;
  };
  return {
    call(rpc, req) {
      return new Promise((resolve, reject) => (c[rpc] as Unary).call(c, req, md(), (err, res) => (err ? reject(err) : resolve(res))));
    },
    stream: (rpc, req) => c[rpc](req, md()) as ClientReadableStream<any>,
    close: () => c.close(),
  };
}
