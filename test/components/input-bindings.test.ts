/**
 * Dapr input bindings against the real brokers (issue 16): `bindings.rabbitmq` (a queue) and
 * `bindings.mqtt3` (a topic) with `direction: input`, and `bindings.cron`, each delivering its
 * messages as CloudEvents (type = `route`, source `swirl/bindings/<name>`) into the host's event
 * router — a start event state starts an instance, the same message twice (a redelivery) starts
 * one — and component `scopes` limiting which workflows their events reach and which workflows may
 * call them. The kill -9 between delivery and store commit is in test/host/serve-input-binding-kill.test.ts.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import amqp from 'amqplib';
import mqtt from 'mqtt';
import { createHost, type SwirlHost } from '../../src/index.js';
import { componentYaml, serviceUrl, uniqueName } from './support.js';

const rabbit = serviceUrl('rabbitmq');
const mq = serviceUrl('mqtt');
const hosts: SwirlHost[] = [];
const dirs: string[] = [];

after(async () => {
  await Promise.allSettled(hosts.map((h) => h.stop()));
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/**
 * A workflow started by events of `type` from `source`; its output is what `filter` selects from
 * the event's data (or, `whole`, from the whole CloudEvent: `dataOnly: false`).
 */
function startedBy(id: string, type: string, source: string, filter = '${ .got }', whole = false): string {
  return `
id: ${id}
specVersion: '0.8'
start: Receive
events:
  - name: Arrived
    type: ${type}
    source: ${source}
    dataOnly: ${!whole}
states:
  - name: Receive
    type: event
    onEvents:
      - eventRefs: [Arrived]
        eventDataFilter: { data: '${filter}' }
    end: true
`;
}

/** A host over a temporary folder of components and workflows. */
async function hostWith(components: Record<string, string>, workflows: Record<string, string>): Promise<SwirlHost> {
  const dir = mkdtempSync(join(tmpdir(), 'swirl-input-'));
  dirs.push(dir);
  mkdirSync(join(dir, 'components'));
  mkdirSync(join(dir, 'workflows'));
  for (const [f, t] of Object.entries(components)) writeFileSync(join(dir, 'components', f), t);
  for (const [f, t] of Object.entries(workflows)) writeFileSync(join(dir, 'workflows', f), t);
  const host = await createHost({ store: 'memory', workflowsDir: join(dir, 'workflows'), componentsDir: join(dir, 'components'), engine: { pollIntervalMs: 20 } });
  hosts.push(host);
  await host.start();
  return host;
}

/** The completed instances of workflow `name`, waiting up to `ms` for `count` of them. */
async function completed(host: SwirlHost, name: string, count: number, ms = 30_000): Promise<Array<{ output: unknown }>> {
  const end = Date.now() + ms;
  for (;;) {
    const list = await host.engine.client.list({ name, statuses: ['COMPLETED'] as never });
    if (list.instances.length >= count || Date.now() > end) return list.instances as Array<{ output: unknown }>;
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('bindings.rabbitmq as an input (a queue)', { skip: rabbit.skip }, () => {
  const queue = uniqueName('swirl_in');
  let conn: Awaited<ReturnType<typeof amqp.connect>>;
  before(async () => {
    conn = await amqp.connect(rabbit.url);
  });
  after(async () => {
    const ch = await conn.createChannel();
    await ch.deleteQueue(queue).catch(() => undefined);
    await conn.close();
  });

  test('each message starts the workflow once; a message sent twice with one messageId is consumed once; the queue is left empty', async () => {
    const host = await hostWith(
      { 'orders.yaml': componentYaml('orders-in', 'bindings.rabbitmq', { host: rabbit.url, queueName: queue, durable: 'true', direction: 'input', route: '/neworder' }) },
      { 'orders.yaml': startedBy('orders', 'neworder', 'swirl/bindings/orders-in') },
    );
    const ch = await conn.createConfirmChannel();
    const send = (body: unknown, messageId?: string) =>
      new Promise<void>((res, rej) => ch.sendToQueue(queue, Buffer.from(JSON.stringify(body)), { persistent: true, ...(messageId ? { messageId } : {}) }, (e) => (e ? rej(e) : res())));
    await send({ got: { order: 1 } }, 'm-1');
    await send({ got: { order: 1 } }, 'm-1'); // a redelivered copy (same broker message id)
    await send({ got: { order: 2 } }); // no messageId: the id is a digest of queue + body
    await send({ got: { order: 2 } }); // the same body again: the same digest
    // Messages of one component are routed in order: once this last one started its instance,
    // the duplicates before it were routed (no fixed sleep needed to see that they started nothing).
    await send({ got: { order: 3 } }, 'm-3');
    const done = await completed(host, 'orders', 3);
    assert.deepEqual(done.map((i) => i.output).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))), [{ order: 1 }, { order: 2 }, { order: 3 }]);
    assert.equal((await host.engine.client.list({ name: 'orders' })).instances.length, 3, 'the duplicates started nothing');
    const q = await ch.checkQueue(queue);
    assert.equal(q.messageCount, 0, 'every message was acknowledged');
    await ch.close();
  });
});

