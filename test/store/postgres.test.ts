/**
 * @module test/store/postgres.test
 * Runs the store contract suite on the PostgreSQL backend against the real server (a fresh schema
 * per test, all dropped after). PostgreSQL-specific promises live in postgres-*.test.ts.
 */

import { openPostgresStore, PostgresStore } from '../../src/store/postgres.js';
import { storeContract } from './contract.js';
import { freshPgUrl, pgAvailable, pgSkipReason } from './postgres-fixture.js';

if (pgAvailable) {
  storeContract('postgres', {
    async create() {
      return openPostgresStore({ url: freshPgUrl('c'), poolSize: 4 });
    },
    async reopen(closed) {
      const s = closed as PostgresStore;
      const url = new URL(s.location.connectionString);
      url.searchParams.set('schema', s.location.schema);
      return openPostgresStore({ url: url.toString(), poolSize: 4 });
    },
  });
} else {
  const { it } = await import('node:test');
  it('Store contract: postgres', { skip: pgSkipReason }, () => undefined);
}
