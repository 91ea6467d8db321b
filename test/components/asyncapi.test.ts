/**
 * `asyncapi` functions (issue 16) against the real brokers: an AsyncAPI 2.6 document whose
 * servers and `x-swirl-component` map channels onto Swirl's pub/sub components — a `publish`
 * operation sends the arguments as a message (Redis streams, MQTT; channel parameters filled from
 * arguments), a `subscribe` operation waits for the next message (RabbitMQ, NATS JetStream), bounded
 * by the action's timeout, and a waiting subscribe survives a host restart on a SQLite store.
 * Validation loads the document and checks the operationId (did-you-mean).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createTcpServer, connect as tcpConnect, type Socket } from 'node:net';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { Redis } from 'ioredis';
import mqtt from 'mqtt';
import amqp from 'amqplib';
import { connect as natsConnect } from 'nats';
import { createHost, validateText, type SwirlHost } from '../../src/index.js';
import { componentYaml, redisHostOf, serviceUrl, uniqueName } from './support.js';

const redis = serviceUrl('redis');
const rabbit = serviceUrl('rabbitmq');
const mq = serviceUrl('mqtt');
const nats = serviceUrl('nats');
const skip = redis.skip || rabbit.skip || mq.skip || nats.skip;
const run = uniqueName('aa');
const dir = mkdtempSync(join(tmpdir(), 'swirl-asyncapi-'));
const hosts: SwirlHost[] = [];

/** The document: one channel per broker. */
const DOC = `
asyncapi: '2.6.0'
info: { title: Plant, version: '1.0.0' }
servers:
  cache: { url: '${redis.url}', protocol: redis }
  broker: { url: '${mq.url}', protocol: mqtt }
  queue: { url: '${rabbit.url}', protocol: amqp, x-swirl-component: jobs }
  stream: { url: '${nats.url}', protocol: nats }
  nowhere: { url: 'kafka://127.0.0.1:9092', protocol: kafka }
channels:
  light.${run}.{sensor}:
    servers: [cache]
    parameters: { sensor: { schema: { type: string } } }
    publish:
      operationId: sendLightMeasured
      message: { $ref: '#/components/messages/LightMeasured' }
  alarms/${run}:
    servers: [broker]
    publish:
      operationId: raiseAlarm
      message: { name: Alarm }
  jobs-${run}:
    servers: [queue]
    subscribe:
      operationId: nextJob
      message: { name: Job }
  orders.${run}:
    servers: [stream]
    subscribe:
      operationId: nextOrder
      message: { name: Order }
  jobs-out-${run}:
    servers: [queue]
    publish:
      operationId: postJob
      message: { name: Job }
  orders.out.${run}:
    servers: [stream]
    publish:
      operationId: postOrder
      message: { name: Order }
  readings.in.${run}:
    servers: [cache]
    subscribe:
      operationId: nextReading
      message: { name: Reading }
  alarms/in/${run}:
    servers: [broker]
    subscribe:
      operationId: nextAlarm
      message: { name: Alarm }
  private-${run}:
    servers: [cache]
    publish:
      operationId: sendPrivate
      x-swirl-component: private
      message: { name: Secret }
  orphan-${run}:
    servers: [nowhere]
    publish:
      operationId: sendNowhere
      message: { name: Lost }
components:
  messages:
    LightMeasured: { name: LightMeasured, payload: { type: object } }
`;

const workflow = (id: string, fn: string, operationId: string, args: string, timeout = 'PT20S') => `
id: ${id}
specVersion: '0.8'
start: Go
timeouts: { actionExecTimeout: ${timeout} }
functions:
  - name: ${fn}
    type: asyncapi
    operation: plant.yaml#${operationId}
states:
  - name: Go
    type: operation
    actions: [{ functionRef: { refName: ${fn}, arguments: ${args} } }]
    end: true
`;

