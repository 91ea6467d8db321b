/**
 * @module bench/peers/peers-pg
 * PostgreSQL pieces of the peers harness: a private database per system (created, dropped after),
 * its commits and row writes from pg_stat_database, and the Swirl engine's 3-step chain on a
 * PostgreSQL store (the same workload as DBOS's, in-process), with its store transactions and
 * round trips counted by the store.
 */

import pg from 'pg';
import { createEngine } from '../../src/engine/engine.js';
import { registerChain } from '../engine-common.js';
import { openPostgresStore } from '../../src/store/postgres.js';
import { roundTrips } from '../../src/store/postgres-sql.js';

export const PG_URL = process.env.SWIRL_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** Commits and row writes (inserted + updated + deleted) of one database so far. */
export interface PgCounters {
  commits: number;
  writes: number;
}

/** A private database on PG_URL's server: its URL, its counters, and drop(). */
export interface PrivateDb {
  name: string;
  url: string;
  counters: () => Promise<PgCounters>;
  /** Rows inserted, updated and deleted so far, by table (pg_stat_user_tables of this database). */
  tableWrites: () => Promise<{ table: string; ins: number; upd: number; del: number }[]>;
  drop: () => Promise<void>;
}

export async function createPrivateDb(name: string): Promise<PrivateDb> {
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${name}`);
  const u = new URL(PG_URL);
  u.pathname = `/${name}`;
  return {
    name,
    url: u.toString(),
    counters: async () => {
      // Backends flush their statistics about once a second (PG 15): wait that out first.
      await new Promise((r) => setTimeout(r, 1500));
      await admin.query('SELECT pg_stat_clear_snapshot()');
      const r = (await admin.query<{ c: string; w: string }>('SELECT xact_commit AS c, tup_inserted + tup_updated + tup_deleted AS w FROM pg_stat_database WHERE datname = $1', [name])).rows[0];
      return { commits: Number(r.c), writes: Number(r.w) };
    },
    tableWrites: async () => {
      await new Promise((r) => setTimeout(r, 1500));
      const c = new pg.Client({ connectionString: u.toString() });
      await c.connect();
      try {
        const rows = (await c.query<{ t: string; i: string; u: string; d: string }>("SELECT schemaname || '.' || relname AS t, n_tup_ins AS i, n_tup_upd AS u, n_tup_del AS d FROM pg_stat_user_tables WHERE n_tup_ins + n_tup_upd + n_tup_del > 0 ORDER BY n_tup_ins + n_tup_upd + n_tup_del DESC")).rows;
        return rows.map((r) => ({ table: r.t, ins: Number(r.i), upd: Number(r.u), del: Number(r.d) }));
      } finally {
        await c.end();
      }
    },
    drop: async () => {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    },
  };
}

/** The Swirl engine's 3-step activity chain on a PostgreSQL store (pool of 10), in this process. */
export async function startPgChainEngine(url: string): Promise<{
  one: (i: number) => Promise<void>;
  storeCounters: () => { transactions: number; roundTrips: number };
  close: () => Promise<void>;
}> {
  const store = await openPostgresStore({ url, poolSize: 10 });
  const engine = await createEngine({ store });
  registerChain(engine);
  await engine.start();
  return {
    one: async (i: number): Promise<void> => {
      const x = i;
      const id = await engine.client.start('chain', x);
      const r = await engine.client.waitForCompletion(id, { timeoutMs: 60_000 });
      if (r.runtimeStatus !== 'COMPLETED' || r.output !== x + 3) throw new Error(`chain ${id} ended ${r.runtimeStatus} with ${JSON.stringify(r.output)}`);
    },
    storeCounters: () => ({ transactions: store.stats.transactions, roundTrips: roundTrips.count }),
    close: async () => {
      await engine.stop();
      await store.close();
    },
  };
}
