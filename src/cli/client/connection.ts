/**
 * @module cli/client/connection
 * Where a client command sends its requests and with which token: `--url`, else `$SWIRL_URL`,
 * else http://127.0.0.1:3500 (the default `swirl serve` port); the token from
 * `--api-token-file`, else `$SWIRL_API_TOKEN`. A token is never taken from a flag's value, so it
 * does not show in `ps` or shell history.
 */
import { readFileSync } from 'node:fs';
import { ExitCode } from '../exit.js';
import { ClientError } from './client-error.js';

/** The default server address: `swirl serve` listens on port 3500 like daprd's HTTP port. */
export const DEFAULT_URL = 'http://127.0.0.1:3500';

/** The server a command talks to. */
export interface Connection {
  /** Base URL without a trailing slash, e.g. `http://127.0.0.1:3500`. */
  url: string;
  /** Sent as the `dapr-api-token` header when set. */
  token?: string;
}

/** The connection flags every client command has. */
export interface ConnectionFlags {
  url?: string;
  apiTokenFile?: string;
}

/** Resolves flags and environment into a connection; bad values are usage errors. */
export function connectionFrom(flags: ConnectionFlags, env: NodeJS.ProcessEnv = process.env): Connection {
  const raw = flags.url ?? (env.SWIRL_URL || undefined) ?? DEFAULT_URL;
  const from = flags.url !== undefined ? '--url' : env.SWIRL_URL ? 'SWIRL_URL' : 'the default';
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ClientError(`${from} '${raw}' is not a URL such as http://127.0.0.1:3500`, ExitCode.Usage);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new ClientError(`${from} '${raw}' must be an http:// or https:// URL`, ExitCode.Usage);
  const url = parsed.href.replace(/\/+$/, '');
  let token: string | undefined;
  if (flags.apiTokenFile !== undefined) {
    try {
      // A trailing newline (echo secret > file) is not part of the token.
      token = readFileSync(flags.apiTokenFile, 'utf8').trim();
    } catch (err) {
      throw new ClientError(`--api-token-file: cannot read '${flags.apiTokenFile}': ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, ExitCode.Usage);
    }
    if (token === '') throw new ClientError(`--api-token-file: '${flags.apiTokenFile}' is empty`, ExitCode.Usage);
  } else if (env.SWIRL_API_TOKEN) token = env.SWIRL_API_TOKEN;
  return token !== undefined ? { url, token } : { url };
}
