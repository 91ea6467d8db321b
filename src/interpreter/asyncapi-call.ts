/**
 * @module interpreter/asyncapi-call
 * Runs an `asyncapi` function (SW 0.8 §Using Functions for Async API Server Invocations) inside
 * its activity: loads the AsyncAPI 2.x document of `<doc-uri>#<operationId>` (cached per process),
 * maps the operation's channel to one of Swirl's pub/sub components, then a `publish` operation
 * sends the arguments as one message (a CloudEvent whose id is the activity's idempotency key, so
 * a redelivered activity publishes the same event) and a `subscribe` operation waits for the next
 * message of the channel and returns its data. The mapping and the delivery semantics are in
 * specs/asyncapi.md.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { readAsyncApi, splitAsyncApiOperation, type AsyncOperation } from '../definition/asyncapi.js';
import { readReference, resolveReference } from '../definition/external.js';
import { parseDocument } from '../definition/parse.js';
import type { CloudEventJson, ComponentHost, ComponentSummary, ReceivedMessage } from '../components/types.js';
import { WorkflowError } from '../errors.js';

/** One call of an asyncapi function. */
export interface AsyncApiCall {
  /** The function's name (for messages). */
  name: string;
  operation: string;
  /** The workflow's folder: relative document URIs resolve against it. */
  baseDir: string;
  arguments: Record<string, unknown>;
  /** The calling workflow's id (message source, component scopes). */
  workflow: string;
  idempotencyKey: string;
  /** The action span's W3C traceparent: a published message carries it as the CloudEvent extension. */
  traceparent?: string;
  signal?: AbortSignal;
  /** Longest wait of a subscribe operation (the action's timeout, else the default). */
  waitMs: number;
  reach?: (url: string) => string | undefined;
  /** The engine's "result recorded" notice (ActivityContext.afterRecord): a received message is acknowledged after it. */
  afterRecord?: (callback: (recorded: boolean) => void) => void;
}

/** Longest wait of a subscribe operation whose action has no actionExecTimeout: 1 hour. */
export const ASYNCAPI_WAIT_MS = 60 * 60 * 1000;

/** AsyncAPI server protocols → the Swirl pub/sub types that speak them. */
const PROTOCOL_TYPES: Readonly<Record<string, readonly string[]>> = {
  amqp: ['pubsub.rabbitmq'],
  amqps: ['pubsub.rabbitmq'],
  mqtt: ['pubsub.mqtt3'],
  mqtts: ['pubsub.mqtt3'],
  'secure-mqtt': ['pubsub.mqtt3'],
  redis: ['pubsub.redis'],
  nats: ['pubsub.nats', 'pubsub.jetstream'],
};

/** Documents by location: read once per process (a changed document needs a restart, as OpenAPI ones). */
const documents = new Map<string, Promise<Map<string, AsyncOperation>>>();

const fail = (code: string, message: string) => new WorkflowError(code, message, { nonRetryable: true });

async function operations(uri: string, baseDir: string, reach: AsyncApiCall['reach']): Promise<Map<string, AsyncOperation>> {
  const from = join(baseDir, '_');
  const target = resolveReference(uri, from);
  const key = target.kind === 'url' ? target.url : pathToFileURL(target.path).href;
  const refused = reach?.(key);
  if (refused !== undefined) throw fail('REFERENCE_NOT_ALLOWED', `the AsyncAPI document ${key} may not be read: ${refused}`);
  let loading = documents.get(key);
  if (!loading) {
    loading = (async () => {
      let text: { name: string; text: string };
      try {
        text = await readReference(uri, from);
      } catch (err) {
        // Possibly passing trouble (a remote document): retryable.
        throw new WorkflowError('ASYNCAPI_UNREADABLE', `cannot read the AsyncAPI document '${uri}': ${(err as Error).message}`);
      }
      const parsed = parseDocument(text.text, text.name);
      if (!parsed.ok) throw fail('INVALID_ASYNCAPI', `the AsyncAPI document '${uri}' does not parse: ${parsed.diagnostic.message}`);
      const doc = readAsyncApi(parsed.document.value);
      if (!doc.ok) throw fail('INVALID_ASYNCAPI', `'${uri}' is not a usable AsyncAPI document: ${doc.problems.map((p) => `${p.pointer || '/'}: ${p.message}`).join('; ')}`);
      return doc.operations;
    })();
    documents.set(key, loading);
    loading.catch(() => documents.delete(key));
  }
  return loading;
}

/**
 * The pub/sub component a channel maps to (specs/asyncapi.md): `x-swirl-component` of the
 * operation or channel; else, over the channel's servers, a server's `x-swirl-component`, a
 * component named like the server, or the one component whose type speaks the server's protocol.
 */
