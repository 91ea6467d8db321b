/**
 * Every sample under samples/ runs through a host the way `swirl serve --workflows samples/<x>
 * --components samples/<x>/components` runs it, against the sample app (samples/sample-app) on a
 * loopback port. Samples are copied to a temp folder so their fixed sample-app address and
 * human-scale timeouts/schedules can be pointed at the test's port and shortened.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createApp, createHost, type SwirlHost } from '../../src/index.js';

const samples = fileURLToPath(new URL('../../samples/', import.meta.url));
let app: ChildProcess;
let appUrl: string;
let tmp: string;

interface Call {
  method: string;
  path: string;
  body: Record<string, any>;
  idempotencyKey?: string;
}
const calls = async (): Promise<Call[]> => (await (await fetch(`${appUrl}/calls`)).json()) as Call[];

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'swirl-samples-'));
  app = spawn(process.execPath, [join(samples, 'sample-app', 'server.mjs')], { env: { ...process.env, PORT: '0' }, stdio: ['ignore', 'pipe', 'inherit'] });
  appUrl = await new Promise<string>((resolve) => {
    let out = '';
    app.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) resolve(m[1]!);
    });
  });
});
after(() => {
  app.kill('SIGTERM');
  rmSync(tmp, { recursive: true, force: true });
});

/** Copies samples/<name> and applies text replacements to every file (the sample-app address always). */
function copySample(name: string, replace: [string, string][] = []): string {
  const dir = join(tmp, name);
  cpSync(join(samples, name), dir, { recursive: true });
  const edits: [string, string][] = [['http://127.0.0.1:3791', appUrl], ...replace];
  const visit = (d: string): void => {
    for (const f of readdirSync(d)) {
      const p = join(d, f);
      if (statSync(p).isDirectory()) visit(p);
      else {
        const text = readFileSync(p, 'utf8');
        const next = edits.reduce((t, [a, b]) => t.split(a).join(b), text);
        if (next !== text) writeFileSync(p, next);
      }
    }
  };
  visit(dir);
  return dir;
}

async function hostFor(dir: string, opts: { components?: boolean } = {}): Promise<SwirlHost> {
  const host = await createHost({
    store: 'memory',
    workflowsDir: dir,
    ...(opts.components !== false && existsDir(join(dir, 'components')) ? { componentsDir: join(dir, 'components') } : {}),
    scheduleTickMs: 50,
    engine: { pollIntervalMs: 20 },
  });
  await host.start();
  assert.deepEqual(host.loadReport.refused, [], 'every sample definition loads');
  return host;
}
const existsDir = (p: string): boolean => {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
};
const input = (name: string, file = 'input.json'): unknown => JSON.parse(readFileSync(join(samples, name, file), 'utf8'));