/** Serves the document at /docs/plant.yaml (the spec's <asyncapi-doc-uri> as an http URL); counts its fetches. */
let docs: HttpServer;
let docUrl = '';
let docFetches = 0;

before(async () => {
  docs = createHttpServer((req, res) => {
    if (req.url !== '/docs/plant.yaml') return void res.writeHead(404).end();
    docFetches += 1;
    res.writeHead(200, { 'content-type': 'application/yaml' }).end(DOC);
  });
  await new Promise<void>((r) => docs.listen(0, '127.0.0.1', r));
  docUrl = `http://127.0.0.1:${(docs.address() as { port: number }).port}/docs/plant.yaml`;
  mkdirSync(join(dir, 'workflows'));
  mkdirSync(join(dir, 'components'));
  writeFileSync(join(dir, 'workflows', 'plant.yaml'), DOC);
  writeFileSync(join(dir, 'workflows', 'remote.yaml'), workflow('remote', 'alarm', 'raiseAlarm', '{ level: 4 }').replace('plant.yaml#', `${docUrl}#`));
  writeFileSync(join(dir, 'workflows', 'light.yaml'), workflow('light', 'measured', 'sendLightMeasured', '{ sensor: "s7", lumens: "${ .lumens }" }'));
  writeFileSync(join(dir, 'workflows', 'alarm.yaml'), workflow('alarm', 'alarm', 'raiseAlarm', '{ level: 3 }'));
  writeFileSync(join(dir, 'workflows', 'job.yaml'), workflow('job', 'next', 'nextJob', '{}'));
  writeFileSync(join(dir, 'workflows', 'order.yaml'), workflow('order', 'next', 'nextOrder', '{}'));
  writeFileSync(join(dir, 'workflows', 'impatient.yaml'), workflow('impatient', 'next', 'nextJob', '{}', 'PT1S'));
  writeFileSync(join(dir, 'workflows', 'postjob.yaml'), workflow('postjob', 'post', 'postJob', '{ job: "${ .job }" }'));
  writeFileSync(join(dir, 'workflows', 'postorder.yaml'), workflow('postorder', 'post', 'postOrder', '{ order: 31 }'));
  writeFileSync(join(dir, 'workflows', 'reading.yaml'), workflow('reading', 'next', 'nextReading', '{}'));
  writeFileSync(join(dir, 'workflows', 'alarmin.yaml'), workflow('alarmin', 'next', 'nextAlarm', '{}'));
  writeFileSync(join(dir, 'workflows', 'nowhere.yaml'), workflow('nowhere', 'send', 'sendNowhere', '{ x: 1 }'));
  writeFileSync(join(dir, 'workflows', 'privpub.yaml'), workflow('privpub', 'send', 'sendPrivate', '{ x: 1 }'));
  writeFileSync(join(dir, 'workflows', 'noparam.yaml'), workflow('noparam', 'measured', 'sendLightMeasured', '{ lumens: 1 }'));
  if (skip) return;
  writeFileSync(join(dir, 'components', 'cache.yaml'), componentYaml('cache', 'pubsub.redis', { redisHost: redisHostOf(redis.url), consumerID: run }));
  writeFileSync(join(dir, 'components', 'broker.yaml'), componentYaml('alerts', 'pubsub.mqtt3', { url: mq.url, consumerID: `${run}-mqtt`, cleanSession: 'true' }));
  writeFileSync(join(dir, 'components', 'jobs.yaml'), componentYaml('jobs', 'pubsub.rabbitmq', { connectionString: rabbit.url, consumerID: run }));
  // Scoped to another workflow: asyncapi calls from others find no such component (specs/components.md §5).
  writeFileSync(join(dir, 'components', 'private.yaml'), componentYaml('private', 'pubsub.redis', { redisHost: redisHostOf(redis.url), consumerID: `${run}-private` }, 'scopes: [billing]\n'));
  writeFileSync(join(dir, 'components', 'stream.yaml'), componentYaml('stream', 'pubsub.nats', { natsURL: nats.url, consumerID: run, streamName: `swirl_${run}` }));
});