export function channelComponent(op: AsyncOperation, components: ComponentSummary[]): string {
  const pubsubs = components.filter((c) => c.type.startsWith('pubsub.'));
  const known = (name: string, via: string): string => {
    if (pubsubs.some((c) => c.name === name)) return name;
    throw fail('ASYNCAPI_NO_COMPONENT', `operation '${op.operationId}': ${via} names pub/sub component '${name}', which is not configured (pub/sub components: ${pubsubs.map((c) => c.name).join(', ') || 'none'})`);
  };
  if (op.component !== undefined) return known(op.component, 'x-swirl-component');
  const found = new Set<string>();
  const tried: string[] = [];
  for (const s of op.servers) {
    if (s.component !== undefined) {
      found.add(known(s.component, `server '${s.name}' x-swirl-component`));
      continue;
    }
    if (pubsubs.some((c) => c.name === s.name)) {
      found.add(s.name);
      continue;
    }
    const types = PROTOCOL_TYPES[s.protocol] ?? [];
    const speaking = pubsubs.filter((c) => types.includes(c.type));
    tried.push(`server '${s.name}' (${s.protocol}): ${types.length === 0 ? 'no Swirl pub/sub type speaks this protocol' : `${speaking.length} component(s) of type ${types.join('/')}`}`);
    if (speaking.length === 1) found.add(speaking[0]!.name);
  }
  if (found.size === 1) return [...found][0]!;
  const why = found.size > 1 ? `its servers map to several components (${[...found].join(', ')})` : op.servers.length === 0 ? 'the document has no servers' : `no server maps to exactly one component — ${tried.join('; ')}`;
  throw fail('ASYNCAPI_NO_COMPONENT', `operation '${op.operationId}' (channel '${op.channel}'): ${why}; set x-swirl-component on the channel or server to a pub/sub component name`);
}

/** The channel name with its `{parameters}` filled from the arguments; the rest of the arguments is the message. */
function topicOf(op: AsyncOperation, args: Record<string, unknown>): { topic: string; payload: Record<string, unknown> } {
  const payload = { ...args };
  let topic = op.channel;
  for (const p of op.parameters) {
    const v = payload[p];
    if (typeof v !== 'string' && typeof v !== 'number') throw fail('ASYNCAPI_PARAMETER', `operation '${op.operationId}': channel '${op.channel}' needs argument '${p}' (a string or number)`);
    topic = topic.split(`{${p}}`).join(String(v));
    delete payload[p];
  }
  return { topic, payload };
}

/** Runs the call; the result of a subscribe is the message's data (the whole event when it has none). */
export async function callAsyncApi(host: ComponentHost, call: AsyncApiCall): Promise<unknown> {
  const split = splitAsyncApiOperation(call.operation);
  if (!split) throw fail('INVALID_OPERATION', `asyncapi function '${call.name}': operation '${call.operation}' is not '<asyncapi-doc-uri>#<operationId>'`);
  const ops = await operations(split.uri, call.baseDir, call.reach);
  const op = ops.get(split.operationId);
  if (!op) throw fail('UNKNOWN_OPERATION', `operationId '${split.operationId}' is not in the AsyncAPI document '${split.uri}'`);
  const pubsub = channelComponent(op, host.describe?.() ?? []);
  const { topic, payload } = topicOf(op, call.arguments);
  switch (op.action) {
    case 'publish': {
      const event: CloudEventJson = {
        specversion: '1.0',
        id: call.idempotencyKey,
        source: `/swirl/${call.workflow}`,
        type: op.messageName ?? op.operationId,
        datacontenttype: 'application/json',
        data: payload,
        // Distributed tracing extension of CloudEvents, as a publish: function sends it.
        ...(call.traceparent !== undefined ? { traceparent: call.traceparent } : {}),
      };
      await host.publish({ pubsub, topic, event, signal: call.signal, caller: call.workflow });
      return null;
    }
    case 'subscribe': {
      if (!host.receive) throw fail('ASYNCAPI_NO_COMPONENT', `asyncapi function '${call.name}': the component host cannot receive messages`);
      let message: ReceivedMessage;
      try {
        message = await host.receive({ pubsub, topic, timeoutMs: call.waitMs, caller: call.workflow, ...(call.signal ? { signal: call.signal } : {}) });
      } catch (err) {
        // The wait's own bound (not the engine stopping, which retries it after the restart): the
        // action's deadline has come too, so retrying the activity could only wait in vain.
        if ((err as { code?: unknown }).code === 'TIMEOUT' && !call.signal?.aborted) {
          throw fail('timeout', `operation '${op.operationId}': no message on channel '${topic}' within ${call.waitMs} ms`);
        }
        throw err;
      }
      // Acknowledged once the activity's result is in the store (the engine tells): a process that
      // dies before that leaves the message to be redelivered (specs/asyncapi.md §4).
      if (call.afterRecord) call.afterRecord((recorded) => void (recorded ? message.ack() : message.release()));
      else await message.ack();
      const event = message.event;
      return event.data !== undefined ? event.data : event;
    }
  }
}