describe('bindings.rabbitmq as an input: correlation', { skip: rabbit.skip }, () => {
  const queue = uniqueName('swirl_corr');
  let conn: Awaited<ReturnType<typeof amqp.connect>>;
  before(async () => {
    conn = await amqp.connect(rabbit.url);
  });
  after(async () => {
    const ch = await conn.createChannel();
    await ch.deleteQueue(queue).catch(() => undefined);
    await conn.close();
  });

  test('an AMQP header named like a CloudEvent extension correlates the message with the one waiting instance that expects its value', async () => {
    const shipping = `
id: shipping
specVersion: '0.8'
start: Prepare
events:
  - name: Shipped
    type: shipped
    source: swirl/bindings/shipments
    correlation: [{ contextAttributeName: orderid, contextAttributeValue: '\${ .orderId }' }]
states:
  # Not the start state: a start state's event would start instances instead of reaching one.
  - name: Prepare
    type: inject
    data: { stage: packed }
    transition: AwaitShipment
  - name: AwaitShipment
    type: event
    onEvents:
      - eventRefs: [Shipped]
        eventDataFilter: { toStateData: '\${ .shipment }' }
    end: true
`;
    const host = await hostWith(
      { 'shipments.yaml': componentYaml('shipments', 'bindings.rabbitmq', { host: rabbit.url, queueName: queue, durable: 'true', direction: 'input', route: 'shipped' }) },
      { 'shipping.yaml': shipping },
    );
    const client = host.engine.client;
    await client.start('shipping', { orderId: 'A' }, { instanceId: 'ship-a' });
    await client.start('shipping', { orderId: 'B' }, { instanceId: 'ship-b' });
    // RUNNING is committed by the turn that opened the wait, together with its wait key.
    for (const id of ['ship-a', 'ship-b']) {
      const end = Date.now() + 30_000;
      while ((await client.get(id))?.runtimeStatus !== 'RUNNING') {
        assert.ok(Date.now() < end, `${id} never started waiting`);
        await new Promise((r) => setTimeout(r, 25));
      }
    }
    const ch = await conn.createConfirmChannel();
    const send = (orderid: string, body: unknown) =>
      new Promise<void>((res, rej) => ch.sendToQueue(queue, Buffer.from(JSON.stringify(body)), { persistent: true, messageId: `ship-${orderid}`, headers: { orderid } }, (e) => (e ? rej(e) : res())));
    await send('B', { carrier: 'ups' });
    const b = await client.waitForCompletion('ship-b', { timeoutMs: 60_000 });
    assert.equal(b.runtimeStatus, 'COMPLETED');
    assert.deepEqual(b.output, { orderId: 'B', stage: 'packed', shipment: { carrier: 'ups' } });
    // A's wait was not touched by B's message: it is still waiting, nothing raised on it.
    assert.equal((await client.get('ship-a'))?.runtimeStatus, 'RUNNING');
    assert.equal((await client.history('ship-a')).filter((e) => e.type === 'EventRaised').length, 0);
    await send('A', { carrier: 'dhl' });
    const a = await client.waitForCompletion('ship-a', { timeoutMs: 60_000 });
    assert.deepEqual(a.output, { orderId: 'A', stage: 'packed', shipment: { carrier: 'dhl' } });
    assert.equal((await ch.checkQueue(queue)).messageCount, 0, 'both messages were acknowledged');
    await ch.close();
  });
});

