/**
 * @module components/rpc
 * The `rpc` function type (spec §Using Functions for RPC Service Invocations): operation
 * `<proto-file-uri>#<service>#<method>`, a unary gRPC call with @grpc/grpc-js to the address the
 * function's `metadata.address` names. Arguments become the request message by field name, the
 * response comes back in the proto3 JSON mapping (json.ts); a failed call raises WorkflowError with
 * the status name as its code (status.ts). Loaded protos are cached (proto.ts).
 */
import { Client, Metadata, credentials, type ServiceError } from '@grpc/grpc-js';
import { InfrastructureError, WorkflowError } from '../../errors.js';
import { fromMessage, toMessage } from './json.js';
import { ProtoCache, findMethod, protoUrl, type RpcMethod } from './proto.js';
import { isRetryableStatus, statusName } from './status.js';

export { RETRYABLE_STATUSES } from './status.js';

/** One call of an rpc function. */
export interface RpcCall {
  /** `<proto-uri>#<service>#<method>`. */
  operation: string;
  /** Directory relative proto URIs are resolved against (the workflow file's directory). */
  baseDir: string;
  /** The server: `host:port` or any grpc-js target (`dns:///…`, `unix:…`). */
  address: string;
  /** TLS with the system's roots instead of a plaintext connection. @default false */
  tls?: boolean;
  arguments: Record<string, unknown>;
  /** Sent as the `authorization` metadata (e.g. `Bearer …`, `Basic …`). */
  authorization?: string;
  /** Sent as the `idempotency-key` metadata. */
  idempotencyKey?: string;
  /** Sent as the `traceparent` metadata: the action's W3C trace context (specs/observability.md). */
  traceparent?: string;
  /** The call's gRPC deadline, from now. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Why the proto file may not be read (the server's reach policy); undefined when it may. */
  reach?: (url: string) => string | undefined;
}

/** Calls rpc functions. */
export interface RpcCaller {
  call(req: RpcCall): Promise<unknown>;
}

/** `<uri>#<service>#<method>` split at its last two `#`. */
export function parseRpcOperation(operation: string): { uri: string; service: string; method: string } | undefined {
  const m = /^(.+)#([^#]+)#([^#]+)$/.exec(operation);
  return m ? { uri: m[1]!, service: m[2]!, method: m[3]! } : undefined;
}

function failure(m: RpcMethod, address: string, err: ServiceError): WorkflowError {
  const name = statusName(err.code);
  return new WorkflowError(name, `rpc ${m.service}/${m.name} at ${address} failed: ${name}: ${err.details || err.message}`, {
    details: { status: err.code, statusName: name, message: err.details },
    nonRetryable: !isRetryableStatus(name),
  });
}

/** Creates a caller with its own proto cache. */
export function createRpcCaller(): RpcCaller {
  const protos = new ProtoCache();
  return {
    async call(req: RpcCall): Promise<unknown> {
      const op = parseRpcOperation(req.operation);
      if (!op) throw new WorkflowError('INVALID_OPERATION', `rpc operation '${req.operation}' is not '<proto-file-uri>#<service>#<method>'`, { nonRetryable: true });
      const url = protoUrl(op.uri, req.baseDir);
      const refused = req.reach?.(url.href);
      if (refused !== undefined) throw new WorkflowError('REFERENCE_NOT_ALLOWED', `the proto file ${url.href} may not be read: ${refused}`, { nonRetryable: true });
      const proto = await protos.load(url);
      const m = findMethod(proto, url, op.service, op.method);
      if (m.definition.requestStream || m.definition.responseStream) {
        throw new WorkflowError('UNSUPPORTED_RPC_STREAMING', `rpc ${m.service}/${m.name} streams; rpc functions call unary methods only`, { nonRetryable: true });
      }
      const problems: string[] = [];
      const message = toMessage(proto.definition, m.requestType, req.arguments, problems);
      if (problems.length > 0) {
        throw new WorkflowError('INVALID_ARGUMENTS', `rpc ${m.service}/${m.name}: ${problems.map((p) => `'${p}'`).join(', ')} ${problems.length === 1 ? 'is not a field' : 'are not fields'} of its request message ${m.requestType}`, { nonRetryable: true });
      }
      const metadata = new Metadata();
      if (req.authorization !== undefined) metadata.set('authorization', req.authorization);
      if (req.idempotencyKey !== undefined) metadata.set('idempotency-key', req.idempotencyKey);
      if (req.traceparent !== undefined) metadata.set('traceparent', req.traceparent);
      // One channel per call, closed after it: nothing outlives the activity (a cached channel
      // would keep the process alive and hold a connection to every server ever called).
      const client = new Client(req.address, req.tls ? credentials.createSsl() : credentials.createInsecure());
      try {
        const response = await new Promise<object>((resolve, reject) => {
          let serialized: Buffer;
          try {
            serialized = m.definition.requestSerialize(message as object);
          } catch (err) {
            reject(new WorkflowError('INVALID_ARGUMENTS', `rpc ${m.service}/${m.name}: the arguments do not fit ${m.requestType}: ${(err as Error).message}`, { nonRetryable: true }));
            return;
          }
          const options = req.timeoutMs !== undefined ? { deadline: new Date(Date.now() + req.timeoutMs) } : {};
          const call = client.makeUnaryRequest(m.definition.path, (b: Buffer) => b, m.definition.responseDeserialize, serialized, metadata, options, (err, value) => {
            req.signal?.removeEventListener('abort', cancel);
            if (err) reject(err.code !== undefined ? failure(m, req.address, err) : new InfrastructureError('RPC_FAILED', `rpc ${m.service}/${m.name}: ${err.message}`, { cause: err }));
            else resolve(value ?? {});
          });
          const cancel = () => call.cancel();
          if (req.signal?.aborted) call.cancel();
          else req.signal?.addEventListener('abort', cancel, { once: true });
        });
        return fromMessage(proto.definition, m.responseType, response);
      } finally {
        client.close();
      }
    },
  };
}
