// Recursive terminate (issue 9, finding 3): a terminated parent's ExecutionTerminated reaches
// only instances it created, never an unrelated instance that happens to hold a child's id.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { STORE_KINDS, makeEngine, until } from './harness.js';
import { EventType, type HistoryEvent } from '../../src/engine/history.js';
import { CURRENT_FLAGS } from '../../src/engine/flags.js';
import { inboxEvents } from '../../src/engine/messages.js';
import { execute } from '../../src/engine/replay/execute.js';
import { openChildren } from '../../src/engine/replay/open-tasks.js';
import { OrchestrationRuntime } from '../../src/engine/replay/runtime.js';
import type { OrchestrationFunction } from '../../src/engine/replay/context.js';
import type { InboxMessage, InstanceRecord } from '../../src/store/types.js';

for (const kind of STORE_KINDS) {
  describe(`recursive terminate (${kind})`, () => {
    it('finding 3: terminating a parent whose child id was taken by an unrelated instance leaves that instance running', async () => {
      const engine = await makeEngine(kind);
      engine.registerOrchestration('waiter', function* (ctx) {
        return yield ctx.waitForExternalEvent('go');
      });
      engine.registerOrchestration('parent', function* (ctx) {
        return yield ctx.callSubOrchestrator('waiter', undefined, { instanceId: 'taken' });
      });
      // Queued before any worker runs: the unrelated instance, the parent, and a suspend that the
      // parent applies in its first turn, so the refusal of 'taken' waits unapplied (held back).
      await engine.client.start('waiter', undefined, { instanceId: 'taken' });
      const parent = await engine.client.start('parent', undefined, { instanceId: 'p' });
      await engine.client.suspend(parent);
      await engine.start();
      await until(async () => (await engine.client.get(parent))?.runtimeStatus === 'SUSPENDED', 30_000, 'parent suspended');
      await until(async () => (await engine.client.history(parent)).some((e) => e.type === EventType.SubOrchestrationInstanceFailed), 30_000, 'refusal recorded (held back)');
      await engine.client.terminate(parent);
      assert.equal((await engine.client.waitForCompletion(parent, { timeoutMs: 60_000 })).runtimeStatus, 'TERMINATED');
      await engine.client.raiseEvent('taken', 'go', 'mine');
      const other = await engine.client.waitForCompletion('taken', { timeoutMs: 60_000 });
      assert.equal(other.runtimeStatus, 'COMPLETED', 'the unrelated instance was not terminated');
      assert.equal(other.output, 'mine');
    });

    it('still terminates the parent\'s real children', async () => {
      const engine = await makeEngine(kind);
      engine.registerOrchestration('waiter', function* (ctx) {
        return yield ctx.waitForExternalEvent('go');
      });
      engine.registerOrchestration('parent', function* (ctx) {
        return yield ctx.callSubOrchestrator('waiter', undefined, { instanceId: 'real-child' });
      });
      const parent = await engine.client.start('parent', undefined, { instanceId: 'p2' });
      await engine.start();
      await until(async () => (await engine.client.get('real-child'))?.runtimeStatus === 'RUNNING', 30_000, 'child running');
      await engine.client.terminate(parent);
      assert.equal((await engine.client.waitForCompletion('real-child', { timeoutMs: 60_000 })).runtimeStatus, 'TERMINATED');
    });

    it('finding 3: terminate as a parent (the interpreter ending its async subflows) reaches only its own children', async () => {
      const engine = await makeEngine(kind);
      engine.registerOrchestration('waiter', function* (ctx) {
        return yield ctx.waitForExternalEvent('go');
      });
      engine.registerOrchestration('parent', function* (ctx) {
        return yield ctx.callSubOrchestrator('waiter', undefined, { instanceId: 'kid' });
      });
      await engine.client.start('waiter', undefined, { instanceId: 'stranger' });
      const parent = await engine.client.start('parent', undefined, { instanceId: 'p3' });
      await engine.start();
      await until(async () => (await engine.client.get('kid'))?.runtimeStatus === 'RUNNING', 30_000, 'child running');
      const p = (await engine.client.get(parent))!;
      const asParent = { instanceId: parent, executionId: p.executionId };
      const refused = await engine.client.terminate('stranger', { asParent }).then(
        () => undefined,
        (e: { code?: string }) => e.code,
      );
      assert.equal(refused, 'NOT_A_CHILD');
      await engine.client.terminate('kid', { asParent });
      assert.equal((await engine.client.waitForCompletion('kid', { timeoutMs: 60_000 })).runtimeStatus, 'TERMINATED');
      await new Promise((r) => setTimeout(r, 100));
      assert.equal((await engine.client.get('stranger'))?.runtimeStatus, 'RUNNING', 'the unrelated instance keeps running');
    });
  });
}

