/**
 * @module test/cli/eval-workflow-form.test
 * Issue 13: `swirl eval` takes an expression as a workflow writes it — `${ … }` unwrapped by the
 * definition layer's rule (a `}` inside a jq string does not close it) — and binds `$CONST`
 * (`--const k=v`, `--const @file`) and `$SECRETS` (`--secret k=v`) as workflows see them.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { cli } from './in-process.js';

const dir = mkdtempSync(join(tmpdir(), 'swirl-eval-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('the ${ … } form evaluates as the bare jq inside it, with the same output', async () => {
  const wrapped = await cli(['eval', '${ .items | map(.n * 2) }', '--input', '{"items":[{"n":1},{"n":3}]}']);
  assert.equal(wrapped.code, 0, wrapped.stderr);
  assert.equal(wrapped.stdout, '[2,6]\n');
  const bare = await cli(['eval', '.items | map(.n * 2)', '--input', '{"items":[{"n":1},{"n":3}]}']);
  assert.equal(bare.stdout, wrapped.stdout);
  // The sample's own filter: braces and `}` inside a jq string interpolation stay jq.
  const hello = await cli(['eval', '${ {message: "\\(.greeting), \\(.name // "world")!"} }', '--input', '{"greeting":"Hello","name":"}"}']);
  assert.equal(hello.code, 0, hello.stderr);
  assert.equal(hello.stdout, '{"message":"Hello, }!"}\n');
});

test('a compile error inside ${ } points at the column in the text as written', async () => {
  const r = await cli(['eval', '${ .a | (1 + }']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^swirl eval: compile error \(line 1, column 14\): /);
  assert.equal(r.stdout, '');
});

test('--const k=v binds $CONST (JSON when it parses, else text); --const @file merges a YAML object; later flags win', async () => {
  const file = join(dir, 'constants.yaml');
  writeFileSync(file, 'region: eu-west\nlimits:\n  max: 3\n');
  const r = await cli(['eval', '${ {region: $CONST.region, max: $CONST.limits.max, n: ($CONST.n + 1), tag: $CONST.tag} }', '--const', `@${file}`, '--const', 'n=41', '--const', 'tag=blue', '--const', 'region=us']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, '{"region":"us","max":3,"n":42,"tag":"blue"}\n');
});

test('--secret k=v binds $SECRETS as strings', async () => {
  const r = await cli(['eval', '${ "Bearer " + $SECRETS.token, ($SECRETS.port | type) }', '--secret', 'token=abc=1', '--secret', 'port=8080']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, '"Bearer abc=1"\n"string"\n');
});

test('an unknown constant is null, as in a workflow; malformed --const/--secret are usage errors', async () => {
  const missing = await cli(['eval', '$CONST.nope']);
  assert.equal(missing.stdout, 'null\n');
  const noKey = await cli(['eval', '.', '--const', '=5']);
  assert.equal(noKey.code, 2);
  assert.equal(noKey.stderr, "swirl eval: --const expects name=value or @file, got '=5'\n");
  const list = join(dir, 'list.json');
  writeFileSync(list, '[1]');
  const notObject = await cli(['eval', '.', '--const', `@${list}`]);
  assert.equal(notObject.code, 2);
  assert.equal(notObject.stderr, `swirl eval: --const @${list}: the file must hold an object of constants, not an array\n`);
  const noSecret = await cli(['eval', '.', '--secret', 'x']);
  assert.equal(noSecret.code, 2);
  assert.equal(noSecret.stderr, "swirl eval: --secret expects name=value, got 'x'\n");
});
