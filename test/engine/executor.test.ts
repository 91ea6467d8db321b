// History in → actions out, for each primitive of the replay executor. No I/O, no clock.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execute } from '../../src/engine/replay/execute.js';
import type { OrchestrationContext, OrchestrationFunction } from '../../src/engine/replay/context.js';
import type { Task } from '../../src/engine/replay/task.js';
import type { HistoryEvent, FailureDetails } from '../../src/engine/history.js';
import { NonDeterminismError } from '../../src/errors.js';

const T0 = Date.UTC(2026, 0, 1);
const ID = 'inst-1';

/** Builders of history events (payloads as JSON text, as the worker stores them). */
const ev = {
  orchStarted: (t = T0): HistoryEvent => ({ type: 'OrchestratorStarted', eventId: -1, timestamp: t }),
  orchCompleted: (t = T0): HistoryEvent => ({ type: 'OrchestratorCompleted', eventId: -1, timestamp: t }),
  started: (input?: unknown, name = 'wf'): HistoryEvent => ({
    type: 'ExecutionStarted', eventId: -1, timestamp: T0, name, instanceId: ID, executionId: 'exec-1', engineVersion: '0.1.0',
    ...(input !== undefined ? { input: JSON.stringify(input) } : {}),
  }),
  scheduled: (id: number, name: string, input?: unknown, attempt = 1, logicalTaskId = id): HistoryEvent => ({
    type: 'TaskScheduled', eventId: id, timestamp: T0, name, attempt, logicalTaskId, ...(input !== undefined ? { input: JSON.stringify(input) } : {}),
  }),
  completed: (id: number, result?: unknown): HistoryEvent => ({ type: 'TaskCompleted', eventId: -1, timestamp: T0, taskScheduledId: id, ...(result !== undefined ? { result: JSON.stringify(result) } : {}) }),
  failed: (id: number, message: string, extra: Partial<FailureDetails> = {}): HistoryEvent => ({ type: 'TaskFailed', eventId: -1, timestamp: T0, taskScheduledId: id, failure: { errorType: 'Error', message, ...extra } }),
  timerCreated: (id: number, fireAt: number): HistoryEvent => ({ type: 'TimerCreated', eventId: id, timestamp: T0, fireAt }),
  timerFired: (id: number, fireAt: number): HistoryEvent => ({ type: 'TimerFired', eventId: -1, timestamp: fireAt, timerId: id, fireAt }),
  raised: (name: string, input?: unknown): HistoryEvent => ({ type: 'EventRaised', eventId: -1, timestamp: T0, name, ...(input !== undefined ? { input: JSON.stringify(input) } : {}) }),
  subCreated: (id: number, name: string, instanceId: string): HistoryEvent => ({ type: 'SubOrchestrationInstanceCreated', eventId: id, timestamp: T0, name, instanceId }),
  subCompleted: (id: number, result?: unknown): HistoryEvent => ({ type: 'SubOrchestrationInstanceCompleted', eventId: -1, timestamp: T0, taskScheduledId: id, ...(result !== undefined ? { result: JSON.stringify(result) } : {}) }),
  suspended: (): HistoryEvent => ({ type: 'ExecutionSuspended', eventId: -1, timestamp: T0 }),
  resumed: (): HistoryEvent => ({ type: 'ExecutionResumed', eventId: -1, timestamp: T0 }),
  terminated: (output?: unknown): HistoryEvent => ({ type: 'ExecutionTerminated', eventId: -1, timestamp: T0, recurse: true, ...(output !== undefined ? { input: JSON.stringify(output) } : {}) }),
};

const chain: OrchestrationFunction = function* (ctx, x: number) {
  let v = x;
  for (let i = 0; i < 3; i++) v = yield ctx.callActivity('inc', v);
  return v;
};

