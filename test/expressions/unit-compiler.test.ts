/**
 * @module test/expressions/unit-compiler
 * Focused tests of the jq compiler: parser precedence and error positions, number and ordering
 * semantics, paths and updates, generators/backtracking, vars, and the jq-wasm fallback path.
 * Where convenient, outputs are compared with jq 1.8.2 itself (the forced wasm engine).
 */
import { spawnSync } from 'node:child_process';
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { compileExpression, expressionStats, ExpressionError, initExpressions, setExpressionLogger, type ExpressionLogEvent } from '../../src/expressions/index.js';

before(async () => {
  await initExpressions();
});

/** Asserts compiled and jq-wasm agree on every output (or both raise). */
function agrees(src: string, input: unknown, vars?: Record<string, unknown>): unknown[] | undefined {
  const mine = compileExpression(src);
  assert.equal(mine.usesFallback, false, `${src} should compile natively`);
  const oracle = compileExpression(src, { engine: 'wasm' });
  let expected: unknown[] | undefined;
  try {
    expected = oracle.evaluateAll(input, vars);
  } catch {
    assert.throws(() => mine.evaluateAll(input, vars), ExpressionError, `${src} should raise like jq`);
    return undefined;
  }
  assert.deepEqual(mine.evaluateAll(input, vars), expected, src);
  return expected;
}

test('precedence: pipe < comma < // < assignment < or < and < comparison < + < *', () => {
  assert.deepEqual(agrees('1, 2 | . * 10', null), [10, 20]);
  assert.deepEqual(agrees('null // 1, 2', null), [1, 2]);
  assert.deepEqual(agrees('1 + 2 * 3 - 4 / 2', null), [5]);
  assert.deepEqual(agrees('1 < 2 and 3 > 4 or true', null), [true]);
  assert.deepEqual(agrees('.a = 1 | .b', { b: 2 }), [2]);
  assert.deepEqual(agrees('false // false // 3', null), [3]);
  assert.deepEqual(agrees('1 as $x | 2 as $y | $x + $y', null), [3]);
  assert.deepEqual(agrees('[.[] | -. ]', [1, -2]), [[-1, 2]]);
  assert.deepEqual(agrees('def f(g): g | g; f(. + 1)', 1), [3]);
  assert.deepEqual(agrees('try error("x") catch . | length', null), [1]);
  assert.deepEqual(agrees('reduce .[] as [$a, $b] (0; . + $a * $b)', [[1, 2], [3, 4]]), [14]);
  assert.deepEqual(agrees('[.[] as [$a] ?// $a | $a]', [[1], 2]), [[1, 2]]);
  assert.deepEqual(agrees('"a\\(1 + 2)b\\("c" | ascii_upcase)"', null), ['a3bC']);
  assert.deepEqual(agrees('{a: 1, "b c": 2, (.k): 3, $__loc__}', { k: 'z' }), [{ a: 1, 'b c': 2, z: 3, __loc__: { file: '<top-level>', line: 1 } }]);
});

test('syntax errors carry the position', () => {
  for (const [src, line, column] of [
    ['.a +', 1, 5],
    ['.a | (1, 2', 1, 11],
    ['{a: }', 1, 5],
    ['.a\n| if . then 1 end end', 2, 19],
  ] as const) {
    assert.throws(
      () => compileExpression(src),
      (err: unknown) => err instanceof ExpressionError && err.code === 'EXPRESSION_COMPILE' && err.position?.line === line && err.position.column === column,
      src,
    );
  }
  assert.throws(() => compileExpression('nosuchfn(1)'), /nosuchfn\/1 is not defined/);
});

test('numbers and ordering follow jq 1.8', () => {
  agrees('[1/3, 0.1 + 0.2, 1e17 + 0, 1e-5 + 0, 100] | map(tostring)', null);
  agrees('[null, true, false, 0, -1, "b", "a", [], [0], {}, {"a": 1}] | sort', null);
  agrees('[5 % 3, -5 % 3, 5 % -3, 5.9 % 2]', null);
  agrees('"abc" * 2, "x" * 0, ({"a":{"b":1}} * {"a":{"c":2}}), ([1,2,2] - [2]), ("a,b" / ",")', null);
  agrees('[nan < 1, nan == nan, ([nan] | sort | length), (infinite | tostring)]', null);
  agrees('1 / 0', null);
  agrees('{} + 1', null);
  agrees('[.[] | tojson]', [1.5, 'é\u007f', [null, { a: true }]]);
  agrees('map(. as $x | [1, $x] | max)', [0, 2]);
});

test('paths and updates copy on write and never mutate the input', () => {
  const input = { a: { b: [1, 2, 3] }, c: 'x' };
  const frozen = JSON.stringify(input);
  agrees('.a.b[1] |= . * 10', input);
  agrees('del(.a.b[0, 2])', input);
  agrees('[paths]', input);
  agrees('to_entries | from_entries', input);
  agrees('.a.b[1:] = ["y"]', input);
  agrees('.a.b[] += 1', input);
  agrees('.missing //= 5', input);
  agrees('.a.b |= map(select(. != 2))', input);
  agrees('[.a.b[] |= empty]', input);
  agrees('path(.a.b[0], .c)', input);
  agrees('getpath(["a","b",2]), setpath(["z",1]; true), delpaths([["a"],["c"]])', input);
  agrees('pick(.a.b[1])', input);
  agrees('with_entries(.value |= tostring)', input);
  assert.equal(JSON.stringify(input), frozen, 'input unchanged');
});

