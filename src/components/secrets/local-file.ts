/**
 * @module components/secrets/local-file
 * `secretstores.local.file`: a JSON file read once at start. Nested objects are flattened with
 * `nestedSeparator` (default ":"), so `{"db": {"password": "x"}}` gives the secret `db:password`
 * (Dapr's behaviour). With `multiValued: true` the top-level keys are the secrets and a nested
 * object's leaves are its keys; `$SECRETS.<name>` then returns the object's JSON.
 */
import { readFile } from 'node:fs/promises';
import type { SecretStore } from '../types.js';

/** Options of the file store. */
export interface LocalFileOptions {
  secretsFile: string;
  nestedSeparator?: string;
  multiValued?: boolean;
}

/** A file store also answers secretKeyRef lookups with a key (multi-valued secrets). */
export interface LocalFileSecretStore extends SecretStore {
  getKey(name: string, key: string): Promise<string | undefined>;
}

/** Reads and flattens the file. Throws when the file is missing or not a JSON object. */
export async function createLocalFileSecretStore(options: LocalFileOptions): Promise<LocalFileSecretStore> {
  const text = await readFile(options.secretsFile, 'utf8');
  const json: unknown = JSON.parse(text);
  if (!json || typeof json !== 'object' || Array.isArray(json)) throw new Error('the secrets file must hold a JSON object');
  const sep = options.nestedSeparator ?? ':';
  const flat = new Map<string, string>();
  const multi = new Map<string, Record<string, string>>();
  if (options.multiValued) {
    for (const [name, value] of Object.entries(json as Record<string, unknown>)) {
      const leaves = new Map<string, string>();
      if (value !== null && typeof value === 'object') flatten(value, '', sep, leaves);
      else leaves.set(name, scalar(value));
      multi.set(name, Object.fromEntries(leaves));
    }
  } else {
    flatten(json, '', sep, flat);
  }
  return {
    async get(name) {
      if (options.multiValued) {
        const m = multi.get(name);
        if (!m) return undefined;
        const keys = Object.keys(m);
        // A single-valued entry reads as its value; a multi-valued one as JSON of its keys.
        return keys.length === 1 && keys[0] === name ? m[name] : JSON.stringify(m);
      }
      return flat.get(name);
    },
    async getKey(name, key) {
      if (options.multiValued) return multi.get(name)?.[key];
      // Single-valued stores answer {name: value}; Dapr accepts key = name.
      return key === name ? flat.get(name) : undefined;
    },
    async close() {},
  };
}

function flatten(value: unknown, prefix: string, sep: string, out: Map<string, string>): void {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) flatten(v, prefix ? `${prefix}${sep}${k}` : k, sep, out);
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => flatten(v, prefix ? `${prefix}${sep}${i}` : String(i), sep, out));
  } else {
    out.set(prefix, scalar(value));
  }
}

function scalar(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}
