// `swirl validate` and `swirl run` with --profile sonataflow as a user types them: the profile
// flag accepts a SonataFlow project, the default (standard) profile does not, a bad name is a usage error.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = join(root, 'test', 'cli', 'run-cli.ts');
const resources = join(import.meta.dirname, 'sonataflow', 'projects', 'greeting', 'src', 'main', 'resources');
const swirl = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', cli, ...args], { cwd: root, encoding: 'utf8', timeout: 60_000 });

describe('--profile sonataflow on the CLI', () => {
  it('swirl validate: valid under the profile; the standard profile finds no definition in the folder', () => {
    const r = swirl('validate', '--profile', 'sonataflow', resources);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /greet\.sw\.json:1:1: info SPEC_VERSION_ASSUMED no 'specVersion': Serverless Workflow 0\.8 assumed \(sonataflow profile\)/);
    assert.match(r.stdout, /1 definition valid, 1 warning/);
    const s = swirl('validate', resources);
    assert.equal(s.status, 2);
    assert.match(s.stderr, /no workflow definitions/);
    const bad = swirl('validate', '--profile', 'kogito', resources);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--profile: unknown profile 'kogito'; choose standard or sonataflow/);
  });

  it('swirl run: prints the output; the sysout line goes to the log on stderr', () => {
    const r = swirl('run', '--profile', 'sonataflow', '--store', 'memory', join(resources, 'greet.sw.json'), '--input', '{"name":"Lu","language":"Spanish"}');
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { name: 'Lu', language: 'Spanish', greeting: 'Saludos desde JSON Workflow, ' });
    assert.match(r.stderr, /^\[swirl\] Saludos desde JSON Workflow, Lu$/m);
    const s = swirl('run', '--store', 'memory', join(resources, 'greet.sw.json'));
    assert.equal(s.status, 2);
    assert.match(s.stderr, /missing required property 'specVersion'/);
  });
});
