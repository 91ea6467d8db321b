/**
 * @module components/secrets/local-env
 * `secretstores.local.env`: secrets are environment variables. Metadata `prefix` (Dapr 1.12+)
 * restricts the store to variables starting with it and strips it from the name, so a workflow's
 * `$SECRETS.DB_PASSWORD` can read `SWIRL_DB_PASSWORD` without exposing the whole environment.
 */
import type { SecretStore } from '../types.js';

/** Options of the env store; `env` defaults to process.env (injectable for tests). */
export interface LocalEnvOptions {
  prefix?: string;
  env?: NodeJS.ProcessEnv;
}

/** Creates an env-backed secret store. */
export function createLocalEnvSecretStore(options: LocalEnvOptions = {}): SecretStore {
  const env = options.env ?? process.env;
  const prefix = options.prefix ?? '';
  return {
    async get(name) {
      const v = env[prefix + name];
      return v === undefined ? undefined : v;
    },
    async close() {},
  };
}
