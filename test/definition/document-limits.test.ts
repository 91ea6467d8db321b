// Hostile definition documents are refused quickly with DOCUMENT_LIMIT and a position: a YAML
// alias bomb, nesting thousands deep (JSON and YAML), and oversized text. Ordinary anchors pass.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DOCUMENT_LIMITS, parseDocument } from '../../src/definition/parse.js';

/** The classic "billion laughs": each level repeats the previous one ten times through aliases. */
function aliasBomb(levels: number): string {
  const lines = ['id: bomb', "specVersion: '0.8'", 'a0: &a0 ["lol"]'];
  for (let i = 1; i <= levels; i++) lines.push(`a${i}: &a${i} [${Array.from({ length: 10 }, () => `*a${i - 1}`).join(', ')}]`);
  lines.push('states: []');
  return lines.join('\n');
}

function refused(text: string, file = 'doc.yaml'): { message: string; line: number; column: number } {
  const r = parseDocument(text, file);
  assert.equal(r.ok, false, 'refused');
  if (r.ok) throw new Error('unreachable');
  assert.equal(r.diagnostic.code, 'DOCUMENT_LIMIT', r.diagnostic.message);
  return r.diagnostic;
}

test('a YAML alias bomb is refused at once, not expanded', () => {
  const t = Date.now();
  // 4 levels: 10^4 values, fine for aliases count (40) — refused by the expansion count only at 6+.
  assert.equal(parseDocument(aliasBomb(4), 'ok.yaml').ok, true);
  const d = refused(aliasBomb(8));
  assert.match(d.message, /expands to more than 1,000,000 values/);
  // Many aliases: refused by js-yaml's alias count.
  const many = ['id: many', 'x: &x 1', `list: [${Array.from({ length: DOCUMENT_LIMITS.aliases + 1 }, () => '*x').join(', ')}]`].join('\n');
  assert.match(refused(many).message, /aliases exceeded maxAliases \(1000\)/);
  assert.ok(Date.now() - t < 5000, `took ${Date.now() - t} ms`);
});

test('nesting past the limit is refused with the position where it goes too deep', () => {
  const json = `{"id": "deep", "data": ${'['.repeat(5000)}1${']'.repeat(5000)}}`;
  const d = refused(json, 'deep.json');
  assert.match(d.message, /nests arrays\/objects more than 200 deep/);
  assert.equal(d.line, 1);
  assert.equal(d.column, 24 + DOCUMENT_LIMITS.depth - 1);
  // Block-style YAML nesting (no brackets) is caught on the parsed value.
  const yaml = ['id: deep', ...Array.from({ length: 250 }, (_, i) => `${'  '.repeat(i)}k${i}:`), `${'  '.repeat(250)}v: 1`].join('\n');
  const y = refused(yaml);
  assert.match(y.message, /nesting exceeded maxDepth \(200\)/);
  assert.ok(y.line > 200, `at line ${y.line}`);
  // Brackets inside strings and comments do not count.
  assert.equal(parseDocument(`id: s\nnote: "${'['.repeat(500)}"\n# ${'{'.repeat(500)}\n`, 's.yaml').ok, true);
});

test('oversized text is refused before parsing', () => {
  const d = refused(`id: big\nnote: "${'x'.repeat(DOCUMENT_LIMITS.length)}"\n`);
  assert.match(d.message, /at most 4,194,304 are accepted/);
});

test('swirl validate reports an alias bomb as file:line:col DOCUMENT_LIMIT, quickly', () => {
  const dir = mkdtempSync(join(tmpdir(), 'swirl-doclimits-'));
  const file = join(dir, 'bomb.yaml');
  writeFileSync(file, aliasBomb(9));
  const repo = new URL('../../', import.meta.url).pathname;
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(repo, 'test/cli/run-cli.ts'), 'validate', file], { cwd: repo, encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stdout, new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:1:1: error DOCUMENT_LIMIT the document expands to more than 1,000,000 values`, 'm'));
});
