// Cancelled parallel branches (atLeast and fail-fast): subflows terminated, event waits withdrawn, later work never starts.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { WorkflowError } from '../../src/errors.js';
import { exprFn, fakeHost, invokeFn, run } from './harness.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const slowChild = { id: 'slowchild', states: [{ name: 'Nap', type: 'sleep', duration: 'PT30S', end: true }] };

describe('cancelled parallel branches', () => {
  it('fail-fast: when one branch fails, the subflows of the other branches are terminated', async () => {
    const host = fakeHost({
      boom: async () => {
        await sleep(100);
        throw new WorkflowError('500', 'exploded', { nonRetryable: true });
      },
    });
    const r = await run(
      {
        id: 'failfast',
        functions: [invokeFn('boom')],
        states: [
          {
            name: 'P',
            type: 'parallel',
            branches: [
              { name: 'Child', actions: [{ subFlowRef: 'slowchild' }] },
              { name: 'Fails', actions: [{ functionRef: 'boom' }] },
            ],
            end: true,
          },
        ],
      },
      {},
      { others: [slowChild], components: host as never },
    );
    assert.equal(r.runtimeStatus, 'FAILED');
    assert.equal(r.failure?.code, '500');
    const [child] = (await r.engine.client.list({ parentInstanceId: r.instanceId })).instances;
    assert.ok(child, 'the branch started its subflow');
    assert.equal((await r.engine.client.waitForCompletion(child.instanceId, { timeoutMs: 60_000 })).runtimeStatus, 'TERMINATED');
  });

  it('atLeast: a cancelled branch never starts its later actions, nor retries its failed one', async () => {
    const host = fakeHost({
      flaky: () => {
        throw new WorkflowError('503', 'busy');
      },
      later: () => ({ later: true }),
    });
    const r = await run(
      {
        id: 'nolater',
        errors: [{ name: 'Busy', code: '503' }],
        retries: [{ name: 'slowly', maxAttempts: 5, delay: 'PT0.3S' }],
        functions: [invokeFn('flaky'), invokeFn('later'), exprFn('quick', '{quick: true}')],
        states: [
          {
            name: 'Race',
            type: 'parallel',
            completionType: 'atLeast',
            numCompleted: 1,
            branches: [
              { name: 'Retrying', actions: [{ functionRef: 'flaky', retryRef: 'slowly', retryableErrors: ['Busy'] }, { functionRef: 'later' }] },
              { name: 'Sleeping', actions: [{ functionRef: 'quick', sleep: { before: 'PT0.3S' } }, { functionRef: 'later' }] },
              { name: 'Quick', actions: [{ functionRef: 'quick', sleep: { before: 'PT0.1S' } }] },
            ],
            end: true,
          },
        ],
      },
      {},
      { components: host as never },
    );
    assert.equal(r.runtimeStatus, 'COMPLETED', JSON.stringify(r.failure));
    assert.deepEqual(r.output, { quick: true });
    // Well past the retry delay and the sleep: nothing of the cancelled branches ran after the cancel.
    await sleep(700);
    assert.deepEqual(
      host.calls.map((c) => c.method),
      ['flaky'],
    );
  });

  const boomHost = () =>
    fakeHost({
      boom: async () => {
        await sleep(100);
        throw new WorkflowError('500', 'exploded', { nonRetryable: true });
      },
    });

  async function childOf(r: { engine: { client: { list(f: { parentInstanceId: string }): Promise<{ instances: { instanceId: string }[] }>; waitForCompletion(id: string, o: { timeoutMs: number }): Promise<{ runtimeStatus: string }> } }; instanceId: string }) {
    const [child] = (await r.engine.client.list({ parentInstanceId: r.instanceId })).instances;
    assert.ok(child, 'a subflow was started');
    return (await r.engine.client.waitForCompletion(child.instanceId, { timeoutMs: 60_000 })).runtimeStatus;
  }

  it('fail-fast in actionMode parallel: a failing action cancels its siblings\' subflows', async () => {
    const r = await run(
      { id: 'paractions', functions: [invokeFn('boom')], states: [{ name: 'Both', type: 'operation', actionMode: 'parallel', actions: [{ subFlowRef: 'slowchild' }, { functionRef: 'boom' }], end: true }] },
      {},
      { others: [slowChild], components: boomHost() as never },
    );
    assert.equal(r.failure?.code, '500');
    assert.equal(await childOf(r), 'TERMINATED');
  });

  it('fail-fast in a parallel foreach: a failing iteration cancels the subflows of the others', async () => {
    const r = await run(
      {
        id: 'foreachcancel',
        functions: [invokeFn('boom')],
        states: [
          {
            name: 'Each',
            type: 'foreach',
            inputCollection: '${ .items }',
            iterationParam: 'it',
            actions: [{ condition: '${ .it == 1 }', subFlowRef: 'slowchild' }, { condition: '${ .it == 2 }', functionRef: 'boom' }],
            end: true,
          },
        ],
      },
      { items: [1, 2] },
      { others: [slowChild], components: boomHost() as never },
    );
    assert.equal(r.failure?.code, '500');
    assert.equal(await childOf(r), 'TERMINATED');
  });
});
