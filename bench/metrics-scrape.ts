/**
 * @module bench/metrics-scrape
 * The cost of one `/metrics` scrape with N stored instances (default 100,000, seeded straight into
 * the SQLite store: 70 % COMPLETED, 20 % FAILED, 10 % TERMINATED), the old way — paging through
 * every stored instance per status with the engine client, as src/api/metrics.ts did before issue
 * 13, plus the rest of the page — against the new way (the prom-client registry, counters kept as
 * the work happens: no store scan). Both are measured in the same run on the same store.
 *
 * Run: `npx tsx bench/metrics-scrape.ts [instances=100000] [scrapes=5]`
 */
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { createHost, type SwirlHost } from '../src/host/host.js';
import { RuntimeStatus } from '../src/store/types.js';
import { openSqliteStore, type SqliteStore } from '../src/store/sqlite.js';
import { fmt, tempDir } from './engine-common.js';

const INSTANCES = Number(process.argv[2] ?? 100_000);
const SCRAPES = Number(process.argv[3] ?? 5);

/** Inserts finished instances in one transaction (no history: a scrape never reads it). */
function seed(store: SqliteStore, n: number): void {
  const db = (store as unknown as { db: Database.Database }).db;
  const insert = db.prepare(
    `INSERT INTO instances (instance_id, execution_id, name, status, created_at, last_updated_at, completed_at, input, output, history_length)
     VALUES (?, ?, ?, ?, ?, ?, ?, '{}', '{}', 0)`,
  );
  const t0 = Date.now() - n;
  db.transaction(() => {
    for (let i = 0; i < n; i++) {
      const status = i % 10 < 7 ? RuntimeStatus.COMPLETED : i % 10 < 9 ? RuntimeStatus.FAILED : RuntimeStatus.TERMINATED;
      insert.run(`seed-${i.toString().padStart(7, '0')}`, `e-${i}`, `flow-${i % 20}`, status, t0 + i, t0 + i, t0 + i);
    }
  })();
}

/** The old scrape's store part, verbatim from src/api/metrics.ts before issue 13 (O(instances)). */
async function countByStatus(host: SwirlHost): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const status of Object.values(RuntimeStatus)) {
    let n = 0;
    let pageToken: string | undefined;
    do {
      const page = await host.engine.client.list({ statuses: [status] }, { pageSize: 1000, ...(pageToken !== undefined ? { pageToken } : {}) });
      n += page.instances.length;
      pageToken = page.nextPageToken;
    } while (pageToken !== undefined);
    counts.set(status, n);
  }
  return counts;
}

async function median(runs: number, scrape: () => Promise<unknown>): Promise<number> {
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    await scrape();
    ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  ms.sort((a, b) => a - b);
  return ms[Math.floor(ms.length / 2)]!;
}

const tmp = tempDir('swirl-bench-metrics-');
try {
  const store = await openSqliteStore(join(tmp.dir, 'metrics.db'));
  const t0 = Date.now();
  seed(store, INSTANCES);
  console.log(`seeded ${INSTANCES} instances in ${fmt((Date.now() - t0) / 1000, 1)} s`);
  const host = await createHost({ store });
  await host.start();
  const counted = await countByStatus(host);
  if ([...counted.values()].reduce((a, b) => a + b, 0) !== INSTANCES) throw new Error(`the old way counted ${JSON.stringify([...counted])}, not ${INSTANCES}`);
  // Warm both paths once (statement caches, JIT).
  await host.prometheus.render();
  const newMs = await median(SCRAPES, () => host.prometheus.render());
  const oldMs = await median(SCRAPES, async () => {
    await countByStatus(host);
    await host.prometheus.render();
  });
  const bytes = (await host.prometheus.render()).length;
  console.log('');
  console.log(`| instances stored | old scrape (page through the store) | new scrape (prom-client registry) | ratio |`);
  console.log(`|---:|---:|---:|---:|`);
  console.log(`| ${INSTANCES.toLocaleString('en-US')} | ${fmt(oldMs, 1)} ms | ${fmt(newMs, 2)} ms | ×${fmt(oldMs / newMs, 0)} |`);
  console.log('');
  console.log(`median of ${SCRAPES} scrapes each; the new page is ${bytes} bytes (default process metrics included)`);
  await host.stop();
  await store.close();
} finally {
  tmp.remove();
}
