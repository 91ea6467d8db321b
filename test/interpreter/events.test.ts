// Events: event states (exclusive or not), event-based switch with eventTimeout, callback, eventRef.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fakeHost, invokeFn, run } from './harness.js';

const events = [
  { name: 'GreetingEvent', type: 'greetingEventType', source: 'greetingEventSource' },
  { name: 'ApprovalEvent', type: 'approval', source: 'x' },
  { name: 'DenialEvent', type: 'denial', source: 'x' },
];

describe('event states', () => {
  it('starts on an event (by CloudEvent type), applies eventDataFilter and the output filter', async () => {
    const r = await run(
      {
        id: 'eventgreet',
        events,
        states: [
          {
            name: 'Greet',
            type: 'event',
            onEvents: [{ eventRefs: ['GreetingEvent'], eventDataFilter: { data: '${ .greet }', toStateData: '${ .greet }' } }],
            stateDataFilter: { output: '${ .greet.name }' },
            end: true,
          },
        ],
      },
      {},
      { events: [{ name: 'greetingEventType', data: { specversion: '1.0', id: '1', source: 'greetingEventSource', type: 'greetingEventType', data: { greet: { name: 'John' } } } }] },
    );
    assert.equal(r.runtimeStatus, 'COMPLETED', JSON.stringify(r.failure));
    assert.equal(r.output, 'John');
  });

  it('non-exclusive: waits for every event, then merges each (plain payloads, raised by name)', async () => {
    const r = await run(
      { id: 'allevents', events, states: [{ name: 'Both', type: 'event', exclusive: false, onEvents: [{ eventRefs: ['ApprovalEvent', 'DenialEvent'] }], end: true }] },
      {},
      { events: [{ name: 'DenialEvent', data: { d: 1 } }, { name: 'ApprovalEvent', data: { a: 2 } }] },
    );
    assert.deepEqual(r.output, { a: 2, d: 1 });
  });

  it('event state eventTimeout (not the start state) moves on without running actions', async () => {
    const host = fakeHost({ never: () => 'should not run' });
    const r = await run(
      {
        id: 'evtimeout',
        events,
        functions: [invokeFn('never')],
        states: [
          { name: 'Init', type: 'inject', data: { started: true }, transition: 'Wait' },
          { name: 'Wait', type: 'event', timeouts: { eventTimeout: 'PT0.05S' }, onEvents: [{ eventRefs: ['ApprovalEvent'], actions: [{ functionRef: 'never' }] }], end: true },
        ],
      },
      {},
      { components: host as never },
    );
    assert.deepEqual(r.output, { started: true });
    assert.equal(host.calls.length, 0);
  });
});

describe('correlation', () => {
  const ce = (type: string, patientid: string, data: unknown) => ({ specversion: '1.0', id: `${type}-${patientid}`, source: 'monitor', type, patientid, data });
  it('ignores CloudEvents whose correlation attribute differs from the one the instance first consumed', async () => {
    const r = await run(
      {
        id: 'correlate',
        events: [
          { name: 'Temp', type: 'temp', source: 'monitor', correlation: [{ contextAttributeName: 'patientId' }] },
          { name: 'Pulse', type: 'pulse', source: 'monitor', correlation: [{ contextAttributeName: 'patientId' }] },
        ],
        states: [
          { name: 'First', type: 'event', onEvents: [{ eventRefs: ['Temp'], eventDataFilter: { toStateData: '${ .temp }' } }], transition: 'Second' },
          { name: 'Second', type: 'event', onEvents: [{ eventRefs: ['Pulse'], eventDataFilter: { toStateData: '${ .pulse }' } }], end: true },
        ],
      },
      {},
      { events: [{ name: 'temp', data: ce('temp', 'p1', 38) }, { name: 'pulse', data: ce('pulse', 'p2', 200) }, { name: 'pulse', data: ce('pulse', 'p1', 80) }] },
    );
    assert.deepEqual(r.output, { temp: 38, pulse: 80 });
  });
});

