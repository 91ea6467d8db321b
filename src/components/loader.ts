/**
 * @module components/loader
 * `loadComponents(dir)`: reads every component file of a folder, resolves `secretKeyRef`s through
 * the configured secret stores, builds and connects each component, and returns the
 * {@link ComponentHost}. Components of building blocks Swirl does not implement (state stores…) are
 * skipped with a warning. Any other problem — bad YAML, unknown type, missing metadata, unreachable broker —
 * fails the whole load with a DefinitionError naming the file, line and field, after closing what
 * was already opened (no half-started host, no leaked sockets).
 */
import { ComponentErrorCode, componentError } from './failures.js';
import { DefaultComponentHost } from './host.js';
import { staticResolver } from './invoke/static-resolver.js';
import { listComponentFiles, readComponentFile, type ComponentManifest } from './manifest.js';
import { ComponentMetadata } from './metadata.js';
import { loadOnUse } from '../optional-module.js';
import { COMPONENT_FACTORIES, ComponentKind, supportedComponentTypes, type BuildContext, type BuiltComponent } from './registry.js';
import { createLocalEnvSecretStore } from './secrets/local-env.js';
import type { LocalFileSecretStore } from './secrets/local-file.js';
import type { ComponentHost, ComponentSummary, InputBinding, OutputBinding, PubSub, SecretStore } from './types.js';

/** Options of {@link loadComponents}. */
export interface LoadComponentsOptions {
  /** This app's id: default `consumerID` of pub/sub components and `dapr-caller-app-id`. @default 'swirl' */
  appId?: string;
  /** Extra app id → base URL entries for service invocation (override nameresolution.static). */
  appIds?: Record<string, string>;
  /** Timeout of one HTTP call (service invocation, bindings.http) unless the caller's signal ends it first. @default 60000 */
  timeoutMs?: number;
  /** Timeout of connecting to a broker/database/host. @default 5000 */
  connectTimeoutMs?: number;
  /** Environment for `secretstores.local.env` (tests inject one). @default process.env */
  env?: NodeJS.ProcessEnv;
  /**
   * Which environment variables the implicit env secret store (added when no secret store is
   * configured) may read; a configured `secretstores.local.env` is the operator's choice and reads
   * what its `prefix` says. `swirl serve` passes its `--secret-env-prefix`/`--secret-env` policy
   * (specs/security.md). @default every variable
   */
  implicitSecretEnv?: (name: string) => boolean;
  /** Told about each component file that is skipped (a building block Swirl does not implement). @default ignore */
  warn?: (message: string) => void;
}

/**
 * The Dapr building blocks Swirl implements. A component of another building block (`state.redis`
 * and the rest that `dapr init` writes) is no part of what a workflow can call, so it is skipped
 * with a warning rather than stopping the server; an unknown type *within* these blocks is still
 * an error (a typo or an unsupported broker that a workflow would fail on).
 */
const IMPLEMENTED_BLOCKS: ReadonlySet<string> = new Set(['bindings', 'pubsub', 'secretstores', 'nameresolution']);

/** The manifests Swirl uses; the others are reported through `warn`, naming the file and type. */
function withoutForeignBlocks(manifests: ComponentManifest[], warn: (message: string) => void): ComponentManifest[] {
  return manifests.filter((m) => {
    const block = m.type.split('.')[0]!;
    if (IMPLEMENTED_BLOCKS.has(block)) return true;
    warn(`${m.file}${m.line !== undefined ? `:${m.line}` : ''}: component '${m.name}' of type '${m.type}' skipped: Swirl does not implement the '${block}' building block (it uses ${[...IMPLEMENTED_BLOCKS].join(', ')})`);
    return false;
  });
}

/** Name of the implicit env secret store used when no secret store is configured. */
export const DEFAULT_SECRET_STORE = 'local-env';

/** Loads a components folder (undefined → no components: env secrets only). */
export async function loadComponents(dir: string | undefined, options: LoadComponentsOptions = {}): Promise<ComponentHost> {
  const manifests: ComponentManifest[] = [];
  if (dir !== undefined) {
    let files: string[];
    try {
      files = await listComponentFiles(dir);
    } catch (err) {
      throw componentError({ code: ComponentErrorCode.Invalid, file: dir, field: '(folder)', message: `cannot read the components folder: ${(err as Error).message}` }, err);
    }
    for (const f of files) manifests.push(...(await readComponentFile(f)));
  }
  return createComponentHost(withoutForeignBlocks(manifests, options.warn ?? (() => undefined)), options);
}

