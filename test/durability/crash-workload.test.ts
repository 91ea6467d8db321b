/**
 * @module test/durability/crash-workload.test
 * The crash test's judges must be able to fail: a sound history passes, and each kind of damage a
 * crash could cause (a duplicated or missing event, a task completed twice or never, a duplicate
 * execution that is not a redelivery) is reported by name.
 */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { HistoryRecord } from '../../src/store/types.js';
import { executionProblems, expectedOutput, historyProblems, parseExecutionLog, scheduledKeys } from './crash-workload.js';

/** A sound history of the crash workload: 7 tasks (ids 1,2,4..7,8 minus the timer at 3) and one timer. */
function soundHistory(): HistoryRecord[] {
  const e: object[] = [
    { type: 'OrchestratorStarted', eventId: -1 },
    { type: 'ExecutionStarted', eventId: -1, executionId: 'e1' },
    { type: 'TaskScheduled', eventId: 1, logicalTaskId: 1 },
    { type: 'TaskCompleted', eventId: -1, taskScheduledId: 1 },
    { type: 'TaskScheduled', eventId: 2, logicalTaskId: 2 },
    { type: 'TaskCompleted', eventId: -1, taskScheduledId: 2 },
    { type: 'TimerCreated', eventId: 3 },
    { type: 'TimerFired', eventId: -1, timerId: 3 },
    ...[4, 5, 6, 7].map((id) => ({ type: 'TaskScheduled', eventId: id, logicalTaskId: id })),
    ...[7, 5, 4, 6].map((id) => ({ type: 'TaskCompleted', eventId: -1, taskScheduledId: id })),
    { type: 'TaskScheduled', eventId: 8, logicalTaskId: 8 },
    { type: 'TaskCompleted', eventId: -1, taskScheduledId: 8 },
    { type: 'ExecutionCompleted', eventId: 9, status: 'COMPLETED' },
  ];
  return e.map((x, seq) => ({ seq, type: (x as { type: string }).type, timestamp: 1000 + seq, data: JSON.stringify({ ...x, timestamp: 1000 + seq }) }));
}

const renumber = (h: HistoryRecord[]): HistoryRecord[] => h.map((r, seq) => ({ ...r, seq }));

describe('crash-test judges', () => {
  it('accept a sound history and compute the expected output', () => {
    assert.deepEqual(historyProblems('i', soundHistory()), []);
    assert.deepEqual(scheduledKeys('i', soundHistory()), ['i:e1:1', 'i:e1:2', 'i:e1:4', 'i:e1:5', 'i:e1:6', 'i:e1:7', 'i:e1:8']);
    assert.equal(expectedOutput(0), 2 ** 2 + 3 ** 2 + 4 ** 2 + 5 ** 2 + 1);
  });

  it('report a duplicated completion, a missing one and a gap in seq', () => {
    const h = soundHistory();
    const duplicated = renumber([...h.slice(0, 4), h[3], ...h.slice(4)]);
    assert.deepEqual(historyProblems('i', duplicated), ['i: TaskScheduled 1 answered 2 times']);
    const missing = renumber(h.filter((_, i) => i !== 7));
    assert.deepEqual(historyProblems('i', missing), ['i: TimerCreated 3 answered 0 times']);
    const gap = h.filter((_, i) => i !== 5);
    assert.ok(historyProblems('i', gap).some((p) => p.includes('missing or duplicated event')));
  });

  it('report a duplicated action id and a completion of an unknown task', () => {
    const h = soundHistory();
    const twice = renumber([...h.slice(0, 3), h[2], ...h.slice(3)]);
    const problems = historyProblems('i', twice);
    assert.ok(problems.some((p) => p.includes('action eventIds are not')));
    assert.ok(problems.some((p) => p.includes('8 TaskScheduled events')));
    const stray = renumber([...h, { seq: 0, type: 'TaskCompleted', timestamp: 0, data: JSON.stringify({ type: 'TaskCompleted', eventId: -1, taskScheduledId: 42 }) }]);
    assert.ok(historyProblems('i', stray).some((p) => p.includes('answers unknown TaskScheduled 42')));
  });

  it('accept redeliveries and reject a duplicate execution that is not one', () => {
    const scheduled = new Set(['i:1', 'i:2']);
    const ok = parseExecutionLog('i:1\tstep\t1\t1\t10\ni:2\tstep\t1\t1\t10\ni:2\tstep\t1\t2\t11\n');
    assert.deepEqual(executionProblems(ok, scheduled), []);
    const dup = parseExecutionLog('i:1\tstep\t1\t1\t10\ni:1\tstep\t1\t1\t10\ni:2\tstep\t1\t1\t10\n');
    assert.deepEqual(executionProblems(dup, scheduled), ['i:1: execution 2 has deliveryCount 1 after 1 (not a redelivery)']);
    const unknown = parseExecutionLog('i:1\tstep\t1\t1\t10\ni:9\tstep\t1\t1\t10\n');
    assert.deepEqual(executionProblems(unknown, scheduled), ['activity executed for unscheduled key i:9', 'scheduled task i:2 never executed']);
  });
});
