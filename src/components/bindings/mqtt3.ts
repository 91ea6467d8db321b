/**
 * @module components/bindings/mqtt3
 * `bindings.mqtt3` output binding (Dapr semantics): metadata `url` (mqtt://host:1883), `topic`,
 * `consumerID` (the MQTT client id; default `<appId>-<component name>`), `retain`, `cleanSession`.
 * Operation `create` publishes `data` with QoS 1 and resolves on the broker's PUBACK; request
 * metadata `topic` and `retain` override the component's.
 */
import { requestError } from '../failures.js';
import type { ComponentMetadata } from '../metadata.js';
import { MqttLink } from '../mqtt-link.js';
import { encodePayload } from '../payload.js';
import type { OutputBinding } from '../types.js';

/** Connects and returns the binding. */
export async function createMqttBinding(md: ComponentMetadata, opts: { appId: string; connectTimeoutMs: number; timeoutMs: number }): Promise<OutputBinding> {
  const topic = md.required('topic');
  const retain = md.bool('retain', false);
  const link = await MqttLink.connect(md, {
    clientId: md.string('consumerID') ?? `${opts.appId}-${md.manifest.name}`,
    clean: md.bool('cleanSession', true),
    connectTimeoutMs: opts.connectTimeoutMs,
  });
  const name = md.manifest.name;
  return {
    operations: ['create'],
    async invoke(call) {
      if (call.operation !== 'create') throw requestError('ERR_INVOKE_OUTPUT_BINDING', `bindings.mqtt3 '${name}' has no operation '${call.operation}' (supported: create)`);
      const target = call.metadata.topic || topic;
      const r = call.metadata.retain;
      await link.publish(target, encodePayload(call.data), { retain: r === undefined ? retain : r === 'true', timeoutMs: opts.timeoutMs, signal: call.signal });
      return { data: null, metadata: {} };
    },
    close: () => link.close(),
  };
}
