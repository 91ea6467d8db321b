/**
 * @module bench/pg-wal-index-entries
 * Index entries written per workflow step, counted exactly from the WAL: every B-tree leaf insert
 * is one WAL record (INSERT_LEAF, INSERT_POST, or a leaf split SPLIT_L / SPLIT_R "level 0"), tagged
 * with its index's relfilenode. `walMark` notes the WAL position; `walIndexEntries` runs
 * pg_waldump over the range since and sums the records of the schema's indexes, and the heap
 * writes (INSERT, UPDATE, HOT_UPDATE, DELETE) of its tables. pg_stat_user_indexes has no insert
 * counter, and a non-HOT update writes an entry only to the partial indexes whose predicate the new
 * row version matches — which the table counters cannot tell.
 *
 * Needs read access to the server's pg_wal (the benchmark machine: same host, root) and
 * pg_waldump (SWIRL_BENCH_PG_WALDUMP, default /usr/lib/postgresql/15/bin/pg_waldump); otherwise the
 * caller prints "n/a". The server is shared: only records of this schema's relations count.
 */

import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type pg from 'pg';

const WALDUMP = process.env.SWIRL_BENCH_PG_WALDUMP ?? '/usr/lib/postgresql/15/bin/pg_waldump';

/** The current WAL insert position. */
export async function walMark(admin: pg.Client): Promise<string> {
  return (await admin.query<{ l: string }>('SELECT pg_current_wal_insert_lsn()::text AS l')).rows[0].l;
}

/** Per relation of the schema: B-tree leaf entries (indexes) or heap writes by kind (tables). */
export interface WalCounts {
  /** Index name → leaf entries written. */
  indexes: Record<string, number>;
  /** Table name → heap records by kind. */
  tables: Record<string, Record<string, number>>;
}

/** The counts of `schema`'s relations in the WAL from `start` to now. */
export async function walIndexEntries(admin: pg.Client, schema: string, start: string): Promise<WalCounts> {
  const end = await walMark(admin);
  const dir = (await admin.query<{ data_directory: string }>('SHOW data_directory')).rows[0].data_directory + '/pg_wal';
  const rels = (
    await admin.query<{ f: string; name: string; kind: string }>(
      `SELECT c.relfilenode::text AS f, c.relname AS name, c.relkind::text AS kind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = $1 AND c.relkind IN ('r', 'i')`,
      [schema],
    )
  ).rows;
  const byNode = new Map(rels.map((r) => [r.f, r]));
  const out: WalCounts = { indexes: {}, tables: {} };
  const child = spawn(WALDUMP, ['-p', dir, '-s', start, '-e', end], { stdio: ['ignore', 'pipe', 'ignore'] });
  const leaf = /desc: (INSERT_LEAF|INSERT_POST|SPLIT_L level 0|SPLIT_R level 0)/;
  const heap = /^rmgr: Heap .*desc: (INSERT|UPDATE|HOT_UPDATE|DELETE)[ +]/;
  let records = 0;
  for await (const line of createInterface({ input: child.stdout! })) {
    records++;
    const rel = /blkref #0: rel \d+\/\d+\/(\d+)/.exec(line);
    if (rel === null) continue;
    const r = byNode.get(rel[1]);
    if (r === undefined) continue;
    if (r.kind === 'i') {
      if (line.startsWith('rmgr: Btree') && leaf.test(line)) out.indexes[r.name] = (out.indexes[r.name] ?? 0) + 1;
    } else {
      const m = heap.exec(line);
      if (m !== null) (out.tables[r.name] ??= {})[m[1]] = ((out.tables[r.name] ??= {})[m[1]] ?? 0) + 1;
    }
  }
  if (records === 0) throw new Error(`pg_waldump read no records from ${dir} (${start} to ${end})`);
  return out;
}

/** One line per table: its indexes' entries per step, largest first, and the total. */
export function describeIndexEntries(c: WalCounts, steps: number, fmt: (x: number, d: number) => string): string[] {
  const tableOf = (index: string): string => index.replace(/_(pkey|by_.*|leased|untaken.*)$/, '');
  const groups: Record<string, Array<[string, number]>> = {};
  for (const [name, n] of Object.entries(c.indexes)) (groups[tableOf(name)] ??= []).push([name, n]);
  const lines = Object.entries(groups)
    .sort((a, b) => b[1].reduce((s, [, n]) => s + n, 0) - a[1].reduce((s, [, n]) => s + n, 0))
    .map(([t, list]) => {
      const total = list.reduce((s, [, n]) => s + n, 0);
      const heap = Object.entries(c.tables[t] ?? {}).map(([k, n]) => `${k} ${fmt(n / steps, 2)}`).join(' ');
      return `${t} ${fmt(total / steps, 2)} [${list.sort((a, b) => b[1] - a[1]).map(([n, v]) => `${n} ${fmt(v / steps, 2)}`).join(', ')}] (heap: ${heap})`;
    });
  const all = Object.values(c.indexes).reduce((s, n) => s + n, 0);
  return [`total ${fmt(all / steps, 2)} index entries per step`, ...lines];
}
