/**
 * `pubsub.nats` (JetStream) against the real NATS server of SWIRL_TEST_NATS_URL. The stream is
 * unique per run and deleted afterwards.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type JetStreamManager, type NatsConnection } from 'nats';
import { loadComponents, toCloudEvent, type CloudEventJson, type ComponentHost } from '../../src/components/index.js';
import { componentDir, componentYaml, serviceUrl, uniqueName, waitFor } from './support.js';

const svc = serviceUrl('nats');

describe('pubsub.nats (JetStream)', { skip: svc.skip, timeout: 60_000 }, () => {
  let host: ComponentHost;
  let cleanup: () => Promise<void>;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  const prefix = uniqueName('swirl_test');
  const stream = `${prefix}_stream`;

  before(async () => {
    const d = await componentDir({
      'js.yaml': componentYaml('js', 'pubsub.nats', { natsURL: svc.url, streamName: stream, consumerID: `${prefix}_app`, memoryStorage: 'true', ackWait: '2s' }),
    });
    cleanup = d.cleanup;
    host = await loadComponents(d.dir, { env: {} });
    nc = await connect({ servers: svc.url });
    jsm = await nc.jetstreamManager();
  });

  after(async () => {
    await host?.close();
    await jsm.streams.delete(stream).catch(() => false);
    await nc.close();
    await cleanup();
  });

  it('creates the stream for the subject and delivers published CloudEvents', async () => {
    const topic = `${prefix}.orders`;
    const got: CloudEventJson[] = [];
    const sub = await host.subscribe({ pubsub: 'js', topic, handler: async (e) => void got.push(e) });
    const event = toCloudEvent({ source: 'test', type: 'order.created', data: { id: 5 } });
    await host.publish({ pubsub: 'js', topic, event });
    await waitFor(() => got.length === 1, 30_000, 'delivery');
    assert.deepEqual(got[0], event);
    const info = await jsm.streams.info(stream);
    assert.deepEqual(info.config.subjects, [topic]);
    await sub.close();
  });

  it('re-publishing an event with the same id is dropped by the server (msgID = CloudEvent id)', async () => {
    const topic = `${prefix}.dedupe`;
    const event = toCloudEvent({ source: 'test', type: 't', data: 1 });
    await host.publish({ pubsub: 'js', topic, event });
    await host.publish({ pubsub: 'js', topic, event });
    const info = await jsm.streams.info(stream);
    assert.deepEqual(info.config.subjects, [`${prefix}.orders`, topic]); // the stream was extended
    const got: CloudEventJson[] = [];
    const sub = await host.subscribe({ pubsub: 'js', topic, handler: async (e) => void got.push(e) });
    await waitFor(() => got.length === 1, 30_000, 'delivery');
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(got.length, 1);
    await sub.close();
  });

  it('a failing handler is nak-ed and redelivered; a restarted durable consumer resumes', async () => {
    const topic = `${prefix}.retry`;
    const ids: string[] = [];
    const sub = await host.subscribe({ pubsub: 'js', topic, handler: async (e) => { ids.push(e.id); if (ids.length < 2) throw new Error('later'); } });
    const event = toCloudEvent({ source: 'test', type: 't', data: 1 });
    await host.publish({ pubsub: 'js', topic, event });
    await waitFor(() => ids.length >= 2, 30_000, 'redelivery');
    assert.deepEqual(new Set(ids), new Set([event.id]));
    await sub.close();
    // Published while nobody consumes: the durable consumer delivers it on the next subscribe.
    const later = toCloudEvent({ source: 'test', type: 't', data: 2 });
    await host.publish({ pubsub: 'js', topic, event: later });
    const got: CloudEventJson[] = [];
    const again = await host.subscribe({ pubsub: 'js', topic, handler: async (e) => void got.push(e) });
    await waitFor(() => got.length === 1, 30_000, 'resumed delivery');
    assert.equal(got[0].id, later.id);
    await again.close();
  });
});
