/**
 * @module test/profiles/folder-profile.test
 * Issue 15, "profile: per workflow folder": a `swirl.yaml` holding `profile: sonataflow` in a
 * definitions folder applies to every definition in it and below (nearest wins), for
 * `swirl validate <dir>`, `swirl run <file>` and a host's `--workflows` folder; `--profile` on the
 * command line wins over it; a bad profile name is a diagnostic at the file's line:column.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { createHost } from '../../src/index.js';
import { cli } from '../cli/in-process.js';

const dir = mkdtempSync(join(tmpdir(), 'swirl-folder-profile-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const STANDARD = `id: hello\nspecVersion: '0.8'\nstart: Greet\nstates:\n  - name: Greet\n    type: inject\n    data: { greeting: hi }\n    end: true\n`;
// SonataFlow style: no specVersion, a string boolean, a bare jq argument in an expression function.
const SONATAFLOW = JSON.stringify({
  id: 'sfgreet',
  start: 'Greet',
  states: [{ name: 'Greet', type: 'inject', data: { greeting: 'Hello from SonataFlow' }, end: 'true' }],
});

/** tree/std/hello.yaml (standard), tree/sf/swirl.yaml (profile: sonataflow) with tree/sf/deep/greet.json under it. */
function tree(name: string, profileLine = 'profile: sonataflow'): string {
  const root = join(dir, name);
  mkdirSync(join(root, 'std'), { recursive: true });
  mkdirSync(join(root, 'sf', 'deep'), { recursive: true });
  writeFileSync(join(root, 'std', 'hello.yaml'), STANDARD);
  writeFileSync(join(root, 'sf', 'swirl.yaml'), `# this folder holds SonataFlow workflows\n${profileLine}\n`);
  writeFileSync(join(root, 'sf', 'deep', 'greet.json'), SONATAFLOW);
  return root;
}

test('swirl validate of a tree with a standard and a sonataflow folder validates both under their own profile in one call', async () => {
  const root = tree('validate');
  const r = await cli(['validate', '--format', 'json', root]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const out = JSON.parse(r.stdout) as { files: { file: string; valid: boolean; profile: string; diagnostics: { code: string; severity: string }[] }[] };
  const byFile = Object.fromEntries(out.files.map((x) => [x.file, x]));
  assert.deepEqual(Object.keys(byFile).sort(), [join(root, 'sf', 'deep', 'greet.json'), join(root, 'std', 'hello.yaml')]);
  assert.deepEqual(byFile[join(root, 'std', 'hello.yaml')].diagnostics, []);
  assert.deepEqual(out.files.map((x) => [x.file, x.profile]).sort(), [[join(root, 'sf', 'deep', 'greet.json'), 'sonataflow'], [join(root, 'std', 'hello.yaml'), 'standard']]);
  assert.deepEqual(
    byFile[join(root, 'sf', 'deep', 'greet.json')].diagnostics.map((d) => [d.severity, d.code]),
    [['info', 'SPEC_VERSION_ASSUMED'], ['warning', 'STRING_BOOLEAN']],
  );
  // --profile on the command line wins: standard finds no definition in the sonataflow folder.
  const forced = await cli(['validate', '--format', 'json', '--profile', 'standard', root]);
  assert.equal(forced.code, 0, forced.stderr);
  assert.deepEqual((JSON.parse(forced.stdout) as { files: { file: string }[] }).files.map((x) => x.file), [join(root, 'std', 'hello.yaml')]);
});

test('a nearer swirl.yaml wins: a standard subfolder inside the sonataflow folder is strict again', async () => {
  const root = tree('nearest');
  mkdirSync(join(root, 'sf', 'strict'));
  writeFileSync(join(root, 'sf', 'strict', 'swirl.yaml'), 'profile: standard\n');
  writeFileSync(join(root, 'sf', 'strict', 'bool.json'), JSON.stringify({ ...JSON.parse(SONATAFLOW), id: 'strictbool', specVersion: '0.8' }));
  const r = await cli(['validate', join(root, 'sf')]);
  assert.equal(r.code, 1);
  assert.match(r.stdout + r.stderr, new RegExp(`${join(root, 'sf', 'strict', 'bool.json').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+: error `));
  assert.doesNotMatch(r.stdout + r.stderr, /greet\.json:\d+:\d+: error/);
});

test('swirl run of a file in the sonataflow folder runs it under the folder profile; --profile standard refuses it', async () => {
  const root = tree('run');
  const file = join(root, 'sf', 'deep', 'greet.json');
  const r = await cli(['run', file, '--store', 'memory']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), { greeting: 'Hello from SonataFlow' });
  const forced = await cli(['run', file, '--store', 'memory', '--profile', 'standard']);
  assert.equal(forced.code, 2);
  assert.match(forced.stderr, /specVersion/);
});

