// Risky regexes RE2 can express search with re2js in linear time: the answers are the ones the
// backtracking path (JS RegExp, bounded in the worker) gives, and a catastrophic pattern on a long
// string answers without any time limit coming into play.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compileExpression, initExpressions, setExpressionLimits } from '../../src/expressions/index.js';
import { compileRegex, useLinearRegexes } from '../../src/expressions/regex.js';

await initExpressions();
after(() => {
  useLinearRegexes(true);
  setExpressionLimits({});
});

/** Every output of `program` on `input`, or its error message. */
function outcome(program: string, input: unknown): unknown {
  try {
    return compileExpression(program).evaluateAll(input);
  } catch (err) {
    return `error: ${(err as Error).message}`;
  }
}

/** The outcome on the RE2 path and on the backtracking path; they must agree. */
function both(program: string, input: unknown): unknown {
  useLinearRegexes(true);
  const linear = outcome(program, input);
  useLinearRegexes(false);
  try {
    assert.deepEqual(linear, outcome(program, input), `${program} on ${JSON.stringify(input)}`);
  } finally {
    useLinearRegexes(true);
  }
  return linear;
}

const q = (s: string | null): string => JSON.stringify(s);

// Each pattern is risky (a quantified group or quantifiers) and RE2 can express it.
const PATTERNS: [string, string | null][] = [
  ['(a+)+$', null],
  ['(a|aa)*c', 'g'],
  ['(\\w+\\s?)+$', null],
  ['(?<word>\\w+)(?<sep>[,;] ?)?', 'g'],
  ['(?<year>\\d{4})-(?<month>\\d{2})+', 'g'],
  ['(é|😀)+', 'g'],
  ['(.)+', 'g'],
  ['(.)+', 'gs'],
  ['(ab)+', 'gi'],
  ['(?:a|b)+\\Z', 'g'],
  ['(x)*', 'g'],
  ['(x)*', 'gn'],
  ['\\A(^a|b)+\\z', null],
  ['(\\h+\\.)+', 'g'],
  ['([]a-c]+)+', 'g'],
  ['( a + ) + # comment\n', 'gx'],
  ['(\\S+\\s+)+', 'g'],
  ['(\\p{Lu}\\p{Ll}+)+', 'g'],
  ['([^\\d\\s]+)+', 'g'],
  ['(?i)(straße)+', 'g'],
  ['(\\P{Lu}\\p{Lu})+', 'g'],
  ['([\\p{Lu}\\d]k)+', 'gi'],
  ['(a{1,3})+b', 'g'],
  ['(\\u00e9|\\x41)+', 'g'],
  ['(a+?)+', 'g'],
];
const SUBJECTS = ['', 'aaa', 'ab]c 1f.a0.', 'aab', 'aaa\n', 'a\nb\n', 'caaac aac', 'é😀é x😀', 'foo, bar;baz qux', 'on 2026-12-02 and 2027-01', 'ABab abAB', 'Straße STRASSE straße', 'a\r\nb\u2028c', 'AéA Élan Über', 'ab b 12', 'aBcD 1k2K3\u212A'];

