// Control flow: onErrors, retries (maxAttempts counts every attempt), sleep, foreach, parallel.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { WorkflowError } from '../../src/errors.js';
import { exprFn, fakeHost, invokeFn, run } from './harness.js';

const fail = (code: string) => () => {
  throw new WorkflowError(code, `service says ${code}`);
};

describe('errors and retries', () => {
  it('handles a function error by code with onErrors (transition), passing the state data on', async () => {
    const host = fakeHost({ charge: fail('503') });
    const r = await run(
      {
        id: 'onerr',
        errors: [{ name: 'Unavailable', code: '503' }],
        functions: [invokeFn('charge')],
        states: [
          { name: 'Charge', type: 'operation', actions: [{ functionRef: 'charge' }], onErrors: [{ errorRef: 'Unavailable', transition: 'Fallback' }], end: true },
          { name: 'Fallback', type: 'inject', data: { fallback: true }, end: true },
        ],
      },
      { order: 1 },
      { components: host as never },
    );
    assert.equal(r.runtimeStatus, 'COMPLETED', JSON.stringify(r.failure));
    assert.deepEqual(r.output, { order: 1, fallback: true });
  });

  it('fails the instance naming state, action and code when no onErrors matches', async () => {
    const host = fakeHost({ charge: fail('404') });
    const r = await run(
      { id: 'unhandled', errors: [{ name: 'Unavailable', code: '503' }], functions: [invokeFn('charge')], states: [{ name: 'Charge', type: 'operation', actions: [{ name: 'chargeCard', functionRef: 'charge' }], onErrors: [{ errorRef: 'Unavailable', end: true }], end: true }] },
      {},
      { components: host as never },
    );
    assert.equal(r.runtimeStatus, 'FAILED');
    assert.equal(r.failure?.code, '404');
    assert.match(r.failure!.message, /^state 'Charge': action 'chargeCard': service says 404 \(code 404\)$/);
  });

  it('retries only retryableErrors; maxAttempts 3 means at most 3 calls', async () => {
    const host = fakeHost({ flaky: fail('503') });
    const r = await run(
      {
        id: 'retry',
        errors: [{ name: 'Unavailable', code: '503' }],
        retries: [{ name: 'three', maxAttempts: 3, delay: 'PT0.01S', multiplier: 2 }],
        functions: [invokeFn('flaky')],
        states: [{ name: 'Call', type: 'operation', actions: [{ functionRef: 'flaky', retryRef: 'three', retryableErrors: ['Unavailable'] }], end: true }],
      },
      {},
      { components: host as never },
    );
    assert.equal(r.runtimeStatus, 'FAILED');
    assert.equal(r.failure?.code, '503');
    assert.equal(host.calls.length, 3);
    // The same logical call keeps one idempotency key per attempt's task.
    assert.ok(host.calls.every((c) => typeof c.idempotencyKey === 'string'));
  });

  it('does not retry errors not listed (autoRetries false) and succeeds after retries otherwise', async () => {
    const host = fakeHost({ once: (_d, n) => (n < 2 ? fail('503')() : { ok: n }), other: fail('500') });
    const def = (fn: string) => ({
      id: `retry-${fn}`,
      errors: [{ name: 'Unavailable', code: '503' }],
      retries: [{ name: 'r', maxAttempts: 5, delay: 'PT0.01S' }],
      functions: [invokeFn('once'), invokeFn('other')],
      states: [{ name: 'Call', type: 'operation', actions: [{ functionRef: fn, retryRef: 'r', retryableErrors: ['Unavailable'] }], end: true }],
    });
    const ok = await run(def('once'), {}, { components: host as never });
    assert.deepEqual(ok.output, { ok: 2 });
    const bad = await run(def('other'), {}, { components: host as never });
    assert.equal(bad.failure?.code, '500');
    assert.equal(host.calls.filter((c) => c.method === 'other').length, 1);
  });

  it('autoRetries retries every error except nonRetryableErrors', async () => {
    const host = fakeHost({ f: (_d, n) => (n < 3 ? fail('500')() : 'done'), g: fail('400') });
    const r = await run(
      {
        id: 'auto',
        autoRetries: true,
        errors: [{ name: 'BadRequest', code: '400' }],
        retries: [{ name: 'fast', maxAttempts: 10, delay: 'PT0.01S' }],
        functions: [invokeFn('f'), invokeFn('g')],
        states: [
          { name: 'A', type: 'operation', actions: [{ functionRef: 'f', retryRef: 'fast', actionDataFilter: { toStateData: '.f' } }], transition: 'B' },
          { name: 'B', type: 'operation', actions: [{ functionRef: 'g', retryRef: 'fast', nonRetryableErrors: ['BadRequest'] }], onErrors: [{ errorRef: 'BadRequest', end: true }], end: true },
        ],
      },
      {},
      { components: host as never },
    );
    assert.equal(r.runtimeStatus, 'COMPLETED', JSON.stringify(r.failure));
    assert.deepEqual(r.output, { f: 'done' });
    assert.equal(host.calls.filter((c) => c.method === 'f').length, 3);
    assert.equal(host.calls.filter((c) => c.method === 'g').length, 1);
  });
});

