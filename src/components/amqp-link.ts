/**
 * @module components/amqp-link
 * One AMQP 0-9-1 connection (amqplib) shared by a RabbitMQ component: a confirm channel for
 * publishing (a publish resolves once the broker has taken the message) that is reopened on demand
 * after the connection drops, and fresh channels for consumers. The first connect must succeed at
 * start; later drops are repaired lazily by the next publish or by the subscription's own loop.
 */
import amqp from 'amqplib';
import { ComponentErrorCode, describeCause } from './failures.js';
import type { ComponentMetadata } from './metadata.js';
import type { ClientTls } from './tls-options.js';

type Model = Awaited<ReturnType<typeof amqp.connect>>;
type ConfirmChannel = Awaited<ReturnType<Model['createConfirmChannel']>>;
/** An amqplib channel (consumers). */
export type AmqpChannel = Awaited<ReturnType<Model['createChannel']>>;

/** A self-repairing connection. */
export class AmqpLink {
  private model: Promise<Model> | undefined;
  private confirm: Promise<ConfirmChannel> | undefined;
  private closed = false;

  /** `connectionName` shows in the RabbitMQ management UI / `rabbitmqctl list_connections user_provided_name`. */
  constructor(
    private readonly url: string,
    private readonly connectTimeoutMs: number,
    private readonly connectionName: string,
    /** Client certificate / CA for `amqps://` URLs (components/tls-options). */
    private readonly tls: ClientTls = {},
  ) {}

  /** Connects once at start; throws a COMPONENT_UNREACHABLE error naming `field` on failure. */
  async start(md: ComponentMetadata, field: string): Promise<void> {
    try {
      await this.connection();
    } catch (err) {
      throw md.error(field, `cannot connect to RabbitMQ at ${redact(this.url)}: ${describeCause(err)}`, ComponentErrorCode.Unreachable, err);
    }
  }

  /** The live connection, reconnecting if it dropped. */
  connection(): Promise<Model> {
    if (this.closed) return Promise.reject(new Error('connection closed'));
    this.model ??= (async () => {
      // noDelay: without it Nagle + delayed ACKs add ~40 ms to every confirmed publish.
      const m = await amqp.connect(this.url, { timeout: this.connectTimeoutMs, noDelay: true, clientProperties: { connection_name: this.connectionName }, ...this.tls });
      const reset = () => {
        this.model = undefined;
        this.confirm = undefined;
      };
      m.on('error', () => {});
      m.on('close', reset);
      return m;
    })().catch((err) => {
      this.model = undefined;
      throw err;
    });
    return this.model;
  }

  /** The shared confirm channel (publishing). */
  confirmChannel(): Promise<ConfirmChannel> {
    this.confirm ??= (async () => {
      const ch = await (await this.connection()).createConfirmChannel();
      ch.on('error', () => {});
      ch.on('close', () => (this.confirm = undefined));
      return ch;
    })().catch((err) => {
      this.confirm = undefined;
      throw err;
    });
    return this.confirm;
  }

  /** Publishes and waits for the broker's confirm. */
  async publish(exchange: string, routingKey: string, body: Buffer, options: Parameters<ConfirmChannel['publish']>[3]): Promise<void> {
    const ch = await this.confirmChannel();
    await new Promise<void>((resolve, reject) => {
      ch.publish(exchange, routingKey, body, options, (err) => (err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve()));
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const m = this.model;
    this.model = undefined;
    if (m) await (await m.catch(() => undefined))?.close().catch(() => {});
  }
}

/** `amqp://user:pass@host` → `amqp://user:***@host` for messages. */
function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}
