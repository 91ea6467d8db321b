// SonataFlow-style projects (test/profiles/sonataflow/projects/*, written in the style of SonataFlow's
// public examples) validated and run under the sonataflow profile: each case states its input and
// expected output (or expected diagnostics), the sysout lines it logs, and whether it needs the
// test's HTTP server (rest:, OpenAPI with application.properties) or service invocation (knative:).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createEngine } from '../../src/engine/engine.js';
import { loadWorkflow } from '../../src/graph/load.js';
import { registerWorkflow, secretsReady } from '../../src/interpreter/index.js';
import { validateFile } from '../../src/definition/validate.js';
import { loadComponents } from '../../src/components/index.js';
import { Profile } from '../../src/definition/profiles/profile.js';
import { migrateSonataflow } from '../../src/definition/profiles/sonataflow/migrate.js';

const PROJECTS = join(import.meta.dirname, 'sonataflow', 'projects');

interface Case {
  workflow: string;
  input?: unknown;
  output?: unknown;
  instanceId?: string;
  /** [level, message] of the sysout lines, in order. */
  logs?: [string, string][];
  /** Expected errors: [severity, code, pointer]. */
  diagnostics?: [string, string, string][];
  env?: Record<string, string>;
  server?: boolean;
  invoke?: boolean;
  /** Why `swirl migrate` cannot make this one standard 0.8 (its NOT-converted notes); absent: it can. */
  notMigratable?: string;
}

/** The services the fixtures call: SonataFlow's custom-rest and OpenAPI examples, and a Knative service. */
function startServer(): Promise<{ server: Server; port: number; seen: string[] }> {
  const seen: string[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      seen.push(`${req.method} ${url.pathname}${url.search}`);
      const send = (v: unknown) => {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(v));
      };
      const m = /^\/numbers\/(\d+)\/multiplyByAndSum$/.exec(url.pathname);
      if (req.method === 'POST' && m) return send((JSON.parse(body).inputNumbers as number[]).reduce((s, n) => s + n * Number(m[1]), 0));
      if (req.method === 'GET' && url.pathname === '/numbers/lookup') return send(`number ${url.searchParams.get('name')}`);
      if (req.method === 'GET' && url.pathname === '/stocks/RHT/price') return send({ price: 190.5 });
      if (req.method === 'POST' && url.pathname === '/plainJsonFunction') return send({ message: `Hello ${JSON.parse(body).name}` });
      if (req.method === 'GET' && url.pathname === '/info') return send({ version: 1 });
      if (req.method === 'POST' && url.pathname === '/subtraction') return send({ difference: JSON.parse(body).leftElement - JSON.parse(body).rightElement });
      if (req.method === 'POST' && url.pathname === '/multiplication') return send({ product: JSON.parse(body).leftElement * JSON.parse(body).rightElement });
      if (req.method === 'GET' && url.pathname === '/inventory/kettle') return send({ stock: 7 });
      res.statusCode = 404;
      res.end('{}');
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port, seen })));
}

/** Runs one case's workflow on a memory engine; returns the output and the sysout lines (each in the instance's log). */
async function runCase(file: string, c: Case, port: number, profile: Profile): Promise<{ output: unknown; logs: [string, string][] }> {
  for (const [k, v] of Object.entries(c.env ?? {})) process.env[k] = v;
  const logs: [string, string][] = [];
  const logged: unknown[] = [];
  const record = (level: string) => (msg: string, meta?: Record<string, unknown>) => {
    if (meta?.function === undefined) return;
    logs.push([level, msg]);
    logged.push(meta.instanceId);
  };
  const logger = { debug: record('debug'), info: record('info'), warn: record('warn'), error: record('error') };
  const engine = await createEngine({ store: 'memory', pollIntervalMs: 10 });
  const components = c.invoke ? await loadComponents(undefined, { appIds: { 'custom-function-knative-service': `http://127.0.0.1:${port}` }, env: {} }) : undefined;
  try {
    const graph = await loadWorkflow(file, { profile });
    const name = registerWorkflow(engine, graph, { baseDir: dirname(file), logger, ...(components ? { components } : {}) });
    await secretsReady(engine);
    await engine.start();
    const id = await engine.client.start(name, c.input ?? {}, c.instanceId ? { instanceId: c.instanceId } : {});
    // A wait is deadlock detection, not a speed check (CI is a busy 2-core machine).
    const r = await engine.client.waitForCompletion(id, { timeoutMs: 60_000 });
    assert.equal(r.runtimeStatus, 'COMPLETED', JSON.stringify(r.failure));
    for (const instanceId of logged) assert.equal(instanceId, id, 'a sysout line is in its instance\'s log');
    return { output: r.output, logs };
  } finally {
    await engine.stop();
    await components?.close();
    for (const k of Object.keys(c.env ?? {})) delete process.env[k];
  }
}

