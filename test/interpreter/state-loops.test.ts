// A loop of states that need no durable step runs inside the orchestration turn; every
// TRANSITIONS_PER_YIELD transitions the walk waits on a timer due at once, so the turn commits and
// the server gets its thread back (issue 18: such a loop used to hold the event loop for good).
// The yields are in the history, so a finite loop completes with the same result, replay included.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TRANSITIONS_PER_YIELD } from '../../src/interpreter/program.js';
import { registerWorkflow } from '../../src/interpreter/index.js';
import { engine, exprFn, graphOf, run } from './harness.js';

const counter = (limit: number) => ({
  id: 'count-loop',
  functions: [exprFn('inc', '.n + 1')],
  start: 'Inc',
  states: [
    { name: 'Inc', type: 'operation', actions: [{ functionRef: 'inc', actionDataFilter: { toStateData: '${ .n }' } }], transition: 'Check' },
    { name: 'Check', type: 'switch', dataConditions: [{ condition: `\${ .n < ${limit} }`, transition: 'Inc' }], defaultCondition: { end: true } },
  ],
});

describe('loops of states without a durable step', () => {
  it(`hand the thread back every ${TRANSITIONS_PER_YIELD} transitions (a timer due at once, in the history) and complete with the loop's result`, async () => {
    const limit = 250; // Inc→Check and Check→Inc: 2 × 250 − 1 transitions
    const r = await run(counter(limit), { n: 0 }, { timeoutMs: 60_000 });
    assert.equal(r.runtimeStatus, 'COMPLETED', JSON.stringify(r.failure));
    assert.deepEqual(r.output, { n: limit });
    const history = await r.engine.client.history(r.instanceId);
    const timers = history.filter((e) => e.type === 'TimerCreated').length;
    assert.equal(timers, Math.floor((2 * limit - 1) / TRANSITIONS_PER_YIELD));
    assert.equal(history.filter((e) => e.type === 'TimerFired').length, timers);
    await r.engine.stop();
  });

  it('an endless loop keeps yielding and is terminated while it runs', async () => {
    const e = await engine();
    const name = registerWorkflow(e, await graphOf(counter(Number.MAX_SAFE_INTEGER)));
    await e.start();
    try {
      const id = await e.client.start(name, { n: 0 });
      // Several yields went by: the loop runs turn after turn (60 s: a deadlock guard).
      const deadline = Date.now() + 60_000;
      while ((await e.client.history(id)).filter((h) => h.type === 'TimerFired').length < 3) {
        if (Date.now() > deadline) assert.fail('the loop did not yield');
        await new Promise((r) => setTimeout(r, 20));
      }
      await e.client.terminate(id);
      const done = await e.client.waitForCompletion(id, { timeoutMs: 60_000 });
      assert.equal(done.runtimeStatus, 'TERMINATED');
    } finally {
      await e.stop();
    }
  });
});
