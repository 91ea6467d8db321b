/**
 * A claim loop sleeps after a finished turn unless it may have missed work (engine/wakeup.ts
 * notifyIfMissed). A timer that comes due while a turn holds its instance is such work — nobody
 * announces it, and the loop, having found the instance locked, would sleep until its next poll.
 * With polls a minute apart, the instance must still go on as soon as the turn lets go. (The
 * guard is 20× the expected time and far below the first poll backoff step, 3.75 s: it tells a
 * woken loop from a polled one, it does not measure speed.)
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEngine } from '../../src/engine/engine.js';

for (const kind of ['memory', 'sqlite'] as const) {
  describe(`a timer due while its instance is held (${kind})`, () => {
    test('fires when the holding turn commits, not at the next poll', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'swirl-wakeup-'));
      const engine = await createEngine({ store: kind === 'memory' ? 'memory' : `sqlite:${join(dir, 'db')}`, pollIntervalMs: 60_000 });
      let held = false;
      engine.registerOrchestration('held-timer', function* (ctx) {
        const timer = ctx.createTimer(150);
        yield ctx.waitForExternalEvent('go');
        if (!held) {
          // This turn holds the instance past the timer's due time.
          held = true;
          const end = Date.now() + 300;
          while (Date.now() < end);
        }
        yield timer;
        return 'fired';
      });
      await engine.start();
      try {
        const id = await engine.client.start('held-timer');
        await engine.client.waitForStart(id, { timeoutMs: 5000 });
        await engine.client.raiseEvent(id, 'go', 1);
        const done = await engine.client.waitForCompletion(id, { timeoutMs: 3000 }).catch((e: Error) => assert.fail(`not woken: ${e.message}`));
        assert.equal(done.runtimeStatus, 'COMPLETED');
        assert.equal(done.output, 'fired');
      } finally {
        await engine.stop();
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}
