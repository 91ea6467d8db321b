/**
 * Inspection replay (engine/inspect.ts): ctx.note() records nothing in history, an inspection
 * collects the notes with the time of the turn that made them (copied when noted) and the open
 * waits of a running execution (timer, event, activity, sub-orchestration), on each store.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { STORE_KINDS, makeEngine, until } from './harness.js';
import { ManualClock } from '../../src/engine/clock.js';
import { EventType } from '../../src/engine/history.js';

for (const kind of STORE_KINDS) {
  describe(`inspection (${kind})`, () => {
    it('notes are not in history; an inspection returns them in order with their turn times, as they were when noted', async () => {
      const engine = await makeEngine(kind);
      engine.registerActivity('double', (n: number) => n * 2);
      engine.registerOrchestration('noted', function* (ctx, n: number) {
        const entry = { step: 'before', n };
        ctx.note(entry);
        entry.step = 'mutated after noting';
        const d = (yield ctx.callActivity('double', n)) as number;
        ctx.note({ step: 'after', d });
        return d;
      });
      await engine.start();
      const id = await engine.client.start('noted', 21);
      const done = await engine.client.waitForCompletion(id, { timeoutMs: 5000 });
      assert.equal(done.output, 42);
      const history = await engine.client.history(id);
      const known = new Set<string>(Object.values(EventType));
      assert.ok(history.every((e) => known.has(e.type) && e.type !== EventType.GenericEvent), JSON.stringify(history.map((e) => e.type)));
      assert.ok(!JSON.stringify(history).includes('"step"'), 'no note reaches the history');
      const turns = history.filter((e) => e.type === EventType.OrchestratorStarted).map((e) => e.timestamp);
      const got = await engine.client.inspect(id);
      assert.deepStrictEqual(got.notes, [
        { timeMs: turns[0], entry: { step: 'before', n: 21 } },
        { timeMs: turns[1], entry: { step: 'after', d: 42 } },
      ]);
      assert.deepStrictEqual(got.waits, []);
      await engine.stop();
    });

    it('a running execution: its open waits in engine terms', async () => {
      const clock = new ManualClock();
      const engine = await makeEngine(kind, { clock, shutdownTimeoutMs: 200 });
      engine.registerActivity('slow', () => new Promise((r) => setTimeout(() => r('done'), 60_000).unref()));
      engine.registerOrchestration('child', function* (ctx) {
        yield ctx.waitForExternalEvent('never');
      });
      engine.registerOrchestration('waiting', function* (ctx) {
        yield ctx.whenAll([ctx.createTimer(3_600_000), ctx.waitForExternalEvent('Go'), ctx.callActivity('slow'), ctx.callSubOrchestrator('child', undefined, { instanceId: 'kid-1' })]);
      });
      await engine.start();
      const id = await engine.client.start('waiting');
      await until(async () => (await engine.client.history(id)).some((e) => e.type === EventType.SubOrchestrationInstanceCreated), 30_000, 'the first turn');
      const { waits } = await engine.client.inspect(id);
      const started = (await engine.client.history(id)).find((e) => e.type === EventType.OrchestratorStarted)!.timestamp;
      assert.deepStrictEqual(
        [...waits].sort((a, b) => a.kind.localeCompare(b.kind)),
        [
          { kind: 'activity', name: 'slow', taskId: 2 },
          { kind: 'event', name: 'go' },
          { kind: 'subOrchestration', name: 'child', instanceId: 'kid-1', taskId: 3 },
          { kind: 'timer', fireAt: started + 3_600_000, taskId: 1 },
        ],
      );
      await assert.rejects(engine.client.inspect('nope'), /no instance with id 'nope'/);
      await engine.client.terminate(id);
      await engine.stop();
    });
  });
}
