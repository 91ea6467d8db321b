/**
 * Finding 9 (issue 9): definition versions are enforced. A workflow re-registered with changed
 * content under the same id/version becomes the current version for new instances, while running
 * instances finish on the version they started on — in one process, across a restart on a SQLite
 * file (the old version comes back from the store), and for a changed file in the workflows
 * folder. Unused versions are deleted at start; the legacy `.workflows` folder is migrated once.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp, createHost, type App, type SwirlHost } from '../../src/index.js';

/** Waits for a payment, then thanks: the two versions differ in the path after the event. */
const OLD = `
id: order
version: '1'
specVersion: '0.8'
events:
  - name: Paid
    type: shop.paid
    source: /psp
    correlation: [{ contextAttributeName: orderid }]
states:
  - name: Wait
    type: event
    onEvents:
      - eventRefs: [Paid]
        eventDataFilter: { data: '\${ .payment }', toStateData: '\${ .payment }' }
    transition: Thank
  - name: Thank
    type: inject
    data: { note: OLD }
    end: true
`;

/** Same id and version, another path: an extra state, another output. */
const NEW = OLD.replace(
  `    data: { note: OLD }
    end: true`,
  `    data: { note: NEW }
    transition: Stamp
  - name: Stamp
    type: inject
    data: { stamped: true }
    end: true`,
);

const dirs: string[] = [];
const hosts: SwirlHost[] = [];
after(async () => {
  for (const h of hosts) await h.stop().catch(() => undefined);
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'swirl-versions-'));
  dirs.push(d);
  return d;
}

async function openHost(options: Parameters<typeof createHost>[0]): Promise<{ host: SwirlHost; app: App }> {
  const host = await createHost({ ...options, engine: { pollIntervalMs: 20 } });
  hosts.push(host);
  await host.start();
  return { host, app: createApp(host) };
}

const call = (app: App, method: string, path: string, body?: string, headers: Record<string, string> = {}) =>
  app.fetch(new Request(`http://swirl.test${path}`, { method, headers, ...(body !== undefined ? { body } : {}) }));
const jsonOf = async (res: Response) => (await res.json()) as any;

const open = openHost;

async function registerOver(app: App, text: string): Promise<string> {
  const res = await call(app, 'POST', '/api/v1/workflows', text, { 'content-type': 'application/yaml' });
  assert.equal(res.status, 201, JSON.stringify(await res.clone().json()));
  return (await jsonOf(res)).workflow.hash as string;
}

async function startOrder(app: App, id: string): Promise<void> {
  const res = await call(app, 'POST', `/v1.0/workflows/dapr/order/start?instanceID=${id}`, JSON.stringify({ orderid: id }), { 'content-type': 'application/json' });
  assert.equal(res.status, 202, await res.clone().text());
}

async function pay(app: App, id: string): Promise<void> {
  const event = { specversion: '1.0', id: `pay-${id}`, source: '/psp', type: 'shop.paid', orderid: id, data: { payment: { amount: 5 } } };
  const res = await call(app, 'POST', '/api/v1/events', JSON.stringify(event), { 'content-type': 'application/cloudevents+json' });
  assert.equal(res.status, 202, await res.clone().text());
}

const OLD_OUTPUT = { payment: { amount: 5 }, note: 'OLD' };
const NEW_OUTPUT = { payment: { amount: 5 }, note: 'NEW', stamped: true };
const output = (id: string, o: Record<string, unknown>) => ({ ...o, orderid: id });

async function waitRunning(host: SwirlHost, id: string): Promise<void> {
  await host.engine.client.waitForStart(id, { timeoutMs: 60_000 });
}

