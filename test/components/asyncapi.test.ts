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
import { Redis } from 'ioredis';
import mqtt from 'mqtt';
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

before(() => {
  mkdirSync(join(dir, 'workflows'));
  mkdirSync(join(dir, 'components'));
  writeFileSync(join(dir, 'workflows', 'plant.yaml'), DOC);
  writeFileSync(join(dir, 'workflows', 'light.yaml'), workflow('light', 'measured', 'sendLightMeasured', '{ sensor: "s7", lumens: "${ .lumens }" }'));
  writeFileSync(join(dir, 'workflows', 'alarm.yaml'), workflow('alarm', 'alarm', 'raiseAlarm', '{ level: 3 }'));
  writeFileSync(join(dir, 'workflows', 'job.yaml'), workflow('job', 'next', 'nextJob', '{}'));
  writeFileSync(join(dir, 'workflows', 'order.yaml'), workflow('order', 'next', 'nextOrder', '{}'));
  writeFileSync(join(dir, 'workflows', 'impatient.yaml'), workflow('impatient', 'next', 'nextJob', '{}', 'PT1S'));
  if (skip) return;
  writeFileSync(join(dir, 'components', 'cache.yaml'), componentYaml('cache', 'pubsub.redis', { redisHost: redisHostOf(redis.url), consumerID: run }));
  writeFileSync(join(dir, 'components', 'broker.yaml'), componentYaml('alerts', 'pubsub.mqtt3', { url: mq.url, consumerID: `${run}-mqtt`, cleanSession: 'true' }));
  writeFileSync(join(dir, 'components', 'jobs.yaml'), componentYaml('jobs', 'pubsub.rabbitmq', { connectionString: rabbit.url, consumerID: run }));
  writeFileSync(join(dir, 'components', 'stream.yaml'), componentYaml('stream', 'pubsub.nats', { natsURL: nats.url, consumerID: run, streamName: `swirl_${run}` }));
});

after(async () => {
  await Promise.allSettled(hosts.map((h) => h.stop()));
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
  for (let i = 0; i < 200; i++) {
    if ((await h.engine.client.history(id)).some((e) => e.type === 'TaskScheduled')) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  assert.fail(`${id} never scheduled its call`);
}

describe('asyncapi functions', { skip }, () => {
  test('publish through Redis streams: the channel parameter comes from the arguments, the rest is the message', async () => {
    const h = await host();
    const id = await h.engine.client.start('light', { lumens: 340 });
    assert.equal((await h.engine.client.waitForCompletion(id, { timeoutMs: 10_000 })).runtimeStatus, 'COMPLETED');
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
    assert.equal((await h.engine.client.waitForCompletion(id, { timeoutMs: 10_000 })).runtimeStatus, 'COMPLETED');
    const event = await got;
    await sub.endAsync();
    assert.equal(event.type, 'Alarm');
    assert.deepEqual(event.data, { level: 3 });
  });

  test('subscribe on RabbitMQ waits for the next message and returns its data', async () => {
    const h = await host();
    const id = await h.engine.client.start('job', {});
    await scheduled(h, id);
    await new Promise((r) => setTimeout(r, 300)); // the activity subscribes
    await h.components!.publish({ pubsub: 'jobs', topic: `jobs-${run}`, event: { specversion: '1.0', id: 'j1', source: '/test', type: 'Job', data: { job: 'weld' } } });
    const done = await h.engine.client.waitForCompletion(id, { timeoutMs: 10_000 });
    assert.equal(done.runtimeStatus, 'COMPLETED');
    assert.deepEqual(done.output, { job: 'weld' });
  });

  test('a subscribe with nothing to receive fails with the action timeout', async () => {
    const h = await host();
    const id = await h.engine.client.start('impatient', {});
    const done = await h.engine.client.waitForCompletion(id, { timeoutMs: 10_000 });
    assert.equal(done.runtimeStatus, 'FAILED');
    assert.match(JSON.stringify(done.failure ?? done), /actionExecTimeout of action .* expired|within 1000 ms/);
  });

  test('a waiting subscribe (NATS JetStream) survives a restart: the message published while the host was down is received', async () => {
    const file = join(dir, 'restart.db');
    const first = await host(`sqlite:${file}`);
    const id = await first.engine.client.start('order', {});
    await scheduled(first, id);
    await new Promise((r) => setTimeout(r, 500)); // subscribed: the durable consumer exists
    await first.stop();
    const publisher = await host();
    await publisher.components!.publish({ pubsub: 'stream', topic: `orders.${run}`, event: { specversion: '1.0', id: 'o1', source: '/test', type: 'Order', data: { order: 12 } } });
    await publisher.stop();
    const second = await host(`sqlite:${file}`);
    const done = await second.engine.client.waitForCompletion(id, { timeoutMs: 20_000 });
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
    const bad = await validateText(workflow('check', 'f', 'x', '{}').replace('plant.yaml#x', 'plant.yaml'), file);
    assert.ok(bad.diagnostics.some((x) => x.code === 'INVALID_OPERATION' && /'<asyncapi-document-uri>#<operationId>'/.test(x.message)), JSON.stringify(bad.diagnostics));
  });
});
