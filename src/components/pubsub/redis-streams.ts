/**
 * @module components/pubsub/redis-streams
 * `pubsub.redis` on Redis Streams, as Dapr does it: a topic is a stream, a message is an entry with
 * one field `data` holding the CloudEvent JSON, subscribers read through a consumer group named by
 * `consumerID` (default: the app id). At-least-once: an entry is XACKed only after the handler
 * resolves; entries left pending longer than `processingTimeout` are reclaimed (XAUTOCLAIM) every
 * `redeliverInterval`, and a restarted consumer first re-reads its own pending entries.
 */
import type { Redis } from 'ioredis';
import { parseCloudEvent } from '../cloudevent.js';
import { networkError } from '../failures.js';
import type { ComponentMetadata } from '../metadata.js';
import { connectRedis } from '../redis-connection.js';
import type { CloudEventJson, PubSub, Subscription } from '../types.js';

/** Connects and returns the pub/sub. */
export async function createRedisPubSub(md: ComponentMetadata, opts: { appId: string; connectTimeoutMs: number }): Promise<PubSub> {
  const client = await connectRedis(md, opts.connectTimeoutMs);
  const group = md.string('consumerID') ?? opts.appId;
  const maxLenApprox = md.int('maxLenApprox', 0);
  const queueDepth = md.int('queueDepth', 100);
  const processingTimeoutMs = md.durationMs('processingTimeout', 15_000);
  const redeliverIntervalMs = md.durationMs('redeliverInterval', 60_000);
  const name = md.manifest.name;
  const subs = new Set<StreamSubscription>();

  return {
    async publish(topic, event) {
      try {
        const body = JSON.stringify(event);
        if (maxLenApprox > 0) await client.xadd(topic, 'MAXLEN', '~', String(maxLenApprox), '*', 'data', body);
        else await client.xadd(topic, '*', 'data', body);
      } catch (err) {
        throw networkError(`publish ${name}/${topic}`, err);
      }
    },
    async subscribe(topic, handler) {
      const conn = client.duplicate();
      conn.on('error', () => {});
      try {
        await ensureGroup(client, topic, group);
      } catch (err) {
        conn.disconnect();
        throw networkError(`subscribe ${name}/${topic}`, err);
      }
      const sub = new StreamSubscription(conn, client, topic, group, `${group}`, queueDepth, processingTimeoutMs, redeliverIntervalMs, handler, name);
      subs.add(sub);
      sub.start();
      return {
        close: async () => {
          subs.delete(sub);
          await sub.close();
        },
      };
    },
    async close() {
      await Promise.all([...subs].map((s) => s.close()));
      subs.clear();
      client.disconnect();
    },
  };
}

type Entry = [id: string, fields: string[]];

/** Creates the consumer group (and the stream) unless it exists — BUSYGROUP is the normal case. */
async function ensureGroup(client: Redis, topic: string, group: string): Promise<void> {
  try {
    await client.xgroup('CREATE', topic, group, '0', 'MKSTREAM');
  } catch (err) {
    if (!(err instanceof Error && err.message.includes('BUSYGROUP'))) throw err;
  }
}

/** One consumer loop over one stream. */
class StreamSubscription implements Subscription {
  private stopped = false;
  private loop: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private claimRunning: Promise<void> | undefined;
  private busy: Promise<void> | undefined;

  /** `reader` is dedicated to the blocking XREADGROUP; acks and claims go through the shared `client`. */
  constructor(
    private readonly reader: Redis,
    private readonly client: Redis,
    private readonly topic: string,
    private readonly group: string,
    private readonly consumer: string,
    private readonly count: number,
    private readonly processingTimeoutMs: number,
    private readonly redeliverIntervalMs: number,
    private readonly handler: (event: CloudEventJson) => Promise<void>,
    private readonly component: string,
  ) {}

  start(): void {
    this.loop = this.run();
    if (this.redeliverIntervalMs > 0 && this.processingTimeoutMs > 0) {
      this.timer = setInterval(() => {
        if (!this.claimRunning) this.claimRunning = this.reclaim().finally(() => (this.claimRunning = undefined));
      }, this.redeliverIntervalMs);
      this.timer.unref();
    }
  }

  private async run(): Promise<void> {
    // First our own pending entries (delivered before a crash, never acked), then new ones.
    let cursor = '0';
    while (!this.stopped) {
      let entries: Entry[] = [];
      try {
        // New entries: block up to 1 s so close() is noticed. Own pending history (cursor ≠ '>'):
        // Redis answers at once, so no BLOCK.
        const res = (
          cursor === '>'
            ? await this.reader.xreadgroup('GROUP', this.group, this.consumer, 'COUNT', this.count, 'BLOCK', 1000, 'STREAMS', this.topic, cursor)
            : await this.reader.xreadgroup('GROUP', this.group, this.consumer, 'COUNT', this.count, 'STREAMS', this.topic, cursor)
        ) as Array<[string, Entry[]]> | null;
        entries = res?.[0]?.[1] ?? [];
      } catch (err) {
        if (this.stopped) return;
        // NOGROUP: the stream or group vanished (a Redis restart without persistence, a DEL):
        // re-create it, from '0' so nothing published since is missed.
        if (err instanceof Error && err.message.includes('NOGROUP')) await ensureGroup(this.client, this.topic, this.group).catch(() => {});
        else await sleep(200); // Redis down: the client reconnects; poll again shortly.
        continue;
      }
      if (cursor === '0' && entries.length === 0) {
        cursor = '>';
        continue;
      }
      for (const e of entries) {
        if (this.stopped) return;
        await this.track(this.deliver(e));
      }
      if (cursor === '0' && entries.length > 0) cursor = entries[entries.length - 1][0];
    }
  }

  private async reclaim(): Promise<void> {
    try {
      const res = (await this.client.call('XAUTOCLAIM', this.topic, this.group, this.consumer, String(this.processingTimeoutMs), '0-0', 'COUNT', String(this.count))) as [string, Array<Entry | null>];
      for (const e of res?.[1] ?? []) {
        if (this.stopped) return;
        if (e) await this.track(this.deliver(e));
      }
    } catch {
      // Next round will try again.
    }
  }

  private async track(p: Promise<void>): Promise<void> {
    this.busy = p;
    try {
      await p;
    } finally {
      if (this.busy === p) this.busy = undefined;
    }
  }

  private async deliver([id, fields]: Entry): Promise<void> {
    if (fields === null) return; // entry trimmed away while pending
    const i = fields.indexOf('data');
    const body = i >= 0 ? fields[i + 1] : JSON.stringify(Object.fromEntries(pairs(fields)));
    const event = parseCloudEvent(body, { id: `${this.topic}/${id}`, source: `swirl/pubsub/${this.component}`, type: 'com.dapr.event.sent' });
    try {
      await this.handler(event);
    } catch {
      return; // not acked: stays pending, redelivered after processingTimeout
    }
    try {
      await this.client.xack(this.topic, this.group, id);
    } catch {
      // Ack lost: the entry will be redelivered; subscribers de-duplicate by event id.
    }
  }

  async close(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    // Let an in-flight delivery finish (and ack), then break the blocking read.
    await this.busy;
    await this.claimRunning;
    this.reader.disconnect();
    await this.loop;
    await this.claimRunning;
  }
}

function pairs(fields: string[]): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (let i = 0; i + 1 < fields.length; i += 2) out.push([fields[i], fields[i + 1]]);
  return out;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref());
}
