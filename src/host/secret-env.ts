/**
 * @module host/secret-env
 * Which environment variables `$SECRETS` may read on a server (specs/security.md "$SECRETS"):
 * secret stores first (the components' `secretstores.*`), then the process environment only for
 * names the operator allows — a prefix (`SWIRL_SECRET_` by default) or an explicit list — so a
 * definition registered over the API cannot read `$SECRETS.HOME` or `$SECRETS.DATABASE_URL`.
 */
import type { ComponentHost } from '../components/index.js';

/** The environment variables `$SECRETS.<name>` may read, by exact name or prefix. */
export interface SecretEnvPolicy {
  /** Names starting with one of these are read from the environment. */
  prefixes: readonly string[];
  /** Names read from the environment as they are. */
  names: readonly string[];
}

/** The default: only `SWIRL_SECRET_*`. */
export const DEFAULT_SECRET_ENV: SecretEnvPolicy = Object.freeze({ prefixes: Object.freeze(['SWIRL_SECRET_']), names: Object.freeze([]) });

/** Whether `$SECRETS.<name>` may read the environment variable `name`. */
export function allowsEnvSecret(policy: SecretEnvPolicy, name: string): boolean {
  return policy.names.includes(name) || policy.prefixes.some((p) => p !== '' && name.startsWith(p));
}

/**
 * The `$SECRETS` source of a host's workflows: the secret stores of `components` (in their
 * precedence order), then the allowed part of `env`.
 */
export function hostSecretSource(components: ComponentHost | undefined, policy: SecretEnvPolicy, env: NodeJS.ProcessEnv = process.env): (name: string) => Promise<string | undefined> {
  return async (name) => (components ? await components.getSecret(name) : undefined) ?? (allowsEnvSecret(policy, name) ? env[name] : undefined);
}
