/**
 * `swirl validate` and `swirl graph` as a user runs them: output lines, summary, exit codes,
 * `--format json`, help and version.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const repo = new URL('../../', import.meta.url).pathname;
const fixtures = join(repo, 'test/definition/fixtures');

function swirl(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(repo, 'test/cli/run-cli.ts'), ...args], { cwd: repo, encoding: 'utf8' });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

test('validate: a valid file exits 0 with a summary', () => {
  const r = swirl('validate', join(fixtures, 'valid/approval-with-timeout.json'));
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), '1 definition valid');
});

test('validate: an invalid file prints file:line:col: error CODE message and exits 1', () => {
  const file = join(fixtures, 'invalid/unknown-targets.yaml');
  const r = swirl('validate', file);
  assert.equal(r.code, 1);
  const lines = r.stdout.trim().split('\n');
  assert.ok(lines.includes(`${file}:24:21: error UNKNOWN_STATE state 'Decide': condition names unknown state 'Finsh'; did you mean 'Finish'?`), r.stdout);
  assert.match(lines.at(-1)!, /^1 definition of 1 invalid: \d+ errors, \d+ warnings?$/);
});

test('validate: a newcomer\'s broken workflow gets a precise, friendly message', () => {
  const dir = mkdtempSync(join(tmpdir(), 'swirl-cli-'));
  const file = join(dir, 'hello.yaml');
  writeFileSync(file, ['id: hello', "specVersion: '0.8'", 'states:', '  - name: Greet', '    type: inject', '    data: {greeting: hi}', '    transition: Finsh', '  - name: Finish', '    type: inject', '    data: {}', '    end: true', ''].join('\n'));
  const r = swirl('validate', file);
  assert.equal(r.code, 1);
  assert.equal(r.stdout.split('\n')[0], `${file}:7:17: error UNKNOWN_STATE state 'Greet': transition names unknown state 'Finsh'; did you mean 'Finish'?`);
});

test('validate: directories are searched; --format json prints diagnostics with pointers', () => {
  const r = swirl('validate', '--format', 'json', join(fixtures, 'invalid'));
  assert.equal(r.code, 1);
  const out = JSON.parse(r.stdout) as { valid: boolean; files: { file: string; valid: boolean; diagnostics: { code: string; pointer: string; line: number }[] }[] };
  assert.equal(out.valid, false);
  assert.ok(out.files.length >= 20, `found ${out.files.length} definitions`);
  const dup = out.files.find((f) => f.file.endsWith('duplicate-state.yaml'))!;
  assert.deepEqual(dup.diagnostics.map((d) => [d.code, d.pointer, d.line]), [['DUPLICATE_STATE', '/states/2/name', 12]]);
  // Files beside the definitions that are not workflows (function/event files) are not validated as workflows.
  assert.ok(!out.files.some((f) => f.file.includes('/external/')));
});

test('validate: usage errors exit 2', () => {
  assert.equal(swirl('validate').code, 2);
  assert.equal(swirl('validate', '--format', 'xml', join(fixtures, 'valid')).code, 2);
  assert.equal(swirl('frobnicate').code, 2);
  const empty = mkdtempSync(join(tmpdir(), 'swirl-empty-'));
  const r = swirl('validate', empty);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /no workflow definitions/);
});

test('validate: a missing file is an error naming it, not a crash', () => {
  const r = swirl('validate', 'no/such/file.yaml');
  assert.equal(r.code, 1);
  assert.match(r.stdout, /^no\/such\/file\.yaml:1:1: error FILE_NOT_FOUND cannot read 'no\/such\/file\.yaml': no such file/m);
});

test('graph: prints a Mermaid flowchart; an invalid file exits 1 with diagnostics', () => {
  const ok = swirl('graph', join(fixtures, 'valid/fan-out.yaml'));
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /^flowchart TD\n {2}start\(\(start\)\)\n {2}start --> s0\n/);
  assert.match(ok.stdout, /s3\{"Check<br\/><i>switch<\/i>"\}/);
  assert.match(ok.stdout, /s3 -->\|"default"\| s0/);
  const bad = swirl('graph', join(fixtures, 'invalid/duplicate-state.yaml'));
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /DUPLICATE_STATE/);
});

test('--help and --version', () => {
  const help = swirl('--help');
  assert.equal(help.code, 0);
  assert.match(help.stdout, /validate/);
  assert.match(help.stdout, /graph/);
  const v = swirl('--version');
  assert.equal(v.code, 0);
  assert.match(v.stdout.trim(), /^\d+\.\d+\.\d+$/);
  const sub = swirl('validate', '--help');
  assert.equal(sub.code, 0);
  assert.match(sub.stdout, /--format <format>/);
});
