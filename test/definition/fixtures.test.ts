/**
 * Definition fixtures: every file in fixtures/valid must validate (with exactly the warnings its
 * `.diagnostics.json` lists, if any); every file in fixtures/invalid must fail with exactly the
 * diagnostics its `.diagnostics.json` lists (code, severity, file, line, column, pointer, message).
 * Regenerate expectations after a deliberate change with SWIRL_UPDATE_FIXTURES=1 and review the diff.
 */
import { test } from 'node:test';
import './offline.js';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { validateFiles, type Diagnostic } from '../../src/index.js';

const root = new URL('./fixtures/', import.meta.url).pathname;
const update = process.env.SWIRL_UPDATE_FIXTURES === '1';

/** What a fixture expectation pins for each diagnostic. */
type Expected = Pick<Diagnostic, 'severity' | 'code' | 'line' | 'column' | 'pointer' | 'message'> & { file: string };

function expectedOf(d: Diagnostic): Expected {
  return { severity: d.severity, code: d.code, file: relative(root, d.file), line: d.line, column: d.column, pointer: d.pointer, message: d.message };
}

for (const kind of ['valid', 'invalid'] as const) {
  const dir = join(root, kind);
  for (const name of readdirSync(dir).filter((f) => /\.(ya?ml|json)$/.test(f) && !f.endsWith('.diagnostics.json')).sort()) {
    test(`${kind}/${name}`, async () => {
      const file = join(dir, name);
      // Validated as a set of one, so subFlowRef / continueAs targets are checked too.
      const [result] = await validateFiles([file]);
      const actual = result.diagnostics.map(expectedOf);
      const expectationFile = join(dir, `${basename(name).replace(/\.(ya?ml|json)$/, '')}.diagnostics.json`);
      if (update) {
        if (actual.length > 0) writeFileSync(expectationFile, JSON.stringify(actual, null, 2) + '\n');
        return;
      }
      assert.equal(result.valid, kind === 'valid', `${name}: valid should be ${kind === 'valid'}; got ${JSON.stringify(actual, null, 2)}`);
      const expected: Expected[] = existsSync(expectationFile) ? JSON.parse(readFileSync(expectationFile, 'utf8')) : [];
      if (kind === 'invalid') assert.ok(expected.length > 0, `${name}: an invalid fixture needs ${basename(expectationFile)}`);
      assert.deepEqual(actual, expected);
      for (const d of result.diagnostics) {
        assert.ok(d.line >= 1 && d.column >= 1, `${name}: position ${d.line}:${d.column}`);
        assert.ok(!/\bat .*\(.*:\d+:\d+\)/.test(d.message), `${name}: no stack traces in messages: ${d.message}`);
      }
    });
  }
}