test('generators, backtracking, label/break, limit/first and try', () => {
  agrees('[range(5)] | [limit(3; .[])], first(.[]), [.[] | select(. % 2 == 0)]', null);
  agrees('[label $out | 1, 2, break $out, 3]', null);
  agrees('[.[] | try (if . == 2 then error("two") else . end) catch "caught"]', [1, 2, 3]);
  agrees('[.[] | (1 / .)?]', [1, 0, 2]);
  agrees('[foreach .[] as $x (0; . + $x; [$x, .])]', [1, 2, 3]);
  agrees('[(1,2) + (10,20)], ["\\(1,2)-\\(3,4)"], [{a: (1,2), b: (3,4)}]', null);
  agrees('def f: if . < 3 then ., (. + 1 | f) else . end; [f]', 0);
  agrees('[recurse(if . < 3 then . + 1 else empty end)], [.. ]', 0);
  agrees('[limit(3; repeat(1))], isempty(empty), [until(. > 100; . * 2)]', 1);
  agrees('.a.b?', 1);
  agrees('[.[]?]', 3);
  agrees('try error({code: 42}) catch .code', null);
  // error(x) keeps the structured value for the caller.
  assert.throws(
    () => compileExpression('error({code: 42})').evaluate(null),
    (err: unknown) => err instanceof ExpressionError && err.code === 'EXPRESSION_RUNTIME' && (err.value as { code: number }).code === 42,
  );
});

test('evaluate gives the first output, null for none; vars bind $names', () => {
  assert.equal(compileExpression('.[]').evaluate([4, 5]), 4);
  assert.equal(compileExpression('empty').evaluate(1), null);
  assert.equal(compileExpression('.[] | 1 / .').evaluate([1, 0]), 1, 'evaluate stops at the first output');
  const c = compileExpression('{name: $CONST.greeting, secret: $SECRETS.key, n: .n}');
  assert.deepEqual(c.evaluate({ n: 1 }, { CONST: { greeting: 'hi' }, SECRETS: { key: 's' } }), { name: 'hi', secret: 's', n: 1 });
  assert.throws(() => compileExpression('$nope').evaluate(null), /\$nope is not defined/);
  assert.deepEqual(compileExpression('$ENV, env').evaluateAll(null), [{}, {}], 'no process environment leaks');
  assert.equal(compileExpression('now').evaluate(null, { NOW: 1700000000 }), 1700000000);
  agrees('$x + 1', null, { x: 41 });
});

test('regex, formats and strings agree with jq', () => {
  agrees('[match("(?<d>\\\\d+)"; "g") | .captures[0].string], (capture("(?<w>[a-z]+)")), [scan("\\\\d")], sub("\\\\d"; "#"), gsub("(?<d>\\\\d)"; "<\\(.d)>")', 'a1b22c');
  agrees('test("A"; "i"), [splits(", *")], ascii_downcase, ltrimstr("a"), (explode | implode)', 'a, B,c');
  agrees('@base64, @uri, @html, @sh, @json, (@base64 | @base64d)', "<a href='x'>é & ü</a>");
  agrees('@csv, @tsv', [1, 'a"b', null, true, 'tab\there']);
  agrees('[.[] | tostring], (map(tostring) | join("-")), (.[1] | length), (.[1] | utf8bytelength)', [1, 'héllo😀', null]);
});

test('without jq-wasm loaded, a construct that needs the fallback is a clear setup error', () => {
  // A separate process, where initExpressions() was never awaited.
  const script = `
    import { compileExpression } from './src/expressions/index.ts';
    const native = compileExpression('.a + 1').usesFallback;
    try { compileExpression('[sub("a"; "x", "y")]'); console.log(JSON.stringify({ native })); }
    catch (e) { console.log(JSON.stringify({ native, code: e.code, needsFallback: e.needsFallback, message: e.message })); }`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: new URL('../..', import.meta.url), encoding: 'utf8' });
  const out = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as { native: boolean; code?: string; needsFallback?: boolean; message?: string };
  assert.equal(out.native, false);
  assert.equal(out.code, 'EXPRESSION_COMPILE');
  assert.equal(out.needsFallback, true);
  assert.match(out.message ?? '', /await initExpressions\(\)/);
});

test('the fallback runs what the compiler does not handle, counted and logged once', () => {
  const events: ExpressionLogEvent[] = [];
  setExpressionLogger((e) => events.push(e));
  try {
    const before = expressionStats();
    // A replacement with several outputs is left to jq-wasm by the compiler.
    const src = '[sub("a"; "x", "y")]';
    const c = compileExpression(src);
    assert.equal(c.usesFallback, true);
    assert.deepEqual(c.evaluateAll('aba'), compileExpression(src, { engine: 'wasm' }).evaluateAll('aba'));
    assert.deepEqual(c.evaluate('aba'), ['xba', 'yba']);
    compileExpression(src);
    const after = expressionStats();
    assert.equal(after.fallbacks, before.fallbacks + 1);
    assert.equal(after.fallbackEvaluations, before.fallbackEvaluations + 2);
    assert.equal(events.filter((e) => e.expression === src).length, 1, 'logged once per expression');
    assert.throws(() => c.evaluate(1), (err: unknown) => err instanceof ExpressionError && err.code === 'EXPRESSION_RUNTIME');
    // jq-wasm traps (and then hangs) on programs nested ~1,000 deep: they never reach it.
    const deep = `${'['.repeat(1000)}1${']'.repeat(1000)}`;
    assert.throws(() => compileExpression(deep, { engine: 'wasm' }), (err: unknown) => err instanceof ExpressionError && /nested too deeply/.test(err.message));
    assert.deepEqual(c.evaluate('a'), ['x', 'y'], 'the fallback still works');
  } finally {
    setExpressionLogger(undefined);
  }
});