describe('event-based switch and callback', () => {
  const switchDef = {
    id: 'evswitch',
    events,
    states: [
      {
        name: 'Decide',
        type: 'switch',
        timeouts: { eventTimeout: 'PT0.2S' },
        eventConditions: [
          { eventRef: 'ApprovalEvent', transition: 'Approved', eventDataFilter: { toStateData: '${ .approval }' } },
          { eventRef: 'DenialEvent', transition: 'Denied' },
        ],
        defaultCondition: { transition: 'NoDecision' },
      },
      { name: 'Approved', type: 'inject', data: { decision: 'approved' }, end: true },
      { name: 'Denied', type: 'inject', data: { decision: 'denied' }, end: true },
      { name: 'NoDecision', type: 'inject', data: { decision: 'none' }, end: true },
    ],
  };
  it('takes the transition of the event that arrives first', async () => {
    const r = await run(switchDef, {}, { events: [{ name: 'approval', data: { by: 'ann' } }] });
    assert.deepEqual(r.output, { approval: { by: 'ann' }, decision: 'approved' });
  });
  it('takes defaultCondition when eventTimeout passes', async () => {
    const r = await run(switchDef, {});
    assert.deepEqual(r.output, { decision: 'none' });
  });

  it('callback: invokes the action, then waits for the callback event and merges it', async () => {
    const host = fakeHost({ check: () => ({ requested: true }) });
    const r = await run(
      {
        id: 'callback',
        events: [{ name: 'CreditCheckCompletedEvent', type: 'creditCheckCompleteType', source: 'x' }],
        functions: [invokeFn('check')],
        states: [{ name: 'Check', type: 'callback', action: { functionRef: 'check' }, eventRef: 'CreditCheckCompletedEvent', eventDataFilter: { toStateData: '${ .credit }' }, end: true }],
      },
      { customer: 'c1' },
      { components: host as never, events: [{ name: 'creditCheckCompleteType', data: { decision: 'approved' } }] },
    );
    assert.deepEqual(r.output, { customer: 'c1', requested: true, credit: { decision: 'approved' } });
  });

  it('eventRef action: produces the trigger event and uses the result event as the result', async () => {
    const host = fakeHost({});
    const r = await run(
      {
        id: 'eventref',
        events: [
          { name: 'Trigger', type: 'vet.appointment.request', kind: 'produced', metadata: { pubsub: 'bus' } },
          { name: 'Result', type: 'vet.appointment.info', source: 'vet' },
        ],
        states: [
          {
            name: 'Book',
            type: 'operation',
            actions: [{ eventRef: { triggerEventRef: 'Trigger', resultEventRef: 'Result', data: '${ .patient }' }, actionDataFilter: { results: '${ .appointment }', toStateData: '${ .appointment }' } }],
            end: true,
          },
        ],
      },
      { patient: { name: 'Rex' } },
      { components: host as never, events: [{ name: 'vet.appointment.info', data: { appointment: { at: '10:00' } } }] },
    );
    assert.equal(r.runtimeStatus, 'COMPLETED', JSON.stringify(r.failure));
    assert.deepEqual(r.output, { patient: { name: 'Rex' }, appointment: { at: '10:00' } });
    assert.equal(host.published.length, 1);
    assert.equal(host.published[0].topic, 'vet.appointment.request');
    assert.deepEqual(host.published[0].event.data, { name: 'Rex' });
  });

  it('eventRef action: resultEventTimeout raises "timeout"', async () => {
    const r = await run({
      id: 'eventref-timeout',
      events: [{ name: 'Trigger', type: 't', kind: 'produced' }, { name: 'Result', type: 'r', source: 'x' }],
      states: [{ name: 'Book', type: 'operation', actions: [{ name: 'ask', eventRef: { triggerEventRef: 'Trigger', resultEventRef: 'Result', resultEventTimeout: 'PT0.05S' } }], end: true }],
    });
    assert.equal(r.runtimeStatus, 'FAILED');
    assert.equal(r.failure?.code, 'timeout');
    assert.match(r.failure!.message, /state 'Book': action 'ask': resultEventTimeout/);
  });
});