after(async () => {
  await Promise.allSettled(hosts.map((h) => h.stop()));
  await new Promise<void>((r) => docs.close(() => r()));
  if (!skip) {
    const r = new Redis(redis.url);
    await r.del(`light.${run}.s7`);
    r.disconnect();
  }
  rmSync(dir, { recursive: true, force: true });
});

async function host(store = 'memory'): Promise<SwirlHost> {
  const h = await createHost({ store, workflowsDir: join(dir, 'workflows'), componentsDir: join(dir, 'components'), engine: { pollIntervalMs: 20 } });
  hosts.push(h);
  await h.start();
  assert.deepEqual(h.loadReport.refused, [], 'every workflow validated');
  return h;
}

/** Polls until the instance's activity is running (its TaskScheduled is in history). */
async function scheduled(h: SwirlHost, id: string): Promise<void> {
  const end = Date.now() + 30_000;
  while (Date.now() < end) {
    if ((await h.engine.client.history(id)).some((e) => e.type === 'TaskScheduled')) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  assert.fail(`${id} never scheduled its call`);
}

/** Polls `check` until it holds (30 s: deadlock detection, not a speed check). */
async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  const end = Date.now() + 30_000;
  while (!(await check())) {
    assert.ok(Date.now() < end, `timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Whether the RabbitMQ queue exists and has a consumer (one channel per check: a failed check closes it). */
async function consumed(queue: string): Promise<boolean> {
  const conn = await amqp.connect(rabbit.url);
  try {
    const ch = await conn.createChannel();
    ch.on('error', () => undefined);
    const q = await ch.checkQueue(queue).catch(() => undefined);
    return (q?.consumerCount ?? 0) > 0;
  } finally {
    await conn.close().catch(() => undefined);
  }
}

describe('asyncapi functions', { skip }, () => {
  test('publish through Redis streams: the channel parameter comes from the arguments, the rest is the message', async () => {
    const h = await host();
    const id = await h.engine.client.start('light', { lumens: 340 });
    assert.equal((await h.engine.client.waitForCompletion(id, { timeoutMs: 60_000 })).runtimeStatus, 'COMPLETED');
    const r = new Redis(redis.url);
    const entries = (await r.xrange(`light.${run}.s7`, '-', '+')) as Array<[string, string[]]>;
    r.disconnect();
    assert.equal(entries.length, 1);
    const event = JSON.parse(entries[0]![1][1]!) as Record<string, unknown>;
    assert.equal(event.type, 'LightMeasured', "the message's name is the CloudEvent type");
    assert.equal(event.source, '/swirl/light');
    assert.deepEqual(event.data, { lumens: 340 });
  });

  test('publish through MQTT (the server protocol picks the one mqtt3 component)', async () => {
    const h = await host();
    const sub = await mqtt.connectAsync(mq.url);
    await sub.subscribeAsync(`alarms/${run}`, { qos: 1 });
    const got = new Promise<Record<string, unknown>>((r) => sub.on('message', (_t, p) => r(JSON.parse(p.toString()) as Record<string, unknown>)));
    const id = await h.engine.client.start('alarm', {});
    assert.equal((await h.engine.client.waitForCompletion(id, { timeoutMs: 60_000 })).runtimeStatus, 'COMPLETED');
    const event = await got;
    await sub.endAsync();
    assert.equal(event.type, 'Alarm');
    assert.deepEqual(event.data, { level: 3 });
  });

  test('a document at an http URL: fetched to validate the workflow and at the call, which publishes as with a local one', async () => {
    const fetchedBefore = docFetches;
    const h = await host();
    assert.ok(docFetches > fetchedBefore, 'validation fetched the document');
    const sub = await mqtt.connectAsync(mq.url);
    try {
      await sub.subscribeAsync(`alarms/${run}`, { qos: 1 });
      const got = new Promise<Record<string, unknown>>((r) => sub.on('message', (_t, p) => r(JSON.parse(p.toString()) as Record<string, unknown>)));
      const id = await h.engine.client.start('remote', {});
      assert.equal((await h.engine.client.waitForCompletion(id, { timeoutMs: 60_000 })).runtimeStatus, 'COMPLETED');
      const event = await got;
      assert.equal(event.type, 'Alarm');
      assert.deepEqual(event.data, { level: 4 });
    } finally {
      await sub.endAsync();
    }
  });

  test('subscribe on RabbitMQ waits for the next message and returns its data', async () => {
    const h = await host();
    const id = await h.engine.client.start('job', {});
    await scheduled(h, id);
    // The activity has subscribed once its queue (<consumerID>-<topic>) has a consumer.
    await until('the subscribe activity consumes', () => consumed(`${run}-jobs-${run}`));
    await h.components!.publish({ pubsub: 'jobs', topic: `jobs-${run}`, event: { specversion: '1.0', id: 'j1', source: '/test', type: 'Job', data: { job: 'weld' } } });
    const done = await h.engine.client.waitForCompletion(id, { timeoutMs: 60_000 });
    assert.equal(done.runtimeStatus, 'COMPLETED');
    assert.deepEqual(done.output, { job: 'weld' });
  });

  test('a subscribe with nothing to receive fails with the action timeout', async () => {
    const h = await host();
    const id = await h.engine.client.start('impatient', {});
    const done = await h.engine.client.waitForCompletion(id, { timeoutMs: 60_000 });
    assert.equal(done.runtimeStatus, 'FAILED');
    assert.equal(done.failure?.code, 'timeout', JSON.stringify(done.failure));
    assert.match(JSON.stringify(done.failure ?? done), /actionExecTimeout of action .* expired|within 1000 ms/);
  });

  test('publish through RabbitMQ: the message goes to the channel\'s exchange', async () => {
    const h = await host();
    const conn = await amqp.connect(rabbit.url);
    try {
      const ch = await conn.createChannel();
      // The exchange as pubsub.rabbitmq declares it (fanout, not durable, deleted when unused), and a queue of ours on it.
      await ch.assertExchange(`jobs-out-${run}`, 'fanout', { durable: false, autoDelete: true });
      const { queue } = await ch.assertQueue('', { exclusive: true });
      await ch.bindQueue(queue, `jobs-out-${run}`, '');
      const got = new Promise<Record<string, unknown>>((r) => void ch.consume(queue, (m) => m && r(JSON.parse(m.content.toString()) as Record<string, unknown>), { noAck: true }));
      const id = await h.engine.client.start('postjob', { job: 'sand' });
      assert.equal((await h.engine.client.waitForCompletion(id, { timeoutMs: 60_000 })).runtimeStatus, 'COMPLETED');
      const event = await got;
      assert.equal(event.type, 'Job');
      assert.equal(event.source, '/swirl/postjob');
      assert.deepEqual(event.data, { job: 'sand' });
    } finally {
      await conn.close();
    }
  });

  test('publish through NATS JetStream: the message is on the channel\'s subject', async () => {
    const h = await host();
    const nc = await natsConnect({ servers: nats.url });
    try {
      const sub = nc.subscribe(`orders.out.${run}`, { max: 1 });
      const got = (async () => {
        for await (const m of sub) return JSON.parse(new TextDecoder().decode(m.data)) as Record<string, unknown>;
        return undefined;
      })();
      await nc.flush();
      const id = await h.engine.client.start('postorder', {});
      assert.equal((await h.engine.client.waitForCompletion(id, { timeoutMs: 60_000 })).runtimeStatus, 'COMPLETED');
      const event = await got;
      assert.equal(event?.type, 'Order');
      assert.deepEqual(event?.data, { order: 31 });
    } finally {
      await nc.close();
    }
  });

  test('subscribe on Redis streams: the message added to the stream is the result', async () => {
    const h = await host();
    const id = await h.engine.client.start('reading', {});
    await scheduled(h, id);
    // The consumer group starts at the stream's beginning: an entry added before it subscribed is read too.
    const r = new Redis(redis.url);
    try {
      await r.xadd(`readings.in.${run}`, '*', 'data', JSON.stringify({ specversion: '1.0', id: 'rd-1', source: '/test', type: 'Reading', data: { lux: 12 } }));
      const done = await h.engine.client.waitForCompletion(id, { timeoutMs: 60_000 });
      assert.equal(done.runtimeStatus, 'COMPLETED', JSON.stringify(done.failure));
      assert.deepEqual(done.output, { lux: 12 });
      // Acknowledged once recorded: nothing pending in the group.
      await until('the entry acknowledged', async () => Number((await r.xpending(`readings.in.${run}`, run))[0]) === 0);
    } finally {
      await r.del(`readings.in.${run}`);
      r.disconnect();
    }
  });

  test('subscribe on MQTT: the next message on the topic is the result', async () => {
    const h = await host();
    const id = await h.engine.client.start('alarmin', {});
    await scheduled(h, id);
    // An MQTT subscription sees only what is published after it is made, and the broker does not
    // say when that is: publish until the wait takes one (it takes the first it gets).
    const pub = await mqtt.connectAsync(mq.url);
    try {
      let n = 0;
      let done = await h.engine.client.get(id);
      while (done?.runtimeStatus !== 'COMPLETED' && done?.runtimeStatus !== 'FAILED') {
        assert.ok(n < 300, 'the subscribe never took a message');
        await pub.publishAsync(`alarms/in/${run}`, JSON.stringify({ specversion: '1.0', id: `al-${n++}`, source: '/test', type: 'Alarm', data: { level: 5 } }), { qos: 1 });
        await new Promise((r) => setTimeout(r, 100));
        done = await h.engine.client.get(id);
      }
      assert.equal(done.runtimeStatus, 'COMPLETED', JSON.stringify(done));
      assert.deepEqual(done.output, { level: 5 });
    } finally {
      await pub.endAsync();
    }
  });

  test('retries: a publish while the broker is unreachable fails COMPONENT_UNAVAILABLE, which the retry definition retries until the broker is back', async () => {
    // A TCP relay in front of RabbitMQ that the test cuts (every connection dropped, new ones refused) and restores.
    const target = new URL(rabbit.url);
    let open = true;
    const sockets = new Set<Socket>();
    const relay = createTcpServer((client) => {
      if (!open) return void client.destroy();
      const upstream = tcpConnect(Number(target.port || 5672), target.hostname);
      for (const sock of [client, upstream]) {
        sockets.add(sock);
        sock.on('error', () => undefined);
        sock.on('close', () => (sockets.delete(sock), client.destroy(), upstream.destroy()));
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((r) => relay.listen(0, '127.0.0.1', r));
    const relayUrl = new URL(rabbit.url);
    relayUrl.host = `127.0.0.1:${(relay.address() as { port: number }).port}`;
    const own = mkdtempSync(join(tmpdir(), 'swirl-asyncapi-retry-'));
    try {
      mkdirSync(join(own, 'workflows'));
      mkdirSync(join(own, 'components'));
      writeFileSync(join(own, 'workflows', 'plant.yaml'), DOC);
      writeFileSync(
        join(own, 'workflows', 'retry.yaml'),
        workflow('retrypost', 'post', 'postJob', '{ job: "glue" }').replace(
          '    end: true\n',
          "    end: true\nerrors: [{ name: BrokerDown, code: COMPONENT_UNAVAILABLE }]\nretries: [{ name: again, delay: PT0.2S, maxAttempts: 50 }]\n",
        ).replace('arguments: { job: "glue" } } }', 'arguments: { job: "glue" } }, retryRef: again, retryableErrors: [BrokerDown] }'),
      );
      writeFileSync(join(own, 'components', 'jobs.yaml'), componentYaml('jobs', 'pubsub.rabbitmq', { connectionString: relayUrl.href, consumerID: `${run}-retry` }));
      const h = await createHost({ store: 'memory', workflowsDir: join(own, 'workflows'), componentsDir: join(own, 'components'), engine: { pollIntervalMs: 20 } });
      hosts.push(h);
      await h.start(); // connects through the relay
      assert.deepEqual(h.loadReport.refused, []);
      open = false;
      for (const sock of sockets) sock.destroy();
      const conn = await amqp.connect(rabbit.url);
      try {
        const ch = await conn.createChannel();
        await ch.assertExchange(`jobs-out-${run}`, 'fanout', { durable: false, autoDelete: true });
        const { queue } = await ch.assertQueue('', { exclusive: true });
        await ch.bindQueue(queue, `jobs-out-${run}`, '');
        const got = new Promise<Record<string, unknown>>((r) => void ch.consume(queue, (m) => m && r(JSON.parse(m.content.toString()) as Record<string, unknown>), { noAck: true }));
        const id = await h.engine.client.start('retrypost', {});
        await until('an attempt failed', async () => (await h.engine.client.history(id)).some((e) => e.type === 'TaskFailed'));
        const failure = (await h.engine.client.history(id)).find((e) => e.type === 'TaskFailed') as { failure?: { code?: string } } | undefined;
        assert.equal(failure?.failure?.code, 'COMPONENT_UNAVAILABLE');
        open = true;
        const done = await h.engine.client.waitForCompletion(id, { timeoutMs: 60_000 });
        assert.equal(done.runtimeStatus, 'COMPLETED', JSON.stringify(done.failure));
        assert.deepEqual((await got).data, { job: 'glue' });
      } finally {
        await conn.close();
      }
    } finally {
      open = false;
      for (const sock of sockets) sock.destroy();
      relay.close();
      rmSync(own, { recursive: true, force: true });
    }
  });

  test('failures: a channel no component speaks is ASYNCAPI_NO_COMPONENT (nonRetryable), a component outside its scopes ERR_PUBSUB_NOT_FOUND, a missing channel parameter ASYNCAPI_PARAMETER', async () => {
    const h = await host();
    const nowhereId = await h.engine.client.start('nowhere', {});
    const nowhere = await h.engine.client.waitForCompletion(nowhereId, { timeoutMs: 60_000 });
    assert.equal(nowhere.runtimeStatus, 'FAILED');
    assert.equal(nowhere.failure?.code, 'ASYNCAPI_NO_COMPONENT');
    const attempt = (await h.engine.client.history(nowhereId)).find((e) => e.type === 'TaskFailed') as { failure?: { nonRetryable?: boolean } } | undefined;
    assert.equal(attempt?.failure?.nonRetryable, true);
    assert.match(nowhere.failure!.message, /server 'nowhere' \(kafka\): no Swirl pub\/sub type speaks this protocol/);
    const scoped = await h.engine.client.waitForCompletion(await h.engine.client.start('privpub', {}), { timeoutMs: 60_000 });
    assert.equal(scoped.runtimeStatus, 'FAILED');
    assert.equal(scoped.failure?.code, 'ERR_PUBSUB_NOT_FOUND');
    assert.match(scoped.failure!.message, /pub\/sub component 'private' is not in scope for workflow 'privpub' \(its scopes: billing; add 'privpub' to use it\)/);
    const noparam = await h.engine.client.waitForCompletion(await h.engine.client.start('noparam', {}), { timeoutMs: 60_000 });
    assert.equal(noparam.runtimeStatus, 'FAILED');
    assert.equal(noparam.failure?.code, 'ASYNCAPI_PARAMETER');
    assert.match(noparam.failure!.message, /sensor/);
  });

  test('a waiting subscribe (NATS JetStream) survives a restart: the message published while the host was down is received', async () => {
    const file = join(dir, 'restart.db');
    const first = await host(`sqlite:${file}`);
    const id = await first.engine.client.start('order', {});
    await scheduled(first, id);
    // Subscribed: the durable consumer (<consumerID>-<topic>, sanitized) exists.
    const nc = await natsConnect({ servers: nats.url });
    try {
      const jsm = await nc.jetstreamManager();
      const durable = `${run}-orders.${run}`.replace(/[^A-Za-z0-9_-]/g, '_');
      await until('the durable consumer', async () => (await jsm.consumers.info(`swirl_${run}`, durable).catch(() => undefined)) !== undefined);
    } finally {
      await nc.close();
    }
    await first.stop();
    const publisher = await host();
    await publisher.components!.publish({ pubsub: 'stream', topic: `orders.${run}`, event: { specversion: '1.0', id: 'o1', source: '/test', type: 'Order', data: { order: 12 } } });
    await publisher.stop();
    const second = await host(`sqlite:${file}`);
    const done = await second.engine.client.waitForCompletion(id, { timeoutMs: 60_000 });
    assert.equal(done.runtimeStatus, 'COMPLETED');
    assert.deepEqual(done.output, { order: 12 });
  });
});

describe('asyncapi validation', () => {
  test('an unknown operationId is an error with a did-you-mean; a document that is not AsyncAPI 2.x is named', async () => {
    const file = join(dir, 'workflows', 'check.yaml');
    const typo = await validateText(workflow('check', 'f', 'sendLightMeasure', '{}'), file);
    const d = typo.diagnostics.find((x) => x.code === 'UNKNOWN_OPERATION');
    assert.ok(d, JSON.stringify(typo.diagnostics));
    assert.match(d.message, /operationId 'sendLightMeasure' is not in the AsyncAPI document 'plant\.yaml'; did you mean 'sendLightMeasured'\?/);
    assert.equal(d.pointer, '/functions/0/operation');
    writeFileSync(join(dir, 'workflows', 'v3.yaml'), "asyncapi: '3.0.0'\ninfo: { title: x, version: '1' }\n");
    const v3 = await validateText(workflow('check', 'f', 'x', '{}').replace('plant.yaml', 'v3.yaml'), file);
    assert.ok(v3.diagnostics.some((x) => x.code === 'INVALID_ASYNCAPI' && /AsyncAPI 3\.0\.0 is not supported/.test(x.message)), JSON.stringify(v3.diagnostics));
    // A remote document is loaded and checked the same way; one that cannot be fetched is a warning (checked at the call).
    const remoteTypo = await validateText(workflow('check', 'f', 'sendLightMeasure', '{}').replace('plant.yaml#', `${docUrl}#`), file);
    assert.deepEqual(remoteTypo.diagnostics.map((x) => [x.severity, x.code, x.pointer]), [['error', 'UNKNOWN_OPERATION', '/functions/0/operation']]);
    const remoteGood = await validateText(workflow('check', 'f', 'sendLightMeasured', '{}').replace('plant.yaml#', `${docUrl}#`), file);
    assert.deepEqual(remoteGood.diagnostics, []);
    const missing = await validateText(workflow('check', 'f', 'x', '{}').replace('plant.yaml#', `${docUrl.replace('plant.yaml', 'gone.yaml')}#`), file);
    assert.deepEqual(missing.diagnostics.map((x) => [x.severity, x.code]), [['warning', 'ASYNCAPI_UNREACHABLE']]);
    const bad = await validateText(workflow('check', 'f', 'x', '{}').replace('plant.yaml#x', 'plant.yaml'), file);
    assert.ok(bad.diagnostics.some((x) => x.code === 'INVALID_OPERATION' && /'<asyncapi-document-uri>#<operationId>'/.test(x.message)), JSON.stringify(bad.diagnostics));
  });
});
