/**
 * @module bench/engine-store
 * The SQLite store alone, without the engine: turn commits per second (each turn appends 4
 * history events, enqueues 1 activity task, consumes 1 message, rewrites the instance row) with
 * 100 concurrent submitters, in three modes measured in the same run:
 *  - one fsync'd transaction per call (SQLite FULL inside COMMIT, maxBatch 1) — the naive way;
 *  - group commit with SQLite's blocking FULL (syncOffThread: false);
 *  - the default: group commit with the WAL synced off the JS thread.
 *
 * Run: `npx tsx bench/engine-store.ts [turns=20000]`
 */

import { join } from 'node:path';
import { openSqliteStore, type SqliteStoreOptions } from '../src/store/sqlite.js';
import type { TurnCommit } from '../src/store/types.js';
import { closedLoop, fmt, tempDir } from './engine-common.js';

const TURNS = Number(process.argv[2] ?? 20_000);
const CONCURRENCY = 100;

interface StoreRun {
  label: string;
  turnsPerSecond: number;
  p50Ms: number;
  transactionsPerTurn: number;
  syncsPerTurn: number;
  cpuUsPerTurn: number;
}

async function run(label: string, options: Omit<SqliteStoreOptions, 'path'>, turns: number): Promise<StoreRun> {
  const tmp = tempDir('swirl-bench-store-');
  const store = await openSqliteStore({ path: join(tmp.dir, 'store.db'), ...options });
  try {
    // One instance per submitter; each turn is claimed first (a relaxed write), as the engine does.
    const ids = Array.from({ length: CONCURRENCY }, (_, i) => `s${i}`);
    await Promise.all(ids.map((id) => store.createInstance({ instanceId: id, executionId: 'e', name: 'wf', createdAt: 1, startMessage: { data: '{}', visibleAt: 1 } })));
    const length = new Map(ids.map((id) => [id, 0]));
    const event = JSON.stringify({ type: 'TaskCompleted', eventId: -1, timestamp: 1, taskScheduledId: 1, result: '42', pad: 'x'.repeat(60) });
    const before = store.commitStats;
    const result = await closedLoop(turns, CONCURRENCY, async (i) => {
      const id = ids[i % CONCURRENCY];
      const [item] = await store.claimOrchestrations({ leaseId: `L${i}`, now: 1 + i, leaseMs: 60_000, limit: 1, instanceIds: [id] });
      const seq = length.get(id)!;
      const turn: TurnCommit = {
        instanceId: id,
        leaseId: item.leaseId,
        firstSeq: seq,
        history: Array.from({ length: 4 }, (_, k) => ({ seq: seq + k, type: 'TaskCompleted', timestamp: 1, data: event })),
        state: { executionId: 'e', name: 'wf', status: 'RUNNING', lastUpdatedAt: 1 + i },
        consumedMessageIds: item.messages.map((m) => m.id),
        tasks: [{ instanceId: id, executionId: 'e', taskId: seq, name: 'act', data: '{}', visibleAt: 1 }],
        messages: [{ instanceId: id, data: '{}', visibleAt: 1 }],
        newInstances: [],
      };
      await store.commitTurn(turn);
      length.set(id, seq + 4);
    });
    const after = store.commitStats;
    return {
      label,
      turnsPerSecond: result.perSecond,
      p50Ms: result.p50Ms,
      transactionsPerTurn: (after.commits - before.commits) / turns,
      syncsPerTurn: options.syncOffThread === false ? (after.commits - after.relaxedCommits - (before.commits - before.relaxedCommits)) / turns : (after.walSyncs - before.walSyncs) / turns,
      cpuUsPerTurn: result.cpuMsPerRun * 1000,
    };
  } finally {
    await store.close();
    tmp.remove();
  }
}

const naive = await run("one fsync'd transaction per call", { syncOffThread: false, maxBatch: 1, durableClaims: true }, Math.min(TURNS, 1000));
const blocking = await run('group commit, SQLite FULL in COMMIT', { syncOffThread: false }, TURNS);
const offThread = await run('group commit, WAL synced off-thread (default)', {}, TURNS);
console.log(`\n| SQLite store alone: claim + commitTurn, ${CONCURRENCY} concurrent instances | turns/s | p50 (ms) | transactions per turn | fsyncs per turn | CPU µs per turn | vs naive |`);
console.log('|---|---|---|---|---|---|---|');
for (const r of [naive, blocking, offThread]) {
  console.log(
    `| ${r.label} | ${fmt(r.turnsPerSecond, 0)} | ${fmt(r.p50Ms, 2)} | ${fmt(r.transactionsPerTurn, 3)} | ${fmt(r.syncsPerTurn, 3)} | ${fmt(r.cpuUsPerTurn, 0)} | **${fmt(r.turnsPerSecond / naive.turnsPerSecond, 1)}×** |`,
  );
}
