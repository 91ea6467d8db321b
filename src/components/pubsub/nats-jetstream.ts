/**
 * @module components/pubsub/nats-jetstream
 * `pubsub.nats` (alias of Dapr's `pubsub.jetstream`): NATS JetStream. Metadata (Dapr's names):
 * `natsURL`, `name` (connection name), `streamName`, `durableName`, `consumerID`, `deliverPolicy`
 * (all|last|new), `ackWait` (30s), `maxDeliver` (unlimited), `memoryStorage`, `replicas`, and TLS:
 * Dapr's `tls_client_cert`/`tls_client_key` (files), or `clientCert`/`clientKey` (PEM text), with
 * `caCert`/`skipVerify` as for the other broker clients (components/tls-options).
 * Publishing sets the JetStream message id to the CloudEvent id, so the server's duplicate window
 * drops a re-published event. Subscriptions are durable pull consumers named
 * `durableName` or `<consumerID>-<topic>` (instances sharing it share the work), acked explicitly
 * after the handler resolves and nak'ed (redelivered after a backoff) when it rejects.
 * Deviation: Dapr expects the stream to exist; Swirl uses the stream that already captures the
 * subject, or creates/extends the stream `streamName` (default: the component name) with it.
 */
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { AckPolicy, DeliverPolicy, StorageType, connect, nanos, type ConsumerMessages, type JetStreamClient, type JetStreamManager, type NatsConnection, type TlsOptions } from 'nats';
import { parseCloudEvent } from '../cloudevent.js';
import { ComponentErrorCode, describeCause } from '../failures.js';
import type { ComponentMetadata } from '../metadata.js';
import { hasTls, readClientTls } from '../tls-options.js';
import type { CloudEventJson, PubSub, Subscription } from '../types.js';

/** Connects and returns the pub/sub. */
export async function createJetStreamPubSub(md: ComponentMetadata, opts: { appId: string; connectTimeoutMs: number }): Promise<PubSub> {
  const url = md.required('natsURL', 'url');
  const field = md.string('natsURL') !== undefined ? 'natsURL' : 'url';
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  const tls = natsTls(md);
  try {
    nc = await connect({ servers: url.split(','), name: md.string('name') ?? `${opts.appId}-${md.manifest.name}`, timeout: opts.connectTimeoutMs, maxReconnectAttempts: -1, ...(tls ? { tls } : {}) });
  } catch (err) {
    throw md.error(field, `cannot connect to NATS at ${url}: ${describeCause(err)}`, ComponentErrorCode.Unreachable, err);
  }
  try {
    jsm = await nc.jetstreamManager();
  } catch (err) {
    await nc.close();
    throw md.error(field, `NATS at ${url} has no JetStream (start nats-server with -js): ${describeCause(err)}`, ComponentErrorCode.Unreachable, err);
  }
  const js: JetStreamClient = nc.jetstream();
  const streamName = sanitize(md.string('streamName') ?? md.manifest.name);
  const consumerID = md.string('consumerID') ?? opts.appId;
  const deliverPolicy = parseDeliverPolicy(md);
  const ackWaitMs = md.durationMs('ackWait', 30_000);
  const maxDeliver = md.int('maxDeliver', -1);
  const memory = md.bool('memoryStorage', false);
  const replicas = md.int('replicas', 1);
  const streamsBySubject = new Map<string, Promise<string>>();
  const subs = new Set<JetStreamSubscription>();

  /** The stream that captures `subject`, creating or extending ours when none does. */
  const streamFor = (subject: string): Promise<string> => {
    let p = streamsBySubject.get(subject);
    if (!p) {
      p = (async () => {
        const found = await jsm.streams.find(subject).catch(() => undefined);
        if (found) return found;
        const info = await jsm.streams.info(streamName).catch(() => undefined);
        if (info) {
          await jsm.streams.update(streamName, { subjects: [...(info.config.subjects ?? []), subject] });
        } else {
          await jsm.streams.add({ name: streamName, subjects: [subject], storage: memory ? StorageType.Memory : StorageType.File, num_replicas: replicas });
        }
        return streamName;
      })();
      p.catch(() => streamsBySubject.delete(subject));
      streamsBySubject.set(subject, p);
    }
    return p;
  };

  return {
    async publish(topic, event) {
      await streamFor(topic);
      await js.publish(topic, Buffer.from(JSON.stringify(event)), { msgID: event.id });
    },
    async subscribe(topic, handler) {
      const stream = await streamFor(topic);
      const durable = sanitize(md.string('durableName') ?? `${consumerID}-${topic}`);
      const existing = await jsm.consumers.info(stream, durable).catch(() => undefined);
      if (!existing) {
        await jsm.consumers.add(stream, {
          durable_name: durable,
          ack_policy: AckPolicy.Explicit,
          filter_subject: topic,
          deliver_policy: deliverPolicy,
          ack_wait: nanos(ackWaitMs),
          max_deliver: maxDeliver,
        });
      }
      const consumer = await js.consumers.get(stream, durable);
      const messages = await consumer.consume({ max_messages: 100 });
      const sub = new JetStreamSubscription(messages, handler, md.manifest.name);
      subs.add(sub);
      return { close: async () => { subs.delete(sub); await sub.close(); } };
    },
    async close() {
      await Promise.all([...subs].map((s) => s.close()));
      await nc.drain().catch(() => nc.close());
    },
  };
}