test('finding 9: a redeploy mid-run over the API: the running instance finishes on the old definition, a new one on the new; get shows each one`s version', async () => {
  const { host, app } = await open({ store: 'memory' });
  const oldHash = await registerOver(app, OLD);
  await startOrder(app, 'o1');
  await waitRunning(host, 'o1');

  const newHash = await registerOver(app, NEW);
  assert.notEqual(newHash, oldHash);
  await startOrder(app, 'o2');
  await waitRunning(host, 'o2');

  const listed = (await jsonOf(await call(app, 'GET', '/api/v1/workflows'))).workflows.find((w: { id: string }) => w.id === 'order');
  assert.equal(listed.hash, newHash);
  assert.deepEqual(listed.olderVersions, [{ hash: oldHash, version: '1', source: '<api>' }]);

  const o1 = await jsonOf(await call(app, 'GET', '/api/v1/instances/o1'));
  const o2 = await jsonOf(await call(app, 'GET', '/api/v1/instances/o2'));
  assert.deepEqual([o1.definitionHash, o1.definitionVersion], [oldHash, '1']);
  assert.deepEqual([o2.definitionHash, o2.definitionVersion], [newHash, '1']);
  const dapr = await jsonOf(await call(app, 'GET', '/v1.0/workflows/dapr/o1'));
  assert.equal(dapr.properties['swirl.definition.hash'], oldHash);

  await pay(app, 'o1');
  await pay(app, 'o2');
  assert.deepEqual((await host.engine.client.waitForCompletion('o1', { timeoutMs: 60_000 })).output, output('o1', OLD_OUTPUT));
  assert.deepEqual((await host.engine.client.waitForCompletion('o2', { timeoutMs: 60_000 })).output, output('o2', NEW_OUTPUT));
  // Both versions were stored before the API answered.
  assert.deepEqual(
    (await host.engine.store.listDefinitions('order')).map((d) => d.hash),
    [oldHash, newHash],
  );
});

test('finding 9: a redeploy mid-run across a restart on a SQLite file: the old version is loaded from the store; an unused one is deleted', async () => {
  const dir = tempDir();
  const store = `sqlite:${join(dir, 'swirl.db')}`;
  // No grace period: a version replaced a moment ago may be collected at the next start.
  const open = (o: Parameters<typeof createHost>[0]) => openHost({ ...o, unusedDefinitionGraceMs: 0 });
  let { host, app } = await open({ store });
  const oldHash = await registerOver(app, OLD);
  await startOrder(app, 'r1');
  await waitRunning(host, 'r1');
  const newHash = await registerOver(app, NEW);
  // A third version that no instance ever runs, replaced at once: garbage at the next start.
  const unusedHash = await registerOver(app, NEW.replace('stamped: true', 'stamped: false'));
  // Back to NEW (a rollback to a stored text): it must be current after the restart too.
  await registerOver(app, NEW);
  await host.stop();

  ({ host, app } = await open({ store }));
  await startOrder(app, 'r2');
  await waitRunning(host, 'r2');
  const listed = (await jsonOf(await call(app, 'GET', '/api/v1/workflows'))).workflows.find((w: { id: string }) => w.id === 'order');
  assert.equal(listed.hash, newHash, 'the newest API version is current after the restart');
  assert.deepEqual(listed.olderVersions, [{ hash: oldHash, version: '1', source: '<api>' }]);
  assert.equal((await jsonOf(await call(app, 'GET', '/api/v1/instances/r2'))).definitionHash, newHash);
  const stored = (await host.engine.store.listDefinitions('order')).map((d) => d.hash);
  assert.ok(!stored.includes(unusedHash), 'the unused version is deleted at start');
  assert.deepEqual(new Set(stored), new Set([oldHash, newHash]));

  await pay(app, 'r1');
  await pay(app, 'r2');
  assert.deepEqual((await host.engine.client.waitForCompletion('r1', { timeoutMs: 60_000 })).output, output('r1', OLD_OUTPUT));
  assert.deepEqual((await host.engine.client.waitForCompletion('r2', { timeoutMs: 60_000 })).output, output('r2', NEW_OUTPUT));
  await host.stop();

  // Nobody runs the old version any more: the next start forgets it.
  ({ host, app } = await open({ store }));
  assert.deepEqual((await host.engine.store.listDefinitions('order')).map((d) => d.hash), [newHash]);
  assert.equal((await jsonOf(await call(app, 'GET', '/api/v1/workflows'))).workflows[0].olderVersions, undefined);
  await host.stop();
});

test('finding 9: a changed file in the workflows folder at restart: running instances keep the old version', async () => {
  const dir = tempDir();
  const folder = join(dir, 'workflows');
  mkdirSync(folder);
  writeFileSync(join(folder, 'order.yaml'), OLD);
  const store = `sqlite:${join(dir, 'swirl.db')}`;
  let { host, app } = await open({ store, workflowsDir: folder });
  await startOrder(app, 'f1');
  await waitRunning(host, 'f1');
  await host.stop();

  writeFileSync(join(folder, 'order.yaml'), NEW);
  ({ host, app } = await open({ store, workflowsDir: folder }));
  await startOrder(app, 'f2');
  await waitRunning(host, 'f2');
  await pay(app, 'f1');
  await pay(app, 'f2');
  assert.deepEqual((await host.engine.client.waitForCompletion('f1', { timeoutMs: 60_000 })).output, output('f1', OLD_OUTPUT));
  assert.deepEqual((await host.engine.client.waitForCompletion('f2', { timeoutMs: 60_000 })).output, output('f2', NEW_OUTPUT));
  await host.stop();
});

