/**
 * `swirl serve` start-up (issue 12: ready in ≤ 0.5 s of CPU; bench/startup.ts measures it): the
 * packages of features nobody configured are not loaded by the time the server is ready — they
 * load on first use — and a package that cannot be loaded is a clear error naming the feature.
 * Which packages Swirl's files load is recorded by a resolve hook (ESM) and a Module._load wrapper
 * (CommonJS, createRequire) in the served process.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MODULE_MISSING, loadOnUse } from '../../src/optional-module.js';
import { SwirlError } from '../../src/errors.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = join(root, 'test', 'cli', 'run-cli.ts');
let dir: string;
before(() => (dir = mkdtempSync(join(tmpdir(), 'swirl-serve-startup-'))));
after(() => rmSync(dir, { recursive: true, force: true }));

const HOOKS = `import { appendFileSync } from 'node:fs';
export async function resolve(s, c, next) { const r = await next(s, c); appendFileSync(process.env.SWIRL_TEST_TRACE, r.url + ' <- ' + (c.parentURL ?? '') + '\\n'); return r; }`;
const TRACER = `import { register, Module } from 'node:module';
import { appendFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(HOOKS)}));
const load = Module._load;
Module._load = function (request, parent, isMain) {
  try { appendFileSync(process.env.SWIRL_TEST_TRACE, pathToFileURL(Module._resolveFilename(request, parent, isMain)).href + ' <- ' + (parent?.filename ? pathToFileURL(parent.filename).href : '') + '\\n'); } catch {}
  return load.apply(this, arguments);
};`;

/** Packages of optional features: none may load at start-up unless its feature is configured. */
const FEATURE_PACKAGES = [
  'mqtt', 'ioredis', 'nats', 'pg', 'amqplib', 'undici', '@apidevtools/swagger-parser', '@opentelemetry/sdk-trace-base',
  '@opentelemetry/exporter-trace-otlp-http', '@opentelemetry/resources', '@grpc/grpc-js', '@grpc/proto-loader',
  '@serverlessworkflow/sdk-typescript', 'ajv', 'cloudevents', 'elkjs', 'pino-pretty', 'croner', 'jsonpath-plus', 're2js',
  'protobufjs', 'jq-wasm',
];

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((done) => s.listen(0, '127.0.0.1', done));
  const port = (s.address() as { port: number }).port;
  await new Promise((done) => s.close(done));
  return port;
}

