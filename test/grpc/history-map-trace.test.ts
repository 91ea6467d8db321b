// The start request's traceparent reaches Durable Task SDK workers: ExecutionStarted's
// parentTraceContext, encoded with the shipped orchestrator_service.proto and decoded back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import protobuf from 'protobufjs';
import { ORCHESTRATOR_PROTO } from '../../src/grpc/proto.js';
import { toProtoEvent } from '../../src/grpc/history-map.js';
import { ENGINE_VERSION, type HistoryEvent } from '../../src/engine/history.js';

test("ExecutionStarted's traceparent travels as parentTraceContext.traceParent; absent when the instance has none", async () => {
  const root = await protobuf.load(ORCHESTRATOR_PROTO);
  const T = root.lookupType('HistoryEvent');
  const roundTrip = (e: HistoryEvent) => T.toObject(T.decode(T.encode(T.fromObject(toProtoEvent(e) as never)).finish())) as { executionStarted?: { parentTraceContext?: { traceParent?: string } } };
  const tp = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
  const started: HistoryEvent = { type: 'ExecutionStarted', eventId: -1, timestamp: 1000, name: 'w', instanceId: 'i-1', executionId: 'e-1', engineVersion: ENGINE_VERSION, traceparent: tp };
  assert.deepEqual(roundTrip(started).executionStarted?.parentTraceContext, { traceParent: tp });
  const { traceparent: _t, ...without } = started as HistoryEvent & { traceparent?: string };
  assert.equal(roundTrip(without as HistoryEvent).executionStarted?.parentTraceContext, undefined);
});
