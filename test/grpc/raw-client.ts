/**
 * A plain gRPC client of TaskHubSidecarService built from the same shipped .proto (for requests
 * the SDKs never send malformed: missing names, non-JSON payloads, filters).
 */
import { credentials, loadPackageDefinition, Metadata, type ServiceError } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { ORCHESTRATOR_PROTO } from '../../src/grpc/proto.js';

type Unary = (req: object, md: Metadata, cb: (err: ServiceError | null, res: any) => void) => void;

export function rawClient(port: number, token?: string): { call(rpc: string, req: object): Promise<any>; close(): void } {
  const def = loadSync(ORCHESTRATOR_PROTO, { keepCase: true, longs: Number, enums: String, defaults: false, oneofs: true });
  const Ctor = (loadPackageDefinition(def) as any).TaskHubSidecarService;
  const c = new Ctor(`127.0.0.1:${port}`, credentials.createInsecure());
  return {
    call(rpc, req) {
      const md = new Metadata();
      if (token !== undefined) md.set('dapr-api-token', token);
      return new Promise((resolve, reject) => (c[rpc] as Unary).call(c, req, md, (err, res) => (err ? reject(err) : resolve(res))));
    },
    close: () => c.close(),
  };
}