/** Starts `swirl serve` (from source, or the bundle: test/cli/cli-under-test.ts), waits for its listening line, stops it; the packages src/ loaded by then. */
async function packagesAtReady(name: string, args: string[], whileReady?: (base: string) => Promise<void>): Promise<Set<string>> {
  const trace = join(dir, `${name}.trace`);
  writeFileSync(trace, '');
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--import', 'data:text/javascript,' + encodeURIComponent(TRACER), cli, 'serve', '--port', '0', '--store', `sqlite:${join(dir, `${name}.db`)}`, ...args],
    { cwd: root, env: { ...process.env, SWIRL_TEST_TRACE: trace }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  const exited = new Promise<void>((done) => child.on('exit', () => done()));
  try {
    await new Promise<void>((ready, fail) => {
      const timer = setTimeout(() => fail(new Error(`no listening line within 60 s:\n${out}\n${err}`)), 60_000);
      child.stdout.on('data', (d) => {
        out += d;
        if (/swirl serve listening on/.test(out)) {
          clearTimeout(timer);
          ready();
        }
      });
      child.on('exit', (code) => fail(new Error(`swirl serve exited with ${code}:\n${out}\n${err}`)));
    });
    // What was loaded up to the ready line (the file is read now, before the shutdown loads more).
    const text = readFileSync(trace, 'utf8');
    const loaded = new Set<string>();
    for (const line of text.split('\n')) {
      const [url, parent] = line.split(' <- ');
      // Swirl's files: src/, or the bundle under SWIRL_TEST_CLI=bundle (test/cli/cli-under-test.ts).
      if (!url || !(parent?.startsWith(`file://${root}src/`) || parent?.startsWith(`file://${root}dist/`))) continue;
      const m = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
      if (m) loaded.add(m[1]!);
    }
    await whileReady?.(/swirl serve listening on (\S+)/.exec(out)![1]!);
    return loaded;
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

test('swirl serve with no workflows, components, tracing or gRPC loads none of the optional features\' packages by the time it is ready', async () => {
  const loaded = await packagesAtReady('bare', ['--grpc-port', '0']);
  // The tracer sees what the server does need (so an empty list would not pass unnoticed).
  for (const needed of ['better-sqlite3', 'pino', 'commander', 'prom-client']) assert.ok(loaded.has(needed), `${needed} loaded: ${[...loaded].join(', ')}`);
  assert.deepEqual(FEATURE_PACKAGES.filter((p) => loaded.has(p)), []);
});

test('jq-wasm (the expression fallback) loads with the first definition validated: one registered after start runs an expression only jq-wasm handles', async () => {
  const yaml = [
    'id: fallback', 'version: "1.0"', 'specVersion: "0.8"', 'start: Replace',
    'states:', '  - name: Replace', '    type: inject', '    data: {}',
    '    stateDataFilter:', '      output: \'${ {out: [.word | sub("a"; "x", "y")]} }\'', '    end: true',
  ].join('\n');
  const loaded = await packagesAtReady('fallback', ['--grpc-port', '0'], async (base) => {
    const registered = await fetch(`${base}/api/v1/workflows`, { method: 'POST', headers: { 'content-type': 'application/yaml' }, body: yaml });
    assert.equal(registered.status, 201, await registered.text());
    const started = await fetch(`${base}/v1.0/workflows/dapr/fallback/start?instanceID=f1`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ word: 'aba' }) });
    assert.equal(started.status, 202, await started.text());
    let state: { runtimeStatus?: string; properties?: Record<string, string> } = {};
    for (let i = 0; i < 200 && state.runtimeStatus !== 'COMPLETED'; i++) {
      await new Promise((done) => setTimeout(done, 50));
      state = (await (await fetch(`${base}/v1.0/workflows/dapr/f1`)).json()) as typeof state;
    }
    assert.deepEqual(JSON.parse(state.properties?.['dapr.workflow.output'] ?? 'null'), { out: ['xba', 'yba'] });
    // It did run on jq-wasm (the compiler leaves a sub() with several replacements to it).
    assert.match(await (await fetch(`${base}/metrics`)).text(), /^swirl_jq_fallback_evaluations_total [1-9]/m);
  });
  assert.ok(!loaded.has('jq-wasm'), 'not loaded by the listening line');
});

test('with the gRPC port on (the default), grpc-js is loaded before the listening line, nothing else optional: protobuf.js waits for the first message', async () => {
  const loaded = await packagesAtReady('grpc', ['--grpc-port', String(await freePort())]);
  assert.ok(loaded.has('@grpc/grpc-js'), [...loaded].join(', '));
  assert.deepEqual(FEATURE_PACKAGES.filter((p) => loaded.has(p) && p !== '@grpc/grpc-js'), []);
});

test('a package that cannot be loaded on first use is an error naming the package and the feature, not a loader stack', async () => {
  const missing = 'swirl-test-no-such-package';
  await assert.rejects(
    loadOnUse(() => import(missing), missing, 'pubsub.example components'),
    (err: unknown) => {
      assert.ok(err instanceof SwirlError);
      assert.equal(err.code, MODULE_MISSING);
      assert.match(err.message, /^cannot load the package 'swirl-test-no-such-package', needed for pubsub\.example components: Cannot find package 'swirl-test-no-such-package'/);
      assert.match(err.message, /\(reinstall Swirl with its dependencies: npm install\)$/);
      return true;
    },
  );
  // A package that loads but throws while it initialises keeps its own error.
  const broken = 'data:text/javascript,throw new Error("broken init")';
  await assert.rejects(loadOnUse(() => import(broken), 'x', 'y'), { message: 'broken init' });
});
