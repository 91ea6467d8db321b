/**
 * @module components/bindings/rabbitmq
 * `bindings.rabbitmq` output binding (Dapr semantics): metadata `host` (an amqp:// URL) and
 * `queueName`; the queue is declared at start with `durable`, `deleteWhenUnused`, `exclusive`,
 * `maxPriority` and `ttlInSeconds` (queue-level message TTL). Operation `create` sends `data` to the
 * queue; request metadata `ttlInSeconds`, `priority` and `contentType` apply per message. The
 * idempotency key travels as the AMQP `messageId`, `traceparent` as a header.
 */
import { readClientTls } from '../tls-options.js';
import { AmqpLink } from '../amqp-link.js';
import { requestError } from '../failures.js';
import type { ComponentMetadata } from '../metadata.js';
import { encodePayload } from '../payload.js';
import type { OutputBinding } from '../types.js';

/** Connects, declares the queue and returns the binding. */
export async function createRabbitMqBinding(md: ComponentMetadata, opts: { connectTimeoutMs: number }): Promise<OutputBinding> {
  const url = md.required('host', 'connectionString');
  const queue = md.required('queueName');
  const durable = md.bool('durable', false);
  const contentType = md.string('contentType') ?? 'text/plain';
  const queueTtl = md.int('ttlInSeconds', 0);
  const maxPriority = md.int('maxPriority', 0);
  const args: Record<string, unknown> = {};
  if (queueTtl > 0) args['x-message-ttl'] = queueTtl * 1000;
  if (maxPriority > 0) args['x-max-priority'] = maxPriority;
  const link = new AmqpLink(url, opts.connectTimeoutMs, `swirl-${md.manifest.name}`, readClientTls(md));
  await link.start(md, md.string('host') !== undefined ? 'host' : 'connectionString');
  const declare = async () => {
    const ch = await link.confirmChannel();
    await ch.assertQueue(queue, { durable, autoDelete: md.bool('deleteWhenUnused', false), exclusive: md.bool('exclusive', false), arguments: args });
  };
  try {
    await declare();
  } catch (err) {
    await link.close();
    throw md.error('queueName', `cannot declare queue '${queue}': ${(err as Error).message}`, undefined, err);
  }
  const name = md.manifest.name;
  return {
    operations: ['create'],
    async invoke(call) {
      if (call.operation !== 'create') throw requestError('ERR_INVOKE_OUTPUT_BINDING', `bindings.rabbitmq '${name}' has no operation '${call.operation}' (supported: create)`);
      const ttl = call.metadata.ttlInSeconds;
      const priority = call.metadata.priority;
      if (ttl !== undefined && !/^\d+$/.test(ttl)) throw requestError('ERR_INVOKE_OUTPUT_BINDING', `bindings.rabbitmq '${name}': ttlInSeconds must be a non-negative integer, found '${ttl}'`);
      if (priority !== undefined && !/^\d+$/.test(priority)) throw requestError('ERR_INVOKE_OUTPUT_BINDING', `bindings.rabbitmq '${name}': priority must be 0-255, found '${priority}'`);
      const body = encodePayload(call.data);
      const headers: Record<string, string> = {};
      if (call.traceparent !== undefined) headers.traceparent = call.traceparent;
      await link.publish('', queue, Buffer.isBuffer(body) ? body : Buffer.from(body), {
        persistent: durable,
        contentType: call.metadata.contentType ?? contentType,
        expiration: ttl !== undefined ? String(Number(ttl) * 1000) : undefined,
        priority: priority !== undefined ? Number(priority) : undefined,
        messageId: call.idempotencyKey,
        headers,
      });
      return { data: null, metadata: {} };
    },
    close: () => link.close(),
  };
}
