/**
 * @module cli/config/serve-config-keys
 * The keys of `swirl.yaml` (specs/cli.md "swirl.yaml"): each one the `swirl serve` option it sets,
 * with its JSON Schema. This table is the single source of the file's schema
 * (serve-config-schema.ts) and of how a value becomes an option value (serve-config.ts).
 */
import { PROFILES } from '../../index.js';
import { LOG_FORMATS, LOG_LEVELS } from '../commands/serve-logger.js';

/**
 * How a value turns into the option's value: `text` as written (numbers as their decimal text,
 * as a flag would give them); `path` resolved against the file's folder; `store` likewise for a
 * relative `sqlite:` path; `list` an array of strings (a repeatable flag).
 */
export type ConfigValueKind = 'text' | 'path' | 'store' | 'list';

/** One key of the file. */
export interface ConfigKey {
  /** Dotted path in the file: `limits.lease`. */
  key: string;
  /** The commander attribute name of the `swirl serve` option it sets (`lease` for `--lease`). */
  option: string;
  kind: ConfigValueKind;
  schema: Record<string, unknown>;
  /** Must be an ISO-8601 duration (checked after the schema, with the key's position). */
  duration?: boolean;
}

const port = { type: 'integer', minimum: 0, maximum: 65535 };
const count = { type: 'integer', minimum: 0 };
const positive = { type: 'integer', minimum: 1 };
const text = { type: 'string', minLength: 1 };
const strings = { type: 'array', items: { type: 'string' } };

/** Every key but `tracing.*`, `environment` and `environments` (handled on their own). `profile` is the compatibility profile (specs/sonataflow-profile.md), `environment` the file's own sets of keys. */
export const CONFIG_KEYS: readonly ConfigKey[] = [
  { key: 'port', option: 'port', kind: 'text', schema: port },
  { key: 'host', option: 'host', kind: 'text', schema: text },
  { key: 'store', option: 'store', kind: 'store', schema: { type: 'string', pattern: '^(memory|sqlite:.+|postgres(ql)?://.+)$' } },
  { key: 'grpcPort', option: 'grpcPort', kind: 'text', schema: port },
  { key: 'metricsPort', option: 'metricsPort', kind: 'text', schema: port },
  { key: 'appId', option: 'appId', kind: 'text', schema: text },
  { key: 'profile', option: 'profile', kind: 'text', schema: { type: 'string', enum: [...PROFILES] } },
  { key: 'workerId', option: 'workerId', kind: 'text', schema: { type: 'string', minLength: 1, pattern: '^[^:]*$' } },
  { key: 'tokenFile', option: 'apiTokenFile', kind: 'path', schema: text },
  { key: 'folders.workflows', option: 'workflows', kind: 'path', schema: text },
  { key: 'folders.components', option: 'components', kind: 'path', schema: text },
  { key: 'folders.definitionRoot', option: 'definitionRoot', kind: 'path', schema: text },
  { key: 'allowUrlPrefix', option: 'allowUrlPrefix', kind: 'list', schema: strings },
  { key: 'secrets.envPrefix', option: 'secretEnvPrefix', kind: 'list', schema: strings },
  { key: 'secrets.env', option: 'secretEnv', kind: 'list', schema: strings },
  { key: 'tls.cert', option: 'tlsCert', kind: 'path', schema: text },
  { key: 'tls.key', option: 'tlsKey', kind: 'path', schema: text },
  { key: 'tls.clientCa', option: 'tlsClientCa', kind: 'path', schema: text },
  { key: 'limits.maxHeldEvents', option: 'maxHeldEvents', kind: 'text', schema: count },
  { key: 'limits.maxHeldEventsPerSource', option: 'maxHeldEventsPerSource', kind: 'text', schema: count },
  { key: 'limits.maxHeldEventsPerTarget', option: 'maxHeldEventsPerTarget', kind: 'text', schema: count },
  { key: 'limits.heldEventTtl', option: 'heldEventTtl', kind: 'text', schema: text, duration: true },
  { key: 'limits.lease', option: 'lease', kind: 'text', schema: text, duration: true },
  { key: 'limits.expressionSteps', option: 'expressionSteps', kind: 'text', schema: positive },
  { key: 'limits.expressionMaxLength', option: 'expressionMaxLength', kind: 'text', schema: positive },
  { key: 'limits.expressionMaxString', option: 'expressionMaxString', kind: 'text', schema: positive },
  { key: 'limits.expressionRegexTime', option: 'expressionRegexTime', kind: 'text', schema: positive },
  { key: 'limits.expressionFallbackTime', option: 'expressionFallbackTime', kind: 'text', schema: positive },
  { key: 'limits.maxSubflowDepth', option: 'maxSubflowDepth', kind: 'text', schema: positive },
  { key: 'limits.maxInstancesPerRoot', option: 'maxInstancesPerRoot', kind: 'text', schema: positive },
  { key: 'logging.format', option: 'logFormat', kind: 'text', schema: { type: 'string', enum: [...LOG_FORMATS] } },
  { key: 'logging.level', option: 'logLevel', kind: 'text', schema: { type: 'string', enum: [...LOG_LEVELS] } },
];

/**
 * `swirl serve` options the file deliberately does not set: the token itself (a secret belongs in
 * `tokenFile`, not in a file that is shared and committed), `--verbose` (`logging.level: debug`),
 * and the options that choose the file.
 */
export const OPTIONS_NOT_IN_FILE: readonly string[] = ['apiToken', 'verbose', 'config', 'environment'];

/**
 * `tracing:` — passed on as `swirl serve --tracing` would be when serve has that option, else as the
 * environment variables the tracing setup reads (specs/cli.md); a variable already set wins.
 */
export const TRACING_KEYS = {
  enabled: { option: 'tracing', env: 'SWIRL_TRACING', schema: { type: 'boolean' } },
  endpoint: { option: 'tracingEndpoint', env: 'OTEL_EXPORTER_OTLP_ENDPOINT', schema: { type: 'string', pattern: '^https?://.+' } },
} as const;
