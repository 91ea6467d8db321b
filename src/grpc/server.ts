/**
 * @module grpc/server
 * The gRPC listener of `swirl serve` (`--grpc-port`, default 50001 as daprd): the Durable Task
 * `TaskHubSidecarService` over host/, so Dapr SDK clients (`DaprWorkflowClient`,
 * durabletask-js `TaskHubGrpcClient`) manage Swirl's workflows unchanged, and on the same port
 * Dapr's runtime API `dapr.proto.runtime.v1.Dapr` (its workflow methods and GetMetadata:
 * dapr-service.ts). Every call is checked
 * against `--api-token` in the `dapr-api-token` metadata (as daprd does), and every failure is a
 * gRPC status with a message, never a stack trace. RPCs Swirl does not serve answer UNIMPLEMENTED
 * naming the RPC.
 */
import { timingSafeEqual } from 'node:crypto';
import { format } from 'node:util';
import { Server, ServerCredentials, setLogger, status, type ServerUnaryCall, type ServerWritableStream, type sendUnaryData, type ServiceDefinition, type UntypedServiceImplementation } from '@grpc/grpc-js';
import type { SwirlHost } from '../host/host.js';
import { clientHandlers } from './client-service.js';
import { workerSide } from './worker-service.js';
import { noopLogger, type Logger } from '../engine/logger.js';
import { daprRuntimeService, taskHubService } from './proto.js';
import { daprHandlers } from './dapr-service.js';
import { grpcError, toGrpcError } from './status.js';
import { ReloadableTls, type GrpcTlsMaterial } from './tls.js';

/** Largest request accepted (histories and payloads are bounded by the engine's maxPayloadBytes well below it). */
const MAX_RECEIVE_BYTES = 16 * 1024 * 1024;

export interface GrpcServerOptions {
  port: number;
  host?: string;
  /** When set, every call must carry it in the `dapr-api-token` metadata. */
  apiToken?: string;
  logger?: Logger;
  /**
   * PEM material: TLS on the gRPC port, with client certificates required when `clientCa` is set
   * (specs/security.md; replaced with {@link RunningGrpcServer.reloadTls}).
   */
  tls?: GrpcTlsMaterial;
}

export interface RunningGrpcServer {
  port: number;
  close(): Promise<void>;
  /** Serves new TLS connections with this material; throws (keeping the old one) when it does not load, or TLS is off. */
  reloadTls(material: GrpcTlsMaterial): void;
}

/** The token check daprd applies to gRPC calls (UNAUTHENTICATED, saying what is missing). */
function authorize(token: Buffer | undefined, call: ServerUnaryCall<unknown, unknown>): void {
  if (!token) return;
  const given = call.metadata.get('dapr-api-token')[0];
  if (given === undefined) throw Object.assign(new Error('missing api token: send it in the dapr-api-token metadata'), { grpcStatus: status.UNAUTHENTICATED });
  const g = Buffer.from(String(given));
  if (g.length !== token.length || !timingSafeEqual(g, token)) throw Object.assign(new Error('invalid api token'), { grpcStatus: status.UNAUTHENTICATED });
}

type Handler = (call: ServerUnaryCall<any, unknown>) => Promise<unknown> | unknown;

/** A unary handler: token check, then `fn`, every error mapped to a gRPC status. */
function unary(token: Buffer | undefined, fn: Handler) {
  return (call: ServerUnaryCall<any, unknown>, callback: sendUnaryData<unknown>): void => {
    void (async () => {
      try {
        authorize(token, call);
        callback(null, await fn(call));
      } catch (err) {
        const g = (err as { grpcStatus?: status }).grpcStatus;
        callback(g !== undefined ? grpcError(g, (err as Error).message) : toGrpcError(err), null);
      }
    })();
  };
}

