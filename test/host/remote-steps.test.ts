// The spans of a remote orchestration come from the history of its committed turns
// (src/host/tracing/remote-steps.ts): a task's span ends in the turn that records its result and
// never again in a later turn (whose past holds it); what is still open when the execution ends
// (a terminate) ends with the instance; a failed task is an error with its type and message.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { remoteSteps } from '../../src/host/tracing/remote-steps.js';
import { executionTrace, remoteChildSpanId, remoteTaskSpanId } from '../../src/engine/trace-context.js';
import { ENGINE_VERSION, type HistoryEvent } from '../../src/engine/history.js';
import type { RemoteTurnObservation } from '../../src/engine/observer.js';
import { RuntimeStatus } from '../../src/store/types.js';

const TP = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
const trace = executionTrace('i-1', 'e-1', TP);
const started: HistoryEvent = { type: 'ExecutionStarted', eventId: -1, timestamp: 1000, name: 'flow', instanceId: 'i-1', executionId: 'e-1', engineVersion: ENGINE_VERSION, traceparent: TP };
const turn = (past: HistoryEvent[], history: HistoryEvent[], status: RuntimeStatus, turnTimeMs: number): RemoteTurnObservation => ({
  instanceId: 'i-1',
  name: 'flow',
  executionId: 'e-1',
  trace,
  startedAtMs: 1000,
  turnTimeMs,
  past,
  history,
  status,
});

test('each task and child call ends once, in the turn that records its result; what is open at a terminate ends with the instance', () => {
  const first: HistoryEvent[] = [
    { type: 'OrchestratorStarted', eventId: -1, timestamp: 1000 },
    started,
    { type: 'TaskScheduled', eventId: 1, timestamp: 1000, name: 'charge', attempt: 1, logicalTaskId: 1 },
    { type: 'TaskScheduled', eventId: 2, timestamp: 1000, name: 'ship', attempt: 1, logicalTaskId: 2 },
    { type: 'SubOrchestrationInstanceCreated', eventId: 3, timestamp: 1000, name: 'audit', instanceId: 'i-1:0003' },
  ];
  assert.deepEqual(remoteSteps(turn([], first, RuntimeStatus.RUNNING, 1000)), [], 'nothing ended yet');

  const second: HistoryEvent[] = [
    { type: 'OrchestratorStarted', eventId: -1, timestamp: 2000 },
    { type: 'TaskCompleted', eventId: -1, timestamp: 2000, taskScheduledId: 1, result: '"ok"' },
    { type: 'TaskFailed', eventId: -1, timestamp: 2500, taskScheduledId: 2, failure: { errorType: 'RangeError', message: 'no truck' } },
  ];
  const ended = remoteSteps(turn(first, second, RuntimeStatus.RUNNING, 2500));
  assert.deepEqual(
    ended.map((s) => [s.name, s.spanId, s.parentSpanId, s.startMs, s.endMs, s.outcome, s.errorMessage]),
    [
      ['activity charge', remoteTaskSpanId('i-1', 'e-1', 1), trace.spanId, 1000, 2000, 'ok', undefined],
      ['activity ship', remoteTaskSpanId('i-1', 'e-1', 2), trace.spanId, 1000, 2500, 'error', '[RangeError] no truck'],
    ],
  );
  assert.equal(ended[0]!.traceId, '4bf92f3577b34da6a3ce929d0e0e4736');

  // A later turn (here a terminate) sees them in its past: not again. The open child call and the instance end.
  const third: HistoryEvent[] = [
    { type: 'OrchestratorStarted', eventId: -1, timestamp: 3000 },
    { type: 'ExecutionTerminated', eventId: -1, timestamp: 3000, recurse: true },
    { type: 'ExecutionCompleted', eventId: -1, timestamp: 3000, status: RuntimeStatus.TERMINATED },
  ];
  const last = remoteSteps(turn([...first, ...second], third, RuntimeStatus.TERMINATED, 3000));
  assert.deepEqual(
    last.map((s) => [s.name, s.spanId, s.parentSpanId, s.endMs, s.outcome]),
    [
      ['suborchestration audit', remoteChildSpanId('i-1', 'e-1', 3), trace.spanId, 3000, 'ok'],
      ['workflow flow', trace.spanId, '00f067aa0ba902b7', 3000, 'ok'],
    ],
  );
  assert.equal(last[0]!.attributes['swirl.subflow.instance.id'], 'i-1:0003');
  assert.equal(last[1]!.attributes['swirl.instance.status'], RuntimeStatus.TERMINATED);
  assert.equal(last[1]!.parentRemote, true);
});
