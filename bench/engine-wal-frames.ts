/**
 * @module bench/engine-wal-frames
 * Which pages each commit of the 3-step chain writes: runs the chain on SQLite (synchronous=NORMAL,
 * auto-checkpoint off for the measured runs, so every frame stays in the WAL), then decodes the
 * WAL — one 4 KiB frame per page a commit dirtied — and names the b-tree (table or index) of each
 * page through `dbstat`. Prints frames per workflow and per commit and the most common commit
 * shapes (the b-trees one commit wrote). Frames are what COMMIT copies and the fsync flushes.
 *
 * Run: `node --import tsx bench/engine-wal-frames.ts [concurrency=1] [runs=300]`
 */

import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { createEngine } from '../src/engine/engine.js';
import { openSqliteStore, SqliteSynchronous } from '../src/store/sqlite.js';
import { closedLoop, fmt, registerChain, tempDir } from './engine-common.js';

const CONCURRENCY = Number(process.argv[2] ?? 1);
const RUNS = Number(process.argv[3] ?? 300);
/** WAL header and frame header sizes (sqlite.org/fileformat2.html#walformat). */
const WAL_HEADER = 32;
const FRAME_HEADER = 24;

const tmp = tempDir('swirl-bench-wal-frames-');
const path = join(tmp.dir, 'chain.db');
const store = await openSqliteStore({ path, synchronous: SqliteSynchronous.NORMAL });
// The store's own connection: auto-checkpointing is per connection (a bench may reach inside).
const db = (store as unknown as { db: Database.Database }).db;
const engine = await createEngine({ store });
registerChain(engine);
await engine.start();
const one = async (i: number): Promise<void> => {
  const id = await engine.client.start('chain', i);
  await engine.client.waitForCompletion(id, { timeoutMs: 60_000 });
};
try {
  await closedLoop(300, CONCURRENCY, one); // a store with some history, as in the other benches
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.pragma('wal_autocheckpoint = 0');
  const commits0 = store.commitStats.commits;
  await closedLoop(RUNS, CONCURRENCY, one);
  const commits = store.commitStats.commits - commits0;
  const pageSize = db.pragma('page_size', { simple: true }) as number;
  const owner = new Map<number, string>();
  for (const r of db.prepare('SELECT name, pageno FROM dbstat').all() as Array<{ name: string; pageno: number }>) owner.set(r.pageno, r.name);
  const wal = readFileSync(`${path}-wal`);
  const frames = (statSync(`${path}-wal`).size - WAL_HEADER) / (FRAME_HEADER + pageSize);
  // A frame whose "database size after commit" field is non-zero ends a commit.
  const shapes = new Map<string, number>();
  const byTree = new Map<string, number>();
  let current: string[] = [];
  for (let off = WAL_HEADER; off + FRAME_HEADER <= wal.length; off += FRAME_HEADER + pageSize) {
    const tree = owner.get(wal.readUInt32BE(off)) ?? 'freed page';
    byTree.set(tree, (byTree.get(tree) ?? 0) + 1);
    current.push(tree);
    if (wal.readUInt32BE(off + 4) !== 0) {
      const key = current.sort().join(', ');
      shapes.set(key, (shapes.get(key) ?? 0) + 1);
      current = [];
    }
  }
  console.log(`concurrency ${CONCURRENCY}: ${fmt(frames / RUNS, 1)} WAL frames per workflow, ${fmt(frames / commits, 1)} per commit, ${fmt(commits / RUNS, 2)} commits per workflow`);
  const trees = [...byTree].sort((a, b) => b[1] - a[1]);
  console.log(`frames per workflow by b-tree: ${trees.map(([t, n]) => `${t} ${fmt(n / RUNS, 2)}`).join(', ')}`);
  console.log('\n| commits | frames | b-trees written (one entry per page) |\n|---:|---:|---|');
  for (const [shape, n] of [...shapes].sort((a, b) => b[1] - a[1]).slice(0, 12)) console.log(`| ${n} | ${shape.split(', ').length} | ${shape} |`);
} finally {
  await engine.stop();
  await store.close();
  tmp.remove();
}
