/**
 * @module definition/asyncapi
 * The parts of an AsyncAPI 2.x document that `asyncapi` functions use (SW 0.8 §Using Functions for
 * Async API Server Invocations, operation `<asyncapi-doc-uri>#<operationId>`): the `publish` and
 * `subscribe` operations of `channels` by operationId, with their channel, message name, channel
 * parameters, the servers that apply and Swirl's `x-swirl-component` extension. Checked here once
 * for both validation and the runtime call, so what validates is what runs. Only local `$ref`s
 * (`#/components/…`) are followed, for messages and channel parameters.
 */
import { isObject } from './walk.js';

type Obj = Record<string, unknown>;

/** One server of the document. */
export interface AsyncServer {
  name: string;
  /** `amqp`, `mqtt`, `redis`, `nats` … (lower-cased). */
  protocol: string;
  url: string;
  /** `x-swirl-component`: the Swirl pub/sub component this server is. */
  component?: string;
}

/** One `publish` or `subscribe` operation. */
export interface AsyncOperation {
  operationId: string;
  /** `publish`: Swirl sends to the channel; `subscribe`: Swirl waits for the channel's next message. */
  action: 'publish' | 'subscribe';
  /** The channel name (the topic), `{parameters}` included. */
  channel: string;
  /** Names of the channel's `{parameters}`, in order of appearance. */
  parameters: string[];
  /** The message's `name` (or its `$ref`'s last segment), when it has one. */
  messageName?: string;
  /** The servers the channel is available on (`channels.<c>.servers`, else all of the document's). */
  servers: AsyncServer[];
  /** `x-swirl-component` of the operation, else of the channel. */
  component?: string;
}

/** A parsed document: operations by id, or the problems that make it unusable. */
export type AsyncApiDocument = { ok: true; operations: Map<string, AsyncOperation> } | { ok: false; problems: Array<{ pointer: string; message: string }> };

/** Resolves a local `$ref` (`#/components/messages/X`) one level; other values as they are. */
function deref(doc: Obj, v: unknown): unknown {
  if (!isObject(v) || typeof v.$ref !== 'string' || !v.$ref.startsWith('#/')) return v;
  let at: unknown = doc;
  for (const seg of v.$ref.slice(2).split('/')) at = isObject(at) ? at[seg.replace(/~1/g, '/').replace(/~0/g, '~')] : undefined;
  return at;
}

const enc = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1');

/** Reads a parsed YAML/JSON value as an AsyncAPI 2.x document. */
export function readAsyncApi(value: unknown): AsyncApiDocument {
  const problems: Array<{ pointer: string; message: string }> = [];
  if (!isObject(value)) return { ok: false, problems: [{ pointer: '', message: 'not an AsyncAPI document: expected an object' }] };
  const version = value.asyncapi;
  if (typeof version !== 'string' || !/^2\.\d+\.\d+$/.test(version)) {
    return {
      ok: false,
      problems: [{ pointer: '/asyncapi', message: typeof version === 'string' ? `AsyncAPI ${version} is not supported (Swirl reads AsyncAPI 2.x, as Serverless Workflow 0.8 does)` : "not an AsyncAPI document: no 'asyncapi' version field (e.g. '2.6.0')" }],
    };
  }
  const servers = new Map<string, AsyncServer>();
  if (value.servers !== undefined && !isObject(value.servers)) problems.push({ pointer: '/servers', message: "'servers' must be an object of named servers" });
  for (const [name, s] of Object.entries(isObject(value.servers) ? value.servers : {})) {
    if (!isObject(s) || typeof s.url !== 'string' || typeof s.protocol !== 'string') {
      problems.push({ pointer: `/servers/${enc(name)}`, message: `server '${name}' needs a 'url' and a 'protocol'` });
      continue;
    }
    const component = s['x-swirl-component'];
    servers.set(name, { name, url: s.url, protocol: s.protocol.toLowerCase(), ...(typeof component === 'string' ? { component } : {}) });
  }
  if (!isObject(value.channels)) return { ok: false, problems: [...problems, { pointer: '/channels', message: "an AsyncAPI document needs 'channels'" }] };
  const operations = new Map<string, AsyncOperation>();
  for (const [channel, item] of Object.entries(value.channels)) {
    const at = `/channels/${enc(channel)}`;
    if (!isObject(item)) {
      problems.push({ pointer: at, message: `channel '${channel}' must be an object` });
      continue;
    }
    let channelServers = [...servers.values()];
    if (Array.isArray(item.servers)) {
      channelServers = [];
      for (const n of item.servers) {
        const s = typeof n === 'string' ? servers.get(n) : undefined;
        if (s) channelServers.push(s);
        else problems.push({ pointer: `${at}/servers`, message: `channel '${channel}' names server '${String(n)}', which the document does not define` });
      }
    }
    const parameters = [...channel.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!);
    const declared = isObject(item.parameters) ? Object.keys(item.parameters) : [];
    for (const p of parameters) if (!declared.includes(p)) problems.push({ pointer: at, message: `channel '${channel}' uses parameter '{${p}}' that its 'parameters' do not declare` });
    for (const action of ['publish', 'subscribe'] as const) {
      const op = item[action];
      if (op === undefined) continue;
      if (!isObject(op)) {
        problems.push({ pointer: `${at}/${action}`, message: `'${action}' of channel '${channel}' must be an object` });
        continue;
      }
      if (typeof op.operationId !== 'string' || op.operationId === '') continue; // not callable by id, not an error
      if (operations.has(op.operationId)) {
        problems.push({ pointer: `${at}/${action}/operationId`, message: `operationId '${op.operationId}' is used twice (also by channel '${operations.get(op.operationId)!.channel}')` });
        continue;
      }
      const message = deref(value, op.message);
      const ref = isObject(op.message) && typeof op.message.$ref === 'string' ? op.message.$ref.split('/').pop() : undefined;
      const messageName = isObject(message) && typeof message.name === 'string' ? message.name : ref;
      const component = typeof op['x-swirl-component'] === 'string' ? op['x-swirl-component'] : typeof item['x-swirl-component'] === 'string' ? item['x-swirl-component'] : undefined;
      operations.set(op.operationId, {
        operationId: op.operationId,
        action,
        channel,
        parameters,
        servers: channelServers,
        ...(messageName !== undefined ? { messageName } : {}),
        ...(component !== undefined ? { component } : {}),
      });
    }
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, operations };
}

/** `<uri>#<operationId>` split, or undefined when the operation does not have that shape. */
export function splitAsyncApiOperation(operation: string): { uri: string; operationId: string } | undefined {
  const m = /^([^#]+)#([^#]+)$/.exec(operation);
  return m ? { uri: m[1]!, operationId: m[2]! } : undefined;
}
