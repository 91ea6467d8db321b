/**
 * Definitions validated together (files on the command line, a directory): checks across files.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { relative } from 'node:path';
import { validateFiles } from '../../src/index.js';

const sets = new URL('./fixtures/sets/', import.meta.url).pathname;

test('two definitions with the same id and version: DUPLICATE_WORKFLOW on the later file', async () => {
  const results = await validateFiles([`${sets}duplicate-workflows`]);
  const found = results.flatMap((r) => r.diagnostics.map((d) => ({ ...d, file: relative(sets, d.file) })));
  assert.deepEqual(found, [
    {
      severity: 'error',
      code: 'DUPLICATE_WORKFLOW',
      file: 'duplicate-workflows/order-b.yaml',
      line: 1,
      column: 5,
      pointer: '/id',
      message: `workflow 'order' version '1.0' is also defined in ${sets}duplicate-workflows/order-a.yaml:1`,
      hint: 'give each definition its own id, or a different version',
    },
  ]);
  assert.deepEqual(results.map((r) => r.valid), [true, false, true]);
});
