/**
 * Two hosts in one process on one SQLite file (two connections, as two nodes would have): the
 * engine-level parts of "several nodes" that the HTTP API does not expose — waitForCompletion on
 * node B for an instance node A finishes, and a node that lacks a definition does not claim its
 * instances until it learns the definition from the store (specs/multi-node.md).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHost, type SwirlHost } from '../../src/index.js';

let dir: string;
let a: SwirlHost;
let b: SwirlHost;

const WAIT = `
id: wait
specVersion: '0.8'
events: [{ name: Go, type: go, source: /go }]
states:
  - name: Wait
    type: event
    onEvents: [{ eventRefs: [Go], eventDataFilter: { data: '\${ .go }', toStateData: '\${ .go }' } }]
    end: true
`;

const LATE = `
id: late
specVersion: '0.8'
states:
  - name: Only
    type: inject
    data: { ran: true }
    end: true
`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function node(workerId: string): Promise<SwirlHost> {
  // Refresh only on a miss or when asked: the test decides when B learns a definition.
  const host = await createHost({ store: `sqlite:${join(dir, 'swirl.db')}`, definitionRefreshMs: 3_600_000, engine: { workerId, pollIntervalMs: 50 } });
  await host.start();
  return host;
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'swirl-hosts-'));
  a = await node('hostA');
  b = await node('hostB');
});

after(async () => {
  await a.stop();
  await b.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('waitForCompletion on B returns when A finishes the instance', async () => {
  assert.ok((await a.catalog.register(WAIT)).workflow);
  const id = await a.engine.client.start('wait', {}, { instanceId: 'w-1' });
  const waiting = b.engine.client.waitForCompletion(id, { timeoutMs: 60_000 });
  await sleep(300);
  await a.engine.client.raiseEvent(id, 'Go', { go: 'went' });
  const done = await waiting;
  assert.equal(done.runtimeStatus, 'COMPLETED');
  assert.deepEqual(done.output, { go: 'went' });
});

test('a node that lacks a definition does not claim its instances; once it learns it, it runs them', async () => {
  assert.ok((await a.catalog.register(LATE)).workflow);
  const id = await a.engine.client.start('late', {}, { instanceId: 'late-1', startAt: Date.now() + 800 });
  await a.stop(); // only B is left, and B does not know 'late'
  await sleep(1500);
  const waiting = await b.engine.client.get(id);
  assert.equal(waiting?.runtimeStatus, 'PENDING', 'not claimed, and never failed, by the node that lacks it');
  assert.match(waiting?.waitingFor ?? '', /no worker registered for 'late'/);
  await b.refreshDefinitions();
  assert.deepEqual(b.workflows().map((w) => w.id).sort(), ['late', 'wait']);
  const done = await b.engine.client.waitForCompletion(id, { timeoutMs: 60_000 });
  assert.equal(done.runtimeStatus, 'COMPLETED');
  assert.deepEqual(done.output, { ran: true });
  a = await node('hostA');
});
