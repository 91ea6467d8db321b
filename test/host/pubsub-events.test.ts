/**
 * Consumed events from a pub/sub component (real Redis streams): an event definition with
 * `metadata: { pubsub, topic }` makes the host subscribe; a published CloudEvent starts the
 * workflow whose start event state consumes it, a later one is delivered by correlation, and a
 * redelivered event (same source and id) is routed once.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHost, correlatedInstanceId, type SwirlHost } from '../../src/index.js';

const redisUrl = process.env.SWIRL_TEST_REDIS_URL;
const skip = redisUrl ? false : 'skipped: set SWIRL_TEST_REDIS_URL';
const run = `t${process.pid}${Date.now()}`;
const topic = `swirl-host-${run}`;
let dir: string;
let host: SwirlHost | undefined;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'swirl-pubsub-'));
  if (!redisUrl) return;
  const { hostname, port } = new URL(redisUrl);
  mkdirSync(join(dir, 'components'));
  mkdirSync(join(dir, 'workflows'));
  writeFileSync(
    join(dir, 'components', 'bus.yaml'),
    `apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata:\n  name: bus\nspec:\n  type: pubsub.redis\n  version: v1\n  metadata:\n    - name: redisHost\n      value: ${hostname}:${port || 6379}\n    - name: consumerID\n      value: ${run}\n`,
  );
  writeFileSync(
    join(dir, 'workflows', 'parcel.yaml'),
    `
id: parcel
specVersion: '0.8'
events:
  - name: Dispatched
    type: parcel.dispatched
    source: /depot
    correlation: [{ contextAttributeName: parcelid }]
    metadata: { pubsub: bus, topic: ${topic} }
  - name: Delivered
    type: parcel.delivered
    source: /courier
    correlation: [{ contextAttributeName: parcelid }]
    metadata: { pubsub: bus, topic: ${topic} }
states:
  - name: Dispatch
    type: event
    onEvents:
      - eventRefs: [Dispatched]
        eventDataFilter: { data: '\${ .dispatch }', toStateData: '\${ .dispatch }' }
    transition: Deliver
  - name: Deliver
    type: event
    onEvents:
      - eventRefs: [Delivered]
        eventDataFilter: { data: '\${ .delivery }', toStateData: '\${ .delivery }' }
    end: true
`,
  );
});
after(async () => {
  await host?.stop();
  if (redisUrl) {
    const { Redis } = await import('ioredis');
    const r = new Redis(redisUrl);
    await r.del(topic);
    r.disconnect();
  }
  rmSync(dir, { recursive: true, force: true });
});

test('pub/sub events start and advance correlated instances, once per event id', { skip }, async () => {
  host = await createHost({ store: 'memory', workflowsDir: join(dir, 'workflows'), componentsDir: join(dir, 'components'), engine: { pollIntervalMs: 20 } });
  await host.start();
  const publish = (event: Record<string, unknown>) => host!.components!.publish({ pubsub: 'bus', topic, event: { specversion: '1.0', ...event } as never });
  const dispatched = { id: 'd-1', source: '/depot', type: 'parcel.dispatched', parcelid: 'P-9', data: { dispatch: { van: 4 } } };
  await publish(dispatched);
  await publish(dispatched); // redelivery of the same event
  await publish({ id: 'x-1', source: '/courier', type: 'parcel.delivered', parcelid: 'P-9', data: { delivery: { signedBy: 'lin' } } });
  const id = correlatedInstanceId('parcel', [['parcelid', 'P-9']], dispatched as never);
  let done;
  for (let i = 0; i < 100 && !done; i++) {
    await new Promise((r) => setTimeout(r, 50));
    const m = await host.engine.client.get(id);
    if (m?.runtimeStatus === 'COMPLETED') done = m;
  }
  assert.ok(done, 'the parcel instance completed');
  assert.deepEqual(done.output, { dispatch: { van: 4 }, delivery: { signedBy: 'lin' } });
  assert.equal(host.metrics().eventsReceived, 2, 'the redelivered event was routed once');
});
