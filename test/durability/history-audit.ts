/**
 * @module test/durability/history-audit
 * Checks a finished history for what a crash must never cause, whatever the workload: seqs
 * 0..n-1 without gaps or repeats, one ExecutionStarted and one ExecutionCompleted, every scheduled
 * task, timer and sub-orchestration answered exactly once and after it was scheduled, no action id
 * used twice. Workload-specific counts are the caller's.
 */

import type { HistoryRecord } from '../../src/store/types.js';

interface AuditedEvent {
  seq: number;
  type: string;
  eventId: number;
  taskScheduledId?: number;
  timerId?: number;
}

/** Everything wrong with one finished history; [] when it is sound. */
export function historyAudit(instanceId: string, history: HistoryRecord[]): string[] {
  const problems: string[] = [];
  const say = (p: string): void => {
    problems.push(`${instanceId}: ${p}`);
  };
  history.forEach((h, i) => {
    if (h.seq !== i) say(`seq ${h.seq} at position ${i} (missing or duplicated event)`);
  });
  const events: AuditedEvent[] = history.map((h) => ({ ...(JSON.parse(h.data) as AuditedEvent), seq: h.seq }));
  const count = (type: string): number => events.filter((e) => e.type === type).length;
  if (count('ExecutionStarted') !== 1) say(`${count('ExecutionStarted')} ExecutionStarted events`);
  if (count('ExecutionCompleted') !== 1) say(`${count('ExecutionCompleted')} ExecutionCompleted events`);
  const actionIds = events.filter((e) => e.eventId !== -1 && e.eventId !== undefined).map((e) => e.eventId);
  const repeated = actionIds.filter((id, i) => actionIds.indexOf(id) !== i);
  if (repeated.length > 0) say(`action eventIds used twice: [${repeated.join(', ')}]`);

  const pair = (scheduled: string, answers: string[], ref: (e: AuditedEvent) => number | undefined): void => {
    const origins = new Map(events.filter((e) => e.type === scheduled).map((e) => [e.eventId, e.seq]));
    const answered = new Map<number, number>();
    for (const e of events.filter((x) => answers.includes(x.type))) {
      const id = ref(e);
      if (id === undefined || !origins.has(id)) say(`${e.type} at seq ${e.seq} answers unknown ${scheduled} ${String(id)}`);
      else if (origins.get(id)! > e.seq) say(`${e.type} at seq ${e.seq} precedes its ${scheduled}`);
      answered.set(id ?? -1, (answered.get(id ?? -1) ?? 0) + 1);
    }
    for (const id of origins.keys()) {
      const n = answered.get(id) ?? 0;
      if (n !== 1) say(`${scheduled} ${id} answered ${n} times`);
    }
  };
  pair('TaskScheduled', ['TaskCompleted', 'TaskFailed'], (e) => e.taskScheduledId);
  pair('TimerCreated', ['TimerFired'], (e) => e.timerId);
  pair('SubOrchestrationInstanceCreated', ['SubOrchestrationInstanceCompleted', 'SubOrchestrationInstanceFailed'], (e) => e.taskScheduledId);
  return problems;
}
