/** Which strings are one whole `${ … }` expression (specs/semantics.md: expression fields). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { alwaysExpression, valueExpression, wholeExpression } from '../../src/definition/expression-sites.js';

test('a whole ${ … } is an expression; its jq is the inside', () => {
  assert.deepEqual(wholeExpression('${ .a }'), { jq: ' .a ', offset: 2 });
  assert.deepEqual(wholeExpression('  ${.a}  '), { jq: '.a', offset: 4 });
  assert.equal(wholeExpression('${ {a: .b} }')?.jq, ' {a: .b} ');
  assert.equal(wholeExpression('${ "}" + .x }')?.jq, ' "}" + .x ', 'a brace inside a jq string does not close');
  assert.equal(wholeExpression('${ "\\(.a | {b: 1})" }')?.jq, ' "\\(.a | {b: 1})" ', 'braces inside an interpolation');
  assert.equal(wholeExpression('${ .a # a } comment\n }')?.jq, ' .a # a } comment\n ');
});

test('several ${ } in one string, or text around one, is not one expression', () => {
  assert.equal(wholeExpression('${ .a } and ${ .b }'), undefined);
  assert.equal(wholeExpression('Hello ${ .name }'), undefined);
  assert.equal(wholeExpression('${ .a } !'), undefined);
  assert.equal(wholeExpression('${ .a'), undefined);
  assert.equal(wholeExpression('.a'), undefined);
  // value fields: a literal; always-expression fields: the text is the jq (and will not compile)
  assert.equal(valueExpression('${ .a } and ${ .b }'), undefined);
  assert.deepEqual(alwaysExpression('${ .a } and ${ .b }'), { jq: '${ .a } and ${ .b }', offset: 0 });
  assert.deepEqual(alwaysExpression('.count > 1'), { jq: '.count > 1', offset: 0 });
});

test('an unbalanced ${ … } is still taken as one (broken) expression, so its error is reported', () => {
  assert.equal(wholeExpression('${ "Hello \\(.name" }')?.jq, ' "Hello \\(.name" ');
  assert.equal(wholeExpression('${ {name: .name, }')?.jq, ' {name: .name, ');
});
