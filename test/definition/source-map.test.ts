/**
 * SourceMap.locateWithin: a position inside a string value (where in an expression jq stopped)
 * is exact when the text up to it is written as it reads, and falls back to the value's start
 * when an escape, a folded line or stripped indentation (a block scalar) comes before it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SourceMap } from '../../src/definition/source-map.js';

const doc = [
  'plain: ${ .a | foo( }', // 1
  "single: '.a + '", // 2
  'double: "x\\ty( "', // 3: an escape before the index
  'block: |', // 4
  '  line one', // 5
  '  line (two', // 6
  'json: {"k": ".b | (("}', // 7
].join('\n');
const map = SourceMap.build(doc);

test('plain, single-quoted and flow values: the column of the character', () => {
  assert.deepEqual(map.locateWithin('/plain', '${ .a | foo( }', 13), { line: 1, column: 21 });
  assert.deepEqual(map.locateWithin('/single', '.a + ', 5), { line: 2, column: 15 });
  assert.deepEqual(map.locateWithin('/json/k', '.b | ((', 5), { line: 7, column: 19 });
});

test('an escape before the index: the value start, as locate', () => {
  assert.deepEqual(map.locateWithin('/double', 'x\ty( ', 3), map.locate('/double'));
  // Before the escape the text still reads as written.
  assert.deepEqual(map.locateWithin('/double', 'x\ty( ', 1), { line: 3, column: 11 });
});

test('a block scalar (indentation comes before its text): the value start, as locate', () => {
  assert.deepEqual(map.locateWithin('/block', 'line one\nline (two\n', 5), map.locate('/block'));
});

test('an index out of the value, or a pointer that is no scalar: locate', () => {
  assert.deepEqual(map.locateWithin('/plain', 'short', 99), map.locate('/plain'));
  assert.deepEqual(map.locateWithin('/json', '', 0), map.locate('/json'));
});