describe('terminate from a parent (unit)', () => {
  const T = Date.UTC(2026, 0, 1);
  const parentRef = { instanceId: 'p', executionId: 'pe', name: 'parent', taskScheduledId: 1 };
  const started: HistoryEvent = { type: EventType.ExecutionStarted, eventId: -1, timestamp: T, name: 'c', instanceId: 'c', executionId: 'ce', engineVersion: '0.1.0', parent: parentRef, flags: [...CURRENT_FLAGS] };
  const orchStarted: HistoryEvent = { type: EventType.OrchestratorStarted, eventId: -1, timestamp: T };
  const wait: OrchestrationFunction = function* (ctx) {
    return yield ctx.waitForExternalEvent('go');
  };
  const terminate = (sender?: { instanceId: string; executionId: string }): HistoryEvent => ({ type: EventType.ExecutionTerminated, eventId: -1, timestamp: T, recurse: true, ...(sender ? { sender } : {}) });

  it('finding 3: the runtime ignores a terminate sent by an instance that is not its parent', () => {
    assert.equal(execute(wait, [], [orchStarted, started, terminate({ instanceId: 'stranger', executionId: 'x' })]).outcome, undefined);
    assert.equal(execute(wait, [], [orchStarted, started, terminate({ instanceId: 'p', executionId: 'old-exec' })]).outcome, undefined);
    assert.equal(execute(wait, [], [orchStarted, started, terminate({ instanceId: 'p', executionId: 'pe' })]).outcome?.status, 'TERMINATED');
    assert.equal(execute(wait, [], [orchStarted, started, terminate()]).outcome?.status, 'TERMINATED', 'a client terminate has no sender');
  });

  it('finding 3: the worker drops a parent terminate for an instance whose parentInstanceId differs', () => {
    const msg = (id: number, e: HistoryEvent): InboxMessage => ({ id, instanceId: 'c', data: JSON.stringify({ event: e }), visibleAt: T, dequeueCount: 1 });
    const row: InstanceRecord = { instanceId: 'c', executionId: 'ce', name: 'c', status: 'PENDING', createdAt: T, lastUpdatedAt: T, historyLength: 0 };
    const t = terminate({ instanceId: 'p', executionId: 'pe' });
    assert.deepEqual(inboxEvents(row, [msg(1, t)]), []);
    assert.deepEqual(inboxEvents({ ...row, parentInstanceId: 'p' }, [msg(1, t)]), [t]);
  });

  it('finding 3: children whose creation was dropped by the terminate are not open', () => {
    const parentFn: OrchestrationFunction = function* (ctx) {
      yield ctx.waitForExternalEvent('spawn');
      return yield ctx.callSubOrchestrator('c', undefined, { instanceId: 'never-created' });
    };
    const ps: HistoryEvent = { type: EventType.ExecutionStarted, eventId: -1, timestamp: T, name: 'parent', instanceId: 'p', executionId: 'pe', engineVersion: '0.1.0', flags: [...CURRENT_FLAGS] };
    // 'spawn' makes the code decide the child; the terminate in the same batch drops that creation.
    const rt = new OrchestrationRuntime({ fn: parentFn });
    rt.apply([orchStarted, ps, { type: EventType.EventRaised, eventId: -1, timestamp: T, name: 'spawn' }, terminate()], false);
    assert.equal(rt.outcome?.status, 'TERMINATED');
    assert.deepEqual(rt.takeActions(), []);
    assert.deepEqual(openChildren(rt.open, rt.pending), []);
  });
});
