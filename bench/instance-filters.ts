/**
 * @module bench/instance-filters
 * The dashboard's id-prefix filter and counts by status, done by the store (issue 14 follow-up)
 * against the baseline they replace — reading every page of the list and filtering or counting in
 * the caller — on one SQLite store of N instances, in the same run:
 *   npx tsx bench/instance-filters.ts            (N=20000; BENCH_N=… to change it)
 * Prints the time per call of each and the ratio baseline / store.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore } from '../src/store/sqlite.js';
import type { InstanceRecord, Store } from '../src/store/types.js';

const N = Number(process.env.BENCH_N ?? 20000);
const RUNS = 20;
const dir = mkdtempSync(join(tmpdir(), 'swirl-bench-filters-'));
const store = await openSqliteStore(join(dir, 'bench.db'));

// N instances of 4 workflows; 10 of them with the id prefix looked for, spread over the table.
const BATCH = 500;
for (let i = 0; i < N; i += BATCH) {
  await Promise.all(
    Array.from({ length: Math.min(BATCH, N - i) }, (_, k) => {
      const n = i + k;
      const id = n % Math.floor(N / 10) === 7 ? `needle-${n}` : `inst-${n}`;
      return store.createInstance({ instanceId: id, executionId: `${id}-1`, name: `wf${n % 4}`, createdAt: 1_000_000 + n, input: '{}', startMessage: { data: '{}', visibleAt: 1_000_000 + n } });
    }),
  );
}

async function everyRecord(s: Store, name?: string): Promise<InstanceRecord[]> {
  const out: InstanceRecord[] = [];
  let token: string | undefined;
  do {
    const page = await s.queryInstances({ pageSize: 1000, ...(name !== undefined ? { name } : {}), ...(token !== undefined ? { pageToken: token } : {}) });
    out.push(...page.instances);
    token = page.nextPageToken;
  } while (token !== undefined);
  return out;
}

async function time(fn: () => Promise<unknown>): Promise<number> {
  await fn(); // warm the statement cache
  const t0 = performance.now();
  for (let i = 0; i < RUNS; i++) await fn();
  return (performance.now() - t0) / RUNS;
}

const prefixStore = await time(() => store.queryInstances({ instanceIdPrefix: 'needle-', pageSize: 50 }));
const prefixScan = await time(async () => (await everyRecord(store)).filter((r) => r.instanceId.startsWith('needle-')).slice(0, 50));
const countStore = await time(() => store.countInstances({ name: 'wf1' }));
const countScan = await time(async () => {
  const by = new Map<string, number>();
  for (const r of await everyRecord(store, 'wf1')) by.set(r.status, (by.get(r.status) ?? 0) + 1);
  return by;
});
const found = (await store.queryInstances({ instanceIdPrefix: 'needle-' })).instances.length;
console.log(`SQLite, ${N} instances (${found} with the prefix), ${RUNS} runs each:`);
console.log(`  id prefix: store ${prefixStore.toFixed(2)} ms, every page + filter ${prefixScan.toFixed(2)} ms  (×${(prefixScan / prefixStore).toFixed(0)})`);
console.log(`  counts of one workflow: store GROUP BY ${countStore.toFixed(2)} ms, every page + count ${countScan.toFixed(2)} ms  (×${(countScan / countStore).toFixed(0)})`);
await store.close();
rmSync(dir, { recursive: true, force: true });
