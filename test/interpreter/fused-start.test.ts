// A Serverless Workflow start is fused with its first turn like a code orchestration's (store
// feature fusedStart, engine/fused-start.ts): the interpreter runs in process, so `client.start` —
// what `swirl serve`'s start routes call — commits the create and the first turn at once.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createEngine } from '../../src/engine/engine.js';
import { registerWorkflow } from '../../src/interpreter/index.js';
import { openStore } from '../../src/store/index.js';
import type { CreateInstanceRequest, Store } from '../../src/store/types.js';
import { graphOf } from './harness.js';

describe('fused start of a Serverless Workflow', () => {
  it('an inject workflow completes in the one commit of its start; an operation workflow schedules its first call in it', async () => {
    const raw = await openStore('memory');
    const fused: string[] = [];
    const store = new Proxy(raw, {
      get(target, prop, receiver) {
        if (prop === 'createInstance') {
          return async (request: CreateInstanceRequest) => {
            const r = await target.createInstance(request);
            if (request.firstTurn !== undefined && r.created) fused.push(request.name);
            return r;
          };
        }
        const v = Reflect.get(target, prop, receiver) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    }) as Store;
    const engine = await createEngine({ store, pollIntervalMs: 10 });
    try {
      const inject = registerWorkflow(engine, await graphOf({ id: 'inj', version: '1', start: 'A', states: [{ name: 'A', type: 'inject', data: { x: 1 }, end: true }] }));
      const steps = registerWorkflow(
        engine,
        await graphOf({
          id: 'ops',
          version: '1',
          start: 'A',
          functions: [{ name: 'add', type: 'expression', operation: '.x + 1' }],
          states: [{ name: 'A', type: 'operation', actions: [{ functionRef: 'add', actionDataFilter: { toStateData: '.x' } }], end: true }],
        }),
      );
      await engine.start();
      const a = await engine.client.start(inject, { y: 2 });
      assert.equal((await engine.client.get(a))?.runtimeStatus, 'COMPLETED', 'final when start() returns');
      assert.deepEqual((await engine.client.waitForCompletion(a, { timeoutMs: 5000 })).output, { y: 2, x: 1 });
      const b = await engine.client.start(steps, { x: 1 });
      assert.deepEqual((await engine.client.waitForCompletion(b, { timeoutMs: 5000 })).output, { x: 2 });
      assert.deepEqual(fused, [inject, steps]);
    } finally {
      await engine.stop();
      await raw.close();
    }
  });
});
