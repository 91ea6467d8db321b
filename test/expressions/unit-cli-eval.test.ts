/**
 * @module test/expressions/unit-cli-eval
 * `swirl eval`: outputs one compact JSON value per line; compile errors exit 2 with the position,
 * jq runtime errors exit 1; `--input @file` and `--var name=json` work.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';

/** Runs the CLI in-process and captures what it writes. */
async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const origOut = process.stdout.write.bind(process.stdout);
  const origErr = process.stderr.write.bind(process.stderr);
  // The test runner itself reports through stdout as binary chunks: only capture the CLI's text.
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) =>
    typeof chunk === 'string' ? ((out += chunk), true) : (origOut as (...a: unknown[]) => boolean)(chunk, ...rest)) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]) =>
    typeof chunk === 'string' ? ((err += chunk), true) : (origErr as (...a: unknown[]) => boolean)(chunk, ...rest)) as typeof process.stderr.write;
  try {
    const code = await main(args);
    return { code, out, err };
  } finally {
    process.stdout.write = origOut;
    process.stderr.write = origErr;
  }
}

test('prints every output as compact JSON, one per line', async () => {
  const r = await run(['eval', '.items[] | {id, n: ($CONST.k + .id)}', '--input', '{"items":[{"id":1},{"id":2}]}', '--var', 'CONST={"k":10}']);
  assert.equal(r.code, 0);
  assert.equal(r.out, '{"id":1,"n":11}\n{"id":2,"n":12}\n');
});

test('reads the input from a file with @', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'swirl-eval-'));
  const file = join(dir, 'in.json');
  writeFileSync(file, '{"a": [3, 1, 2]}');
  const r = await run(['eval', '.a | sort', '--input', `@${file}`]);
  assert.equal(r.code, 0);
  assert.equal(r.out, '[1,2,3]\n');
});

test('compile errors exit 2 with the position; runtime errors exit 1', async () => {
  const bad = await run(['eval', '.a | (1 +']);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /line 1, column 10/);
  const failing = await run(['eval', '.a.b', '--input', '{"a": 1}']);
  assert.equal(failing.code, 1);
  assert.match(failing.err, /Cannot index number with string \("b"\)/);
  const badInput = await run(['eval', '.', '--input', '{nope']);
  assert.equal(badInput.code, 2);
  assert.match(badInput.err, /--input is not valid JSON/);
});
