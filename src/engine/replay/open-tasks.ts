/**
 * @module engine/replay/open-tasks
 * The calls an execution waits on: activities, timers and sub-orchestrations keyed by the sequence
 * id of the attempt in flight, with the retry bookkeeping of a call that has a retry policy (one
 * logical call, one task the code waits on, as many attempts and retry timers as the policy allows).
 */

import type { CompiledRetryPolicy } from './retry-policy.js';
import { Task } from './task.js';

export type OpenKind = 'activity' | 'timer' | 'sub';

/** Retry bookkeeping of one logical activity/sub-orchestration call with a retry policy. */
export interface RetryState {
  policy: CompiledRetryPolicy;
  firstAttemptAt: number;
  attempt: number;
  logicalTaskId: number;
  /** Schedules the next attempt and returns its sequence id. */
  scheduleAttempt: (attempt: number) => number;
}

/** A task waiting for a completion event, keyed by its sequence id. */
export interface OpenTask {
  kind: OpenKind;
  name: string;
  task: Task<unknown>;
  /** Set when this attempt (or the timer between attempts) belongs to a retried call. */
  retry?: RetryState;
  /** sub: the child instance id. */
  childInstanceId?: string;
  /** timer: when it fires. */
  fireAt?: number;
}

/** Schedules one attempt of a call (the logical task id is undefined for the first) and returns its ids. */
export type ScheduleAttempt = (attempt: number, logical: number | undefined) => { id: number; childId?: string };

/**
 * Creates the task of a (possibly retried) call at history time `nowMs`: schedules its first attempt
 * and records it in `open`; with a policy, each later attempt is recorded under its own id.
 */
export function openCall(open: Map<number, OpenTask>, nowMs: number, kind: 'activity' | 'sub', name: string, policy: CompiledRetryPolicy | undefined, schedule: ScheduleAttempt): Task<any> {
  const task = new Task<unknown>();
  if (!policy) {
    const { id, childId } = schedule(1, undefined);
    open.set(id, { kind, name, task, childInstanceId: childId });
    return task;
  }
  const state: RetryState = {
    policy,
    firstAttemptAt: nowMs,
    attempt: 1,
    logicalTaskId: 0,
    scheduleAttempt: (attempt) => {
      const { id, childId } = schedule(attempt, state.logicalTaskId);
      open.set(id, { kind, name, task, retry: state, childInstanceId: childId });
      return id;
    },
  };
  const first = schedule(1, undefined);
  state.logicalTaskId = first.id;
  open.set(first.id, { kind, name, task, retry: state, childInstanceId: first.childId });
  return task;
}

/**
 * Instance ids of sub-orchestrations started (in history) and not yet finished: the open `sub`
 * tasks whose start is not still `pending` (decided but not yet confirmed by history).
 */
export function openChildren(open: ReadonlyMap<number, OpenTask>, pending: ReadonlyMap<number, unknown>): string[] {
  const out: string[] = [];
  for (const [id, o] of open) {
    if (o.kind === 'sub' && o.childInstanceId !== undefined && !pending.has(id)) out.push(o.childInstanceId);
  }
  return out;
}

/**
 * True when the execution waits only on timers (none due before `dueBefore`) and external events,
 * not on activities or children: the worker evicts such idle instances from its cache.
 */
export function isIdle(open: ReadonlyMap<number, OpenTask>, dueBefore: number): boolean {
  for (const o of open.values()) {
    if (o.kind !== 'timer') return false;
    if (o.fireAt !== undefined && o.fireAt < dueBefore) return false;
  }
  return true;
}

/** True when a timer the execution waits on is due at `t`: its TimerFired may be visible in the inbox. */
export function timerDueBy(open: ReadonlyMap<number, OpenTask>, t: number): boolean {
  for (const o of open.values()) if (o.kind === 'timer' && o.fireAt !== undefined && o.fireAt <= t) return true;
  return false;
}
