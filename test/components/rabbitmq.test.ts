/**
 * `bindings.rabbitmq` and `pubsub.rabbitmq` against the real RabbitMQ of SWIRL_TEST_RABBITMQ_URL.
 * Queues and exchanges are unique per run and deleted afterwards.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import amqp from 'amqplib';
import { execFileSync } from 'node:child_process';
import { loadComponents, toCloudEvent, type CloudEventJson, type ComponentHost } from '../../src/components/index.js';
import { componentDir, componentYaml, serviceUrl, uniqueName, waitFor } from './support.js';

const svc = serviceUrl('rabbitmq');

describe('rabbitmq components', { skip: svc.skip, timeout: 60_000 }, () => {
  let host: ComponentHost;
  let cleanup: () => Promise<void>;
  let conn: Awaited<ReturnType<typeof amqp.connect>>;
  let ch: Awaited<ReturnType<typeof conn.createChannel>>;
  const prefix = uniqueName('swirl_test');
  const queue = `${prefix}_jobs`;

  before(async () => {
    const d = await componentDir({
      'jobs.yaml': componentYaml('jobs', 'bindings.rabbitmq', { host: svc.url, queueName: queue, durable: 'false', deleteWhenUnused: 'false' }),
      'bus.yaml': componentYaml('bus', 'pubsub.rabbitmq', { connectionString: svc.url, consumerID: `${prefix}_app`, requeueDelay: '50ms' }),
    });
    cleanup = d.cleanup;
    host = await loadComponents(d.dir, { env: {} });
    conn = await amqp.connect(svc.url);
    ch = await conn.createChannel();
  });

  after(async () => {
    await host?.close();
    await ch.deleteQueue(queue).catch(() => {});
    await conn.close();
    await cleanup();
  });

  it('binding create sends data to the declared queue with messageId, TTL and traceparent', async () => {
    const tp = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    await host.invokeBinding({ name: 'jobs', operation: 'create', data: { job: 1 }, metadata: { ttlInSeconds: '60' }, idempotencyKey: 'inst:5', traceparent: tp });
    await host.invokeBinding({ name: 'jobs', operation: 'create', data: 'second' });
    const m1 = await waitMessage(ch, queue);
    assert.deepEqual(JSON.parse(m1.content.toString()), { job: 1 });
    assert.equal(m1.properties.messageId, 'inst:5');
    assert.equal(m1.properties.expiration, '60000');
    assert.equal(m1.properties.headers?.traceparent, tp);
    const m2 = await waitMessage(ch, queue);
    assert.equal(m2.content.toString(), 'second');
  });

  it('pubsub: every consumerID gets each event once; the event arrives intact', async (t) => {
    const topic = `${prefix}_orders`;
    const got: CloudEventJson[] = [];
    const sub = await host.subscribe({ pubsub: 'bus', topic, handler: async (e) => void got.push(e) });
    // A second app (another consumerID) gets its own copy.
    const d2 = await componentDir({ 'bus.yaml': componentYaml('bus', 'pubsub.rabbitmq', { connectionString: svc.url, consumerID: `${prefix}_other` }) });
    const other = await loadComponents(d2.dir, { env: {} });
    t.after(() => other.close()); // also when an assertion fails: open sockets would keep the test process alive
    const gotOther: CloudEventJson[] = [];
    await other.subscribe({ pubsub: 'bus', topic, handler: async (e) => void gotOther.push(e) });
    const event = toCloudEvent({ source: 'test', type: 'order.created', data: { id: 9 } });
    await host.publish({ pubsub: 'bus', topic, event });
    await waitFor(() => got.length === 1 && gotOther.length === 1, 30_000, 'delivery');
    assert.deepEqual(got[0], event);
    assert.deepEqual(gotOther[0], event);
    await other.close();
    await d2.cleanup();
    // Dapr's topology: queue <consumerID>-<topic> bound to the exchange <topic>.
    const q = await ch.checkQueue(`${prefix}_app-${topic}`);
    assert.equal(q.messageCount, 0);
    await sub.close();
  });

  it('pubsub: a failing handler gets the event again (requeued), then it is acked', async () => {
    const topic = `${prefix}_retry`;
    const ids: string[] = [];
    const sub = await host.subscribe({ pubsub: 'bus', topic, handler: async (e) => { ids.push(e.id); if (ids.length < 3) throw new Error('later'); } });
    const event = toCloudEvent({ source: 'test', type: 't', data: 1 });
    await host.publish({ pubsub: 'bus', topic, event });
    await waitFor(() => ids.length >= 3, 30_000, 'redelivery');
    assert.deepEqual(new Set(ids), new Set([event.id]));
    await sub.close();
  });

  it('pubsub: a consumer cancelled by the broker (queue deleted) is re-established', async () => {
    const topic = `${prefix}_cancel`;
    const got: CloudEventJson[] = [];
    const sub = await host.subscribe({ pubsub: 'bus', topic, handler: async (e) => void got.push(e) });
    await ch.deleteQueue(`${prefix}_app-${topic}`);
    const event = toCloudEvent({ source: 'test', type: 't', data: 'again' });
    // Until the subscription has re-declared its queue, a fanout publish reaches no queue: retry.
    const end = Date.now() + 8000;
    while (got.length === 0 && Date.now() < end) {
      // The auto-delete exchange may vanish with its last queue; a failed publish re-declares next time.
      await host.publish({ pubsub: 'bus', topic, event }).catch(() => {});
      await new Promise((r) => setTimeout(r, 300));
    }
    assert.ok(got.length >= 1, 'no delivery after the consumer was cancelled');
    assert.equal(got[0].id, event.id);
    await sub.close();
  });

  it('pubsub and binding survive the broker closing their connection', { skip: svc.skip || hasRabbitmqctl() ? false : 'skipped: needs rabbitmqctl to close a connection' }, async (t) => {
    const name = `${prefix}_conn`;
    const d = await componentDir({
      'bus.yaml': componentYaml(name, 'pubsub.rabbitmq', { connectionString: svc.url, consumerID: `${prefix}_conn` }),
      'out.yaml': componentYaml(`${name}_out`, 'bindings.rabbitmq', { host: svc.url, queueName: `${prefix}_conn_q`, deleteWhenUnused: 'true' }),
    });
    const h = await loadComponents(d.dir, { env: {} });
    t.after(() => h.close()); // also when an assertion fails: open sockets would keep the test process alive
    try {
      const topic = `${prefix}_conn_topic`;
      const got: CloudEventJson[] = [];
      await h.subscribe({ pubsub: name, topic, handler: async (e) => void got.push(e) });
      await h.invokeBinding({ name: `${name}_out`, operation: 'create', data: 'before' });
      // Close Swirl's connections from the broker side, as a broker restart would.
      const rows = execFileSync('rabbitmqctl', ['-q', 'list_connections', '--no-table-headers', 'pid', 'client_properties'], { encoding: 'utf8' }).split('\n');
      const pids = rows.filter((r) => r.includes(`"swirl-${name}`)).map((r) => r.split('\t')[0]);
      assert.equal(pids.length, 2, rows.join('\n'));
      for (const pid of pids) execFileSync('rabbitmqctl', ['-q', 'close_connection', pid, 'swirl test'], { encoding: 'utf8' });
      const event = toCloudEvent({ source: 'test', type: 't', data: 'after' });
      const end = Date.now() + 10_000;
      while (got.length === 0 && Date.now() < end) {
        await h.publish({ pubsub: name, topic, event }).catch(() => {});
        await new Promise((r) => setTimeout(r, 300));
      }
      assert.ok(got.length >= 1, 'no delivery after the connection was closed');
      await h.invokeBinding({ name: `${name}_out`, operation: 'create', data: 'after' });
    } finally {
      await h.close();
      await d.cleanup();
    }
  });
});

function hasRabbitmqctl(): boolean {
  try {
    execFileSync('rabbitmqctl', ['-q', 'status'], { stdio: 'ignore', timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

async function waitMessage(ch: { get: (q: string, o?: { noAck?: boolean }) => Promise<false | amqp.GetMessage> }, queue: string): Promise<amqp.GetMessage> {
  const end = Date.now() + 5000;
  for (;;) {
    const m = await ch.get(queue, { noAck: true });
    if (m) return m;
    if (Date.now() > end) throw new Error(`no message on ${queue}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
