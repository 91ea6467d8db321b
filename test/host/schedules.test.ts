/**
 * Durable start schedules: runs are created at their due times, and across a stop/restart of
 * the host on the same SQLite store no due run is skipped (the one due while the host was down
 * runs after the restart) and none is created twice.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHost, scheduledInstanceId, type InstanceMetadata, type SwirlHost } from '../../src/index.js';

let dir: string;
before(() => (dir = mkdtempSync(join(tmpdir(), 'swirl-sched-'))));
after(() => rmSync(dir, { recursive: true, force: true }));

const schedule = (id: string, spec: string) => `
id: ${id}
specVersion: '0.8'
start:
  stateName: Tick
  schedule: ${spec}
states:
  - name: Tick
    type: inject
    data: { ticked: true }
    end: true
`;

async function hostOn(store: string, spec: string, id: string): Promise<SwirlHost> {
  const host = await createHost({ store, scheduleTickMs: 50, engine: { pollIntervalMs: 20 } });
  const { workflow } = await host.catalog.register(schedule(id, spec));
  assert.ok(workflow, 'the scheduled definition registers');
  await host.start();
  return host;
}

async function runs(host: SwirlHost, id: string): Promise<InstanceMetadata[]> {
  const out: InstanceMetadata[] = [];
  let pageToken: string | undefined;
  do {
    const page = await host.engine.client.list({ name: id }, { pageSize: 100, ...(pageToken ? { pageToken } : {}) });
    out.push(...page.instances);
    pageToken = page.nextPageToken;
  } while (pageToken);
  return out;
}

const due = (m: InstanceMetadata, id: string): number => Number(m.instanceId.slice(scheduledInstanceId(id, 0).length - 1));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('interval schedule: every due run exactly once across a restart, the one due while down included', async () => {
  const store = `sqlite:${join(dir, 'interval.db')}`;
  let host = await hostOn(store, 'R/PT1S', 'ticker');
  await sleep(2300);
  await host.stop();
  const stoppedAt = Date.now();
  await sleep(1500); // at least one run falls due while no host runs
  host = await hostOn(store, 'R/PT1S', 'ticker');
  await sleep(1500);
  const all = await runs(host, 'ticker');
  await host.stop();
  const dues = all.map((m) => due(m, 'ticker')).sort((a, b) => a - b);
  assert.ok(dues.length >= 5, `runs: ${dues.join(', ')}`);
  assert.equal(new Set(dues).size, dues.length, 'no run twice');
  for (let i = 1; i < dues.length; i++) assert.equal(dues[i]! - dues[i - 1]!, 1000, `gap between ${dues[i - 1]} and ${dues[i]}`);
  const missedWhileDown = dues.filter((d) => d > stoppedAt && d < stoppedAt + 1500);
  assert.ok(missedWhileDown.length >= 1);
  for (const d of missedWhileDown) {
    const m = all.find((x) => due(x, 'ticker') === d)!;
    assert.equal(m.runtimeStatus, 'COMPLETED', `the run due at ${d} (host down) ran after the restart`);
    assert.deepEqual(m.output, { ticked: true });
  }
});

test('cron schedule (Quartz seconds field) starts runs while the host runs', async () => {
  const host = await hostOn('memory', "{ cron: '*/1 * * * * *' }", 'cronjob');
  await sleep(2200);
  const all = await runs(host, 'cronjob');
  await host.stop();
  const done = all.filter((m) => m.runtimeStatus === 'COMPLETED');
  assert.ok(done.length >= 1, `completed runs: ${done.length}`);
  for (const m of done) assert.equal(due(m, 'cronjob') % 1000, 0);
});

test('a scheduled workflow that starts with an event state is started by its events, not by time', async () => {
  const host = await createHost({ store: 'memory', scheduleTickMs: 50 });
  const { workflow } = await host.catalog.register(`
id: bids
specVersion: '0.8'
start: { stateName: Bid, schedule: R/PT1S }
events:
  - { name: BidMade, type: bid.made, source: /auction }
states:
  - name: Bid
    type: event
    onEvents: [{ eventRefs: [BidMade] }]
    end: true
`);
  assert.ok(workflow);
  await host.start();
  await sleep(1200);
  assert.deepEqual((await runs(host, 'bids')).length, 0);
  const [outcome] = await host.ingest([{ specversion: '1.0', id: 'b1', source: '/auction', type: 'bid.made', data: { amount: 5 } }]);
  assert.equal(outcome!.started.length, 1);
  const done = await host.engine.client.waitForCompletion(outcome!.started[0]!, { timeoutMs: 60_000 });
  await host.stop();
  assert.deepEqual(done.output, { amount: 5 });
});