/** A copy of a project with the test server's port written where its files say @PORT@ (application.properties, rest: URLs). */
function copyProject(project: string, to: string, port: number): string {
  cpSync(join(PROJECTS, project), to, { recursive: true });
  for (const entry of readdirSync(to, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const p = join(entry.parentPath, entry.name);
    const text = readFileSync(p, 'utf8');
    if (text.includes('@PORT@')) writeFileSync(p, text.replaceAll('@PORT@', String(port)));
  }
  return to;
}

describe('SonataFlow projects under --profile sonataflow', () => {
  let srv: Awaited<ReturnType<typeof startServer>>;
  let tmp: string;
  const counts = { cases: 0, validated: 0, ran: 0, outputsEqual: 0, rejectedAsExpected: 0 };
  before(async () => {
    srv = await startServer();
    tmp = mkdtempSync(join(tmpdir(), 'swirl-sonataflow-'));
  });
  after(() => {
    srv.server.close();
    rmSync(tmp, { recursive: true, force: true });
    process.stderr.write(`sonataflow projects: ${JSON.stringify(counts)}\n`);
    assert.equal(counts.validated + counts.rejectedAsExpected, counts.cases);
  });

  for (const project of readdirSync(PROJECTS).sort()) {
    const cases = JSON.parse(readFileSync(join(PROJECTS, project, 'cases.json'), 'utf8')) as Case[];
    cases.forEach((c, i) => {
      it(`${project} #${i + 1}: ${c.workflow}`, async () => {
        counts.cases++;
        // A copy, so the test server's port can be written into application.properties.
        const dir = copyProject(project, join(tmp, `${project}-${i}`), srv.port);
        const file = join(dir, c.workflow);
        const result = await validateFile(file, { profile: Profile.Sonataflow });
        if (c.diagnostics) {
          assert.equal(result.valid, false);
          const errors = result.diagnostics.filter((d) => d.severity === 'error').map((d) => [d.severity, d.code, d.pointer]);
          assert.deepEqual(errors, c.diagnostics, JSON.stringify(result.diagnostics, null, 2));
          counts.rejectedAsExpected++;
          return;
        }
        assert.equal(result.valid, true, JSON.stringify(result.diagnostics, null, 2));
        counts.validated++;
        const r = await runCase(file, c, srv.port, Profile.Sonataflow);
        counts.ran++;
        assert.deepEqual(r.output, c.output);
        counts.outputsEqual++;
        if (c.logs) assert.deepEqual(r.logs, c.logs);
      });
    });
  }
});

describe('swirl migrate --from sonataflow: round trip', () => {
  let srv: Awaited<ReturnType<typeof startServer>>;
  let tmp: string;
  const counts = { migrated: 0, validStandard: 0, sameOutput: 0, notMigratable: 0 };
  before(async () => {
    srv = await startServer();
    tmp = mkdtempSync(join(tmpdir(), 'swirl-sonataflow-migrate-'));
  });
  after(() => {
    srv.server.close();
    rmSync(tmp, { recursive: true, force: true });
    process.stderr.write(`sonataflow migrate round trip: ${JSON.stringify(counts)}\n`);
  });

  for (const project of readdirSync(PROJECTS).sort()) {
    const cases = JSON.parse(readFileSync(join(PROJECTS, project, 'cases.json'), 'utf8')) as Case[];
    cases.forEach((c, i) => {
      if (c.diagnostics) return; // not runnable under the profile either
      it(`${project} #${i + 1}: migrated ${c.workflow} ${c.notMigratable ? 'lists what it cannot convert' : 'validates as standard 0.8 and gives the same output'}`, async () => {
        const dir = copyProject(project, join(tmp, `${project}-${i}`), srv.port);
        const file = join(dir, c.workflow);
        const m = await migrateSonataflow(readFileSync(file, 'utf8'), file);
        assert.equal(m.error, undefined);
        writeFileSync(file, m.after);
        for (const g of m.generated) writeFileSync(g.file, g.text);
        counts.migrated++;
        const standard = await validateFile(file);
        if (c.notMigratable) {
          assert.ok(m.unconverted.some((u) => u.message.includes(c.notMigratable!)), JSON.stringify(m.unconverted));
          assert.equal(standard.valid, false, 'what was not converted still needs the profile');
          counts.notMigratable++;
          return;
        }
        assert.equal(standard.valid, true, `${m.after}\n${JSON.stringify(standard.diagnostics, null, 2)}`);
        assert.deepEqual(standard.diagnostics.filter((d) => d.severity !== 'warning'), []);
        counts.validStandard++;
        const r = await runCase(file, c, srv.port, Profile.Standard);
        assert.deepEqual(r.output, c.output);
        counts.sameOutput++;
      });
    });
  }
});