/** Builds a host from parsed manifests (the folder-less entry point). */
export async function createComponentHost(manifests: ComponentManifest[], options: LoadComponentsOptions = {}): Promise<ComponentHost> {
  const ctx: BuildContext = {
    appId: options.appId ?? 'swirl',
    timeoutMs: options.timeoutMs ?? 60_000,
    connectTimeoutMs: options.connectTimeoutMs ?? 5_000,
    env: options.env ?? process.env,
  };
  checkManifests(manifests);
  const closers: Array<() => Promise<void>> = [];
  try {
    // Secret stores first: the other components' secretKeyRefs resolve through them.
    const storeManifests = manifests.filter((m) => m.type.startsWith('secretstores.'));
    const secretStores: Array<{ name: string; store: SecretStore | LocalFileSecretStore }> = [];
    for (const m of storeManifests) {
      const built = await build(m, new Map(m.metadata.map((e) => [e.name, e.value ?? ''])), ctx);
      if (built.kind !== ComponentKind.SecretStore) throw new Error('unreachable: a secretstores.* type built something else');
      closers.push(() => built.store.close());
      secretStores.push({ name: m.name, store: built.store });
    }
    if (secretStores.length === 0) {
      const allowed = options.implicitSecretEnv;
      const env = allowed ? Object.fromEntries(Object.entries(ctx.env).filter(([k]) => allowed(k))) : ctx.env;
      secretStores.push({ name: DEFAULT_SECRET_STORE, store: createLocalEnvSecretStore({ env }) });
    }

    const others = manifests.filter((m) => !m.type.startsWith('secretstores.'));
    const results = await Promise.allSettled(
      others.map(async (m) => {
        const values = await resolveMetadata(m, secretStores);
        const built = await build(m, values, ctx);
        closers.push(() => closeBuilt(built));
        return built;
      }),
    );
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;

    const bindings = new Map<string, OutputBinding>();
    const inputs = new Map<string, InputBinding>();
    const pubsubs = new Map<string, PubSub>();
    const appIds = new Map<string, string>();
    results.forEach((r, i) => {
      const built = (r as PromiseFulfilledResult<BuiltComponent>).value;
      const name = others[i].name;
      switch (built.kind) {
        case ComponentKind.Binding:
          if (built.binding) bindings.set(name, built.binding);
          if (built.input) inputs.set(name, built.input);
          break;
        case ComponentKind.PubSub:
          pubsubs.set(name, built.pubsub);
          break;
        case ComponentKind.NameResolution:
          for (const [k, v] of built.appIds) appIds.set(k, v);
          break;
        case ComponentKind.SecretStore:
          break; // built above
      }
    });
    for (const [k, v] of Object.entries(options.appIds ?? {})) appIds.set(k, v);
    const summaries: ComponentSummary[] = manifests.map((m) => ({ name: m.name, type: m.type, version: m.version, file: m.file }));
    return new DefaultComponentHost({
      bindings,
      inputs,
      manifests: new Map(manifests.map((m) => [m.name, m])),
      pubsubs,
      secretStores,
      resolver: staticResolver(appIds),
      agent: async () => (await loadOnUse(() => import('./invoke/http-call.js'), 'undici', 'service invocation (invoke: functions)')).createHttpAgent(ctx.connectTimeoutMs),
      appId: ctx.appId,
      timeoutMs: ctx.timeoutMs,
      summaries,
    });
  } catch (err) {
    await Promise.allSettled(closers.map((c) => c()));
    throw err;
  }
}

/** Type known, version supported, names unique — checked before anything connects. */
function checkManifests(manifests: ComponentManifest[]): void {
  const seen = new Map<string, ComponentManifest>();
  for (const m of manifests) {
    if (!(m.type in COMPONENT_FACTORIES)) {
      throw componentError({
        code: ComponentErrorCode.UnknownType,
        file: m.file,
        line: m.line,
        field: 'spec.type',
        message: `component '${m.name}': unknown type '${m.type}' (supported: ${supportedComponentTypes().join(', ')})`,
      });
    }
    if (m.version !== 'v1') {
      throw componentError({ code: ComponentErrorCode.BadMetadata, file: m.file, line: m.line, field: 'spec.version', message: `component '${m.name}': ${m.type} version '${m.version}' is not supported (supported: v1)` });
    }
    const prev = seen.get(m.name);
    if (prev) {
      throw componentError({ code: ComponentErrorCode.Duplicate, file: m.file, line: m.line, field: 'metadata.name', message: `component name '${m.name}' is already used in ${prev.file}` });
    }
    seen.set(m.name, m);
  }
}

/** Replaces secretKeyRefs by their values (store: `auth.secretStore`, else the only/default one). */
async function resolveMetadata(m: ComponentManifest, stores: Array<{ name: string; store: SecretStore | LocalFileSecretStore }>): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const e of m.metadata) {
    if (!e.secretKeyRef) {
      out.set(e.name, e.value ?? '');
      continue;
    }
    const storeName = m.secretStore;
    const entry = storeName === undefined ? stores[0] : stores.find((s) => s.name === storeName);
    if (!entry) {
      throw componentError({ code: ComponentErrorCode.SecretNotFound, file: m.file, field: 'auth.secretStore', message: `component '${m.name}': no secret store named '${storeName}'` });
    }
    const { name, key } = e.secretKeyRef;
    const store = entry.store;
    const value = key !== undefined && key !== name && 'getKey' in store ? await store.getKey(name, key) : key !== undefined && key !== name ? undefined : await store.get(name);
    if (value === undefined) {
      throw componentError({
        code: ComponentErrorCode.SecretNotFound,
        file: m.file,
        line: e.line,
        field: `spec.metadata.${e.name}.secretKeyRef`,
        message: `component '${m.name}': secret '${name}'${key && key !== name ? ` key '${key}'` : ''} not found in secret store '${entry.name}'`,
      });
    }
    out.set(e.name, value);
  }
  return out;
}

function build(m: ComponentManifest, values: Map<string, string>, ctx: BuildContext): Promise<BuiltComponent> {
  return COMPONENT_FACTORIES[m.type](new ComponentMetadata(m, values), ctx);
}

async function closeBuilt(b: BuiltComponent): Promise<void> {
  switch (b.kind) {
    case ComponentKind.Binding:
      await Promise.allSettled([b.binding?.close(), b.input?.close()]);
      return;
    case ComponentKind.PubSub:
      return b.pubsub.close();
    case ComponentKind.SecretStore:
      return b.store.close();
    case ComponentKind.NameResolution:
      return;
  }
}