describe('samples', () => {
  test('hello', async () => {
    const host = await hostFor(copySample('hello'));
    const id = await host.engine.client.start('hello', input('hello'));
    const done = await host.engine.client.waitForCompletion(id, { timeoutMs: 60_000 });
    await host.stop();
    assert.equal(done.runtimeStatus, 'COMPLETED');
    assert.match((done.output as { message: string }).message, /^Hello, /);
  });

  test('fan-out: foreach prices every line through service invocation', async () => {
    const host = await hostFor(copySample('fan-out'));
    const id = await host.engine.client.start('quote', input('fan-out'));
    const done = await host.engine.client.waitForCompletion(id, { timeoutMs: 60_000 });
    await host.stop();
    assert.equal(done.runtimeStatus, 'COMPLETED', JSON.stringify(done.failure));
    const out = done.output as { lines: { sku: string; total: number }[]; total: number };
    assert.deepEqual(out.lines.map((l) => [l.sku, l.total]), [['tea', 13.5], ['pot', 30], ['cup', 24]]);
    assert.equal(out.total, 67.5);
    const quotes = (await calls()).filter((c) => c.path === '/quote' && c.idempotencyKey?.startsWith(id));
    assert.equal(quotes.length, 3);
  });

  test('approval: a correlated decision event approves; no decision escalates at the deadline', async () => {
    const host = await hostFor(copySample('approval', [['eventTimeout: P2D', 'eventTimeout: PT1S']]));
    const api = createApp(host);
    const first = await host.engine.client.start('approval', input('approval'), { instanceId: 'exp-42' });
    const other = await host.engine.client.start('approval', { ...(input('approval') as object), requestid: 'exp-43' }, { instanceId: 'exp-43' });
    await host.engine.client.waitForStart(first, { timeoutMs: 60_000 });
    const res = await api.fetch(new Request('http://swirl/api/v1/events', { method: 'POST', headers: { 'content-type': 'application/cloudevents+json' }, body: readFileSync(join(samples, 'approval', 'decision.json')) }));
    assert.equal(res.status, 202);
    assert.deepEqual(((await res.json()) as { events: { delivered: string[] }[] }).events[0]!.delivered, ['exp-42']);
    const approved = await host.engine.client.waitForCompletion(first, { timeoutMs: 60_000 });
    const escalated = await host.engine.client.waitForCompletion(other, { timeoutMs: 60_000 });
    await host.stop();
    assert.equal((approved.output as { status: string }).status, 'approved');
    assert.deepEqual((approved.output as { decision: unknown }).decision, { approved: true, by: 'grace' });
    assert.equal((escalated.output as { status: string }).status, 'escalated');
  });

  test('scheduled-report: the cron schedule starts runs that call the reports binding', async () => {
    const host = await hostFor(copySample('scheduled-report', [['cron: 0 2 * * *', "cron: '*/1 * * * * *'"]]));
    let done;
    for (let i = 0; i < 60 && !done; i++) {
      await new Promise((r) => setTimeout(r, 100));
      done = (await host.engine.client.list({ name: 'nightly-report', statuses: ['COMPLETED'] })).instances[0];
    }
    await host.stop();
    assert.ok(done, 'a scheduled run completed');
    assert.deepEqual((done.output as { stored: unknown }).stored, { stored: true, rows: 2 });
    assert.ok((await calls()).some((c) => c.path === '/reports' && c.body.title === 'Daily orders'));
  });

  const redis = process.env.SWIRL_TEST_REDIS_URL;
  test('order-processing: reserve, charge, ship and publish; a declined card compensates', { skip: redis ? false : 'skipped: set SWIRL_TEST_REDIS_URL (the sample publishes to pubsub.redis)' }, async () => {
    const { hostname, port } = new URL(redis!);
    const host = await hostFor(copySample('order-processing', [['127.0.0.1:6379', `${hostname}:${port || 6379}`]]));
    const orderId = `o-${Date.now()}`;
    const ok = await host.engine.client.start('order', { ...(input('order-processing') as object), orderId });
    const declined = await host.engine.client.start('order', { orderId: `${orderId}-big`, items: [{ sku: 'kettle', price: 45, quantity: 3 }] });
    const a = await host.engine.client.waitForCompletion(ok, { timeoutMs: 60_000 });
    const b = await host.engine.client.waitForCompletion(declined, { timeoutMs: 60_000 });
    await host.stop();
    assert.equal(a.runtimeStatus, 'COMPLETED', JSON.stringify(a.failure));
    assert.equal((a.output as { receipt: { amount: number } }).receipt.amount, 21);
    assert.equal(b.runtimeStatus, 'COMPLETED', JSON.stringify(b.failure));
    const mine = (await calls()).filter((c) => JSON.stringify(c.body).includes(orderId) || c.idempotencyKey?.startsWith(declined));
    assert.ok(mine.some((c) => c.path === '/charge' && c.body.amount === 21));
    assert.ok((await calls()).some((c) => c.path === '/inventory/release' && c.idempotencyKey?.startsWith(declined)), 'the declined order released its stock');
    const { Redis } = await import('ioredis');
    const r = new Redis(redis!);
    const entries = await r.xrange('shipments', '-', '+');
    r.disconnect();
    assert.ok(entries.some(([, fields]) => fields[1]!.includes(orderId)), 'OrderShipped was published to the shipments stream');
  });
});
