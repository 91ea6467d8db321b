/**
 * @module components/bindings/mqtt3
 * `bindings.mqtt3` (Dapr semantics): metadata `url` (mqtt://host:1883, mqtts:// with `caCert`,
 * `clientCert`, `clientKey`), `topic`, `consumerID` (the MQTT client id; default
 * `<appId>-<component name>`), `retain`, `cleanSession`, `direction`, `route`.
 * Output (the default direction): operation `create` publishes `data` with QoS 1 and resolves on
 * the broker's PUBACK; request metadata `topic` and `retain` override the component's.
 * Input (`direction: input`): subscribes `topic` with QoS 1 on a persistent session
 * (`cleanSession` defaults to false then), PUBACKs each message after the handler resolved, so a
 * message the process died with comes back from the broker (components/mqtt-link). MQTT 3.1.1
 * messages carry no id: the CloudEvent id is a digest of topic + payload (specs/components.md §4).
 * Both directions share one connection (one client id).
 */
import { requestError } from '../failures.js';
import type { ComponentMetadata } from '../metadata.js';
import { MqttLink } from '../mqtt-link.js';
import { encodePayload } from '../payload.js';
import type { InputBinding, OutputBinding } from '../types.js';
import { bindingCloudEvent, bindingDirection, bindingEventType, contentId } from './input-event.js';

/** Connects and returns the binding's output and/or input side, as `direction` says. */
export async function createMqttBinding(md: ComponentMetadata, opts: { appId: string; connectTimeoutMs: number; timeoutMs: number }): Promise<{ binding?: OutputBinding; input?: InputBinding }> {
  const direction = bindingDirection(md, { input: false, output: true });
  const topic = md.required('topic');
  const retain = md.bool('retain', false);
  const type = direction.input ? bindingEventType(md) : '';
  const link = await MqttLink.connect(md, {
    clientId: md.string('consumerID') ?? `${opts.appId}-${md.manifest.name}`,
    // A reader needs the broker to keep its session: unacknowledged messages survive a crash.
    clean: md.bool('cleanSession', !direction.input),
    connectTimeoutMs: opts.connectTimeoutMs,
  });
  const name = md.manifest.name;
  let open = (direction.output ? 1 : 0) + (direction.input ? 1 : 0);
  const release = async () => {
    if (--open === 0) await link.close();
  };
  const binding: OutputBinding | undefined = direction.output
    ? {
        operations: ['create'],
        async invoke(call) {
          if (call.operation !== 'create') throw requestError('ERR_INVOKE_OUTPUT_BINDING', `bindings.mqtt3 '${name}' has no operation '${call.operation}' (supported: create)`);
          const target = call.metadata.topic || topic;
          const r = call.metadata.retain;
          await link.publish(target, encodePayload(call.data), { retain: r === undefined ? retain : r === 'true', timeoutMs: opts.timeoutMs, signal: call.signal });
          return { data: null, metadata: {} };
        },
        close: release,
      }
    : undefined;
  const input: InputBinding | undefined = direction.input
    ? {
        async read(handler) {
          await link.subscribe(topic, async (t, payload) => {
            await handler(bindingCloudEvent({ component: name, type, id: contentId(t, payload), body: payload, subject: t }));
          });
          return { close: () => link.unsubscribe(topic) };
        },
        close: release,
      }
    : undefined;
  return { binding, input };
}
