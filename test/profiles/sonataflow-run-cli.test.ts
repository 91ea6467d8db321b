// `swirl validate`, `swirl run` and `swirl serve` with --profile sonataflow as a user types them: the
// profile flag accepts a SonataFlow project, the default (standard) profile does not, a bad name is a
// usage error; sysout lines go to the workflow's log (serve: JSON lines tagged with the instance).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
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

  it('swirl serve --profile sonataflow: serves the folder, runs it over HTTP, the sysout lines are JSON log lines of the instance at their levels', async () => {
    const proc = spawn(process.execPath, ['--import', 'tsx', cli, 'serve', '--profile', 'sonataflow', '--workflows', resources, '--store', 'memory', '--port', '0', '--grpc-port', '0', '--log-level', 'debug'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    proc.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((r) => proc.on('exit', (c) => r(c)));
    try {
      const port = await new Promise<number>((resolve, reject) => {
        proc.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          const m = /swirl serve listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
          if (m) resolve(Number(m[1]));
        });
        void exited.then((code) => reject(new Error(`swirl serve exited with ${code} before listening:\n${out}\n${err}`)));
      });
      assert.match(out, /loaded 1 workflow from .*: jsongreet/);
      const start = await fetch(`http://127.0.0.1:${port}/v1.0/workflows/dapr/jsongreet/start?instanceID=sf-serve-1`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"Ann","language":"Spanish"}' });
      assert.equal(start.status, 202);
      // Polls until the instance is done: a deadlock guard, not a speed check.
      let body: { runtimeStatus: string; output?: unknown } = { runtimeStatus: 'PENDING' };
      for (let i = 0; i < 600 && !['COMPLETED', 'FAILED', 'TERMINATED'].includes(body.runtimeStatus); i++) {
        if (i > 0) await new Promise((r) => setTimeout(r, 100));
        body = (await (await fetch(`http://127.0.0.1:${port}/api/v1/instances/sf-serve-1`)).json()) as typeof body;
      }
      assert.equal(body.runtimeStatus, 'COMPLETED', JSON.stringify(body));
      assert.deepEqual(body.output, { name: 'Ann', language: 'Spanish', greeting: 'Saludos desde JSON Workflow, ' });
      // The log is read once the server has stopped, so every line it wrote has arrived.
      proc.kill('SIGTERM');
      assert.equal(await exited, 0, err);
      const lines = err.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
      const sysout = lines.filter((l) => l.function !== undefined).map((l) => [l.level, l.instanceId, l.workflow, l.function, l.msg]);
      assert.deepEqual(sysout, [
        ['info', 'sf-serve-1', 'jsongreet', 'greetFunction', 'Saludos desde JSON Workflow, Ann'],
        ['debug', 'sf-serve-1', 'jsongreet', 'logDebug', 'model is {"name":"Ann","language":"Spanish","greeting":"Saludos desde JSON Workflow, "}'],
      ]);
    } finally {
      if (proc.exitCode === null) proc.kill('SIGKILL');
    }
  });
});
