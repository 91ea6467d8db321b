/**
 * @module store
 * Opens a Store from a URL: `memory`, `sqlite:<path>` or `postgres://…` / `postgresql://…` (the
 * SQLite and PostgreSQL backends are loaded on demand so that users of the memory store never load
 * the native module or `pg`).
 */

import { DefinitionError, InfrastructureError } from '../errors.js';
import { MemoryStore } from './memory.js';
import type { Store } from './types.js';

export * from './types.js';
export { MemoryStore } from './memory.js';

/** A store URL: `'memory'` or `'sqlite:<path>'` (relative paths resolve against the working directory). */
export type StoreUrl = 'memory' | `sqlite:${string}` | `postgres://${string}` | `postgresql://${string}`;

/**
 * Opens (and migrates) the store named by `url`.
 * @throws DefinitionError `INVALID_STORE_URL` for an unknown scheme;
 *         InfrastructureError `STORE_UNAVAILABLE` when the backend module cannot be loaded.
 */
export async function openStore(url: string): Promise<Store> {
  if (url === 'memory') return new MemoryStore();
  if (url.startsWith('sqlite:')) {
    const path = url.slice('sqlite:'.length);
    if (path.length === 0) throw new DefinitionError('INVALID_STORE_URL', `store URL '${url}' has no file path (expected 'sqlite:<path>')`);
    let mod: { openSqliteStore?: (path: string) => Promise<Store> | Store };
    try {
      mod = (await import('./sqlite.js')) as typeof mod;
    } catch (e) {
      throw new InfrastructureError('STORE_UNAVAILABLE', `the sqlite store backend could not be loaded (src/store/sqlite.ts): ${(e as Error).message}`, { cause: e });
    }
    if (typeof mod.openSqliteStore !== 'function') {
      throw new InfrastructureError('STORE_UNAVAILABLE', "src/store/sqlite.ts does not export openSqliteStore(path): Promise<Store>");
    }
    return await mod.openSqliteStore(path);
  }
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    let mod: { openPostgresStore?: (url: string) => Promise<Store> };
    try {
      mod = (await import('./postgres.js')) as typeof mod;
    } catch (e) {
      throw new InfrastructureError('STORE_UNAVAILABLE', `the postgres store backend could not be loaded (src/store/postgres.ts): ${(e as Error).message}`, { cause: e });
    }
    if (typeof mod.openPostgresStore !== 'function') {
      throw new InfrastructureError('STORE_UNAVAILABLE', 'src/store/postgres.ts does not export openPostgresStore(url): Promise<Store>');
    }
    return await mod.openPostgresStore(url);
  }
  throw new DefinitionError('INVALID_STORE_URL', `unknown store URL '${url.replace(/(\/\/[^:/@]*:)[^@]*@/, '$1***@')}': expected 'memory', 'sqlite:<path>' or 'postgres://user@host:port/database?schema=name'`);
}