test('a host serving the tree as its workflows folder loads both, each under its folder profile', async () => {
  const root = tree('serve');
  const host = await createHost({ store: 'memory', workflowsDir: root, engine: { pollIntervalMs: 20 } });
  try {
    await host.start();
    assert.deepEqual(host.loadReport.refused, []);
    assert.deepEqual(host.loadReport.loaded.map((l) => l.id).sort(), ['hello', 'sfgreet']);
    const id = await host.engine.client.start('sfgreet', {});
    const done = await host.engine.client.waitForCompletion(id, { timeoutMs: 60_000 });
    assert.deepEqual(done.output, { greeting: 'Hello from SonataFlow' });
  } finally {
    await host.stop();
  }
});

test("a bad profile name in a folder's swirl.yaml is an INVALID_PROFILE error at its line:column, for each definition it covers", async () => {
  const root = tree('bad', 'profile: sonata');
  const profileFile = join(root, 'sf', 'swirl.yaml');
  const r = await cli(['validate', root]);
  assert.equal(r.code, 1);
  assert.ok(
    (r.stdout + r.stderr).includes(`${profileFile}:2:10: error INVALID_PROFILE profile: unknown profile 'sonata'; choose standard or sonataflow (the profile of every definition in this folder and below)`),
    r.stdout + r.stderr,
  );
  const run = await cli(['run', join(root, 'sf', 'deep', 'greet.json'), '--store', 'memory']);
  assert.equal(run.code, 2);
  assert.ok(run.stderr.includes(`${profileFile}:2:10: error INVALID_PROFILE`), run.stderr);
  const host = await createHost({ store: 'memory', workflowsDir: root, engine: { pollIntervalMs: 20 } });
  try {
    await host.start();
    assert.deepEqual(host.loadReport.loaded.map((l) => l.id), ['hello']);
    assert.deepEqual(host.loadReport.refused.map((x) => [x.file, x.messages.length]), [[join(root, 'sf', 'deep', 'greet.json'), 1]]);
    assert.match(host.loadReport.refused[0].messages[0], /swirl\.yaml:2:10: error INVALID_PROFILE/);
  } finally {
    await host.stop();
  }
});

test("the swirl.yaml configuring the server is not read again as a folder file: its environment's profile: holds", async () => {
  const root = join(dir, 'configured');
  mkdirSync(join(root, 'flows'), { recursive: true });
  writeFileSync(join(root, 'flows', 'greet.json'), SONATAFLOW);
  // The top level says sonataflow; say serve ran with an environment whose profile is standard.
  writeFileSync(join(root, 'swirl.yaml'), 'profile: sonataflow\nenvironments:\n  strict: { profile: standard }\n');
  const asFolder = await createHost({ store: 'memory', workflowsDir: join(root, 'flows'), engine: { pollIntervalMs: 20 } });
  const asConfig = await createHost({ store: 'memory', workflowsDir: join(root, 'flows'), defaultProfile: 'standard', configFile: join(root, 'swirl.yaml'), engine: { pollIntervalMs: 20 } });
  try {
    await asFolder.start();
    await asConfig.start();
    assert.deepEqual(asFolder.loadReport.loaded.map((l) => l.id), ['sfgreet'], 'an ancestor swirl.yaml with profile: is a folder file');
    assert.deepEqual(asConfig.loadReport.loaded, [], 'standard: a file without specVersion is no definition');
  } finally {
    await asFolder.stop();
    await asConfig.stop();
  }
});
