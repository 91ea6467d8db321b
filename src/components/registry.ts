/**
 * @module components/registry
 * The component types Swirl implements, by Dapr `spec.type`, and how each is built from its
 * resolved metadata. A type missing here is a COMPONENT_UNKNOWN_TYPE error at start that lists
 * the supported ones.
 */
import { createCronBinding } from './bindings/cron.js';
import { createHttpBinding } from './bindings/http.js';
import { bindingDirection } from './bindings/input-event.js';
import { createMqttBinding } from './bindings/mqtt3.js';
import { createPostgresBinding } from './bindings/postgresql.js';
import { createRabbitMqBinding } from './bindings/rabbitmq.js';
import { createRabbitMqInput } from './bindings/rabbitmq-input.js';
import { createRedisBinding } from './bindings/redis.js';
import { readStaticAppIds } from './invoke/static-resolver.js';
import type { ComponentMetadata } from './metadata.js';
import { createMqttPubSub } from './pubsub/mqtt3.js';
import { createJetStreamPubSub } from './pubsub/nats-jetstream.js';
import { createRabbitMqPubSub } from './pubsub/rabbitmq.js';
import { createRedisPubSub } from './pubsub/redis-streams.js';
import { createLocalEnvSecretStore } from './secrets/local-env.js';
import { createLocalFileSecretStore, type LocalFileSecretStore } from './secrets/local-file.js';
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

/** A binding type that only writes: `direction` may say `output` (or nothing), never `input`. */
const outputOnly = (f: (md: ComponentMetadata, ctx: BuildContext) => OutputBinding | Promise<OutputBinding>): Factory => async (md, ctx) => {
  const d = bindingDirection(md, { input: false, output: true });
  if (d.input) throw md.error('direction', `${md.manifest.type} has no input side in Swirl (input bindings: bindings.cron, bindings.rabbitmq, bindings.mqtt3)`);
  return { kind: ComponentKind.Binding, binding: await f(md, ctx) };
};
const pubsub = (f: (md: ComponentMetadata, ctx: BuildContext) => Promise<PubSub>): Factory => async (md, ctx) => ({ kind: ComponentKind.PubSub, pubsub: await f(md, ctx) });

/** Supported `spec.type` values (all `v1`). `pubsub.jetstream` is Dapr's name for NATS JetStream. */
export const COMPONENT_FACTORIES: Readonly<Record<string, Factory>> = {
  'bindings.http': outputOnly((md, ctx) => createHttpBinding(md, ctx)),
  'bindings.redis': outputOnly((md, ctx) => createRedisBinding(md, ctx)),
  'bindings.postgresql': outputOnly((md, ctx) => createPostgresBinding(md, ctx)),
  'bindings.postgres': outputOnly((md, ctx) => createPostgresBinding(md, ctx)),
  'bindings.rabbitmq': async (md, ctx) => {
    const d = bindingDirection(md, { input: false, output: true });
    const binding = d.output ? await createRabbitMqBinding(md, ctx) : undefined;
    try {
      return { kind: ComponentKind.Binding, binding, input: d.input ? await createRabbitMqInput(md, ctx) : undefined };
    } catch (err) {
      await binding?.close();
      throw err;
    }
  },
  'bindings.mqtt3': async (md, ctx) => ({ kind: ComponentKind.Binding, ...(await createMqttBinding(md, ctx)) }),
  'bindings.cron': async (md) => ({ kind: ComponentKind.Binding, input: createCronBinding(md) }),
  'pubsub.redis': pubsub((md, ctx) => createRedisPubSub(md, ctx)),
  'pubsub.mqtt3': pubsub((md, ctx) => createMqttPubSub(md, ctx)),
  'pubsub.rabbitmq': pubsub((md, ctx) => createRabbitMqPubSub(md, ctx)),
  'pubsub.nats': pubsub((md, ctx) => createJetStreamPubSub(md, ctx)),
  'pubsub.jetstream': pubsub((md, ctx) => createJetStreamPubSub(md, ctx)),
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