/** An implementation of `service` where every RPC answers UNIMPLEMENTED with its name (handlers then replace the served ones). */
function unimplemented(service: ServiceDefinition, token: Buffer | undefined): UntypedServiceImplementation {
  const impl: UntypedServiceImplementation = {};
  for (const [name, def] of Object.entries(service)) {
    const rpc = def.path.split('/').pop() ?? name;
    impl[name] = def.responseStream
      ? (call: { emit: (e: string, v: unknown) => void }) => call.emit('error', grpcError(status.UNIMPLEMENTED, `${rpc} is not served by Swirl`))
      : unary(token, () => {
          throw Object.assign(new Error(`${rpc} is not served by Swirl`), { grpcStatus: status.UNIMPLEMENTED });
        });
  }
  return impl;
}

/**
 * grpc-js's own log lines ("E No address added out of total 1 resolved" before a failed bind)
 * go to the server's logger at debug level instead of bare stderr: every failure they describe
 * also reaches Swirl through the call or bind that failed, which reports it in its own words.
 * The logger is grpc-js's process-wide one; this sets it for the process that serves.
 */
function routeGrpcLogs(logger: Logger): void {
  const line = (args: unknown[]): void => logger.debug(format(...args), { event: 'grpc.log' });
  setLogger({ error: (...args: unknown[]) => line(args), info: (...args: unknown[]) => line(args), debug: (...args: unknown[]) => line(args) });
}

/** Starts the gRPC server over `host`; resolves with the bound port. */
export async function startGrpcServer(host: SwirlHost, options: GrpcServerOptions): Promise<RunningGrpcServer> {
  if (options.logger) routeGrpcLogs(options.logger);
  const token = options.apiToken ? Buffer.from(options.apiToken) : undefined;
  // No channelz: Swirl serves no channelz service, and its bookkeeping (per-call trackers, a
  // Date.now() per message) ran on every work item and completion for nobody to read.
  const server = new Server({ 'grpc.max_receive_message_length': MAX_RECEIVE_BYTES, 'grpc.enable_channelz': 0 });
  const w = workerSide(host, options.logger ?? noopLogger);
  const c = clientHandlers(host, w.starting);
  const service = taskHubService();
  const impl = unimplemented(service, token);
  Object.assign(impl, {
    Hello: unary(token, () => ({})),
    StartInstance: unary(token, c.startInstance),
    GetInstance: unary(token, c.getInstance),
    WaitForInstanceStart: unary(token, c.waitForInstanceStart),
    WaitForInstanceCompletion: unary(token, c.waitForInstanceCompletion),
    RaiseEvent: unary(token, c.raiseEvent),
    TerminateInstance: unary(token, c.terminateInstance),
    SuspendInstance: unary(token, c.suspendInstance),
    ResumeInstance: unary(token, c.resumeInstance),
    PurgeInstances: unary(token, c.purgeInstances),
    QueryInstances: unary(token, c.queryInstances),
    CompleteOrchestratorTask: unary(token, w.completeOrchestratorTask),
    CompleteActivityTask: unary(token, w.completeActivityTask),
    GetWorkItems: (call: ServerWritableStream<unknown, unknown>) => {
      try {
        authorize(token, call as never);
      } catch (err) {
        call.emit('error', grpcError(status.UNAUTHENTICATED, (err as Error).message));
        return;
      }
      w.getWorkItems(call);
    },
  });
  server.addService(service, impl);
  const dapr = daprRuntimeService();
  const daprImpl = unimplemented(dapr, token);
  for (const [rpc, fn] of Object.entries(daprHandlers(host, { onStart: w.starting, connectedWorkers: () => w.dispatcher.connectedWorkers }))) daprImpl[rpc] = unary(token, fn);
  server.addService(dapr, daprImpl);
  const address = `${options.host ?? '127.0.0.1'}:${options.port}`;
  const tls = options.tls ? new ReloadableTls(options.tls) : undefined;
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(address, tls?.credentials() ?? ServerCredentials.createInsecure(), (err, bound) => (err ? reject(new Error(`cannot listen for gRPC on ${address}: ${err.message}`)) : resolve(bound))),
  );
  return {
    port,
    reloadTls: (material) => {
      if (!tls) throw new Error('the gRPC listener does not serve TLS');
      tls.update(material);
    },
    close: () =>
      new Promise<void>((resolve) => {
        w.close();
        // Graceful first (streams end with OK); forced after a grace period.
        const timer = setTimeout(() => server.forceShutdown(), 5000);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      }),
  };
}
