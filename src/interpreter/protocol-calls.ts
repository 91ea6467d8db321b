/**
 * @module interpreter/protocol-calls
 * The function-call activity's `rpc`, `graphql` and `odata` branches (specs/function-types.md):
 * credentials resolved here (secret values never reach the history) and applied to the call — for
 * these types the service named in `operation` is what `authRef` authenticates — the deadline from
 * the action's timeout, and one caller per process (each caches what it loaded: protos, schemas).
 */
import type { FunctionDef } from '../definition/types.js';
import type { ActivityContext } from '../engine/registry.js';
import type { GraphqlCaller } from '../components/graphql/index.js';
import type { ODataCaller } from '../components/odata/index.js';
import type { AuthorizationProvider } from '../components/rest/auth.js';
import type { RpcCaller } from '../components/rpc/index.js';
import { WorkflowError } from '../errors.js';
import { loadOnUse } from '../optional-module.js';
import type { ActivityWorkflow, CallInput } from './activities.js';
import { functionAuth } from './auth.js';

/** Function metadata naming the gRPC server of an rpc function (`host:port` or a grpc-js target). */
export const RPC_ADDRESS_KEY = 'address';
/** Function metadata: `"true"` for a TLS connection to the gRPC server. */
export const RPC_TLS_KEY = 'tls';

/** Function metadata: the graphql variables' types, written out instead of read by introspection. */
export const GRAPHQL_TYPES_KEY = 'argumentTypes';

interface Callers {
  rpc: RpcCaller;
  graphql: GraphqlCaller;
  odata: ODataCaller;
  auth: AuthorizationProvider;
}

let callers: Promise<Callers> | undefined;

/**
 * The callers, loaded with the first rpc/graphql/odata call (grpc-js, proto-loader, undici): a
 * server whose workflows make none of these calls never loads them (issue 12: start-up CPU).
 */
function shared(): Promise<Callers> {
  callers ??= (async () => {
    const [rpc, graphql, odata, auth] = await Promise.all([
      loadOnUse(() => import('../components/rpc/index.js'), '@grpc/grpc-js', 'rpc functions'),
      loadOnUse(() => import('../components/graphql/index.js'), 'undici', 'graphql functions'),
      loadOnUse(() => import('../components/odata/index.js'), 'undici', 'odata functions'),
      loadOnUse(() => import('../components/rest/auth.js'), 'undici', 'function credentials (authRef)'),
    ]);
    return { rpc: rpc.createRpcCaller(), graphql: graphql.createGraphqlCaller(), odata: odata.createODataCaller(), auth: new auth.AuthorizationProvider() };
  })();
  callers.catch(() => (callers = undefined)); // a failed load is retried by the next call
  return callers;
}

/** The Authorization value of the function's credentials: the invocation's, else `authRef`'s. */
async function authorization(w: ActivityWorkflow, fn: FunctionDef, signal: AbortSignal): Promise<string | undefined> {
  if (fn.authRef === undefined && fn.metadata?.invocationAuthRef === undefined) return undefined;
  await w.secrets.ready();
  const auth = functionAuth(w.graph, fn, w.secrets.record());
  const creds = auth.invocation ?? auth.resource;
  return creds ? (await shared()).auth.header(creds, signal) : undefined;
}

function objectArguments(fn: FunctionDef, input: CallInput): Record<string, unknown> {
  const args = input.arguments ?? {};
  if (args === null || typeof args !== 'object' || Array.isArray(args)) {
    throw new WorkflowError('INVALID_ARGUMENTS', `function '${fn.name}': the arguments must be an object`, { nonRetryable: true });
  }
  return args;
}

/** Calls an rpc, graphql or odata function. */
export async function callProtocol(w: ActivityWorkflow, fn: FunctionDef, type: 'rpc' | 'graphql' | 'odata', input: CallInput, actx: ActivityContext): Promise<unknown> {
  const c = await shared();
  const authorizationValue = await authorization(w, fn, actx.signal);
  const common = {
    operation: fn.operation,
    arguments: objectArguments(fn, input),
    ...(authorizationValue !== undefined ? { authorization: authorizationValue } : {}),
    ...(input.timeoutMs !== undefined ? { timeoutMs: input.timeoutMs } : {}),
    idempotencyKey: actx.idempotencyKey,
    ...(actx.traceparent !== undefined ? { traceparent: actx.traceparent } : {}),
    signal: actx.signal,
  };
  switch (type) {
    case 'rpc': {
      const address = fn.metadata?.[RPC_ADDRESS_KEY];
      if (typeof address !== 'string' || address === '') {
        throw new WorkflowError('RPC_NO_ADDRESS', `rpc function '${fn.name}' has no metadata.${RPC_ADDRESS_KEY} naming its gRPC server (e.g. '127.0.0.1:50051')`, { nonRetryable: true });
      }
      return c.rpc.call({ ...common, baseDir: w.baseDir, address, tls: String(fn.metadata?.[RPC_TLS_KEY]) === 'true', ...(w.reach ? { reach: w.reach } : {}) });
    }
    case 'graphql':
      return c.graphql.call({
        ...common,
        ...(input.selectionSet !== undefined ? { selectionSet: input.selectionSet } : {}),
        ...(typeof fn.metadata?.[GRAPHQL_TYPES_KEY] === 'string' ? { argumentTypes: fn.metadata[GRAPHQL_TYPES_KEY] } : {}),
      });
    case 'odata':
      return c.odata.call(common);
    default: {
      const never: never = type;
      throw new WorkflowError('UNSUPPORTED_FUNCTION_TYPE', `unknown function type '${String(never)}'`, { nonRetryable: true });
    }
  }
}