test('finding 9: definitions in the legacy .workflows folder move into the store once', async () => {
  const dir = tempDir();
  const legacy = join(dir, 'swirl.db.workflows');
  mkdirSync(legacy);
  writeFileSync(join(legacy, 'order.yaml'), OLD);
  const store = `sqlite:${join(dir, 'swirl.db')}`;
  let { host, app } = await open({ store });
  const oldHash = host.workflows()[0]!.hash;
  assert.ok(existsSync(join(legacy, 'order.yaml.migrated')) && !existsSync(join(legacy, 'order.yaml')));
  assert.deepEqual((await host.engine.store.listDefinitions('order')).map((d) => d.source), ['<api>']);
  // A later API registration is not overridden by the (renamed) old file at the next start.
  const newHash = await registerOver(app, NEW);
  await host.stop();
  ({ host, app } = await open({ store }));
  assert.notEqual(oldHash, newHash);
  assert.equal(host.workflows()[0]!.hash, newHash);
  await host.stop();
});

test('a rollback to an earlier version while instances run it stays current across a restart', async () => {
  const dir = tempDir();
  const store = `sqlite:${join(dir, 'swirl.db')}`;
  let { host, app } = await open({ store });
  const oldHash = await registerOver(app, OLD);
  await startOrder(app, 'b1');
  await waitRunning(host, 'b1');
  const newHash = await registerOver(app, NEW);
  // Back to OLD while b1 still runs it: OLD is current now, and must stay so after a restart.
  assert.equal(await registerOver(app, OLD), oldHash);
  await host.stop();

  ({ host, app } = await open({ store }));
  const listed = (await jsonOf(await call(app, 'GET', '/api/v1/workflows'))).workflows.find((w: { id: string }) => w.id === 'order');
  assert.equal(listed.hash, oldHash, 'the rolled-back version is current after the restart');
  await startOrder(app, 'b2');
  await waitRunning(host, 'b2');
  assert.equal((await jsonOf(await call(app, 'GET', '/api/v1/instances/b2'))).definitionHash, oldHash);
  await pay(app, 'b1');
  await pay(app, 'b2');
  assert.deepEqual((await host.engine.client.waitForCompletion('b2', { timeoutMs: 60_000 })).output, output('b2', OLD_OUTPUT));
  assert.ok((await host.engine.store.listDefinitions('order')).some((d) => d.hash === newHash), 'NEW is kept (within the grace period)');
  await host.stop();
});

test('two hosts on one SQLite file: a host starting does not delete the version another host has just stored', async () => {
  const dir = tempDir();
  const folder = join(dir, 'workflows');
  mkdirSync(folder);
  writeFileSync(join(folder, 'order.yaml'), OLD);
  const store = `sqlite:${join(dir, 'swirl.db')}`;
  // B serves 'order' from the API; A from its folder (OLD), so NEW is not current on A.
  const b = await open({ store });
  const newHash = await registerOver(b.app, NEW);
  // A starts after B stored NEW and before B started any instance on it: collecting at A's start
  // must not delete it.
  const a = await open({ store, workflowsDir: folder });
  assert.ok((await a.host.engine.store.listDefinitions('order')).some((d) => d.hash === newHash), 'NEW is still stored after A started');
  await startOrder(b.app, 'n1');
  await waitRunning(b.host, 'n1');
  assert.equal((await jsonOf(await call(b.app, 'GET', '/api/v1/instances/n1'))).definitionHash, newHash);
  await a.host.stop();
  await b.host.stop();
  // B restarted finds its current version in the store, and the instance's definition with it.
  const b2 = await open({ store });
  const listed = (await jsonOf(await call(b2.app, 'GET', '/api/v1/workflows'))).workflows.find((w: { id: string }) => w.id === 'order');
  assert.equal(listed.hash, newHash);
  await pay(b2.app, 'n1');
  assert.deepEqual((await b2.host.engine.client.waitForCompletion('n1', { timeoutMs: 60_000 })).output, output('n1', NEW_OUTPUT));
  await b2.host.stop();
});
