/**
 * @module store/postgres-turn-function
 * The common turn commit in ONE round trip: a call of the `swirl_commit_turn_v10` function
 * (migration 10, postgres-turn-sql-v10.ts) in autocommit — the lease, epoch and history checks, the completed-task deletes,
 * the history, inbox, task and wait-key writes, the ready_at refreshes and the instance update, all in the
 * one transaction of that statement; tasks of TurnCommit.taskLease are inserted leased and come
 * back as work items, a TurnCommit.claimless turn is checked instead of its lease. A failed check raises an SQLSTATE of class SW, mapped here
 * to the same errors the multi-statement path throws (postgres-turn.ts). Turns that create
 * children (savepoints, reuse policies, fan-out counts), reset the history, drop another execution's
 * work (dropWorkOf) or send a recursive terminate take that path; final turns (dropPendingWork) are
 * one statement too.
 */

import type pg from 'pg';
import { sqlState } from './postgres-tx.js';
import { run } from './postgres-sql.js';
import { checkContiguous, claimFreeRefused, committedTurn, epochMoved, historyMoved, leaseLost, taskLeaseLost, type ToDb } from './postgres-turn.js';
import type { CommittedTurn, NewActivityTask, TurnCommit } from './types.js';

/** Whether `turn` can commit through the function (else: postgres-turn.ts's transaction). */
export function oneStatementTurn(turn: TurnCommit): boolean {
  return (
    turn.newInstances.length === 0 &&
    turn.resetHistory !== true &&
    turn.dropWorkOf === undefined &&
    // A recursive terminate marks its target (TreeLimit): written by postgres-turn.ts.
    !turn.messages.some((m) => m.terminates === true)
  );
}

/** The parameters of one turn's function call, with the tasks it inserts leased (in insertion order). */
export interface TurnCall {
  params: unknown[];
  leased: NewActivityTask[];
}

/**
 * The 32 parameters of `swirl_commit_turn_v10` (migration 10) for `turn`, committed by store node
 * `node`, and the tasks it inserts leased; checks its history seqs first.
 */
export function turnParams(turn: TurnCommit, toDb: ToDb, node: string): TurnCall {
  checkContiguous(turn);
  const drop = turn.dropPendingWork === true;
  const done = turn.completedTasks ?? [];
  const h = turn.history;
  const lease = turn.taskLease;
  const leasedAt = new Set(lease?.tasks ?? []);
  // A final turn's own tasks and self-messages would outlive it — except fire-and-forget tasks.
  const kept = turn.tasks.map((x, i) => ({ x, leased: lease !== undefined && leasedAt.has(i) })).filter((k) => !drop || k.x.detached === true);
  const t = kept.map((k) => k.x);
  const m = drop ? turn.messages.filter((x) => x.instanceId !== turn.instanceId) : turn.messages;
  const s = turn.state;
  const params = [
    turn.instanceId,
    turn.leaseId,
    turn.epoch ?? null,
    turn.firstSeq,
    done.map((d) => d.taskRowId),
    done.map((d) => d.leaseId),
    h.map((e) => e.seq),
    h.map((e) => e.type),
    h.map((e) => e.timestamp),
    h.map((e) => e.data),
    turn.consumedMessageIds,
    t.map((x) => x.instanceId),
    t.map((x) => x.executionId),
    t.map((x) => x.taskId),
    t.map((x) => x.name),
    t.map((x) => toDb(x.visibleAt)),
    t.map((x) => x.detached === true),
    t.map((x) => x.data),
    m.map((x) => x.instanceId),
    m.map((x) => x.executionId ?? null),
    m.map((x) => toDb(x.visibleAt)),
    m.map((x) => x.data),
    [
      s.executionId, s.name, s.status, s.definitionHash ?? null, s.definitionVersion ?? null, s.input ?? null, s.output ?? null, s.customStatus ?? null, s.failure ?? null,
      // Migration 9: keep the stored input / output (the claim omitted them), the committing node.
      turn.keepInput === true ? '1' : '0', turn.keepOutput === true ? '1' : '0', node,
    ],
    s.lastUpdatedAt,
    s.completedAt ?? null,
    drop ? null : (turn.waitKeys ?? null),
    drop,
    // Migration 10: the task lease (TurnCommit.taskLease), the claim-free check (TurnCommit.claimless).
    kept.map((k) => k.leased),
    lease?.leaseId ?? null,
    lease === undefined ? null : toDb(lease.lockExpiresAt),
    turn.claimless === undefined ? null : toDb(turn.claimless.now),
    turn.claimless?.executionId ?? null,
  ];
  return { params, leased: kept.filter((k) => k.leased).map((k) => k.x) };
}

/** Commits `turn` with one statement; throws the store's LEASE_LOST / HISTORY_CONFLICT on a failed check. */
export async function commitTurnInOneStatement(db: pg.Pool, turn: TurnCommit, toDb: ToDb, node: string): Promise<CommittedTurn | undefined> {
  const { params, leased } = turnParams(turn, toDb, node);
  try {
    const row = (await run<{ ids: string[] }>(db, 'commitTurn', params)).rows[0];
    return committedTurn(turn, leased, row.ids.map(Number));
  } catch (error) {
    const state = sqlState(error);
    throw (state === undefined ? undefined : checkFailure(turn, state, (error as Error).message)) ?? error;
  }
}

/**
 * The store error for a check the function raised (SQLSTATE `state`, its message `message`: the
 * stored epoch or history length for SW002 / SW003), or undefined for any other SQLSTATE.
 */
export function checkFailure(turn: TurnCommit, state: string, message: string): Error | undefined {
  const stored = (): number => Number(message);
  switch (state) {
    case 'SW001':
      return leaseLost('instance', turn.instanceId, turn.leaseId);
    case 'SW002':
      return epochMoved(turn, stored());
    case 'SW003':
      return historyMoved(turn, stored());
    case 'SW004':
      return taskLeaseLost(turn);
    case 'SW005':
      return claimFreeRefused(turn);
    default:
      return undefined;
  }
}

