/**
 * @module store/postgres-turn-columns
 * The parameters of `swirl_commit_turns_v11` (migration 11, postgres-turn-sql-v11.ts) for a batch
 * of turns: each turn's `swirl_commit_turn_v10` parameters (postgres-turn-function.ts's
 * turnParams, so both paths write exactly the same rows) regrouped into column arrays — one entry
 * per turn for the per-turn values, and one row tagged with the turn's number (1-based) per
 * completed task, history event, consumed message, wait key, task and message.
 */

import { arrayLiteral } from './postgres-array.js';

/** Column arrays of the batch, in the order of the function's parameters. */
export function turnColumns(calls: readonly (readonly unknown[])[], node: string): unknown[] {
  const per = Array.from({ length: 24 }, (): unknown[] => []);
  const rows = { d: cols(3), h: cols(5), c: cols(2), w: cols(2), t: cols(9), m: cols(5) };
  calls.forEach((p, i) => {
    const k = i + 1;
    const [inst, lease, epoch, firstSeq, doneIds, doneLeases, hSeq, hType, hTs, hData, consumed] = p as [string, string, unknown, number, ...unknown[][]];
    const [tInst, tExec, tTask, tName, tVis, tDet, tData, mInst, mExec, mVis, mData] = p.slice(11, 22) as unknown[][];
    const state = p[22] as (string | null)[];
    const [updatedAt, completedAt, waitKeys, drop, tLeased, tLease, tUntil, freeNow, freeExec] = p.slice(23) as [unknown, unknown, string[] | null, boolean, boolean[], ...unknown[]];
    const turn = [
      inst, lease, epoch, firstSeq, (hSeq as unknown[]).length,
      state[0], state[1], state[2], state[3], state[4], state[5], state[6], state[7], state[8], state[9] === '1', state[10] === '1',
      updatedAt, completedAt, drop, waitKeys !== null, tLease, tUntil, freeNow, freeExec,
    ];
    turn.forEach((v, c) => per[c].push(v));
    tag(rows.d, k, [doneIds, doneLeases]);
    tag(rows.h, k, [hSeq, hType, hTs, hData]);
    tag(rows.c, k, [consumed]);
    tag(rows.w, k, [waitKeys ?? []]);
    tag(rows.t, k, [tInst, tExec, tTask, tName, tVis, tDet, tData, tLeased]);
    tag(rows.m, k, [mInst, mExec, mVis, mData]);
  });
  // p_node sits after the 16 per-turn columns up to p_keep_out; every column as its array literal.
  return [...per.slice(0, 16), node, ...per.slice(16, 24), ...rows.d, ...rows.h, ...rows.c, ...rows.w, ...rows.t, ...rows.m].map((v) => (Array.isArray(v) ? arrayLiteral(v) : v));
}

function cols(n: number): unknown[][] {
  return Array.from({ length: n }, () => []);
}

/** Appends the rows of parallel arrays `values` to `into` (its first column: the turn number `k`). */
function tag(into: unknown[][], k: number, values: readonly unknown[][]): void {
  const n = values[0].length;
  for (let r = 0; r < n; r++) {
    into[0].push(k);
    values.forEach((v, c) => into[c + 1].push(v[r]));
  }
}
