/**
 * @module components/registry
 * The component types Swirl implements, by Dapr `spec.type`, and how each is built from its
 * resolved metadata. A type missing here is a COMPONENT_UNKNOWN_TYPE error at start that lists
 * the supported ones.
 */
import { bindingDirection } from './bindings/input-event.js';
import { readStaticAppIds } from './invoke/static-resolver.js';
import type { ComponentMetadata } from './metadata.js';
import { createLocalEnvSecretStore } from './secrets/local-env.js';
import { createLocalFileSecretStore, type LocalFileSecretStore } from './secrets/local-file.js';
import { loadOnUse } from '../optional-module.js';
import type { InputBinding, OutputBinding, PubSub, SecretStore } from './types.js';
import { ComponentErrorCode } from './failures.js';
import { dirname, isAbsolute, resolve } from 'node:path';
import { existsSync } from 'node:fs';

/** The four kinds of building block a component file can configure. */
export const ComponentKind = {
  Binding: 'binding',
  PubSub: 'pubsub',
  SecretStore: 'secretstore',
  NameResolution: 'nameresolution',
} as const;
export type ComponentKind = (typeof ComponentKind)[keyof typeof ComponentKind];

/** What building a component yields. A binding has an output side, an input side, or both (Dapr's `direction`). */
export type BuiltComponent =
  | { kind: typeof ComponentKind.Binding; binding?: OutputBinding; input?: InputBinding }
  | { kind: typeof ComponentKind.PubSub; pubsub: PubSub }
  | { kind: typeof ComponentKind.SecretStore; store: SecretStore | LocalFileSecretStore }
  | { kind: typeof ComponentKind.NameResolution; appIds: Map<string, string> };

/** Settings every factory may use. */
export interface BuildContext {
  appId: string;
  timeoutMs: number;
  connectTimeoutMs: number;
  env: NodeJS.ProcessEnv;
}

type Factory = (md: ComponentMetadata, ctx: BuildContext) => Promise<BuiltComponent>;

/**
 * Each component type's module (and the client package behind it: mqtt, ioredis, nats, pg, amqplib,
 * undici …) is loaded when the first component of that type is built, not when Swirl starts
 * (issue 12: start-up CPU); a missing package is a clear error naming the component type.
 */
function load<T>(module: () => Promise<T>, pkg: string, md: ComponentMetadata): Promise<T> {
  return loadOnUse(module, pkg, `component '${md.manifest.name}' (${md.manifest.type}, ${md.manifest.file})`);
}

/** A binding type that only writes: `direction` may say `output` (or nothing), never `input`. */
const outputOnly = (f: (md: ComponentMetadata, ctx: BuildContext) => OutputBinding | Promise<OutputBinding>): Factory => async (md, ctx) => {
  const d = bindingDirection(md, { input: false, output: true });
  if (d.input) throw md.error('direction', `${md.manifest.type} has no input side in Swirl (input bindings: bindings.cron, bindings.rabbitmq, bindings.mqtt3)`);
  return { kind: ComponentKind.Binding, binding: await f(md, ctx) };
};
const pubsub = (f: (md: ComponentMetadata, ctx: BuildContext) => Promise<PubSub>): Factory => async (md, ctx) => ({ kind: ComponentKind.PubSub, pubsub: await f(md, ctx) });

/** Supported `spec.type` values (all `v1`). `pubsub.jetstream` is Dapr's name for NATS JetStream. */
export const COMPONENT_FACTORIES: Readonly<Record<string, Factory>> = {
  'bindings.http': outputOnly(async (md, ctx) => (await load(() => import('./bindings/http.js'), 'undici', md)).createHttpBinding(md, ctx)),
  'bindings.redis': outputOnly(async (md, ctx) => (await load(() => import('./bindings/redis.js'), 'ioredis', md)).createRedisBinding(md, ctx)),
  'bindings.postgresql': outputOnly(async (md, ctx) => (await load(() => import('./bindings/postgresql.js'), 'pg', md)).createPostgresBinding(md, ctx)),
  'bindings.postgres': outputOnly(async (md, ctx) => (await load(() => import('./bindings/postgresql.js'), 'pg', md)).createPostgresBinding(md, ctx)),
  'bindings.rabbitmq': async (md, ctx) => {
    const d = bindingDirection(md, { input: false, output: true });
    const binding = d.output ? await (await load(() => import('./bindings/rabbitmq.js'), 'amqplib', md)).createRabbitMqBinding(md, ctx) : undefined;
    try {
      const input = d.input ? await (await load(() => import('./bindings/rabbitmq-input.js'), 'amqplib', md)).createRabbitMqInput(md, ctx) : undefined;
      return { kind: ComponentKind.Binding, binding, input };
    } catch (err) {
      await binding?.close();
      throw err;
    }
  },
  'bindings.mqtt3': async (md, ctx) => ({ kind: ComponentKind.Binding, ...(await (await load(() => import('./bindings/mqtt3.js'), 'mqtt', md)).createMqttBinding(md, ctx)) }),
  'bindings.cron': async (md) => ({ kind: ComponentKind.Binding, input: (await load(() => import('./bindings/cron.js'), 'croner', md)).createCronBinding(md) }),
  'pubsub.redis': pubsub(async (md, ctx) => (await load(() => import('./pubsub/redis-streams.js'), 'ioredis', md)).createRedisPubSub(md, ctx)),
  'pubsub.mqtt3': pubsub(async (md, ctx) => (await load(() => import('./pubsub/mqtt3.js'), 'mqtt', md)).createMqttPubSub(md, ctx)),
  'pubsub.rabbitmq': pubsub(async (md, ctx) => (await load(() => import('./pubsub/rabbitmq.js'), 'amqplib', md)).createRabbitMqPubSub(md, ctx)),
  'pubsub.nats': pubsub(async (md, ctx) => (await load(() => import('./pubsub/nats-jetstream.js'), 'nats', md)).createJetStreamPubSub(md, ctx)),
  'pubsub.jetstream': pubsub(async (md, ctx) => (await load(() => import('./pubsub/nats-jetstream.js'), 'nats', md)).createJetStreamPubSub(md, ctx)),
  'secretstores.local.env': async (md, ctx) => ({ kind: ComponentKind.SecretStore, store: createLocalEnvSecretStore({ prefix: md.string('prefix'), env: ctx.env }) }),
  'secretstores.local.file': async (md) => {
    const file = md.required('secretsFile');
    const path = resolveSecretsFile(file, md.manifest.file);
    try {
      const store = await createLocalFileSecretStore({ secretsFile: path, nestedSeparator: md.string('nestedSeparator'), multiValued: md.bool('multiValued', false) });
      return { kind: ComponentKind.SecretStore, store };
    } catch (err) {
      throw md.error('secretsFile', `cannot read secrets file '${path}': ${(err as Error).message}`, ComponentErrorCode.BadMetadata, err);
    }
  },
  'nameresolution.static': async (md) => ({ kind: ComponentKind.NameResolution, appIds: readStaticAppIds(md) }),
};

/** Supported types, sorted (for messages and docs). */
export function supportedComponentTypes(): string[] {
  return Object.keys(COMPONENT_FACTORIES).sort();
}

/**
 * Dapr resolves a relative `secretsFile` against the working directory; Swirl does too, and falls
 * back to the component file's folder so a components folder with its secrets file is portable.
 */
function resolveSecretsFile(file: string, componentFile: string): string {
  if (isAbsolute(file)) return file;
  const fromCwd = resolve(file);
  if (existsSync(fromCwd)) return fromCwd;
  return resolve(dirname(componentFile), file);
}