describe('bindings.mqtt3 as an input (a topic)', { skip: mq.skip }, () => {
  test('a message on the topic starts the workflow, with the topic as the CloudEvent subject', async () => {
    const topic = `swirl/in/${uniqueName('t')}`;
    const host = await hostWith(
      { 'sensor.yaml': componentYaml('sensor', 'bindings.mqtt3', { url: mq.url, topic, direction: 'input', consumerID: uniqueName('swirl_in'), cleanSession: 'true' }) },
      {
        'sensor.yaml': startedBy('sensor', 'sensor', 'swirl/bindings/sensor', '${ {reading: .data.got, subject: .subject} }', true),
      },
    );
    const client = await mqtt.connectAsync(mq.url);
    await client.publishAsync(topic, JSON.stringify({ got: 21.5 }), { qos: 1 });
    await client.endAsync();
    const done = await completed(host, 'sensor', 1);
    assert.deepEqual(done[0]?.output, { reading: 21.5, subject: topic });
  });
});

describe('bindings.cron', () => {
  test("a seconds-level schedule starts the workflow on each tick, with the tick's time as the event time", async () => {
    const host = await hostWith(
      // Six fields, seconds first (Dapr's robfig/cron syntax); '@every 1s' is used by the scopes test.
      { 'tick.yaml': componentYaml('tick', 'bindings.cron', { schedule: '* * * * * *', route: 'tick.fired' }) },
      { 'tick.yaml': startedBy('ticker', 'tick.fired', 'swirl/bindings/tick', '${ {tick: .time, data} }', true) },
    );
    const done = await completed(host, 'ticker', 2);
    assert.ok(done.length >= 2, `two ticks, got ${done.length}`);
    for (const i of done) {
      const out = i.output as { tick: string; data: unknown };
      assert.match(out.tick, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/, 'whole-second tick times');
      assert.equal(out.data, null, 'a tick carries no data');
    }
  });

  test('a bad schedule fails the load naming the file, line and field', async () => {
    await assert.rejects(hostWith({ 'bad.yaml': componentYaml('bad', 'bindings.cron', { schedule: '*/5 * *' }) }, {}), (err: Error) => {
      assert.match(err.message, /bad\.yaml:\d+: spec\.metadata\.schedule: component 'bad': cron '\*\/5 \* \*' has 3 fields/);
      return true;
    });
  });

  test('direction input on a binding type without an input side is refused', async () => {
    await assert.rejects(hostWith({ 'h.yaml': componentYaml('h', 'bindings.http', { url: 'http://127.0.0.1:9/', direction: 'input' }) }, {}), /h\.yaml:\d+: spec\.metadata\.direction: component 'h': bindings\.http has no input side in Swirl \(input bindings: bindings\.cron, bindings\.rabbitmq, bindings\.mqtt3\)/);
    await assert.rejects(hostWith({ 'h.yaml': componentYaml('h', 'bindings.http', { url: 'http://127.0.0.1:9/', direction: 'sideways' }) }, {}), /spec\.metadata\.direction: component 'h': expected 'input', 'output' or 'input, output', found 'sideways'/);
  });

  test('direction output on a cron binding is refused', async () => {
    await assert.rejects(hostWith({ 'c.yaml': componentYaml('c', 'bindings.cron', { schedule: '@every 1s', direction: 'output' }) }, {}), /spec\.metadata\.direction: component 'c': bindings\.cron is an input binding/);
  });
});