describe('executor: activities', () => {
  it('schedules the first activity with sequence id 1', () => {
    const r = execute(chain, [], [ev.orchStarted(), ev.started(0)]);
    assert.deepEqual(r.actions, [{ type: 'ScheduleTask', id: 1, name: 'inc', input: '0', attempt: 1, logicalTaskId: 1 }]);
    assert.equal(r.outcome, undefined);
  });

  it('replays past turns and schedules only the next activity', () => {
    const past = [ev.orchStarted(), ev.started(0), ev.scheduled(1, 'inc', 0), ev.orchCompleted()];
    const r = execute(chain, past, [ev.orchStarted(), ev.completed(1, 1)]);
    assert.deepEqual(r.actions, [{ type: 'ScheduleTask', id: 2, name: 'inc', input: '1', attempt: 1, logicalTaskId: 2 }]);
  });

  it('completes with the output after the last activity', () => {
    const past = [
      ev.orchStarted(), ev.started(0), ev.scheduled(1, 'inc', 0),
      ev.orchStarted(), ev.completed(1, 1), ev.scheduled(2, 'inc', 1),
      ev.orchStarted(), ev.completed(2, 2), ev.scheduled(3, 'inc', 2),
    ];
    const r = execute(chain, past, [ev.orchStarted(), ev.completed(3, 3)]);
    assert.deepEqual(r.actions, [{ type: 'CompleteOrchestration', id: 4, status: 'COMPLETED', result: '3' }]);
    assert.equal(r.outcome?.status, 'COMPLETED');
  });

  it('fails the orchestration with the activity failure when the code does not catch it', () => {
    const past = [ev.orchStarted(), ev.started(0), ev.scheduled(1, 'inc', 0)];
    const r = execute(chain, past, [ev.orchStarted(), ev.failed(1, 'boom')]);
    assert.equal(r.outcome?.status, 'FAILED');
    assert.equal(r.outcome?.failure?.errorType, 'TaskFailedError');
    assert.equal(r.outcome?.failure?.code, 'TASK_FAILED');
    assert.equal(r.outcome?.failure?.message, "activity 'inc' (task #1) failed: boom");
    assert.deepEqual(r.outcome?.failure?.inner, { errorType: 'Error', message: 'boom' });
  });

  it('lets the code catch an activity failure', () => {
    const fn: OrchestrationFunction = function* (ctx) {
      try {
        yield ctx.callActivity('bad');
      } catch (e) {
        return `caught: ${(e as Error).message}`;
      }
    };
    const r = execute(fn, [ev.orchStarted(), ev.started(), ev.scheduled(1, 'bad')], [ev.orchStarted(), ev.failed(1, 'nope')]);
    assert.equal(r.outcome?.result, JSON.stringify("caught: activity 'bad' (task #1) failed: nope"));
  });

  it('ignores a duplicate completion of the same task (at-least-once delivery)', () => {
    const past = [ev.orchStarted(), ev.started(0), ev.scheduled(1, 'inc', 0), ev.orchStarted(), ev.completed(1, 1), ev.scheduled(2, 'inc', 1)];
    const r = execute(chain, past, [ev.orchStarted(), ev.completed(1, 99)]);
    assert.deepEqual(r.actions, []);
    assert.equal(r.outcome, undefined);
  });
});

