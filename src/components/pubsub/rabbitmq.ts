/**
 * @module components/pubsub/rabbitmq
 * `pubsub.rabbitmq` (Dapr's topology): a topic is an exchange (`exchangeKind`, default fanout); a
 * subscriber's queue is `<consumerID>-<topic>` bound to it, so instances sharing a consumerID share
 * the work and different consumerIDs each get every message. Metadata: `connectionString` (alias
 * `host`), `consumerID`, `durable` (false), `deletedWhenUnused` (true), `deliveryMode`,
 * `prefetchCount`, `exchangeKind`, `requeueInFailure`.
 * At-least-once: manual acks after the handler resolves. Deviation: Dapr's `requeueInFailure`
 * defaults to false (a failed message is dropped); Swirl defaults it to true and requeues after
 * `requeueDelay` (default 1s) so a failing handler loses nothing and does not spin.
 */
import { readClientTls } from '../tls-options.js';
import { AmqpLink, type AmqpChannel } from '../amqp-link.js';
import { parseCloudEvent } from '../cloudevent.js';
import type { ComponentMetadata } from '../metadata.js';
import type { CloudEventJson, PubSub, Subscription } from '../types.js';

/** Connects and returns the pub/sub. */
export async function createRabbitMqPubSub(md: ComponentMetadata, opts: { appId: string; connectTimeoutMs: number }): Promise<PubSub> {
  const url = md.string('connectionString', 'host') ?? buildUrl(md);
  const consumerID = md.string('consumerID') ?? opts.appId;
  const durable = md.bool('durable', false);
  const autoDelete = md.bool('deletedWhenUnused', true);
  const exchangeKind = md.string('exchangeKind') ?? 'fanout';
  const deliveryMode = md.int('deliveryMode', 0);
  const prefetch = md.int('prefetchCount', 0);
  const requeue = md.bool('requeueInFailure', true);
  const requeueDelayMs = md.durationMs('requeueDelay', 1000);
  const link = new AmqpLink(url, opts.connectTimeoutMs, `swirl-${md.manifest.name}`, readClientTls(md));
  await link.start(md, md.string('connectionString') !== undefined ? 'connectionString' : 'host');
  const declared = new Set<string>();
  const subs = new Set<RabbitSubscription>();
  const ensureExchange = async (ch: { assertExchange: AmqpChannel['assertExchange'] }, topic: string) => {
    await ch.assertExchange(topic, exchangeKind, { durable, autoDelete });
  };

  return {
    async publish(topic, event, metadata) {
      if (!declared.has(topic)) {
        await ensureExchange(await link.confirmChannel(), topic);
        declared.add(topic);
      }
      const mode = metadata.deliveryMode !== undefined ? Number(metadata.deliveryMode) : deliveryMode;
      try {
        await link.publish(topic, metadata.routingKey ?? '', Buffer.from(JSON.stringify(event)), {
          contentType: 'application/cloudevents+json',
          messageId: event.id,
          persistent: mode === 2 ? true : mode === 1 ? false : durable,
          expiration: metadata.ttlInSeconds !== undefined ? String(Number(metadata.ttlInSeconds) * 1000) : undefined,
          priority: metadata.priority !== undefined ? Number(metadata.priority) : undefined,
        });
      } catch (err) {
        declared.delete(topic); // the channel may have died with the exchange gone (autoDelete)
        throw err;
      }
    },
    async subscribe(topic, handler) {
      const sub = new RabbitSubscription(link, topic, `${consumerID}-${topic}`, md.manifest.name, handler, {
        durable, autoDelete, prefetch, requeue, requeueDelayMs, routingKey: md.string('routingKey') ?? '', ensureExchange,
      });
      await sub.start();
      subs.add(sub);
      return { close: async () => { subs.delete(sub); await sub.close(); } };
    },
    async close() {
      await Promise.all([...subs].map((s) => s.close()));
      await link.close();
    },
  };
}

/** `protocol`, `hostname`, `username`, `password` (Dapr's alternative to connectionString). */
function buildUrl(md: ComponentMetadata): string {
  const host = md.required('hostname', 'connectionString', 'host');
  const protocol = md.string('protocol') ?? 'amqp';
  const user = md.string('username');
  const pass = md.string('password');
  const auth = user ? `${encodeURIComponent(user)}${pass ? `:${encodeURIComponent(pass)}` : ''}@` : '';
  return `${protocol}://${auth}${host}`;
}

interface RabbitSubOptions {
  durable: boolean;
  autoDelete: boolean;
  prefetch: number;
  requeue: boolean;
  requeueDelayMs: number;
  routingKey: string;
  ensureExchange: (ch: AmqpChannel, topic: string) => Promise<void>;
}

/** One consumer on `<consumerID>-<topic>`; re-established when the channel drops. */
class RabbitSubscription implements Subscription {
  private channel: AmqpChannel | undefined;
  private closed = false;
  private readonly inflight = new Set<Promise<void>>();
  private retry: NodeJS.Timeout | undefined;

  constructor(
    private readonly link: AmqpLink,
    private readonly topic: string,
    private readonly queue: string,
    private readonly component: string,
    private readonly handler: (event: CloudEventJson) => Promise<void>,
    private readonly o: RabbitSubOptions,
  ) {}

  async start(): Promise<void> {
    const ch = await (await this.link.connection()).createChannel();
    ch.on('error', () => {});
    ch.on('close', () => {
      this.channel = undefined;
      if (!this.closed) this.scheduleRestart();
    });
    await this.o.ensureExchange(ch, this.topic);
    await ch.assertQueue(this.queue, { durable: this.o.durable, autoDelete: this.o.autoDelete });
    await ch.bindQueue(this.queue, this.topic, this.o.routingKey);
    if (this.o.prefetch > 0) await ch.prefetch(this.o.prefetch);
    this.channel = ch;
    await ch.consume(this.queue, (msg) => {
      if (!msg) {
        // The broker cancelled the consumer (queue deleted, node failover): closing the channel
        // takes the 'close' path, which re-declares the queue and consumes again.
        void ch.close().catch(() => {});
        return;
      }
      const p = this.deliver(ch, msg).finally(() => this.inflight.delete(p));
      this.inflight.add(p);
    }, { noAck: false });
  }

  private scheduleRestart(): void {
    this.retry = setTimeout(() => {
      this.start().catch(() => !this.closed && this.scheduleRestart());
    }, 1000);
    this.retry.unref();
  }

  private async deliver(ch: AmqpChannel, msg: Parameters<Parameters<AmqpChannel['consume']>[1]>[0] & object): Promise<void> {
    const id = typeof msg.properties.messageId === 'string' ? msg.properties.messageId : `${this.queue}/${msg.fields.deliveryTag}`;
    const event = parseCloudEvent(msg.content, { id, source: `swirl/pubsub/${this.component}`, type: 'com.dapr.event.sent' });
    try {
      await this.handler(event);
      ch.ack(msg);
    } catch {
      if (!this.o.requeue) {
        ch.nack(msg, false, false);
        return;
      }
      await new Promise((r) => setTimeout(r, this.o.requeueDelayMs).unref());
      try {
        ch.nack(msg, false, true);
      } catch {
        // channel gone: the broker requeues unacked messages by itself
      }
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.retry) clearTimeout(this.retry);
    await Promise.allSettled([...this.inflight]);
    await this.channel?.close().catch(() => {});
  }
}