describe('component scopes', () => {
  test("an input binding's events reach only the workflows its scopes name", async () => {
    const host = await hostWith(
      { 'tick.yaml': componentYaml('tock', 'bindings.cron', { schedule: '@every 1s' }, 'scopes: [allowed]\n') },
      { 'a.yaml': startedBy('allowed', 'tock', 'swirl/bindings/tock'), 'b.yaml': startedBy('other', 'tock', 'swirl/bindings/tock') },
    );
    assert.ok((await completed(host, 'allowed', 1)).length >= 1, 'the scoped workflow was started');
    // Each tick is routed once to every workflow it reaches: the one that started 'allowed' did not start 'other'.
    assert.equal((await host.engine.client.list({ name: 'other' })).instances.length, 0, 'the other workflow was not');
  });

  test('a workflow outside an output binding\'s scopes gets ERR_INVOKE_OUTPUT_BINDING naming the scopes; the host app id in scopes admits every workflow', async () => {
    const caller = `
id: caller
specVersion: '0.8'
start: Call
functions:
  - name: send
    type: custom
    operation: binding:out/create
states:
  - name: Call
    type: operation
    actions: [{ functionRef: { refName: send, arguments: { x: 1 } } }]
    onErrors: [{ errorRef: Scoped, end: true }]
    end: true
errors:
  - name: Scoped
    code: ERR_INVOKE_OUTPUT_BINDING
`;
    const received: unknown[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        received.push(JSON.parse(body));
        res.end('{}');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    try {
      const http = (scopes: string) => componentYaml('out', 'bindings.http', { url }, `scopes: ${scopes}\n`);
      const refused = await hostWith({ 'out.yaml': http('[someone-else]') }, { 'caller.yaml': caller });
      const id = await refused.engine.client.start('caller', {});
      const done = await refused.engine.client.waitForCompletion(id, { timeoutMs: 60_000 });
      assert.equal(done?.runtimeStatus, 'COMPLETED', 'onErrors caught the scope error');
      const failed = JSON.stringify((await refused.engine.client.history(id)).filter((e) => e.type === 'TaskFailed'));
      assert.match(failed, /binding 'out' is not in scope for workflow 'caller' \(its scopes: someone-else; add 'caller' to use it\)/);
      assert.equal(received.length, 0, 'nothing was sent');
      for (const scopes of ['[caller]', '[swirl]']) {
        const allowed = await hostWith({ 'out.yaml': http(scopes) }, { 'caller.yaml': caller });
        const ok = await allowed.engine.client.start('caller', {});
        assert.equal((await allowed.engine.client.waitForCompletion(ok, { timeoutMs: 60_000 }))?.runtimeStatus, 'COMPLETED');
      }
      assert.deepEqual(received, [{ x: 1 }, { x: 1 }], "scopes naming the workflow, or the host's app id, let the call through");
    } finally {
      server.close();
    }
  });
});

describe('pub/sub scopes', { skip: serviceUrl('redis').skip }, () => {
  test('publishing to a pub/sub outside the scopes is ERR_PUBSUB_NOT_FOUND naming them; a subscription out of scope stops the start', async () => {
    const url = serviceUrl('redis').url;
    const { hostname, port } = new URL(url);
    const bus = (scopes: string) => componentYaml('bus', 'pubsub.redis', { redisHost: `${hostname}:${port || 6379}`, consumerID: uniqueName('scope') }, `scopes: ${scopes}\n`);
    const sender = `
id: sender
specVersion: '0.8'
start: Send
functions:
  - name: send
    type: custom
    operation: publish:bus/${uniqueName('scoped')}
states:
  - name: Send
    type: operation
    actions: [{ functionRef: { refName: send, arguments: { x: 1 } } }]
    end: true
`;
    const h = await hostWith({ 'bus.yaml': bus('[billing]') }, { 'sender.yaml': sender });
    const id = await h.engine.client.start('sender', {});
    const done = await h.engine.client.waitForCompletion(id, { timeoutMs: 60_000 });
    assert.equal(done.runtimeStatus, 'FAILED');
    assert.match(JSON.stringify(done.failure), /ERR_PUBSUB_NOT_FOUND|pub\/sub component 'bus' is not in scope for workflow 'sender' \(its scopes: billing; add 'sender' to use it\)/);
    assert.match(JSON.stringify(done.failure), /not in scope for workflow 'sender'/);
    const listener = `
id: listener
specVersion: '0.8'
start: Wait
events:
  - name: Ping
    type: ping
    source: /p
    metadata: { pubsub: bus, topic: ${uniqueName('scoped')} }
states:
  - name: Wait
    type: event
    onEvents: [{ eventRefs: [Ping] }]
    end: true
`;
    await assert.rejects(hostWith({ 'bus.yaml': bus('[billing]') }, { 'listener.yaml': listener }), /pub\/sub component 'bus' is not in scope for workflow 'listener'/);
  });
});

describe('TLS metadata of broker clients', () => {
  test('a client certificate without its key, or a value that is not PEM, fails the load naming the field', async () => {
    const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
    await assert.rejects(hostWith({ 'm.yaml': componentYaml('m', 'bindings.mqtt3', { url: 'mqtts://127.0.0.1:8883', topic: 't', clientCert: pem }) }, {}), (err: Error) => {
      assert.match(err.message, /m\.yaml:\d+: spec\.metadata\.clientKey: component 'm': 'clientCert' and 'clientKey' go together: 'clientKey' is missing/);
      return true;
    });
    await assert.rejects(
      hostWith({ 'r.yaml': componentYaml('r', 'bindings.rabbitmq', { host: 'amqps://127.0.0.1:5671', queueName: 'q', caCert: 'not a pem' }) }, {}),
      /r\.yaml:\d+: spec\.metadata\.caCert: component 'r': expected PEM text \(-----BEGIN …-----\), found 9 characters without a PEM header/,
    );
  });
});
