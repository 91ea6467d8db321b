/**
 * @module cli/commands/serve-exposure
 * The `swirl serve` options of what the server exposes and what its definitions may reach
 * (specs/security.md): the listen address (loopback by default), the API token (flag, file or
 * environment — a flag is visible in `ps`), TLS and mutual TLS (reloaded on SIGHUP), the files and
 * URLs definitions registered over HTTP may reference, and the environment variables `$SECRETS`
 * may read. Each is parsed here into what the host and the listeners take, or a usage error.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import type { Command } from 'commander';

/** The options this module adds (commander's camelCase names). */
export interface ExposureOptions {
  host: string;
  apiToken?: string;
  apiTokenFile?: string;
  tlsCert?: string;
  tlsKey?: string;
  tlsClientCa?: string;
  definitionRoot?: string;
  allowUrlPrefix: string[];
  secretEnvPrefix?: string[];
  secretEnv: string[];
}

/** The default listen address: loopback only (`--host 0.0.0.0` listens on every interface). */
export const DEFAULT_HOST = '127.0.0.1';

/** The default `--secret-env-prefix`. */
export const DEFAULT_SECRET_ENV_PREFIX = 'SWIRL_SECRET_';

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

/** Adds the exposure options to `serve`, in one block. */
export function addExposureOptions(command: Command): Command {
  return command
    .option('--host <address>', `address to listen on (default: ${DEFAULT_HOST}, this machine only; 0.0.0.0: every interface)`, DEFAULT_HOST)
    .option('--api-token <token>', 'require this dapr-api-token header on every route but health (visible in ps: prefer --api-token-file or $SWIRL_API_TOKEN)')
    .option('--api-token-file <path>', 'read the API token from this file (trailing newline ignored)')
    .option('--tls-cert <file>', 'serve HTTPS (and TLS on the gRPC port) with this PEM certificate chain; reloaded on SIGHUP')
    .option('--tls-key <file>', 'the PEM private key of --tls-cert')
    .option('--tls-client-ca <file>', 'require client certificates signed by this PEM CA (mutual TLS); reloaded on SIGHUP')
    .option('--definition-root <dir>', 'files that definitions registered over HTTP may reference must be under this folder (default: none)')
    .option('--allow-url-prefix <url>', 'URLs that definitions registered over HTTP may reference must start with this prefix (repeatable; default: none)', collect, [])
    .option('--secret-env-prefix <prefix>', `$SECRETS may read environment variables starting with this prefix (repeatable; default: ${DEFAULT_SECRET_ENV_PREFIX}; '' for none)`, collect)
    .option('--secret-env <name>', '$SECRETS may read this environment variable (repeatable)', collect, []);
}

/** Whether `host` only accepts connections from this machine. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h === '::1') return true;
  return isIP(h) === 4 && h.startsWith('127.');
}

/**
 * The API token and where it came from: `--api-token`, `--api-token-file`, then `$SWIRL_API_TOKEN`,
 * then `$DAPR_API_TOKEN` (daprd's variable). A string is a usage error.
 */
export function apiTokenOf(opts: ExposureOptions, env: NodeJS.ProcessEnv): { token?: string; source?: string } | string {
  if (opts.apiToken !== undefined && opts.apiTokenFile !== undefined) return 'give --api-token or --api-token-file, not both';
  if (opts.apiToken !== undefined) return opts.apiToken === '' ? '--api-token must not be empty' : { token: opts.apiToken, source: '--api-token' };
  if (opts.apiTokenFile !== undefined) {
    let text: string;
    try {
      text = readFileSync(opts.apiTokenFile, 'utf8');
    } catch (err) {
      return `cannot read --api-token-file '${opts.apiTokenFile}': ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`;
    }
    const token = text.replace(/\r?\n$/, '');
    if (token === '') return `--api-token-file '${opts.apiTokenFile}' is empty`;
    return { token, source: `--api-token-file ${opts.apiTokenFile}` };
  }
  for (const name of ['SWIRL_API_TOKEN', 'DAPR_API_TOKEN']) {
    const v = env[name];
    if (v !== undefined && v !== '') return { token: v, source: `$${name}` };
  }
  return {};
}

/** PEM files of the listeners. */
export interface TlsFiles {
  cert: string;
  key: string;
  clientCa?: string;
}

/** The TLS files given, none, or a usage error (a certificate needs its key and the other way round). */
export function tlsFilesOf(opts: ExposureOptions): TlsFiles | undefined | string {
  if (opts.tlsCert === undefined && opts.tlsKey === undefined) {
    return opts.tlsClientCa !== undefined ? '--tls-client-ca needs --tls-cert and --tls-key (mutual TLS is TLS first)' : undefined;
  }
  if (opts.tlsCert === undefined || opts.tlsKey === undefined) return '--tls-cert and --tls-key go together';
  return { cert: opts.tlsCert, key: opts.tlsKey, ...(opts.tlsClientCa !== undefined ? { clientCa: opts.tlsClientCa } : {}) };
}

/** Reads the PEM files (at start and on SIGHUP); throws naming the file that cannot be read. */
export function readTls(files: TlsFiles): { cert: Buffer; key: Buffer; clientCa?: Buffer } {
  const read = (flag: string, file: string): Buffer => {
    try {
      return readFileSync(file);
    } catch (err) {
      throw new Error(`cannot read ${flag} '${file}': ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
    }
  };
  return {
    cert: read('--tls-cert', files.cert),
    key: read('--tls-key', files.key),
    ...(files.clientCa !== undefined ? { clientCa: read('--tls-client-ca', files.clientCa) } : {}),
  };
}

/** What definitions registered over HTTP may reach, or a usage error. */
export function reachOf(opts: ExposureOptions): { fileRoot?: string; urlPrefixes: string[] } | string {
  for (const p of opts.allowUrlPrefix) {
    let url: URL;
    try {
      url = new URL(p);
    } catch {
      return `--allow-url-prefix must be an http(s) URL such as https://api.example.com/specs/, not '${p}'`;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return `--allow-url-prefix must be an http(s) URL, not '${p}'`;
  }
  return { ...(opts.definitionRoot !== undefined ? { fileRoot: resolve(opts.definitionRoot) } : {}), urlPrefixes: opts.allowUrlPrefix };
}

/** The environment variables `$SECRETS` may read. */
export function secretEnvOf(opts: ExposureOptions): { prefixes: string[]; names: string[] } {
  const prefixes = (opts.secretEnvPrefix ?? [DEFAULT_SECRET_ENV_PREFIX]).filter((p) => p !== '');
  return { prefixes, names: opts.secretEnv };
}
