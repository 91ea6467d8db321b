/**
 * @module test/cli/serve-config.test
 * Issue 13: `swirl.yaml` configures `swirl serve`. A real child configured only by the file (found
 * in its working directory) answers on the file's port with the file's workflows and store; with
 * `--config` from elsewhere, relative paths are the file's folder's and a flag wins over the file;
 * problems are `swirl.yaml:LINE:COL: error …` (unknown keys with a did-you-mean); every serve flag
 * but the few it names has a key; `tracing:` goes on as the environment the tracing setup reads;
 * `environments:` are picked by `environment:` / `--environment`; `profile: sonataflow` is the
 * compatibility profile of the workflows folder, and `--profile` on the command line beats it.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { buildProgram } from '../../src/cli/main.js';
import { CONFIG_KEYS, OPTIONS_NOT_IN_FILE, TRACING_KEYS } from '../../src/cli/config/serve-config-keys.js';
import { applyServeConfig, loadServeConfig } from '../../src/cli/config/serve-config.js';
import { freePort } from '../host/free-port.js';
import { cli } from './in-process.js';

const launcher = fileURLToPath(new URL('./run-cli.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'swirl-config-'));
const started: ChildProcess[] = [];
after(() => {
  for (const p of started) if (p.exitCode === null) p.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

const HELLO = `id: hello
specVersion: '0.8'
states:
  - name: Greet
    type: inject
    data: { greeting: hi }
    end: true
`;

/** `swirl serve` with only `args`, in `cwd`; resolves with its address once it listens. */
function serve(cwd: string, args: string[]): Promise<{ proc: ChildProcess; port: number; stderr: () => string; exited: Promise<number | null> }> {
  // Outside the repository `--import tsx` cannot find tsx by name: import it by its resolved URL.
  const proc = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), launcher, 'serve', ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  started.push(proc);
  let out = '';
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((r) => proc.on('exit', (c) => r(c)));
  return new Promise((resolve, reject) => {
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /swirl serve listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (m) resolve({ proc, port: Number(m[1]), stderr: () => err, exited });
    });
    void exited.then((code) => reject(new Error(`swirl serve exited with ${code} before listening:\n${out}\n${err}`)));
  });
}

async function stop(s: { proc: ChildProcess; exited: Promise<number | null> }): Promise<void> {
  s.proc.kill('SIGTERM');
  assert.equal(await s.exited, 0);
}

test('a swirl serve configured only by ./swirl.yaml answers on its port, with its workflows folder, store and log format', { timeout: 60_000 }, async () => {
  const project = join(dir, 'project');
  mkdirSync(join(project, 'flows'), { recursive: true });
  writeFileSync(join(project, 'flows', 'hello.yaml'), HELLO);
  const port = await freePort();
  writeFileSync(
    join(project, 'swirl.yaml'),
    `# the whole configuration of this node
port: ${port}
grpcPort: 0
store: sqlite:state.db
folders:
  workflows: flows
limits:
  lease: PT10S
  maxHeldEvents: 50
logging:
  format: json
  level: warn
`,
  );
  const s = await serve(project, []);
  assert.equal(s.port, port);
  assert.match(s.stderr(), /^swirl serve: configured by swirl\.yaml\n/);
  const res = await fetch(`http://127.0.0.1:${port}/api/v1/workflows`);
  assert.equal(res.status, 200);
  const body = (await res.json()) as { workflows: { id: string }[] };
  assert.deepEqual(body.workflows.map((w) => w.id), ['hello']);
  assert.ok(existsSync(join(project, 'state.db')), 'the sqlite: path of the file is relative to the file');
  await stop(s);
  // level warn: the engine's info lines (engine.started) are not logged.
  assert.doesNotMatch(s.stderr(), /engine\.started/);
});

