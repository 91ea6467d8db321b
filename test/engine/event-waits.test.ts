// External-event waits left behind by composite tasks (issue 9, finding 11): a whenAll that fails
// fast, and whenAny losers, must not keep waits that swallow a later event of the same name.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { STORE_KINDS, makeEngine, until } from './harness.js';
import { EventType, type HistoryEvent } from '../../src/engine/history.js';
import { CURRENT_FLAGS } from '../../src/engine/flags.js';
import { execute } from '../../src/engine/replay/execute.js';
import type { OrchestrationFunction } from '../../src/engine/replay/context.js';

const T = Date.UTC(2026, 0, 1);
const orchStarted: HistoryEvent = { type: EventType.OrchestratorStarted, eventId: -1, timestamp: T };
const started = (flags: string[] | undefined): HistoryEvent => ({
  type: EventType.ExecutionStarted, eventId: -1, timestamp: T, name: 'wf', instanceId: 'i', executionId: 'e', engineVersion: '0.1.0', ...(flags ? { flags } : {}),
});
const raised = (name: string, input: unknown): HistoryEvent => ({ type: EventType.EventRaised, eventId: -1, timestamp: T, name, input: JSON.stringify(input) });

/** whenAll of a failing activity and an event wait; after the failure, waits for that event again. */
const failFast: OrchestrationFunction = function* (ctx) {
  try {
    yield ctx.whenAll([ctx.callActivity('fails'), ctx.waitForExternalEvent('x')]);
  } catch {
    // fail-fast: the wait for 'x' inside the whenAll is abandoned
  }
  return yield ctx.waitForExternalEvent('x');
};

describe('event waits of composite tasks (executor)', () => {
  const past = (flags: string[] | undefined): HistoryEvent[] => [
    orchStarted,
    started(flags),
    { type: EventType.TaskScheduled, eventId: 1, timestamp: T, name: 'fails', attempt: 1, logicalTaskId: 1 },
    { type: EventType.OrchestratorCompleted, eventId: -1, timestamp: T },
  ];
  const next: HistoryEvent[] = [orchStarted, { type: EventType.TaskFailed, eventId: -1, timestamp: T, taskScheduledId: 1, failure: { errorType: 'Error', message: 'boom' } }, raised('x', 7)];

  it('finding 11: after a whenAll fails fast, a later wait for an event of one of its children gets the event', () => {
    const r = execute(failFast, past([...CURRENT_FLAGS]), next);
    assert.equal(r.outcome?.status, 'COMPLETED');
    assert.equal(r.outcome?.result, '7');
  });

  it('finding 11: a history without the flag replays the old way (the stale wait takes the event)', () => {
    assert.equal(execute(failFast, past(undefined), next).outcome, undefined);
  });

  it('whenAny losers, also nested inside a whenAll loser, are withdrawn', () => {
    const fn: OrchestrationFunction = function* (ctx) {
      const timer = ctx.createTimer(1000);
      const winner: unknown = yield ctx.whenAny<unknown>([ctx.whenAll([ctx.waitForExternalEvent('a'), ctx.waitForExternalEvent('b')]), timer]);
      assert.equal(winner, timer);
      const a: unknown = yield ctx.waitForExternalEvent('a');
      const b: unknown = yield ctx.waitForExternalEvent('b');
      return [a, b];
    };
    const r = execute(fn, [], [orchStarted, started([...CURRENT_FLAGS]), { type: EventType.TimerFired, eventId: -1, timestamp: T + 1000, timerId: 1, fireAt: T + 1000 }, raised('a', 1), raised('b', 2)]);
    assert.equal(r.outcome?.result, '[1,2]');
  });
});

for (const kind of STORE_KINDS) {
  describe(`event waits of composite tasks (${kind})`, () => {
    it('finding 11: a wait after a failed whenAll does not hang', async () => {
      const engine = await makeEngine(kind);
      engine.registerActivity('fails', () => {
        throw new Error('boom');
      });
      engine.registerOrchestration('fail-fast', failFast);
      await engine.start();
      const id = await engine.client.start('fail-fast');
      // 'x' is raised only once the whenAll has failed and the code waits again.
      await until(async () => (await engine.client.history(id)).some((e) => e.type === EventType.TaskFailed), 30_000, 'whenAll failed');
      await engine.client.raiseEvent(id, 'x', 7);
      const r = await engine.client.waitForCompletion(id, { timeoutMs: 3000 });
      assert.equal(r.output, 7);
    });
  });
}
