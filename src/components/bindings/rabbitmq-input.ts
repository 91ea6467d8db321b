/**
 * @module components/bindings/rabbitmq-input
 * The input side of `bindings.rabbitmq` (`direction: input`): consumes `queueName` (declared as
 * the output side declares it) with manual acknowledgements. Messages are handed over one at a
 * time in arrival order; each is acked only after the handler resolved — for Swirl, after the event
 * is durably routed into the store — and nacked with requeue after `requeueDelay` (1s) when it
 * failed. A process that dies holding unacked messages loses nothing: the broker redelivers them
 * to the next consumer. The CloudEvent id is the AMQP `messageId`, else a digest of queue + body.
 */
import { AmqpLink, type AmqpChannel } from '../amqp-link.js';
import type { ComponentMetadata } from '../metadata.js';
import { readClientTls } from '../tls-options.js';
import type { CloudEventJson, InputBinding, Subscription } from '../types.js';
import { bindingCloudEvent, bindingEventType, contentId } from './input-event.js';

type Message = Parameters<Parameters<AmqpChannel['consume']>[1]>[0] & object;

/** Connects, declares the queue and returns the input binding (not yet consuming). */
export async function createRabbitMqInput(md: ComponentMetadata, opts: { connectTimeoutMs: number }): Promise<InputBinding> {
  const url = md.required('host', 'connectionString');
  const queue = md.required('queueName');
  const type = bindingEventType(md);
  const durable = md.bool('durable', false);
  const queueTtl = md.int('ttlInSeconds', 0);
  const maxPriority = md.int('maxPriority', 0);
  const prefetch = md.int('prefetchCount', 10);
  if (prefetch < 1 || prefetch > 10_000) throw md.error('prefetchCount', `expected 1 to 10000 unacknowledged messages, found ${prefetch}`);
  const requeueDelayMs = md.durationMs('requeueDelay', 1000);
  const args: Record<string, unknown> = {};
  if (queueTtl > 0) args['x-message-ttl'] = queueTtl * 1000;
  if (maxPriority > 0) args['x-max-priority'] = maxPriority;
  const queueOptions = { durable, autoDelete: md.bool('deleteWhenUnused', false), exclusive: md.bool('exclusive', false), arguments: args };
  const link = new AmqpLink(url, opts.connectTimeoutMs, `swirl-${md.manifest.name}-input`, readClientTls(md));
  await link.start(md, md.string('host') !== undefined ? 'host' : 'connectionString');
  const readers = new Set<QueueReader>();
  return {
    async read(handler) {
      const reader = new QueueReader(link, queue, md.manifest.name, type, handler, { prefetch, requeueDelayMs, queueOptions });
      try {
        await reader.start();
      } catch (err) {
        await reader.close();
        throw md.error('queueName', `cannot consume queue '${queue}': ${(err as Error).message}`, undefined, err);
      }
      readers.add(reader);
      return {
        close: async () => {
          readers.delete(reader);
          await reader.close();
        },
      } satisfies Subscription;
    },
    async close() {
      await Promise.allSettled([...readers].map((r) => r.close()));
      await link.close();
    },
  };
}

interface ReaderOptions {
  prefetch: number;
  requeueDelayMs: number;
  queueOptions: Parameters<AmqpChannel['assertQueue']>[1];
}

/** One consumer of the queue, re-established (after a second) whenever its channel drops. */
class QueueReader {
  private channel: AmqpChannel | undefined;
  private closed = false;
  /** Messages are handled in arrival order: routing a start event before its follow-ups. */
  private chain: Promise<void> = Promise.resolve();
  private retry: NodeJS.Timeout | undefined;

  constructor(
    private readonly link: AmqpLink,
    private readonly queue: string,
    private readonly component: string,
    private readonly type: string,
    private readonly handler: (event: CloudEventJson) => Promise<void>,
    private readonly o: ReaderOptions,
  ) {}

  async start(): Promise<void> {
    const ch = await (await this.link.connection()).createChannel();
    ch.on('error', () => {});
    ch.on('close', () => {
      this.channel = undefined;
      if (!this.closed) this.scheduleRestart();
    });
    await ch.assertQueue(this.queue, this.o.queueOptions);
    await ch.prefetch(this.o.prefetch);
    this.channel = ch;
    await ch.consume(
      this.queue,
      (msg) => {
        if (!msg) {
          // Cancelled by the broker (queue deleted): the close path declares and consumes again.
          void ch.close().catch(() => {});
          return;
        }
        this.chain = this.chain.then(() => this.deliver(ch, msg));
      },
      { noAck: false },
    );
  }

  private scheduleRestart(): void {
    this.retry = setTimeout(() => {
      this.start().catch(() => !this.closed && this.scheduleRestart());
    }, 1000);
    this.retry.unref();
  }

  private async deliver(ch: AmqpChannel, msg: Message): Promise<void> {
    if (this.closed) return; // unacked: the broker hands it to the next consumer
    const p = msg.properties;
    const id = typeof p.messageId === 'string' && p.messageId !== '' ? p.messageId : contentId(this.queue, msg.content);
    const event = bindingCloudEvent({
      component: this.component,
      type: this.type,
      id,
      body: msg.content,
      contentType: typeof p.contentType === 'string' ? p.contentType : undefined,
      time: typeof p.timestamp === 'number' ? new Date(p.timestamp * 1000).toISOString() : undefined,
      headers: (p.headers ?? {}) as Record<string, unknown>,
    });
    try {
      await this.handler(event);
      ch.ack(msg);
    } catch {
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
    await this.chain.catch(() => undefined);
    await this.channel?.close().catch(() => {});
  }
}
