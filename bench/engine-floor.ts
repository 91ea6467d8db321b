/**
 * @module bench/engine-floor
 * The durability floors of perf-notes §2: a bare better-sqlite3 loop (WAL, synchronous=FULL) that
 * writes a 3-step chain as 5 transitions — started, 3 × task completed, completed — each an
 * INSERT of one ~150 B history event + UPDATE/INSERT of the instance row. No engine, no replay,
 * no queue. Two ways to commit them:
 * - naive: each transition its own fsync'd transaction (what "one commit per transition" costs);
 * - group commit (the physical limit here): transitions submitted while a batch forms — those of
 *   concurrent chains — run in ONE fsync'd transaction per event-loop tick (flushed on
 *   setImmediate), and each chain continues only after that COMMIT returned.
 *
 * Run alone: `npx tsx bench/engine-floor.ts`; bench/engine-chain.ts runs both next to the engine.
 */

import Database from 'better-sqlite3';
import { join } from 'node:path';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { closedLoop, describeLoop, tempDir, type LoopResult } from './engine-common.js';

/** Transitions the floor writes per 3-step chain. */
export const FLOOR_TRANSITIONS_PER_WORKFLOW = 5;

/** How a floor commits its transitions. */
export enum FloorMode {
  /** One fsync'd transaction per transition. */
  NAIVE = 'naive',
  /** Transitions of one event-loop tick share one fsync'd transaction. */
  GROUP_COMMIT = 'group-commit',
}

/** A floor run: the loop result and how many transactions (each one fsync) it committed per chain. */
export interface FloorResult extends LoopResult {
  commitsPerWorkflow: number;
}

/** The floor's schema and the bodies of its two kinds of transition (no transaction of their own). */
function openFloor(path: string): {
  db: Database.Database;
  started: (id: string, input: number) => void;
  transition: (id: string, seq: number, type: string, value: number, status: string) => void;
} {
  const db = new Database(path);
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
  return {
    db,
    started: (id, input) => {
      insertInstance.run(id, 'RUNNING', Date.now());
      appendEvent.run(id, 0, event(id, 0, 'ExecutionStarted', input));
    },
    transition: (id, seq, type, value, status) => {
      appendEvent.run(id, seq, event(id, seq, type, value));
      updateInstance.run(status, Date.now(), type === 'ExecutionCompleted' ? String(value) : null, id);
    },
  };
}

/**
 * Group commit in its barest form: `append(body)` queues the body; the first append of a tick
 * schedules a flush on setImmediate that runs every queued body in one BEGIN … COMMIT (fsync'd by
 * synchronous=FULL) and then resolves their promises.
 */
function groupCommitter(db: Database.Database): { append: (body: () => void) => Promise<void>; commits: () => number } {
  const begin = db.prepare('BEGIN IMMEDIATE');
  const commit = db.prepare('COMMIT');
  let queue: Array<{ body: () => void; resolve: () => void }> = [];
  let scheduled = false;
  let commits = 0;
  const flush = (): void => {
    scheduled = false;
    const batch = queue;
    queue = [];
    begin.run();
    for (const op of batch) op.body();
    commit.run();
    commits++;
    for (const op of batch) op.resolve();
  };
  return {
    append: (body) =>
      new Promise<void>((resolve) => {
        queue.push({ body, resolve });
        if (!scheduled) {
          scheduled = true;
          setImmediate(flush);
        }
      }),
    commits: () => commits,
  };
}

/** Runs `workflows` chains at `concurrency` against a fresh database file in `mode`. */
export async function runFloor(mode: FloorMode, workflows: number, concurrency: number): Promise<FloorResult> {
  const tmp = tempDir('swirl-floor-');
  const { db, started, transition } = openFloor(join(tmp.dir, 'floor.db'));
  try {
    let commitCount: () => number;
    let write: (body: () => void) => Promise<void>;
    switch (mode) {
      case FloorMode.NAIVE: {
        let commits = 0;
        const tx = db.transaction((body: () => void) => body());
        write = async (body) => {
          tx(body);
          commits++;
        };
        commitCount = () => commits;
        break;
      }
      case FloorMode.GROUP_COMMIT: {
        const g = groupCommitter(db);
        write = g.append;
        commitCount = g.commits;
        break;
      }
      default: {
        const never: never = mode;
        throw new Error(`unknown floor mode ${String(never)}`);
      }
    }
    const result = await closedLoop(workflows, concurrency, async (i) => {
      const id = `floor-${i}`;
      let v = 0;
      await write(() => started(id, v));
      for (let step = 1; step <= 3; step++) {
        // The "activity" (x + 1) runs between transitions; yielding lets other workers interleave
        // as they would around a real activity call.
        await yieldToLoop();
        v += 1;
        const value = v;
        await write(() => transition(id, step, 'TaskCompleted', value, 'RUNNING'));
      }
      await yieldToLoop();
      await write(() => transition(id, 4, 'ExecutionCompleted', v, 'COMPLETED'));
    });
    return { ...result, commitsPerWorkflow: commitCount() / workflows };
  } finally {
    db.close();
    tmp.remove();
  }
}

/** The naive floor (one fsync'd transaction per transition). */
export function runNaiveFloor(workflows: number, concurrency: number): Promise<FloorResult> {
  return runFloor(FloorMode.NAIVE, workflows, concurrency);
}

/** The group-commit floor (one fsync'd transaction per event-loop tick). */
export function runGroupCommitFloor(workflows: number, concurrency: number): Promise<FloorResult> {
  return runFloor(FloorMode.GROUP_COMMIT, workflows, concurrency);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const mode of [FloorMode.NAIVE, FloorMode.GROUP_COMMIT]) {
    const c1 = await runFloor(mode, 500, 1);
    console.log(describeLoop(`${mode} floor`, c1));
    const c100 = await runFloor(mode, 2000, 100);
    console.log(`${describeLoop(`${mode} floor`, c100)}, ${c100.commitsPerWorkflow.toFixed(2)} fsync'd transactions per chain`);
  }
}