/** Consumes one durable consumer until closed. */
class JetStreamSubscription implements Subscription {
  private readonly loop: Promise<void>;
  private closed = false;

  constructor(
    private readonly messages: ConsumerMessages,
    handler: (event: CloudEventJson) => Promise<void>,
    component: string,
  ) {
    this.loop = (async () => {
      for await (const m of messages) {
        const id = m.headers?.get('Nats-Msg-Id') || `${m.info.stream}/${m.seq}`;
        const event = parseCloudEvent(Buffer.from(m.data), { id, source: `swirl/pubsub/${component}`, type: 'com.dapr.event.sent' });
        try {
          await handler(event);
        } catch {
          // Redeliver after a backoff that grows with the delivery count (capped at 10 s).
          m.nak(Math.min(200 * 2 ** Math.min(m.info.redeliveryCount, 6), 10_000));
          continue;
        }
        await m.ackAck().catch(() => false); // a lost ack means a redelivery; subscribers de-duplicate
        if (this.closed) break;
      }
    })().catch(() => {});
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.messages.stop();
    await this.loop;
  }
}

function parseDeliverPolicy(md: ComponentMetadata): DeliverPolicy {
  const v = (md.string('deliverPolicy') ?? 'all').toLowerCase();
  switch (v) {
    case 'all':
      return DeliverPolicy.All;
    case 'last':
      return DeliverPolicy.Last;
    case 'new':
      return DeliverPolicy.New;
    default:
      throw md.error('deliverPolicy', `expected all, last or new, found '${v}'`);
  }
}

/** JetStream names may not contain `.`, `*`, `>`, whitespace or path separators. */
/**
 * The client's TLS options, or undefined for none (a server that requires TLS is then met with the
 * system's CAs and no client certificate). Dapr's `tls_client_cert`/`tls_client_key` name PEM files
 * (relative: the working directory, else the component file's folder, as `secretsFile`); the PEM
 * text fields are the other broker clients'. A half pair, both forms at once or a missing file fail
 * the load naming the field.
 */
function natsTls(md: ComponentMetadata): TlsOptions | undefined {
  const text = readClientTls(md);
  const certFile = md.string('tls_client_cert');
  const keyFile = md.string('tls_client_key');
  if ((certFile === undefined) !== (keyFile === undefined)) {
    const missing = certFile === undefined ? 'tls_client_cert' : 'tls_client_key';
    throw md.error(missing, `'tls_client_cert' and 'tls_client_key' go together: '${missing}' is missing`);
  }
  if (certFile === undefined || keyFile === undefined) return hasTls(text) ? text : undefined;
  if (text.cert !== undefined) throw md.error('tls_client_cert', `the client certificate is given twice: as files (tls_client_cert/tls_client_key) and as PEM text (clientCert/clientKey); keep one`);
  return { ...text, certFile: certificateFile(md, 'tls_client_cert', certFile), keyFile: certificateFile(md, 'tls_client_key', keyFile) };
}

/** An existing file for `field`: as given (the working directory), else next to the component file. */
function certificateFile(md: ComponentMetadata, field: string, path: string): string {
  if (existsSync(path)) return path;
  const beside = isAbsolute(path) ? path : resolve(dirname(md.manifest.file), path);
  if (existsSync(beside)) return beside;
  throw md.error(field, `no such file '${path}' (looked in the working directory and next to the component file)`);
}

function sanitize(name: string): string {
  return name.replace(/[^A-Za-z0-9_-]/g, '_');
}
