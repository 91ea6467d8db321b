// Interpreter basics: state walk, filters, inject, switch, expression functions, merge decisions.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { exprFn, run } from './harness.js';

describe('interpreter basics', () => {
  it('runs an inject state and returns the state data as output', async () => {
    const r = await run({ id: 'hello', start: 'Hello', states: [{ name: 'Hello', type: 'inject', data: { result: 'Hello World!' }, end: true }] });
    assert.equal(r.runtimeStatus, 'COMPLETED');
    assert.deepEqual(r.output, { result: 'Hello World!' });
  });

  it('applies stateDataFilter input/output and expression functions with toStateData', async () => {
    const r = await run(
      {
        id: 'calc',
        functions: [exprFn('double', '.n * 2'), exprFn('greet', '"hi " + .name')],
        states: [
          {
            name: 'Calc',
            type: 'operation',
            stateDataFilter: { input: '${ .payload }', output: '${ {doubled, greeting} }' },
            actions: [
              { functionRef: 'double', actionDataFilter: { toStateData: '${ .doubled }' } },
              { functionRef: { refName: 'greet', arguments: { name: '${ .who }' } }, actionDataFilter: { toStateData: '.greeting' } },
            ],
            end: true,
          },
        ],
      },
      { payload: { n: 21, who: 'Ada' } },
    );
    assert.equal(r.runtimeStatus, 'COMPLETED', JSON.stringify(r.failure));
    assert.deepEqual(r.output, { doubled: 42, greeting: 'hi Ada' });
  });

  it('takes the first true data condition, else the default', async () => {
    const def = {
      id: 'sw',
      states: [
        {
          name: 'S',
          type: 'switch',
          dataConditions: [
            { condition: '${ .x > 10 }', transition: 'Big' },
            { condition: '.x > 5', transition: 'Medium' },
            { condition: '${ .x > 0 }', transition: 'Medium' },
          ],
          defaultCondition: { transition: 'Small' },
        },
        { name: 'Big', type: 'inject', data: { size: 'big' }, end: true },
        { name: 'Medium', type: 'inject', data: { size: 'medium' }, end: true },
        { name: 'Small', type: 'inject', data: { size: 'small' }, end: true },
      ],
    };
    assert.deepEqual((await run(def, { x: 20 })).output, { x: 20, size: 'big' });
    assert.deepEqual((await run(def, { x: 7 })).output, { x: 7, size: 'medium' });
    assert.deepEqual((await run(def, { x: -1 })).output, { x: -1, size: 'small' });
  });

  it('merges results deeply, arrays unique-concatenated, and fails on type mismatch', async () => {
    const r = await run(
      {
        id: 'merge',
        functions: [exprFn('f', '{customer: {zip: "54321"}, tags: ["b", "c"]}')],
        states: [{ name: 'M', type: 'operation', actions: [{ functionRef: 'f' }], end: true }],
      },
      { customer: { name: 'John', zip: '12345' }, tags: ['a', 'b'] },
    );
    assert.deepEqual(r.output, { customer: { name: 'John', zip: '54321' }, tags: ['a', 'b', 'c'] });
    const bad = await run(
      { id: 'badmerge', functions: [exprFn('s', '"a string"')], states: [{ name: 'M', type: 'operation', actions: [{ name: 'getString', functionRef: 's' }], end: true }] },
      {},
    );
    assert.equal(bad.runtimeStatus, 'FAILED');
    assert.equal(bad.failure?.code, 'MERGE_ERROR');
    assert.match(bad.failure!.message, /state 'M': action 'getString': cannot merge a string into an object/);
  });

  it('merges nothing when a result is null (no toStateData)', async () => {
    const r = await run({ id: 'nullres', functions: [exprFn('nothing', 'null'), exprFn('n2', 'null')], states: [{ name: 'N', type: 'operation', actions: [{ functionRef: 'nothing' }, { functionRef: 'n2', actionDataFilter: { toStateData: '${ .z }' } }], end: true }] }, { keep: 1 });
    assert.deepEqual(r.output, { keep: 1, z: null });
  });

  it('fails with a message naming the state and the expression when an expression fails', async () => {
    const r = await run({ id: 'exprfail', states: [{ name: 'Check', type: 'switch', dataConditions: [{ condition: '${ .a | error("boom") }', transition: 'X' }], defaultCondition: { end: true } }, { name: 'X', type: 'inject', data: {}, end: true }] }, { a: 1 });
    assert.equal(r.runtimeStatus, 'FAILED');
    assert.equal(r.failure?.code, 'EXPRESSION_ERROR');
    assert.match(r.failure!.message, /state 'Check': switch condition expression '.a \| error\("boom"\)'/);
  });
});
