/**
 * `bindings.mqtt3` and `pubsub.mqtt3` against the real Mosquitto of SWIRL_TEST_MQTT_URL. Topics and
 * client ids are unique per run; retained messages are cleared afterwards.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import mqtt, { type MqttClient } from 'mqtt';
import { loadComponents, toCloudEvent, type CloudEventJson, type ComponentHost } from '../../src/components/index.js';
import { componentDir, componentYaml, serviceUrl, uniqueName, waitFor } from './support.js';

const svc = serviceUrl('mqtt');

describe('mqtt3 components', { skip: svc.skip, timeout: 60_000 }, () => {
  let host: ComponentHost;
  let cleanup: () => Promise<void>;
  let watcher: MqttClient;
  const prefix = uniqueName('swirl_test');
  const seen: Array<{ topic: string; payload: string; retain: boolean }> = [];

  before(async () => {
    const d = await componentDir({
      'out.yaml': componentYaml('out', 'bindings.mqtt3', { url: svc.url, topic: `${prefix}/out`, consumerID: `${prefix}_binding` }),
      'bus.yaml': componentYaml('bus', 'pubsub.mqtt3', { url: svc.url, consumerID: `${prefix}_bus`, cleanSession: 'true' }),
    });
    cleanup = d.cleanup;
    host = await loadComponents(d.dir, { env: {} });
    watcher = await mqtt.connectAsync(svc.url, { clientId: `${prefix}_watcher` });
    watcher.on('message', (topic, payload, packet) => seen.push({ topic, payload: payload.toString(), retain: packet.retain }));
    await watcher.subscribeAsync(`${prefix}/#`, { qos: 1 });
  });

  after(async () => {
    await watcher.publishAsync(`${prefix}/retained`, '', { retain: true, qos: 1 }); // clear the retained message
    await watcher.endAsync();
    await host?.close();
    await cleanup();
  });

  it('binding create publishes data to the component topic, or to metadata.topic', async () => {
    await host.invokeBinding({ name: 'out', operation: 'create', data: { n: 1 } });
    await host.invokeBinding({ name: 'out', operation: 'create', data: 'text', metadata: { topic: `${prefix}/retained`, retain: 'true' } });
    await waitFor(() => seen.length >= 2, 30_000, 'messages');
    assert.deepEqual(seen.find((m) => m.topic === `${prefix}/out`)?.payload, '{"n":1}');
    assert.deepEqual(seen.find((m) => m.topic === `${prefix}/retained`)?.payload, 'text');
    // A late subscriber still sees the retained message.
    const late = await mqtt.connectAsync(svc.url, { clientId: `${prefix}_late` });
    const got: string[] = [];
    late.on('message', (_t, p) => got.push(p.toString()));
    await late.subscribeAsync(`${prefix}/retained`, { qos: 1 });
    await waitFor(() => got.length === 1, 30_000, 'retained message');
    assert.equal(got[0], 'text');
    await late.endAsync();
  });

  it('pubsub: CloudEvents published with QoS 1 reach the subscriber', async () => {
    const topic = `${prefix}/orders`;
    const got: CloudEventJson[] = [];
    const sub = await host.subscribe({ pubsub: 'bus', topic, handler: async (e) => void got.push(e) });
    const event = toCloudEvent({ source: 'test', type: 'order.created', data: { id: 3 } });
    await host.publish({ pubsub: 'bus', topic, event });
    await waitFor(() => got.length === 1, 30_000, 'delivery');
    assert.deepEqual(got[0], event);
    await waitFor(() => seen.some((m) => m.topic === topic), 30_000, 'watcher copy');
    assert.deepEqual(JSON.parse(seen.find((m) => m.topic === topic)!.payload), event);
    await sub.close();
  });

  it('pubsub: a failing handler is retried until it succeeds', async () => {
    const topic = `${prefix}/retry`;
    const ids: string[] = [];
    const sub = await host.subscribe({ pubsub: 'bus', topic, handler: async (e) => { ids.push(e.id); if (ids.length < 3) throw new Error('later'); } });
    const event = toCloudEvent({ source: 'test', type: 't', data: 1 });
    await host.publish({ pubsub: 'bus', topic, event });
    await waitFor(() => ids.length >= 3, 30_000, 'retries');
    assert.deepEqual(new Set(ids), new Set([event.id]));
    await sub.close();
  });

  it('pubsub: after the broker drops the connection, the client reconnects and resubscribes', async (t) => {
    const topic = `${prefix}/drop`;
    const clientId = `${prefix}_drop`;
    const d = await componentDir({ 'bus.yaml': componentYaml('bus', 'pubsub.mqtt3', { url: svc.url, consumerID: clientId, cleanSession: 'true' }) });
    const h = await loadComponents(d.dir, { env: {} });
    t.after(() => h.close()); // also when an assertion fails: open sockets would keep the test process alive
    const got: CloudEventJson[] = [];
    await h.subscribe({ pubsub: 'bus', topic, handler: async (e) => void got.push(e) });
    // A second client with the same id makes the broker disconnect ours (MQTT 3.1.1 §3.1.4).
    const intruder = await mqtt.connectAsync(svc.url, { clientId, reconnectPeriod: 0 });
    await intruder.endAsync();
    const event = toCloudEvent({ source: 'test', type: 't', data: 'after drop' });
    await host.publish({ pubsub: 'bus', topic, event });
    // Published while ours was away with a clean session: lost by MQTT design; publish again until one arrives.
    const end = Date.now() + 8000;
    while (got.length === 0 && Date.now() < end) {
      await new Promise((r) => setTimeout(r, 300));
      if (got.length === 0) await host.publish({ pubsub: 'bus', topic, event });
    }
    assert.ok(got.length >= 1, 'no delivery after reconnect');
    assert.equal(got[0].id, event.id);
    await h.close();
    await d.cleanup();
  });

  it('pubsub with cleanSession false: events published while the subscriber is down arrive on restart', async (t) => {
    const topic = `${prefix}/durable`;
    const files = { 'bus.yaml': componentYaml('bus', 'pubsub.mqtt3', { url: svc.url, consumerID: `${prefix}_durable` }) };
    const d = await componentDir(files);
    const first = await loadComponents(d.dir, { env: {} });
    t.after(() => first.close()); // also when an assertion fails: open sockets would keep the test process alive
    await first.subscribe({ pubsub: 'bus', topic, handler: async () => {} });
    await first.close(); // the session (and its subscription) stays on the broker
    const event = toCloudEvent({ source: 'test', type: 't', data: 'while away' });
    await host.publish({ pubsub: 'bus', topic, event });
    const second = await loadComponents(d.dir, { env: {} });
    t.after(() => second.close()); // also when an assertion fails: open sockets would keep the test process alive
    const got: CloudEventJson[] = [];
    await second.subscribe({ pubsub: 'bus', topic, handler: async (e) => void got.push(e) });
    await waitFor(() => got.length === 1, 30_000, 'queued delivery');
    assert.equal(got[0].id, event.id);
    await second.close();
    // Connecting once with a clean session makes the broker forget this test's persistent session.
    const wipe = await mqtt.connectAsync(svc.url, { clientId: `${prefix}_durable`, clean: true });
    await wipe.endAsync();
    await d.cleanup();
  });
});
