/**
 * @module components/pubsub/mqtt3
 * `pubsub.mqtt3` (Dapr semantics): metadata `url`, `consumerID` (the MQTT client id; default the
 * app id), `retain` (false), `cleanSession` (false: the broker keeps a subscriber's session, so
 * messages published while it was away — and unacknowledged ones — are delivered when it
 * reconnects). Messages are CloudEvent JSON published with QoS 1; see components/mqtt-link for the
 * at-least-once delivery.
 */
import { createHash } from 'node:crypto';
import { parseCloudEvent } from '../cloudevent.js';
import type { ComponentMetadata } from '../metadata.js';
import { MqttLink } from '../mqtt-link.js';
import type { PubSub } from '../types.js';

/** Connects and returns the pub/sub. */
export async function createMqttPubSub(md: ComponentMetadata, opts: { appId: string; connectTimeoutMs: number; timeoutMs: number }): Promise<PubSub> {
  const retain = md.bool('retain', false);
  const link = await MqttLink.connect(md, {
    clientId: md.string('consumerID') ?? opts.appId,
    clean: md.bool('cleanSession', false),
    connectTimeoutMs: opts.connectTimeoutMs,
  });
  const name = md.manifest.name;
  return {
    async publish(topic, event, metadata, signal) {
      const r = metadata.retain;
      await link.publish(topic, JSON.stringify(event), { retain: r === undefined ? retain : r === 'true', timeoutMs: opts.timeoutMs, signal });
    },
    async subscribe(topic, handler) {
      await link.subscribe(topic, async (t, payload) => {
        // A raw (non-CloudEvent) payload gets an id derived from its content, stable across redeliveries.
        const id = createHash('sha256').update(t).update('\0').update(payload).digest('hex').slice(0, 32);
        await handler(parseCloudEvent(payload, { id, source: `swirl/pubsub/${name}`, type: 'com.dapr.event.sent' }));
      });
      return { close: () => link.unsubscribe(topic) };
    },
    close: () => link.close(),
  };
}