describe('executor: retry policies', () => {
  const retrying: OrchestrationFunction = function* (ctx) {
    return yield ctx.callActivity('flaky', 'x', { retry: { maxAttempts: 3, firstRetryIntervalMs: 1000, backoffCoefficient: 2 } });
  };
  it('schedules a durable timer after a failed attempt, then attempt 2 with the same logical task id', () => {
    const past = [ev.orchStarted(), ev.started(), ev.scheduled(1, 'flaky', 'x')];
    const r1 = execute(retrying, past, [ev.orchStarted(T0 + 10), ev.failed(1, 'try again')]);
    assert.deepEqual(r1.actions, [{ type: 'CreateTimer', id: 2, fireAt: T0 + 10 + 1000 }]);
    const past2 = [...past, ev.orchStarted(T0 + 10), ev.failed(1, 'try again'), ev.timerCreated(2, T0 + 1010)];
    const r2 = execute(retrying, past2, [ev.orchStarted(T0 + 1010), ev.timerFired(2, T0 + 1010)]);
    assert.deepEqual(r2.actions, [{ type: 'ScheduleTask', id: 3, name: 'flaky', input: '"x"', attempt: 2, logicalTaskId: 1 }]);
    // second failure: backoff doubles the delay
    const past3 = [...past2, ev.orchStarted(T0 + 1010), ev.timerFired(2, T0 + 1010), ev.scheduled(3, 'flaky', 'x', 2, 1)];
    const r3 = execute(retrying, past3, [ev.orchStarted(T0 + 2000), ev.failed(3, 'again')]);
    assert.deepEqual(r3.actions, [{ type: 'CreateTimer', id: 4, fireAt: T0 + 2000 + 2000 }]);
  });

  it('gives up after maxAttempts and fails with the last failure', () => {
    const past = [
      ev.orchStarted(), ev.started(), ev.scheduled(1, 'flaky', 'x'),
      ev.orchStarted(), ev.failed(1, 'a'), ev.timerCreated(2, T0 + 1000),
      ev.orchStarted(T0 + 1000), ev.timerFired(2, T0 + 1000), ev.scheduled(3, 'flaky', 'x', 2, 1),
      ev.orchStarted(T0 + 1000), ev.failed(3, 'b'), ev.timerCreated(4, T0 + 3000),
      ev.orchStarted(T0 + 3000), ev.timerFired(4, T0 + 3000), ev.scheduled(5, 'flaky', 'x', 3, 1),
    ];
    const r = execute(retrying, past, [ev.orchStarted(T0 + 3000), ev.failed(5, 'c')]);
    assert.equal(r.outcome?.status, 'FAILED');
    assert.equal(r.outcome?.failure?.message, "activity 'flaky' (task #1) failed after 3 attempt(s): c");
  });

  it('does not retry a non-retryable failure', () => {
    const r = execute(retrying, [ev.orchStarted(), ev.started(), ev.scheduled(1, 'flaky', 'x')], [ev.orchStarted(), ev.failed(1, 'fatal', { nonRetryable: true })]);
    assert.equal(r.outcome?.status, 'FAILED');
  });

  it('stops retrying when the next attempt would start after retryTimeoutMs', () => {
    const fn: OrchestrationFunction = function* (ctx) {
      return yield ctx.callActivity('flaky', undefined, { retry: { maxAttempts: 10, firstRetryIntervalMs: 5000, retryTimeoutMs: 4000 } });
    };
    const r = execute(fn, [ev.orchStarted(), ev.started(), ev.scheduled(1, 'flaky')], [ev.orchStarted(), ev.failed(1, 'x')]);
    assert.equal(r.outcome?.status, 'FAILED');
  });
});

