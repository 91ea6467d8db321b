/** Which strings are one whole `${ … }` expression (specs/semantics.md: expression fields). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { alwaysExpression, embeddedExpressions, valueExpression, wholeExpression } from '../../src/definition/expression-sites.js';
import { validateText } from '../../src/index.js';

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

test('the ${ } expressions inside a graphql selectionSet are found, each with its jq', () => {
  assert.deepEqual(embeddedExpressions('{ age(dog: ${ .isDog }) { years } }'), [{ start: 11, end: 22, jq: ' .isDog ', offset: 13 }]);
  assert.deepEqual(embeddedExpressions('{ a(x: ${ {b: "}"} }) }').map((e) => e.jq), [' {b: "}"} ']);
  assert.deepEqual(embeddedExpressions('{ id }'), []);
  assert.equal(embeddedExpressions('{ a(x: ${ .x ').at(-1)?.end, -1);
});

test('validation compiles the expressions of a selectionSet: a jq error is at the selectionSet pointer and line', async () => {
  const text = [
    "id: gqlsel", "specVersion: '0.8'", 'functions:', '  - name: pet', '    type: graphql', "    operation: 'http://127.0.0.1:1/graphql#query#pet'",
    'states:', '  - name: Call', '    type: operation', '    actions:', '      - functionRef:', '          refName: pet',
    "          selectionSet: '{ name, age(dog: ${ .isDog | }) { years } }'", '      - functionRef:', '          refName: pet',
    "          selectionSet: '{ name, age(dog: ${ .isDog }) { years } }'", '      - functionRef:', '          refName: pet',
    "          selectionSet: '{ name, age(dog: ${ .isDog'", '    end: true', '',
  ].join('\n');
  const r = await validateText(text, 'sel.yaml');
  const errors = r.diagnostics.filter((d) => d.severity === 'error');
  assert.deepEqual(errors.map((d) => [d.code, d.pointer, d.line]), [
    ['INVALID_EXPRESSION', '/states/0/actions/0/functionRef/selectionSet', 13],
    ['INVALID_EXPRESSION', '/states/0/actions/2/functionRef/selectionSet', 19],
  ]);
  assert.match(errors[0]!.message, /invalid expression '\$\{ \.isDog \| \}'/);
  assert.match(errors[1]!.message, /unterminated expression/);
});
