// Determinism: replaying a finished instance's recorded history through the program (history in →
// actions out, no I/O) decides nothing new and ends with the same output.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Engine } from '../../src/engine/engine.js';
import { execute } from '../../src/engine/replay/execute.js';
import type { AnyOrchestrationFunction } from '../../src/engine/replay/context.js';
import { registerWorkflow } from '../../src/interpreter/index.js';
import { exprFn, fakeHost, graphOf, invokeFn, run } from './harness.js';

/** Captures the orchestration functions registerWorkflow would register. */
async function programOf(def: Record<string, unknown>): Promise<AnyOrchestrationFunction> {
  const fns = new Map<string, AnyOrchestrationFunction>();
  const fake = { registerOrchestration: (name: string, fn: AnyOrchestrationFunction) => fns.set(name, fn), registerActivity: () => undefined };
  const name = registerWorkflow(fake as unknown as Engine, await graphOf(def));
  return fns.get(name)!;
}

const workflows: { title: string; def: Record<string, unknown>; input: unknown; events?: { name: string; data: unknown }[] }[] = [
  {
    title: 'parallel branches with timers and activities, parallel foreach in batches',
    def: {
      id: 'replay-par',
      functions: [invokeFn('sq'), exprFn('tag', '{tag: "t"}')],
      states: [
        {
          name: 'P',
          type: 'parallel',
          branches: [
            { name: 'A', actions: [{ functionRef: 'tag', sleep: { before: 'PT0.03S' } }] },
            { name: 'B', actions: [{ functionRef: { refName: 'sq', arguments: { n: 3 } }, actionDataFilter: { toStateData: '${ .b }' } }] },
          ],
          transition: 'F',
        },
        { name: 'F', type: 'foreach', inputCollection: '${ .xs }', iterationParam: 'n', batchSize: 2, outputCollection: '${ .out }', actions: [{ functionRef: { refName: 'sq', arguments: { n: '${ .n }' } }, actionDataFilter: { results: '${ .sq }' } }], end: true },
      ],
    },
    input: { xs: [1, 2, 3, 4, 5] },
  },
  {
    title: 'non-exclusive event state and an event switch',
    def: {
      id: 'replay-events',
      events: [{ name: 'A', type: 'a', source: 's' }, { name: 'B', type: 'b', source: 's' }, { name: 'C', type: 'c', source: 's' }],
      states: [
        { name: 'Both', type: 'event', exclusive: false, onEvents: [{ eventRefs: ['A'] }, { eventRefs: ['B'] }], transition: 'Sw' },
        { name: 'Sw', type: 'switch', timeouts: { eventTimeout: 'PT5S' }, eventConditions: [{ eventRef: 'C', end: true }], defaultCondition: { end: true } },
      ],
    },
    input: {},
    events: [{ name: 'b', data: { b: 1 } }, { name: 'a', data: { a: 1 } }, { name: 'c', data: { c: 1 } }],
  },
];

describe('replay determinism', () => {
  for (const w of workflows) {
    it(w.title, async () => {
      const host = fakeHost({ sq: (d) => ({ sq: (d as { n: number }).n ** 2 }) });
      const r = await run(w.def, w.input, { components: host as never, events: w.events });
      assert.equal(r.runtimeStatus, 'COMPLETED', JSON.stringify(r.failure));
      const history = await r.engine.client.history(r.instanceId);
      const replay = execute(await programOf(w.def), history, []);
      assert.deepEqual(replay.actions, []);
      assert.equal(replay.outcome?.status, 'COMPLETED');
      assert.deepEqual(JSON.parse(replay.outcome!.result!), r.output);
    });
  }
});