test('--config from another folder: paths are relative to the file; --port on the command line wins over the file', { timeout: 60_000 }, async () => {
  const conf = join(dir, 'conf');
  mkdirSync(join(conf, 'flows'), { recursive: true });
  writeFileSync(join(conf, 'flows', 'hello.yaml'), HELLO);
  const filePort = await freePort();
  writeFileSync(join(conf, 'node.yaml'), `port: ${filePort}\ngrpcPort: 0\nstore: sqlite:node.db\nfolders: { workflows: ./flows }\nlogging: { format: json }\n`);
  const flagPort = await freePort();
  const elsewhere = join(dir, 'elsewhere');
  mkdirSync(elsewhere);
  const s = await serve(elsewhere, ['--config', join(conf, 'node.yaml'), '--port', String(flagPort)]);
  assert.equal(s.port, flagPort);
  assert.equal((await fetch(`http://127.0.0.1:${flagPort}/api/v1/workflows/hello`)).status, 200);
  await assert.rejects(fetch(`http://127.0.0.1:${filePort}/v1.0/healthz`), 'nothing listens on the port the flag replaced');
  assert.ok(existsSync(join(conf, 'node.db')));
  assert.ok(!existsSync(join(elsewhere, 'node.db')));
  await stop(s);
});

test('profile: sonataflow in ./swirl.yaml serves a SonataFlow-style workflow from its workflows folder; --profile standard on the command line beats the file', { timeout: 60_000 }, async () => {
  const project = join(dir, 'sonataflow');
  mkdirSync(join(project, 'flows'), { recursive: true });
  // No specVersion (SonataFlow style), and one with specVersion but a string boolean.
  writeFileSync(join(project, 'flows', 'greet.sw.json'), JSON.stringify({ id: 'sfgreet', start: 'Greet', states: [{ name: 'Greet', type: 'inject', data: { greeting: 'hi' }, end: 'true' }] }));
  writeFileSync(join(project, 'flows', 'strbool.sw.json'), JSON.stringify({ id: 'strbool', specVersion: '0.8', start: 'S', states: [{ name: 'S', type: 'inject', data: { ok: true }, end: 'true' }] }));
  writeFileSync(join(project, 'swirl.yaml'), `port: 0\ngrpcPort: 0\nstore: memory\nprofile: sonataflow\nfolders:\n  workflows: flows\n`);
  const s = await serve(project, []);
  const body = (await (await fetch(`http://127.0.0.1:${s.port}/api/v1/workflows`)).json()) as { workflows: { id: string }[] };
  assert.deepEqual(body.workflows.map((w) => w.id).sort(), ['sfgreet', 'strbool']);
  const start = await fetch(`http://127.0.0.1:${s.port}/v1.0/workflows/dapr/sfgreet/start`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  assert.equal(start.status, 202);
  await stop(s);
  const strict = await serve(project, ['--profile', 'standard']);
  const listed = (await (await fetch(`http://127.0.0.1:${strict.port}/api/v1/workflows`)).json()) as { workflows: { id: string }[] };
  assert.deepEqual(listed.workflows, []);
  // Without specVersion the file is no definition under the standard profile; the other one is refused with its diagnostic.
  assert.match(strict.stderr(), /strbool\.sw\.json:\d+:\d+: error [A-Z_]+ .*end/);
  assert.match(strict.stderr(), /refused .*strbool\.sw\.json: invalid definition/);
  await stop(strict);
});

test('problems are reported as swirl.yaml:LINE:COL, unknown keys with a did-you-mean; nothing starts (exit 2)', async () => {
  const bad = join(dir, 'bad');
  mkdirSync(bad);
  const file = join(bad, 'swirl.yaml');
  writeFileSync(file, `port: 3500\nlimits:\n  leese: PT30S\n  maxHeldEvents: -1\nlogging:\n  format: xml\nstor: memory\n`);
  const r = await cli(['serve', '--config', file]);
  assert.equal(r.code, 2);
  assert.equal(r.stdout, '');
  assert.equal(
    r.stderr,
    [
      `${file}:3:3: error unknown key 'leese' in limits; did you mean 'lease'? (known: maxHeldEvents, maxHeldEventsPerSource, maxHeldEventsPerTarget, heldEventTtl, lease, expressionSteps, expressionMaxLength, expressionMaxString, expressionRegexTime, expressionFallbackTime, maxSubflowDepth, maxInstancesPerRoot)`,
      `${file}:4:18: error limits.maxHeldEvents: must be >= 0`,
      `${file}:6:11: error logging.format: must be one of json, pretty`,
      `${file}:7:1: error unknown key 'stor'; did you mean 'store'? (known: port, host, store, grpcPort, metricsPort, appId, profile, workerId, tokenFile, folders, allowUrlPrefix, secrets, tls, limits, logging, tracing, environment, environments)`,
      '',
    ].join('\n'),
  );
  writeFileSync(file, `limits:\n  lease: 30s\nport: "3500"\n`);
  const r2 = await cli(['serve', '--config', file]);
  assert.equal(r2.code, 2);
  assert.equal(r2.stderr, `${file}:3:7: error port: must be integer\n`);
  writeFileSync(file, `limits:\n  lease: 30s\n`);
  const r3 = await cli(['serve', '--config', file]);
  assert.equal(r3.stderr, `${file}:2:10: error limits.lease: must be an ISO-8601 duration such as PT30S or P1D, not '30s'\n`);
  writeFileSync(file, `port: [1\n`);
  const r4 = await cli(['serve', '--config', file]);
  assert.equal(r4.code, 2);
  assert.match(r4.stderr, new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+: error `));
  const r5 = await cli(['serve', '--config', join(bad, 'missing.yaml')]);
  assert.equal(r5.code, 2);
  assert.equal(r5.stderr, `${join(bad, 'missing.yaml')}: error the configuration file does not exist (--config)\n`);
});

test('environments: the file’s environment: key picks one, --environment another; an environment’s keys replace the top level’s; an unknown one is an error', () => {
  const file = join(dir, 'environments.yaml');
  writeFileSync(file, `port: 3500\nlogging: { format: pretty, level: debug }\nenvironment: dev\nenvironments:\n  dev: { port: 4000 }\n  prod:\n    port: 80\n    logging: { format: json }\n`);
  const values = (environment?: string) => Object.fromEntries(loadServeConfig(file, 'environments.yaml', environment).values.map((v) => [v.key.key, v.value]));
  assert.deepEqual(values(), { port: 4000, 'logging.format': 'pretty', 'logging.level': 'debug' });
  assert.deepEqual(values('prod'), { port: 80, 'logging.format': 'json', 'logging.level': 'debug' });
  assert.throws(() => loadServeConfig(file, 'environments.yaml', 'prd'), { message: "environments.yaml: error --environment 'prd': no such environment (it defines 'dev', 'prod'); did you mean 'prod'?" });
  writeFileSync(file, `environment: stage\nenvironments:\n  dev: { port: 4000 }\n`);
  assert.throws(() => loadServeConfig(file, 'environments.yaml'), { message: "environments.yaml:1:14: error environment 'stage': no such environment (it defines 'dev')" });
});

test('every swirl serve option has a swirl.yaml key, but those deliberately left out', () => {
  const serveCommand = buildProgram().commands.find((c) => c.name() === 'serve')!;
  const mapped = new Set([...CONFIG_KEYS.map((k) => k.option), ...Object.values(TRACING_KEYS).map((k) => k.option), ...OPTIONS_NOT_IN_FILE]);
  const missing = serveCommand.options.map((o) => o.attributeName()).filter((name) => !mapped.has(name));
  assert.deepEqual(missing, []);
});

test('tracing: {enabled, endpoint} goes on as SWIRL_TRACING / OTEL_EXPORTER_OTLP_ENDPOINT (a variable already set wins), or as --tracing when serve has it', () => {
  const file = join(dir, 'tracing.yaml');
  writeFileSync(file, `tracing:\n  enabled: true\n  endpoint: http://127.0.0.1:4318\n`);
  const config = loadServeConfig(file, 'tracing.yaml');
  const env: NodeJS.ProcessEnv = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' };
  applyServeConfig(new Command('serve'), config, env);
  assert.deepEqual(env, { SWIRL_TRACING: 'true', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' });
  const withFlag = new Command('serve').option('--tracing', 'spans');
  const env2: NodeJS.ProcessEnv = {};
  applyServeConfig(withFlag, config, env2);
  assert.equal(withFlag.opts().tracing, true);
  assert.deepEqual(env2, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' });
  writeFileSync(file, `tracing:\n  enabled: yes please\n`);
  assert.throws(() => loadServeConfig(file, 'tracing.yaml'), { message: 'tracing.yaml:2:12: error tracing.enabled: must be boolean' });
});
