/**
 * @module host/host-options
 * What a host is built from ({@link HostOptions} of `createHost`): the store, the folders of
 * definitions and components, limits of held events and de-duplication, what API definitions may
 * reach, tracing, the profile.
 */
import type { Profile } from '../definition/profiles/profile.js';
import type { ReachPolicy } from '../definition/reach.js';
import type { EngineOptions } from '../engine/options.js';
import type { Logger } from '../engine/logger.js';
import type { Store } from '../store/index.js';
import type { ComponentHost } from '../components/index.js';
import type { SecretEnvPolicy } from './secret-env.js';
import type { MailboxOptions } from './event-mailbox.js';
import type { EventDedupOptions } from './event-dedup.js';
import type { TracingOptions } from './tracing/otel-tracer.js';

/** Default of {@link HostOptions.unusedDefinitionGraceMs}: 24 hours. */
export const UNUSED_DEFINITION_GRACE_MS = 24 * 60 * 60 * 1000;

/** Options of {@link createHost}. */
export interface HostOptions {
  /** `memory` or `sqlite:<path>` (or a Store). @default 'memory' */
  store?: string | Store;
  /** Folder of workflow definitions loaded at start. */
  workflowsDir?: string;
  /** Folder of Dapr component files. */
  componentsDir?: string;
  /** Components built elsewhere (tests); wins over componentsDir. */
  components?: ComponentHost;
  /** This app's id (Dapr metadata, pub/sub consumer id). @default 'swirl' */
  appId?: string;
  logger?: Logger;
  /** Extra engine options (workers, timeouts, clock). */
  engine?: Omit<EngineOptions, 'store' | 'logger'>;
  /**
   * How often definitions registered over the API on other nodes of the store are looked for
   * (one read of a change stamp when nothing changed). @default 2000
   */
  definitionRefreshMs?: number;
  /** Schedule check period. @default 1000 */
  scheduleTickMs?: number;
  /**
   * Legacy folder of definitions registered over the API before they were kept in the store:
   * moved into the store at start (each file renamed `*.yaml.migrated`).
   * @default `<path>.workflows` for a `sqlite:<path>` store; none for memory or a given Store
   */
  definitionsDir?: string;
  /** Limits of the events held for instances that do not exist yet (count, time-to-live). */
  heldEvents?: MailboxOptions;
  /** CloudEvent de-duplication by (source, id) in the store: retention window and waits. */
  eventDedup?: EventDedupOptions;
  /**
   * Stored definition versions are collected at start only once registered (or registered again)
   * at least this long ago: another node sharing the store may have just stored one it is about
   * to start instances on. @default 86_400_000 (24 h)
   */
  unusedDefinitionGraceMs?: number;
  /**
   * What definitions registered over the API may reach: files under `fileRoot`, URLs with one of
   * `urlPrefixes` (specs/security.md). The `workflowsDir` folder's definitions are not limited.
   * @default nothing (no file, no URL)
   */
  reach?: ReachPolicy;
  /** The environment variables `$SECRETS` may read after the secret stores. @default names starting with `SWIRL_SECRET_` */
  secretEnv?: SecretEnvPolicy;
  /**
   * OpenTelemetry traces (specs/observability.md "Traces"): a span per instance, state and
   * action, sent to these span processors. @default off
   */
  tracing?: TracingOptions;
  /**
   * The profile every definition is validated and run under (`--profile` on the command line);
   * folder files (a `swirl.yaml` with `profile:` beside the definitions) are then not read
   * (specs/sonataflow-profile.md). @default none
   */
  profile?: Profile;
  /** Without `profile`: the profile of API definitions and of folder files no folder file covers. @default 'standard' */
  defaultProfile?: Profile;
  /** The swirl.yaml configuring this server, if any: not read as a folder file. */
  configFile?: string;
}

