// Every evaluation runs on a deterministic budget: runaway loops, huge collections and huge
// strings end with EXPRESSION_LIMIT (uncatchable by jq's try), quickly, and the same way each time.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEFAULT_EXPRESSION_LIMITS,
  ExpressionError,
  compileExpression,
  expressionLimits,
  initExpressions,
  setExpressionLimits,
} from '../../src/expressions/index.js';

await initExpressions();
after(() => setExpressionLimits({}));

function limitOf(src: string, input: unknown = null): { limit: string; message: string } {
  try {
    compileExpression(src).evaluate(input);
  } catch (err) {
    assert.ok(err instanceof ExpressionError, String(err));
    assert.equal(err.code, 'EXPRESSION_LIMIT', err.message);
    return { limit: (err.value as { limit: string }).limit, message: err.message };
  }
  assert.fail(`${src} did not hit a limit`);
}

describe('expression limits', () => {
  it('stops loops that never end, naming the expression and the limit', () => {
    const r = limitOf('until(false; .)');
    assert.equal(r.limit, 'steps');
    assert.match(r.message, /"until\(false; \.\)" needed more than 10,000,000 evaluation steps/);
    assert.equal(limitOf('[repeat(1)] | length').limit, 'collectionLength');
    assert.equal(limitOf('last(repeat(1))').limit, 'steps');
    assert.equal(limitOf('last(while(true; .))').limit, 'steps');
  });

  it('bounds collections and strings before they are built', () => {
    assert.equal(limitOf('[range(1e7)] | length').limit, 'collectionLength');
    assert.equal(limitOf('[range(1e9)] | length').limit, 'collectionLength');
    assert.equal(limitOf('reduce range(40) as $i ([1]; . + .) | length').limit, 'collectionLength');
    assert.equal(limitOf('"x" * 1e9').limit, 'stringLength');
    assert.equal(limitOf('reduce range(40) as $i ("ab"; . + .) | length').limit, 'stringLength');
    assert.equal(limitOf('last(range(1e9))').limit, 'steps');
  });

  it("cannot be caught by jq's try, ?, or //", () => {
    assert.equal(limitOf('try [range(1e9)] catch "caught"').limit, 'collectionLength');
    assert.equal(limitOf('(until(false; .))? // "alt"').limit, 'steps');
  });

  it('is deterministic: the same evaluation gives the same outcome every time', () => {
    setExpressionLimits({ steps: 1000 });
    const counts = [0, 1, 2].map(() => {
      let n = 0;
      try {
        compileExpression('reduce range(100000) as $i (0; . + 1)').evaluate(null);
      } catch (err) {
        n = (err as ExpressionError).code === 'EXPRESSION_LIMIT' ? -1 : -2;
      }
      return n;
    });
    assert.deepEqual(counts, [-1, -1, -1]);
    // Just under the budget passes, every time.
    assert.equal(compileExpression('reduce range(900) as $i (0; . + 1)').evaluate(null), 900);
    setExpressionLimits({});
  });

  it('leaves ordinary expressions alone and restores the budget per evaluation', () => {
    assert.deepEqual(compileExpression('[limit(5; repeat(1))]').evaluate(null), [1, 1, 1, 1, 1]);
    assert.equal(compileExpression('last(range(1e6))').evaluate(null), 999999);
    const big = Array.from({ length: 200_000 }, (_, i) => i);
    // Each evaluation gets a fresh budget: many mid-sized evaluations in a row all pass.
    const e = compileExpression('map(. * 2) | add');
    for (let i = 0; i < 60; i++) assert.equal(e.evaluate(big), 199999 * 200000);
  });

  it('bounds the jq-wasm fallback in time: a runaway fallback program is stopped, the next one runs', () => {
    setExpressionLimits({ fallbackTimeMs: 300 });
    try {
      // Unbounded recursion overflows the JS stack, so it re-runs on jq-wasm, where it never ends.
      let t = Date.now();
      const r = limitOf('def f: f; f');
      assert.equal(r.limit, 'fallbackTimeMs');
      assert.match(r.message, /more than 300 ms on the jq-wasm fallback/);
      assert.ok(Date.now() - t < 10_000, 'stopped, not hung');
      // A construct the compiler leaves to jq-wasm, in an endless loop.
      t = Date.now();
      assert.equal(limitOf('[sub("a"; "x", "y")] | until(false; .)', 'aba').limit, 'fallbackTimeMs');
      // The worker was replaced: the fallback still answers.
      assert.deepEqual(compileExpression('[sub("a"; "x", "y")]').evaluate('aba'), ['xba', 'yba']);
      assert.equal(compileExpression('def f($n): if $n == 0 then 0 else f($n - 1) + 1 end; f(3000)').evaluate(null), 3000);
    } finally {
      setExpressionLimits({});
    }
  });

  it('bounds regex searches that backtrack catastrophically; ordinary regexes keep their results', () => {
    setExpressionLimits({ regexTimeMs: 300 });
    try {
      const evil = `${'a'.repeat(60)}!`;
      const t = Date.now();
      // Lookahead is beyond RE2: these still search in the worker, bounded by regexTimeMs.
      const r = limitOf('test("(a+)+(?=b)")', evil);
      assert.equal(r.limit, 'regexTimeMs');
      assert.match(r.message, /more than 300 ms in one regex search/);
      assert.equal(limitOf('[match("(a|aa)*(?=c)"; "g")]', evil).limit, 'regexTimeMs');
      assert.ok(Date.now() - t < 10_000, 'stopped, not hung');
      // The same risky pattern on an input where it is quick gives jq's answer (searched in the worker).
      assert.equal(compileExpression('test("(a+)+$")').evaluate('aaa'), true);
      assert.deepEqual(compileExpression('[match("(a+)+"; "g") | {offset, length}]').evaluate('xaaxa'), [
        { offset: 1, length: 2 },
        { offset: 4, length: 1 },
      ]);
      assert.deepEqual(compileExpression('capture("(?<y>\\\\d{4})-(?<m>\\\\d{2})")').evaluate('on 2026-12-02'), { y: '2026', m: '12' });
      assert.equal(compileExpression('gsub("(?<x>a+)"; "<\\(.x)>") | length').evaluate('baaacaa'.repeat(500)), 'b<aaa>c<aa>'.length * 500);
    } finally {
      setExpressionLimits({});
    }
  });

  it('is configurable, and refuses nonsense limits', () => {
    assert.deepEqual(expressionLimits(), DEFAULT_EXPRESSION_LIMITS);
    setExpressionLimits({ collectionLength: 10 });
    assert.equal(limitOf('[range(11)]').limit, 'collectionLength');
    assert.deepEqual(compileExpression('[range(10)] | length').evaluate(null), 10);
    assert.throws(() => setExpressionLimits({ steps: 0 }), /steps must be a positive number/);
    setExpressionLimits({});
    assert.deepEqual(expressionLimits(), DEFAULT_EXPRESSION_LIMITS);
  });
});