describe('sleep, foreach, parallel', () => {
  it('sleeps durably and continues', async () => {
    const r = await run({ id: 'sleep', states: [{ name: 'Nap', type: 'sleep', duration: 'PT0.05S', transition: 'Done' }, { name: 'Done', type: 'inject', data: { woke: true }, end: true }] }, {});
    assert.deepEqual(r.output, { woke: true });
  });

  for (const mode of ['sequential', 'parallel'] as const) {
    it(`foreach (${mode}) collects iteration results in input order and drops the iteration param`, async () => {
      const host = fakeHost({ square: (d) => ({ sq: ((d as { n: number }).n) ** 2 }) });
      const r = await run(
        {
          id: `foreach-${mode}`,
          functions: [invokeFn('square')],
          states: [
            {
              name: 'Each',
              type: 'foreach',
              mode,
              batchSize: 2,
              inputCollection: '${ .numbers }',
              iterationParam: 'n',
              outputCollection: '${ .squares }',
              actions: [{ functionRef: { refName: 'square', arguments: { n: '${ .n }', k: '${ .k }' } }, actionDataFilter: { results: '${ .sq }' } }],
              end: true,
            },
          ],
        },
        { numbers: [1, 2, 3, 4, 5], k: 'kept' },
        { components: host as never },
      );
      assert.equal(r.runtimeStatus, 'COMPLETED', JSON.stringify(r.failure));
      assert.deepEqual(r.output, { numbers: [1, 2, 3, 4, 5], k: 'kept', squares: [1, 4, 9, 16, 25] });
      // Each iteration sees the state data too.
      assert.ok(host.calls.every((c) => (c.data as { k: string }).k === 'kept'));
    });
  }

  it('foreach fails with a clear error when inputCollection is not an array', async () => {
    const r = await run({ id: 'fe-bad', states: [{ name: 'Each', type: 'foreach', inputCollection: '${ .missing }', actions: [], end: true }] }, {});
    assert.equal(r.failure?.code, 'INVALID_INPUT_COLLECTION');
    assert.match(r.failure!.message, /state 'Each'/);
  });

  it('parallel allOf merges branch results in definition order', async () => {
    const r = await run(
      {
        id: 'par',
        functions: [exprFn('a', '{a: 1, list: ["a"]}'), exprFn('b', '{b: 2, list: ["b"]}')],
        states: [{ name: 'P', type: 'parallel', branches: [{ name: 'A', actions: [{ functionRef: 'a' }] }, { name: 'B', actions: [{ functionRef: 'b' }] }], end: true }],
      },
      { list: ['x'] },
    );
    assert.deepEqual(r.output, { list: ['x', 'a', 'b'], a: 1, b: 2 });
  });

  it('parallel atLeast completes after numCompleted branches and discards the rest', async () => {
    const r = await run(
      {
        id: 'atleast',
        functions: [exprFn('fast', '{fast: true}'), exprFn('slow', '{slow: true}')],
        states: [
          {
            name: 'P',
            type: 'parallel',
            completionType: 'atLeast',
            numCompleted: 1,
            branches: [
              { name: 'Slow', actions: [{ functionRef: 'slow', sleep: { before: 'PT5S' } }] },
              { name: 'Fast', actions: [{ functionRef: 'fast' }] },
            ],
            end: true,
          },
        ],
      },
      {},
    );
    assert.deepEqual(r.output, { fast: true });
  });

  it('raises "timeout" when a branch exceeds branchExecTimeout, handled by onErrors', async () => {
    const r = await run(
      {
        id: 'branch-timeout',
        errors: [{ name: 'Timeout', code: 'timeout' }],
        functions: [exprFn('slow', '{slow: true}')],
        states: [
          { name: 'P', type: 'parallel', branches: [{ name: 'Slow', timeouts: { branchExecTimeout: 'PT0.05S' }, actions: [{ functionRef: 'slow', sleep: { before: 'PT5S' } }] }], onErrors: [{ errorRef: 'Timeout', transition: 'T' }], end: true },
          { name: 'T', type: 'inject', data: { timedOut: true }, end: true },
        ],
      },
      {},
    );
    assert.deepEqual(r.output, { timedOut: true });
  });
});