describe('executor: timers, time and ids', () => {
  it('creates a timer relative to history time and resumes when it fires', () => {
    const fn: OrchestrationFunction = function* (ctx) {
      yield ctx.createTimer(60_000);
      return ctx.currentTimeMs;
    };
    const r1 = execute(fn, [], [ev.orchStarted(T0 + 5), ev.started()]);
    assert.deepEqual(r1.actions, [{ type: 'CreateTimer', id: 1, fireAt: T0 + 5 + 60_000 }]);
    const r2 = execute(fn, [ev.orchStarted(T0 + 5), ev.started(), ev.timerCreated(1, T0 + 60_005)], [ev.orchStarted(T0 + 60_100), ev.timerFired(1, T0 + 60_005)]);
    assert.equal(r2.outcome?.result, String(T0 + 60_100));
  });

  it('accepts an absolute Date as fire time', () => {
    const fn: OrchestrationFunction = function* (ctx) {
      yield ctx.createTimer(new Date(T0 + 1234));
    };
    assert.deepEqual(execute(fn, [], [ev.orchStarted(), ev.started()]).actions, [{ type: 'CreateTimer', id: 1, fireAt: T0 + 1234 }]);
  });

  it('newGuid is deterministic across replays and distinct per call', () => {
    // eslint-disable-next-line require-yield -- an orchestration that finishes without waiting
    const fn: OrchestrationFunction = function* (ctx) {
      return [ctx.newGuid(), ctx.newGuid()];
    };
    const a = JSON.parse(execute(fn, [], [ev.orchStarted(), ev.started()]).outcome!.result!) as string[];
    const b = JSON.parse(execute(fn, [], [ev.orchStarted(), ev.started()]).outcome!.result!) as string[];
    assert.deepEqual(a, b);
    assert.notEqual(a[0], a[1]);
    assert.match(a[0]!, /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('isReplaying is true for past events and false for new ones', () => {
    const seen: boolean[] = [];
    const fn: OrchestrationFunction = function* (ctx) {
      seen.push(ctx.isReplaying);
      yield ctx.callActivity('a');
      seen.push(ctx.isReplaying);
    };
    execute(fn, [ev.orchStarted(), ev.started(), ev.scheduled(1, 'a')], [ev.orchStarted(), ev.completed(1)]);
    assert.deepEqual(seen, [true, false]);
  });

  it('ctx.logger writes only outside replay, tagged with the instance', () => {
    const lines: Array<[string, unknown]> = [];
    const logger = { debug: () => undefined, info: (m: string, meta?: unknown) => lines.push([m, meta]), warn: () => undefined, error: () => undefined };
    const fn: OrchestrationFunction = function* (ctx) {
      ctx.logger.info('before');
      yield ctx.callActivity('a');
      ctx.logger.info('after', { n: 1 });
    };
    execute(fn, [ev.orchStarted(), ev.started(), ev.scheduled(1, 'a')], [ev.orchStarted(), ev.completed(1)], { logger });
    assert.equal(lines.length, 1);
    const [message, meta] = lines[0] as [string, Record<string, unknown>];
    assert.equal(message, 'after');
    // The trace id is the execution's (specs/observability.md "Logs"): 32 hex digits, never all zero.
    assert.match(String(meta.traceId), /^(?!0{32})[0-9a-f]{32}$/);
    assert.deepEqual({ ...meta, traceId: undefined }, { n: 1, instanceId: ID, orchestration: 'wf', traceId: undefined });
  });

  it('records the custom status', () => {
    const fn: OrchestrationFunction = function* (ctx) {
      ctx.setCustomStatus({ stage: 'waiting' });
      yield ctx.waitForExternalEvent('go');
    };
    assert.equal(execute(fn, [], [ev.orchStarted(), ev.started()]).customStatus, '{"stage":"waiting"}');
  });
});

describe('executor: external events', () => {
  const waitTwo: OrchestrationFunction = function* (ctx) {
    const a = yield ctx.waitForExternalEvent('Approval');
    const b = yield ctx.waitForExternalEvent('approval');
    return [a, b];
  };
  it('buffers events that arrive before the wait, FIFO per name, names case-insensitive', () => {
    const r = execute(waitTwo, [], [ev.orchStarted(), ev.raised('APPROVAL', 1), ev.raised('other', 'x'), ev.raised('approval', 2), ev.started()]);
    assert.equal(r.outcome?.result, '[1,2]');
  });

  it('completes a waiting task when the event arrives later', () => {
    const past = [ev.orchStarted(), ev.started()];
    const r = execute(waitTwo, past, [ev.orchStarted(), ev.raised('approval', 'a'), ev.raised('approval', 'b')]);
    assert.equal(r.outcome?.result, '["a","b"]');
  });

  it('whenAny(event, timer): the timer wins, the stale wait is withdrawn and a later event is buffered', () => {
    const fn: OrchestrationFunction = function* (ctx) {
      const e = ctx.waitForExternalEvent('go');
      const t = ctx.createTimer(1000);
      const winner: Task<unknown> = yield ctx.whenAny<unknown>([e, t]);
      if (winner === t) {
        const late = yield ctx.waitForExternalEvent('go');
        return { timedOut: true, late };
      }
      return { timedOut: false, value: winner.getResult() };
    };
    const past = [ev.orchStarted(), ev.started(), ev.timerCreated(1, T0 + 1000)];
    const timedOut = execute(fn, past, [ev.orchStarted(T0 + 1000), ev.timerFired(1, T0 + 1000), ev.raised('go', 'late-value')]);
    assert.equal(timedOut.outcome?.result, '{"timedOut":true,"late":"late-value"}');
    const inTime = execute(fn, past, [ev.orchStarted(), ev.raised('go', 7)]);
    assert.equal(inTime.outcome?.result, '{"timedOut":false,"value":7}');
  });

  it('sendEvent produces a SendEvent action', () => {
    // eslint-disable-next-line require-yield -- an orchestration that finishes without waiting
    const fn: OrchestrationFunction = function* (ctx) {
      ctx.sendEvent('other', 'ping', { n: 1 });
    };
    const r = execute(fn, [], [ev.orchStarted(), ev.started()]);
    assert.deepEqual(r.actions[0], { type: 'SendEvent', id: 1, instanceId: 'other', name: 'ping', input: '{"n":1}' });
  });
});

describe('executor: whenAll / whenAny / sub-orchestrations', () => {
  it('fans out with whenAll and fans in with results in order', () => {
    const fn: OrchestrationFunction = function* (ctx: OrchestrationContext) {
      const tasks = [1, 2, 3].map((n) => ctx.callActivity<number>('sq', n));
      const results: number[] = yield ctx.whenAll(tasks);
      return results;
    };
    const r1 = execute(fn, [], [ev.orchStarted(), ev.started()]);
    assert.deepEqual(r1.actions.map((a) => a.id), [1, 2, 3]);
    const past = [ev.orchStarted(), ev.started(), ev.scheduled(1, 'sq', 1), ev.scheduled(2, 'sq', 2), ev.scheduled(3, 'sq', 3)];
    const r2 = execute(fn, past, [ev.orchStarted(), ev.completed(3, 9), ev.completed(1, 1)]);
    assert.equal(r2.outcome, undefined);
    const r3 = execute(fn, past, [ev.orchStarted(), ev.completed(3, 9), ev.completed(1, 1), ev.completed(2, 4)]);
    assert.equal(r3.outcome?.result, '[1,4,9]');
  });

  it('refuses an invalid explicit child id with a catchable error', () => {
    const fn: OrchestrationFunction = function* (ctx) {
      try {
        yield ctx.callSubOrchestrator('child', 1, { instanceId: 'no spaces allowed' });
      } catch (e) {
        return (e as { code: string }).code;
      }
    };
    const r = execute(fn, [], [ev.orchStarted(), ev.started()]);
    assert.equal(r.outcome?.result, '"INVALID_INSTANCE_ID"');
    assert.deepEqual(r.actions.map((a) => a.type), ['CompleteOrchestration']);
  });

  it('whenAll fails fast on the first failure', () => {
    const fn: OrchestrationFunction = function* (ctx) {
      yield ctx.whenAll([ctx.callActivity('a'), ctx.callActivity('b')]);
    };
    const past = [ev.orchStarted(), ev.started(), ev.scheduled(1, 'a'), ev.scheduled(2, 'b')];
    const r = execute(fn, past, [ev.orchStarted(), ev.failed(2, 'b broke')]);
    assert.equal(r.outcome?.status, 'FAILED');
    assert.match(r.outcome!.failure!.message, /activity 'b' \(task #2\) failed: b broke/);
  });

  it('starts a sub-orchestration with a derived child id and returns its output', () => {
    const fn: OrchestrationFunction = function* (ctx) {
      const a = yield ctx.callSubOrchestrator('child', 5);
      const b = yield ctx.callSubOrchestrator('child', 6, { instanceId: 'explicit-child' });
      return [a, b];
    };
    const r1 = execute(fn, [], [ev.orchStarted(), ev.started()]);
    assert.deepEqual(r1.actions, [{ type: 'CreateSubOrchestration', id: 1, name: 'child', instanceId: `${ID}:0001`, input: '5' }]);
    const past = [ev.orchStarted(), ev.started(), ev.subCreated(1, 'child', `${ID}:0001`)];
    const r2 = execute(fn, past, [ev.orchStarted(), ev.subCompleted(1, 50)]);
    assert.deepEqual(r2.actions, [{ type: 'CreateSubOrchestration', id: 2, name: 'child', instanceId: 'explicit-child', input: '6' }]);
  });
});

describe('executor: lifecycle', () => {
  it('continueAsNew ends the execution with the new input and carries buffered events', () => {
    const fn: OrchestrationFunction = function* (ctx, n: number) {
      yield ctx.createTimer(10);
      ctx.continueAsNew(n + 1);
    };
    const past = [ev.orchStarted(), ev.started(1), ev.timerCreated(1, T0 + 10)];
    const r = execute(fn, past, [ev.orchStarted(T0 + 10), ev.raised('keep', 'me'), ev.timerFired(1, T0 + 10)]);
    assert.equal(r.outcome?.status, 'CONTINUED_AS_NEW');
    assert.equal(r.outcome?.result, '2');
    assert.deepEqual(r.outcome?.carryoverEvents?.map((e) => e.name), ['keep']);
  });

  it('carries over an event that arrives in the same turn right after continueAsNew', () => {
    const fn: OrchestrationFunction = function* (ctx, n: number) {
      yield ctx.createTimer(10);
      ctx.continueAsNew(n + 1);
    };
    const past = [ev.orchStarted(), ev.started(1), ev.timerCreated(1, T0 + 10)];
    const r = execute(fn, past, [ev.orchStarted(T0 + 10), ev.timerFired(1, T0 + 10), ev.raised('late', 1)]);
    assert.deepEqual(r.outcome?.carryoverEvents?.map((e) => e.name), ['late']);
    const dropped = execute(
      function* (ctx) {
        yield ctx.createTimer(10);
        ctx.continueAsNew(0, { saveEvents: false });
      },
      past,
      [ev.orchStarted(T0 + 10), ev.timerFired(1, T0 + 10), ev.raised('late', 1)],
    );
    assert.deepEqual(dropped.outcome?.carryoverEvents, []);
  });

  it('holds events while suspended and delivers them on resume', () => {
    const fn: OrchestrationFunction = function* (ctx) {
      return yield ctx.waitForExternalEvent('go');
    };
    const held = execute(fn, [ev.orchStarted(), ev.started()], [ev.orchStarted(), ev.suspended(), ev.raised('go', 1)]);
    assert.equal(held.suspended, true);
    assert.equal(held.outcome, undefined);
    const released = execute(fn, [ev.orchStarted(), ev.started(), ev.orchStarted(), ev.suspended(), ev.raised('go', 1)], [ev.orchStarted(), ev.resumed()]);
    assert.equal(released.suspended, false);
    assert.equal(released.outcome?.result, '1');
  });

  it('terminate ends the execution with the given output and drops pending actions', () => {
    const r = execute(chain, [ev.orchStarted(), ev.started(0)], [ev.orchStarted(), ev.terminated('stopped')]);
    assert.equal(r.outcome?.status, 'TERMINATED');
    assert.equal(r.outcome?.result, '"stopped"');
    assert.deepEqual(r.actions, []);
  });

  it('fails an orchestration that yields something other than a task', () => {
    const fn: OrchestrationFunction = function* () {
      yield Promise.resolve(1) as never;
    };
    const r = execute(fn, [], [ev.orchStarted(), ev.started()]);
    assert.equal(r.outcome?.failure?.code, 'INVALID_YIELD');
    assert.match(r.outcome!.failure!.message, /yielded a Promise/);
  });

  it('fails an async function with a clear message', () => {
    const fn = (async () => 1) as unknown as OrchestrationFunction;
    const r = execute(fn, [], [ev.orchStarted(), ev.started()]);
    assert.equal(r.outcome?.failure?.code, 'ASYNC_ORCHESTRATION');
  });
});

describe('executor: non-determinism', () => {
  it('names expected vs found when the code schedules a different activity', () => {
    const past = [ev.orchStarted(), ev.started(0), ev.scheduled(1, 'double', 0)];
    assert.throws(
      () => execute(chain, past, [ev.orchStarted(), ev.completed(1, 0)]),
      (e: unknown) => {
        assert.ok(e instanceof NonDeterminismError);
        assert.equal(e.code, 'NON_DETERMINISM');
        assert.match(e.message, /history has TaskScheduled #1 'double', but the code now does ScheduleTask #1 'inc'/);
        assert.match(e.message, /code or definition probably changed/);
        return true;
      },
    );
  });

  it('detects a timer where history has an activity', () => {
    const fn: OrchestrationFunction = function* (ctx) {
      yield ctx.createTimer(5);
    };
    assert.throws(() => execute(fn, [ev.orchStarted(), ev.started(), ev.scheduled(1, 'inc')], []), /history has TaskScheduled #1 'inc', but the code now does CreateTimer #1/);
  });

  it('detects history with an action the code no longer takes', () => {
    // eslint-disable-next-line require-yield -- an orchestration that finishes without waiting
    const fn: OrchestrationFunction = function* () {
      return 1;
    };
    assert.throws(() => execute(fn, [ev.orchStarted(), ev.started(), ev.scheduled(2, 'inc')], []), NonDeterminismError);
  });
});
