// A runaway expression fails its instance with EXPRESSION_LIMIT naming the state and the
// expression, and onErrors can catch it like any other error code.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { exprFn, run } from './harness.js';

describe('expression limits in workflows', () => {
  it('fails the instance with EXPRESSION_LIMIT, naming the state and the expression', async () => {
    const r = await run({
      id: 'runaway',
      functions: [exprFn('spin', 'until(false; .)')],
      states: [{ name: 'Spin', type: 'operation', actions: [{ functionRef: 'spin' }], end: true }],
    });
    assert.equal(r.runtimeStatus, 'FAILED');
    assert.equal(r.failure?.code, 'EXPRESSION_LIMIT', JSON.stringify(r.failure));
    assert.match(r.failure?.message ?? '', /state 'Spin'/);
    assert.match(r.failure?.message ?? '', /until\(false; \.\)/);
    assert.match(r.failure?.message ?? '', /evaluation steps/);
  });

  it('bounds a foreach input collection: [range(1e7)] fails its state with EXPRESSION_LIMIT instead of iterating', async () => {
    for (const expr of ['${ [range(1e7)] }', '${ [range(1e9)] }']) {
      const r = await run({
        id: 'huge-foreach',
        states: [{ name: 'Each', type: 'foreach', inputCollection: expr, iterationParam: 'i', actions: [], end: true }],
      });
      assert.equal(r.runtimeStatus, 'FAILED', expr);
      assert.equal(r.failure?.code, 'EXPRESSION_LIMIT', JSON.stringify(r.failure));
      assert.match(r.failure?.message ?? '', /state 'Each'/);
      assert.match(r.failure?.message ?? '', /range\(1e[79]\)/);
      assert.match(r.failure?.message ?? '', /1,000,000/);
    }
  });

  it('is caught by onErrors through an error definition with code EXPRESSION_LIMIT', async () => {
    const r = await run(
      {
        id: 'runaway-caught',
        errors: [{ name: 'TooBig', code: 'EXPRESSION_LIMIT' }],
        functions: [exprFn('explode', '[range(1e9)] | length')],
        states: [
          { name: 'Explode', type: 'operation', actions: [{ functionRef: 'explode' }], onErrors: [{ errorRef: 'TooBig', transition: 'Recover' }], end: true },
          { name: 'Recover', type: 'inject', data: { recovered: true }, end: true },
        ],
      },
      { n: 1 },
    );
    assert.equal(r.runtimeStatus, 'COMPLETED', JSON.stringify(r.failure));
    assert.deepEqual(r.output, { n: 1, recovered: true });
  });
});