describe('linear-time regexes (re2js)', () => {
  it('take the RE2 path for every pattern of the table', () => {
    for (const [re, flags] of PATTERNS) assert.ok(compileRegex(re, flags).linear, `${re} should be linear`);
    // Beyond RE2 (or where JS and RE2 would answer differently): the bounded worker keeps them.
    for (const re of ['(a+)+(?=b)', '(a)\\1+', '(\\w+\\b)+', '(a*)*', '((a)|b)+', '(?<!x)(a+)+', '(?i)(\\P{Lu})+']) assert.equal(compileRegex(re, null).linear, undefined, re);
  });

  it('answer test, match, capture, scan, split, splits, sub and gsub exactly as the backtracking path does', () => {
    for (const [re, flags] of PATTERNS) {
      for (const s of SUBJECTS) {
        both(`[test(${q(re)}; ${q(flags)})]`, s);
        both(`[match(${q(re)}; ${q(flags)})]`, s);
        both(`[capture(${q(re)}; ${q(flags)})]`, s);
        both(`[scan(${q(re)}; ${q(flags)})]`, s);
        both(`[splits(${q(re)}; ${q(flags)})]`, s);
        both(`split(${q(re)}; ${q(flags)})`, s);
        both(`sub(${q(re)}; "<\\(.)>"; ${q(flags)})`, s);
        both(`gsub(${q(re)}; "[\\(.)]"; ${q(flags)})`, s);
      }
    }
  });

  it('report offsets and lengths in code points, with named captures', () => {
    assert.deepEqual(both('[match("(é|😀)+"; "g") | [.offset, .length, .string, (.captures[0] | .offset, .length)]]', 'xé😀é b😀'), [
      [
        [1, 3, 'é😀é', 3, 1],
        [6, 1, '😀', 6, 1],
      ],
    ]);
    assert.deepEqual(both('[match("(?<w>\\\\w)+(?<n>\\\\d)?"; "g") | .captures | map([.name, .offset, .string])]', '😀ab c'), [
      [
        [
          ['w', 2, 'b'],
          ['n', -1, null],
        ],
        [
          ['w', 4, 'c'],
          ['n', -1, null],
        ],
      ],
    ]);
    // A capture's offset is where it matched, not the first place its text occurs.
    assert.deepEqual(both('match("a(a)+") | .captures[0].offset', 'aaa'), [2]);
    assert.deepEqual(both('capture("(?<y>\\\\d{4})-(?<m>\\\\d{2})+")', 'on 2026-12-02'), [{ y: '2026', m: '12' }]);
    // Offsets over many matches, counted on from match to match, and a capture behind a lookbehind.
    const many = '😀aé'.repeat(2000);
    assert.deepEqual(
      both('[match("(😀)(a)+"; "g") | [.offset, .captures[1].offset]]', many),
      [Array.from({ length: 2000 }, (_, i) => [3 * i, 3 * i + 1])],
    );
    assert.deepEqual(both('[match("(?<=(é))(b)+") | .offset, .captures[0].offset]', 'x😀éb'), [[3, 2]]);
    assert.deepEqual(both('gsub("(?<x>a+)"; "<\\(.x)>") | length', 'baaacaa'.repeat(20_000)), ['b<aaa>c<aa>'.length * 20_000]);
  });

  it('agree with the backtracking path on random patterns (fixed seed)', () => {
    const atoms = ['a', 'b', '.', '\\w', '\\d', '\\s', '[ab]', '[^a]', 'é', '😀', '\\n', '$', '(a)', '(?<n>b)', '(?:a|b)', '\\S', '\\p{L}', '[\\w-]', 'x?', 'A'];
    const quantifiers = ['', '', '*', '+', '?', '{1,2}', '*?', '+?'];
    const subjects = ['', 'a', 'aab', 'bba\n', 'é😀a b\r\nc', 'AaBb', 'a\nb\n', '12 ab_x', 'xyz😀😀ab'];
    const flagsList = [null, 'g', 'gi', 'gs', 'gn', 'gx'];
    let seed = 7;
    const pick = <T>(xs: readonly T[]): T => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return xs[Math.floor((seed / 2147483648) * xs.length)]!;
    };
    const pattern = (depth: number): string => {
      let s = '';
      for (let i = 0, n = pick([1, 2, 3]); i < n; i++) {
        const atom = depth < 2 && pick([0, 1, 2, 3]) === 0 ? `(${pattern(depth + 1)}${pick(['', '', `|${pattern(depth + 1)}`])})` : pick(atoms);
        s += atom + pick(quantifiers);
      }
      return s;
    };
    let linear = 0;
    for (let k = 0; k < 1500; k++) {
      const re = pick([true, false]) ? `(${pattern(0)})+` : pattern(0);
      const flags = pick(flagsList);
      let compiled;
      try {
        compiled = compileRegex(re, flags);
      } catch {
        continue;
      }
      if (!compiled.linear) continue;
      linear++;
      const s = pick(subjects);
      both(`[match(${q(re)}; ${q(flags)})]`, s);
      both(`[gsub(${q(re)}; "<\\(.)>"; ${q(flags)})]`, s);
    }
    assert.ok(linear > 300, `only ${linear} random patterns were linear`);
  });

  it('answer a catastrophic pattern on 100,000 characters without any time limit coming into play', () => {
    // A 1 ms regex budget: a search that went to the bounded worker would fail with EXPRESSION_LIMIT.
    setExpressionLimits({ regexTimeMs: 1 });
    try {
      const evil = `${'a'.repeat(100_000)}!`;
      assert.equal(compileExpression('test("(a+)+$")').evaluate(evil), false);
      assert.equal(compileExpression('test("(a+)+!$")').evaluate(evil), true);
      assert.equal(compileExpression('[match("(a|aa)*c"; "g")] | length').evaluate(evil), 0);
      assert.equal(compileExpression('test("(\\\\w+\\\\s?)+$")').evaluate(`${'word '.repeat(20_000)}!`), false);
      // And the same outcome on every run: nothing depends on a clock.
      for (let i = 0; i < 3; i++) assert.equal(compileExpression('test("(a+)+$")').evaluate(evil), false);
    } finally {
      setExpressionLimits({});
    }
  });
});
