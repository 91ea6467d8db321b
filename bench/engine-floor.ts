/**
 * @module bench/engine-floor
 * The naive durability floor of perf-notes §2: a bare better-sqlite3 loop (WAL, synchronous=FULL)
 * that writes a 3-step chain as 5 transitions — started, 3 × task completed, completed — each
 * its own fsync'd transaction (INSERT one ~150 B history event + UPDATE/INSERT the instance row).
 * No engine, no replay, no queue, no batching: what "one commit per transition" costs here.
 *
 * Run alone: `npx tsx bench/engine-floor.ts`; bench/engine-chain.ts runs it next to the engine.
 */

import Database from 'better-sqlite3';
import { join } from 'node:path';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { closedLoop, describeLoop, tempDir, type LoopResult } from './engine-common.js';

/** Transitions the floor writes per 3-step chain. */
export const FLOOR_TRANSITIONS_PER_WORKFLOW = 5;

/** Runs `workflows` chains at `concurrency` against a fresh database file; returns the loop result. */
export async function runNaiveFloor(workflows: number, concurrency: number): Promise<LoopResult> {
  const tmp = tempDir('swirl-floor-');
  const db = new Database(join(tmp.dir, 'floor.db'));
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec(`CREATE TABLE inst (id TEXT PRIMARY KEY, status TEXT NOT NULL, updated INTEGER NOT NULL, output TEXT);
             CREATE TABLE hist (id TEXT NOT NULL, seq INTEGER NOT NULL, data TEXT NOT NULL, PRIMARY KEY (id, seq)) WITHOUT ROWID;`);
    const insertInstance = db.prepare('INSERT INTO inst (id, status, updated) VALUES (?, ?, ?)');
    const updateInstance = db.prepare('UPDATE inst SET status = ?, updated = ?, output = ? WHERE id = ?');
    const appendEvent = db.prepare('INSERT INTO hist (id, seq, data) VALUES (?, ?, ?)');
    // ~150 B of event JSON, the size perf-notes used.
    const event = (id: string, seq: number, type: string, value: number): string =>
      JSON.stringify({ eventId: seq, type, timestamp: Date.now(), instanceId: id, taskId: seq, result: value, pad: 'x'.repeat(40) });
    const started = db.transaction((id: string, input: number) => {
      insertInstance.run(id, 'RUNNING', Date.now());
      appendEvent.run(id, 0, event(id, 0, 'ExecutionStarted', input));
    });
    const transition = db.transaction((id: string, seq: number, type: string, value: number, status: string) => {
      appendEvent.run(id, seq, event(id, seq, type, value));
      updateInstance.run(status, Date.now(), type === 'ExecutionCompleted' ? String(value) : null, id);
    });

    return await closedLoop(workflows, concurrency, async (i) => {
      const id = `floor-${i}`;
      let v = 0;
      started(id, v);
      for (let step = 1; step <= 3; step++) {
        // The "activity" (x + 1) runs between transitions; yielding lets other workers interleave
        // as they would around a real activity call.
        await yieldToLoop();
        v += 1;
        transition(id, step, 'TaskCompleted', v, 'RUNNING');
      }
      await yieldToLoop();
      transition(id, 4, 'ExecutionCompleted', v, 'COMPLETED');
    });
  } finally {
    db.close();
    tmp.remove();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const c1 = await runNaiveFloor(500, 1);
  console.log(describeLoop('naive floor (5 fsync\'d transactions per chain)', c1));
  const c100 = await runNaiveFloor(2000, 100);
  console.log(describeLoop('naive floor (5 fsync\'d transactions per chain)', c100));
}
