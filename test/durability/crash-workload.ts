/**
 * @module test/durability/crash-workload
 * What the crash test runs and how it judges the result: the workload's constants and expected
 * output, an integrity check of one instance's history (contiguous seqs and action ids, every
 * scheduled task and timer completed exactly once, nothing completed that was not scheduled) and
 * a check of the activity execution log (every re-execution is a redelivery of the same key).
 */

import type { HistoryRecord } from '../../src/store/types.js';
import { historyAudit } from './history-audit.js';

/** Prefix of every instance id; the suffix is the instance's input. */
export const INSTANCE_PREFIX = 'crash-';
/** The durable timer inside the workflow, so that kills also land while instances sleep. */
export const TIMER_MS = 500;
/** Simulated activity work, so that activities are in flight when a kill lands. */
export const ACTIVITY_MS = 20;
/** Activities per instance: 2 chained + 4 fanned out + 1 final. */
export const ACTIVITIES_PER_INSTANCE = 7;

/** The output of instance `crash-<n>`: n → n+2 → Σ(n+2+k)² for k = 0..3 → +1. */
export function expectedOutput(n: number): number {
  let sum = 0;
  for (let k = 0; k < 4; k++) sum += (n + 2 + k) ** 2;
  return sum + 1;
}

/** The fields of a history event the durability checks read. */
export interface ParsedEvent {
  seq: number;
  type: string;
  eventId: number;
  taskScheduledId?: number;
  timerId?: number;
  logicalTaskId?: number;
  status?: string;
  executionId?: string;
}

/** Idempotency keys `<instanceId>:<executionId>:<logical task id>` of every TaskScheduled in the history. */
export function scheduledKeys(instanceId: string, history: HistoryRecord[]): string[] {
  const events = history.map((h) => JSON.parse(h.data) as ParsedEvent);
  const executionId = events.find((e) => e.type === 'ExecutionStarted')?.executionId;
  return events.filter((e) => e.type === 'TaskScheduled').map((e) => `${instanceId}:${executionId}:${e.logicalTaskId ?? e.eventId}`);
}

/** Everything wrong with one completed instance's history; [] when it is sound. */
export function historyProblems(instanceId: string, history: HistoryRecord[]): string[] {
  const problems = historyAudit(instanceId, history);
  const say = (p: string): void => {
    problems.push(`${instanceId}: ${p}`);
  };
  const events = history.map((h) => ({ ...(JSON.parse(h.data) as ParsedEvent), seq: h.seq }));
  events.forEach((e, i) => {
    if (e.type !== history[i].type) say(`row type ${history[i].type} differs from event type ${e.type}`);
  });
  const count = (type: string): number => events.filter((e) => e.type === type).length;
  if (count('TaskScheduled') !== ACTIVITIES_PER_INSTANCE) say(`${count('TaskScheduled')} TaskScheduled events, expected ${ACTIVITIES_PER_INSTANCE}`);
  if (count('TimerCreated') !== 1) say(`${count('TimerCreated')} TimerCreated events`);
  // Action ids (TaskScheduled, TimerCreated, ExecutionCompleted …) are 1..k without gaps.
  const ids = events.filter((e) => e.eventId !== -1).map((e) => e.eventId);
  const sorted = [...ids].sort((a, b) => a - b);
  if (sorted.some((id, i) => id !== i + 1)) say(`action eventIds are not 1..${ids.length}: [${ids.join(', ')}]`);
  if (count('TaskFailed') !== 0) say(`${count('TaskFailed')} TaskFailed events (no activity of this workload fails)`);
  return problems;
}

/** One line of the child's execution log. */
export interface Execution {
  key: string;
  name: string;
  attempt: number;
  deliveryCount: number;
  pid: number;
}

/** Parses the execution log (one tab-separated line per activity execution). */
export function parseExecutionLog(text: string): Execution[] {
  return text
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => {
      const [key, name, attempt, deliveryCount, pid] = line.split('\t');
      return { key, name, attempt: Number(attempt), deliveryCount: Number(deliveryCount), pid: Number(pid) };
    });
}

/**
 * Problems with the execution log against the scheduled task keys: an execution of a task that
 * was never scheduled, a scheduled task never executed, or a re-execution that is not a later
 * delivery of the same key (which would be a duplicate the engine cannot see).
 */
export function executionProblems(executions: Execution[], scheduled: Set<string>): string[] {
  const problems: string[] = [];
  const byKey = new Map<string, Execution[]>();
  for (const x of executions) {
    if (!scheduled.has(x.key)) problems.push(`activity executed for unscheduled key ${x.key}`);
    byKey.set(x.key, [...(byKey.get(x.key) ?? []), x]);
  }
  for (const key of scheduled) if (!byKey.has(key)) problems.push(`scheduled task ${key} never executed`);
  for (const [key, runs] of byKey) {
    for (let i = 1; i < runs.length; i++) {
      if (runs[i].deliveryCount <= runs[i - 1].deliveryCount) {
        problems.push(`${key}: execution ${i + 1} has deliveryCount ${runs[i].deliveryCount} after ${runs[i - 1].deliveryCount} (not a redelivery)`);
      }
      if (runs[i].attempt !== runs[0].attempt) problems.push(`${key}: attempt changed from ${runs[0].attempt} to ${runs[i].attempt} without a retry policy`);
    }
  }
  return problems;
}
