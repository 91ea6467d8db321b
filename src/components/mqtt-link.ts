/**
 * @module components/mqtt-link
 * One MQTT 3.1.1 client (mqtt.js) per component, shared by publishing and subscriptions. QoS 1
 * both ways. Incoming messages are routed to the subscription whose filter matches the topic, and
 * the PUBACK goes out only after that handler finishes (mqtt.js sends it when `handleMessage`
 * calls back), which makes delivery at-least-once; a handler that fails is retried with backoff
 * until it succeeds or the subscription closes (then the unacknowledged message comes back
 * from the broker's persistent session on the next connect, when `cleanSession` is false).
 */
import mqtt, { type MqttClient } from 'mqtt';
import { ComponentErrorCode, describeCause } from './failures.js';
import type { ComponentMetadata } from './metadata.js';
import { readClientTls } from './tls-options.js';

/** A message handler; a rejection means "not processed". */
export type MqttHandler = (topic: string, payload: Buffer, messageId: number | undefined) => Promise<void>;

/** How long a message waits for a subscription to appear (after a restart, the session's backlog can arrive first). */
const NO_HANDLER_WAIT_MS = 5_000;

/** A connected client with topic routing. */
export class MqttLink {
  private readonly handlers = new Map<string, MqttHandler>();
  private closing = false;

  private constructor(readonly client: MqttClient) {}

  /** Connects (first attempt must succeed; later drops reconnect every second). */
  static async connect(md: ComponentMetadata, options: { clientId: string; clean: boolean; connectTimeoutMs: number }): Promise<MqttLink> {
    const url = md.required('url');
    // Dapr's caCert/clientCert/clientKey (mqtts:// or ssl:// URLs).
    const tls = readClientTls(md);
    let client: MqttClient;
    try {
      client = mqtt.connect(url, { clientId: options.clientId, clean: options.clean, connectTimeout: options.connectTimeoutMs, reconnectPeriod: 0, protocolVersion: 4, ...tls });
    } catch (err) {
      throw md.error('url', `invalid MQTT URL '${url}': ${describeCause(err)}`);
    }
    const link = new MqttLink(client);
    client.handleMessage = (packet, done) => {
      link.route(packet.topic, Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload), packet.messageId).then(
        () => done(),
        // Not processed (closing): no PUBACK, so the broker keeps the message for the next session.
        () => {},
      );
    };
    // Own listeners are removed by reference afterwards: mqtt.js has 'close'/'error' listeners of its
    // own (its reconnect logic), which removeAllListeners would silently disable.
    let onConnect!: () => void;
    let onError!: (err: Error) => void;
    let onClose!: () => void;
    try {
      await new Promise<void>((resolve, reject) => {
        onConnect = () => resolve();
        onError = reject;
        onClose = () => reject(new Error('connection closed by the broker'));
        client.once('connect', onConnect);
        client.once('error', onError);
        client.once('close', onClose);
      });
    } catch (err) {
      client.end(true);
      throw md.error('url', `cannot connect to MQTT broker at ${url}: ${describeCause(err)}`, ComponentErrorCode.Unreachable, err);
    } finally {
      client.off('connect', onConnect);
      client.off('error', onError);
      client.off('close', onClose);
    }
    client.on('error', () => {});
    // Connected once: from now on reconnect on our own schedule.
    client.options.reconnectPeriod = 1000;
    return link;
  }

  /** Publishes with QoS 1 and waits for the PUBACK, bounded by `timeoutMs`. */
  async publish(topic: string, payload: string | Buffer, opts: { retain: boolean; timeoutMs: number; signal?: AbortSignal }): Promise<void> {
    const timeout = AbortSignal.timeout(opts.timeoutMs);
    const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
    await new Promise<void>((resolve, reject) => {
      const onAbort = () => reject(new Error(`MQTT publish to '${topic}' not acknowledged in time (broker unreachable?)`));
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      this.client.publish(topic, payload, { qos: 1, retain: opts.retain }, (err) => {
        signal.removeEventListener('abort', onAbort);
        if (err) reject(err);
        else resolve();
      });
    });
  }

  /** Subscribes `filter` with QoS 1 and routes matching messages to `handler`. */
  async subscribe(filter: string, handler: MqttHandler): Promise<void> {
    this.handlers.set(filter, handler);
    try {
      const grants = await this.client.subscribeAsync(filter, { qos: 1 });
      if (grants.some((g) => g.qos === 128)) throw new Error(`the broker refused the subscription to '${filter}'`);
    } catch (err) {
      this.handlers.delete(filter);
      throw err;
    }
  }

  async unsubscribe(filter: string): Promise<void> {
    this.handlers.delete(filter);
    if (this.client.connected) await this.client.unsubscribeAsync(filter).catch(() => {});
  }

  private async route(topic: string, payload: Buffer, messageId: number | undefined): Promise<void> {
    const deadline = Date.now() + NO_HANDLER_WAIT_MS;
    let handler = this.find(topic);
    while (!handler && !this.closing && Date.now() < deadline) {
      await sleep(100);
      handler = this.find(topic);
    }
    if (!handler) return; // nobody subscribes this topic: acknowledged and dropped (see module doc)
    for (let attempt = 0; ; attempt++) {
      try {
        await handler(topic, payload, messageId);
        return;
      } catch {
        if (this.closing || !this.find(topic)) throw new Error('not processed');
        await sleep(Math.min(100 * 2 ** attempt, 5000));
      }
    }
  }

  private find(topic: string): MqttHandler | undefined {
    for (const [filter, h] of this.handlers) if (topicMatches(filter, topic)) return h;
    return undefined;
  }

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    await this.client.endAsync().catch(() => this.client.end(true));
  }
}

/** MQTT topic filter matching (`+` one level, `#` the rest). */
export function topicMatches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (i >= t.length) return false;
    if (f[i] !== '+' && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref());
}
