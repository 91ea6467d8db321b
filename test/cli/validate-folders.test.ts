/**
 * `swirl validate` on folders and `swirl run` with --workflows, as a user runs them: skipped files
 * are counted (and listed with --verbose), paths print as given on the command line, nothing leaks
 * to stderr, and a run warns about subflows it cannot find.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const repo = new URL('../../', import.meta.url).pathname;

function swirl(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(repo, 'test/cli/run-cli.ts'), ...args], { cwd: repo, encoding: 'utf8' });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

test('validate <dir>: files that are not definitions are counted, and listed with --verbose', () => {
  const r = swirl('validate', 'test/definition/fixtures/sets/duplicate-workflows', 'test/definition/fixtures/external/schemas');
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.at(-1), "7 other files skipped, not workflow definitions: no 'specVersion' and no 'states' (--verbose lists them)");
  const verbose = swirl('validate', '--verbose', 'test/definition/fixtures/external/schemas', 'test/definition/fixtures/valid/spec-leniencies.yaml');
  assert.ok(verbose.stdout.includes("  skipped test/definition/fixtures/external/schemas/draft-04.json: no 'specVersion' and no 'states'\n"), verbose.stdout);
  const json = JSON.parse(swirl('validate', '--format', 'json', 'test/definition/fixtures/external/schemas', 'test/definition/fixtures/valid/spec-leniencies.yaml').stdout);
  assert.equal(json.skipped.length, 7);
});

test('validate: diagnostics in external files print paths as given; no ajv noise on stderr', () => {
  const r = swirl('validate', 'test/definition/fixtures/invalid/schema-ref-missing.yaml', 'test/definition/fixtures/valid/schema-draft-04.yaml');
  assert.equal(r.code, 1);
  assert.equal(r.stdout.split('\n')[0], "test/definition/fixtures/external/schemas/bad-ref.json:4:25: error FILE_NOT_FOUND cannot load the schema of this $ref from 'no-such.json': no such file");
  assert.equal(r.stderr, '');
});

test('validate: the same id and version twice in one folder is an error on the later file', () => {
  const r = swirl('validate', 'test/definition/fixtures/sets/duplicate-workflows');
  assert.equal(r.code, 1);
  assert.match(r.stdout, /^test\/definition\/fixtures\/sets\/duplicate-workflows\/order-b\.yaml:1:5: error DUPLICATE_WORKFLOW workflow 'order' version '1\.0' is also defined in test\/definition\/fixtures\/sets\/duplicate-workflows\/order-a\.yaml:1$/m);
});

test('run --workflows: a folder defining one workflow version twice is refused before anything runs', () => {
  const dir = 'test/definition/fixtures/sets/duplicate-workflows';
  const r = swirl('run', `${dir}/order-c.yaml`, '--workflows', dir, '--store', 'memory');
  assert.equal(r.code, 2);
  assert.equal(r.stderr, `swirl run: --workflows ${dir}: workflow 'order' version '1.0' is defined twice, in ${dir}/order-a.yaml and ${dir}/order-b.yaml\n`);
});

test('run: a subflow that cannot be found is a warning with a hint in terms of the command line', () => {
  const file = 'test/definition/fixtures/valid/unreachable-and-subflow.yaml';
  const r = swirl('run', file, '--store', 'memory');
  const lines = r.stderr.split('\n');
  assert.equal(lines[0], `swirl run: warning: ${file}:7:21: state 'Start': subFlowRef 'childFlow' is not known: no --workflows folder was given`);
  assert.equal(lines[1], `    hint: pass the folder that holds it: swirl run ${file} --workflows <dir>`);
});
