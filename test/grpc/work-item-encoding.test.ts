// Orchestrator work items assembled from events encoded once (src/grpc/work-item-encoding.ts) are
// byte-for-byte what encoding the whole WorkItem object gives, and the SDK's own generated code
// (google-protobuf, as @dapr/durabletask-js and @dapr/dapr decode them) reads every event back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { taskHubService } from '../../src/grpc/proto.js';
import { sentExecution, toProtoEvents } from '../../src/grpc/history-map.js';
import { orchestratorWorkItem } from '../../src/grpc/work-item-encoding.js';
import { ENGINE_VERSION, type HistoryEvent } from '../../src/engine/history.js';

const require = createRequire(import.meta.url);
const pb = require('@dapr/durabletask-js/proto/orchestrator_service_pb.js');

const tp = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
const history = (): HistoryEvent[] => [
  { type: 'OrchestratorStarted', eventId: -1, timestamp: 1_000 },
  { type: 'ExecutionStarted', eventId: -1, timestamp: 1_000, name: 'chain', instanceId: 'i-1', executionId: 'e-1', engineVersion: ENGINE_VERSION, input: '1', traceparent: tp, parent: { instanceId: 'p-1', executionId: 'pe-1', name: 'parent', taskScheduledId: 7 } },
  { type: 'TaskScheduled', eventId: 1, timestamp: 1_001, name: 'inc', input: '1', attempt: 1, logicalTaskId: 1 },
  { type: 'OrchestratorCompleted', eventId: -1, timestamp: 1_001 },
  { type: 'OrchestratorStarted', eventId: -1, timestamp: 1_500 },
  { type: 'TaskCompleted', eventId: -1, timestamp: 1_500, taskScheduledId: 1, result: '2' },
  { type: 'TimerCreated', eventId: 2, timestamp: 1_500, fireAt: 9_000 },
  { type: 'SubOrchestrationInstanceCreated', eventId: 3, timestamp: 1_500, instanceId: 'i-1:0003', name: 'child', input: '"x"' },
  { type: 'EventRaised', eventId: -1, timestamp: 1_600, name: 'go', input: '{"a":1}' },
  { type: 'TaskFailed', eventId: -1, timestamp: 1_700, taskScheduledId: 1, failure: { errorType: 'Boom', message: 'no', stackTrace: 'at x' } },
  { type: 'TimerFired', eventId: -1, timestamp: 9_001, fireAt: 9_000, timerId: 2 },
  { type: 'SubOrchestrationInstanceFailed', eventId: -1, timestamp: 9_002, taskScheduledId: 3, failure: { errorType: 'E', message: 'm', nonRetryable: true, inner: { errorType: 'I', message: 'i' } } },
  { type: 'ExecutionCompleted', eventId: -1, timestamp: 9_003, status: 'COMPLETED', result: '4' },
];

/** The WorkItem as the dispatcher wrote it before: one object, encoded by the method's serializer. */
function wholeObject(past: HistoryEvent[], next: HistoryEvent[]): Buffer {
  const x = sentExecution([...past, ...next]);
  return taskHubService().GetWorkItems!.responseSerialize({ orchestratorRequest: { instanceId: 'i-1', executionId: { value: 'e-1' }, pastEvents: toProtoEvents(past, x), newEvents: toProtoEvents(next, x) } });
}

test('an orchestrator work item from cached event encodings equals the whole-object encoding, turn after turn', () => {
  const h = history();
  for (let split = 0; split <= h.length; split++) {
    const past = h.slice(0, split);
    const next = h.slice(split);
    const bytes = orchestratorWorkItem('i-1', 'e-1', past, next, sentExecution([...past, ...next]));
    assert.ok(bytes.equals(wholeObject(past, next)), `split at ${split}`);
  }
  // The same event objects again (the engine's remote-history cache): the same bytes.
  const again = orchestratorWorkItem('i-1', 'e-1', h, [], sentExecution(h));
  assert.ok(again.equals(wholeObject(h, [])));
});

test('the SDK decodes the encoded work item: instance, execution, every past and new event with its fields; no OrchestratorCompleted', () => {
  const h = history();
  const item = pb.WorkItem.deserializeBinary(orchestratorWorkItem('i-1', 'e-1', h.slice(0, 6), h.slice(6), sentExecution(h)));
  const req = item.getOrchestratorrequest();
  assert.equal(req.getInstanceid(), 'i-1');
  assert.equal(req.getExecutionid().getValue(), 'e-1');
  // Six past events, less the OrchestratorCompleted the SDK's executor has no case for.
  assert.equal(req.getPasteventsList().length, 5);
  const ORCHESTRATORCOMPLETED = pb.HistoryEvent.EventtypeCase.ORCHESTRATORCOMPLETED;
  assert.ok([...req.getPasteventsList(), ...req.getNeweventsList()].every((e: any) => e.getEventtypeCase() !== ORCHESTRATORCOMPLETED));
  assert.equal(req.getNeweventsList().length, 7);
  const started = req.getPasteventsList()[1].getExecutionstarted();
  assert.equal(started.getName(), 'chain');
  assert.equal(started.getInput().getValue(), '1');
  assert.equal(started.getParentinstance().getOrchestrationinstance().getInstanceid(), 'p-1');
  assert.equal(req.getPasteventsList()[4].getTaskcompleted().getResult().getValue(), '2');
  assert.equal(req.getNeweventsList()[0].getTimercreated().getFireat().getSeconds(), 9);
  assert.equal(req.getNeweventsList()[3].getTaskfailed().getFailuredetails().getErrortype(), 'Boom');
  assert.equal(req.getPasteventsList()[2].getEventid(), 1);
});
