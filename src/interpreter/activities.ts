/**
 * @module interpreter/activities
 * The side effects of a workflow, run as engine activities (at-least-once, each with an
 * idempotency key): rest, rpc, graphql, odata (protocol-calls.ts) and custom function calls,
 * publishing produced events, terminating
 * instances (async subflows, workflowExecTimeout) and waiting for the secrets table (it returns
 * the names of missing secrets, never values). The orchestration program only schedules them.
 */
import type { FunctionDef } from '../definition/types.js';
import type { WorkflowGraph } from '../graph/types.js';
import type { Engine } from '../engine/engine.js';
import type { ActivityContext } from '../engine/registry.js';
import type { CloudEventJson, ComponentHost } from '../components/types.js';
import type { RestCaller } from '../components/rest/index.js';
import { WorkflowError } from '../errors.js';
import type { ActivityNames } from './run-context.js';
import type { SecretTable } from './secrets.js';
import { functionAuth } from './auth.js';
import { callProtocol } from './protocol-calls.js';
import { ASYNCAPI_WAIT_MS, callAsyncApi } from './asyncapi-call.js';
import { callRestShortcut } from './profiles/sonataflow.js';

/** Activity names (shared by every workflow registered on an engine). */
export const ACTIVITY_NAMES: ActivityNames = {
  call: 'swirl.function',
  publish: 'swirl.publish',
  terminate: 'swirl.terminate',
  secrets: 'swirl.secrets',
};

/** What the activities need from one registered workflow. */
export interface ActivityWorkflow {
  graph: WorkflowGraph;
  components?: ComponentHost;
  /** $SECRETS values, resolved outside the orchestration (never in history). */
  secrets: SecretTable;
  rest: RestCaller;
  baseDir: string;
  /** What the workflow's OpenAPI documents (and their `$ref`s) may read; absent: anything. */
  reach?: (url: string) => string | undefined;
  log?: (msg: string, meta: Record<string, unknown>) => void;
}

/** Result of the secrets activity: the declared secrets no source provides. */
export interface SecretsCheck {
  missing: string[];
}

/** Input of the function-call activity. */
export interface CallInput {
  workflow: string;
  /** Hash of the definition version that scheduled the call (absent in histories written before versions). */
  definition?: string;
  function: string;
  arguments?: Record<string, unknown>;
  /** The action data, when the functionRef has no arguments. */
  input?: unknown;
  state: string;
  action: string;
  /** rpc, graphql, odata: the action's timeout (actionExecTimeout) as the call's own deadline. */
  timeoutMs?: number;
  /** graphql: the functionRef's selectionSet, its expressions evaluated. */
  selectionSet?: string;
}

const CUSTOM = /^(invoke|binding|publish):([A-Za-z0-9][A-Za-z0-9._-]*)\/(\S+)$/;

function noComponents(fn: FunctionDef): never {
  throw new WorkflowError('COMPONENTS_NOT_CONFIGURED', `function '${fn.name}' (${fn.operation}) needs components, but none are configured (InterpreterOptions.components)`, {
    nonRetryable: true,
  });
}

/** The call's trace context as a request field (components send it as the `traceparent` header). */
function trace(actx: ActivityContext): { traceparent?: string } {
  return actx.traceparent !== undefined ? { traceparent: actx.traceparent } : {};
}

/** Calls a custom function through the component host (grammar: specs/custom-operations.md). */
async function callCustom(w: ActivityWorkflow, fn: FunctionDef, data: unknown, actx: ActivityContext): Promise<unknown> {
  // sonataflow profile: rest:<verb>:<url> (specs/sonataflow-profile.md).
  const shortcut = w.graph.profile?.rest[fn.name];
  if (shortcut) return callRestShortcut(fn.name, shortcut, data, { idempotencyKey: actx.idempotencyKey, signal: actx.signal });
  const m = CUSTOM.exec(fn.operation);
  if (!m) throw new WorkflowError('INVALID_OPERATION', `custom function '${fn.name}': operation '${fn.operation}' is not invoke:, binding: or publish:`, { nonRetryable: true });
  const host = w.components ?? noComponents(fn);
  const [, kind, name, rest] = m;
  const { httpVerb, ...metadata } = fn.metadata ?? {};
  switch (kind) {
    case 'invoke': {
      const res = await host.invokeService({ appId: name, method: rest, verb: httpVerb ?? 'POST', data, idempotencyKey: actx.idempotencyKey, signal: actx.signal, ...trace(actx) });
      return res.data;
    }
    case 'binding': {
      const res = await host.invokeBinding({ name, operation: rest, data, metadata, idempotencyKey: actx.idempotencyKey, signal: actx.signal, caller: w.graph.id, ...trace(actx) });
      return res.data;
    }
    default: {
      const event: CloudEventJson = {
        specversion: '1.0',
        // The idempotency key makes redeliveries of this activity publish the same event id.
        id: actx.idempotencyKey,
        source: `/swirl/${w.graph.id}`,
        type: (metadata.type as string | undefined) ?? rest,
        datacontenttype: 'application/json',
        data,
        // Distributed tracing extension of CloudEvents: the consumer continues the action's trace.
        ...(actx.traceparent !== undefined ? { traceparent: actx.traceparent } : {}),
      };
      await host.publish({ pubsub: name, topic: rest, event, signal: actx.signal, caller: w.graph.id });
      return null;
    }
  }
}

/**
 * Registers the shared activities on an engine, resolving the workflow by the definition version
 * that scheduled the call (its hash), else by orchestration name (the current version).
 */
export function registerActivities(engine: Engine, lookup: (workflow: string, definition?: string) => ActivityWorkflow | undefined): void {
  const workflowOf = (name: string, definition?: string): ActivityWorkflow => {
    const w = lookup(name, definition);
    if (!w) throw new WorkflowError('UNKNOWN_WORKFLOW', `workflow '${name}' is not registered in this process`);
    return w;
  };
  engine.registerActivity(ACTIVITY_NAMES.call, async (input: CallInput, actx: ActivityContext) => {
    const w = workflowOf(input.workflow, input.definition);
    const fn = w.graph.functions.get(input.function);
    if (!fn) throw new WorkflowError('UNKNOWN_FUNCTION', `function '${input.function}' is not defined`, { nonRetryable: true });
    const type = fn.type ?? 'rest';
    switch (type) {
      case 'rest': {
        // Credentials are resolved here, in the activity: secret values never reach the history.
        await w.secrets.ready();
        const auth = functionAuth(w.graph, fn, w.secrets.record());
        return w.rest.call({
          operation: fn.operation,
          baseDir: w.baseDir,
          arguments: input.arguments ?? {},
          resourceAuth: auth.resource,
          invocationAuth: auth.invocation,
          idempotencyKey: actx.idempotencyKey,
          signal: actx.signal,
          ...trace(actx),
          ...(w.reach ? { reach: w.reach } : {}),
          // sonataflow profile: the base URL application.properties sets.
          ...(w.graph.profile?.servers[fn.name] ? { server: w.graph.profile.servers[fn.name] } : {}),
        });
      }
      case 'custom':
        return callCustom(w, fn, input.arguments ?? input.input, actx);
      case 'asyncapi':
        return callAsyncApi(w.components ?? noComponents(fn), {
          name: fn.name,
          operation: fn.operation,
          baseDir: w.baseDir,
          arguments: input.arguments ?? {},
          workflow: w.graph.id,
          idempotencyKey: actx.idempotencyKey,
          signal: actx.signal,
          ...trace(actx),
          // A subscribe waits as long as the action may (specs/asyncapi.md).
          waitMs: w.graph.nodes.get(input.state)?.timeouts.actionExecMs ?? ASYNCAPI_WAIT_MS,
          ...(actx.afterRecord ? { afterRecord: actx.afterRecord } : {}),
          ...(w.reach ? { reach: w.reach } : {}),
        });
      case 'rpc':
        return callProtocol(w, fn, 'rpc', input, actx);
      case 'graphql':
        return callProtocol(w, fn, 'graphql', input, actx);
      case 'odata':
        return callProtocol(w, fn, 'odata', input, actx);
      case 'expression':
        throw new WorkflowError('UNSUPPORTED_FUNCTION_TYPE', `function type '${type}' (function '${fn.name}') is not supported yet`, { nonRetryable: true });
      default:
        throw new WorkflowError('UNSUPPORTED_FUNCTION_TYPE', `unknown function type '${String(type)}'`, { nonRetryable: true });
    }
  });
  engine.registerActivity(ACTIVITY_NAMES.publish, async (input: { workflow: string; definition?: string; eventRef: string; event: CloudEventJson }, actx: ActivityContext) => {
    const w = workflowOf(input.workflow, input.definition);
    const def = w.graph.events.get(input.eventRef);
    const pubsub = def?.metadata?.pubsub;
    // Routing: an event definition's metadata `pubsub` names the pub/sub component, `topic` the
    // topic (default: the event type). Without a pubsub the event is only logged.
    if (pubsub && w.components) {
      // The CloudEvents distributed-tracing extension, unless the workflow set one itself (contextAttributes).
      const event = actx.traceparent !== undefined && input.event.traceparent === undefined ? { ...input.event, traceparent: actx.traceparent } : input.event;
      await w.components.publish({ pubsub, topic: def?.metadata?.topic ?? event.type, event, signal: actx.signal, caller: w.graph.id });
      return { published: true };
    }
    w.log?.(`event '${input.eventRef}' produced (no pubsub configured for it)`, { event: input.event });
    return { published: false };
  });
  engine.registerActivity(ACTIVITY_NAMES.terminate, async (input: { instanceIds: string[]; reason: string; output?: unknown }, actx) => {
    for (const id of input.instanceIds) {
      // Ending its async subflows, a workflow reaches only its own children (not an unrelated
      // instance that holds a child's id: issue 9, finding 3); terminating itself needs no check.
      const asParent = id === actx.instanceId ? undefined : { instanceId: actx.instanceId, executionId: actx.executionId };
      try {
        await engine.client.terminate(id, { reason: input.reason, output: input.output, recursive: true, ...(asParent ? { asParent } : {}) });
      } catch {
        // Already finished or purged, or not our child: nothing of ours left to terminate.
      }
    }
    return null;
  });
  // Waits until this process has looked the declared secrets up; only the missing NAMES go to history.
  engine.registerActivity(ACTIVITY_NAMES.secrets, async (input: { workflow: string; definition?: string }): Promise<SecretsCheck> => {
    const w = workflowOf(input.workflow, input.definition);
    await w.secrets.ready();
    return { missing: w.secrets.missing() };
  });
}
