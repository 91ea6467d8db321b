/**
 * kill -9 between an input binding's broker delivery and the store commit (issue 16), with real
 * `swirl serve` processes on a SQLite file and the real RabbitMQ and Mosquitto (input bindings),
 * Redis and NATS JetStream (pub/sub subscriptions, the same ingest path): the process kills
 * itself (test/host/binding-kill-launcher.ts) once when the message has arrived but nothing is
 * committed, and once more after the event is committed but before the broker got its ack. Each
 * time the broker redelivers the message to the next process; in the end it is consumed once —
 * one instance, completed with the message's data — and the broker holds nothing unacknowledged.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import amqp from 'amqplib';
import mqtt from 'mqtt';
import { Redis } from 'ioredis';
import { connect as natsConnect } from 'nats';
import { startServe, type Server } from './serve-child.js';
import { componentYaml, redisHostOf, serviceUrl, uniqueName } from '../components/support.js';

const launcher = fileURLToPath(new URL('./binding-kill-launcher.ts', import.meta.url));
const started: ChildProcess[] = [];
const dirs: string[] = [];
const rabbit = serviceUrl('rabbitmq');
const mq = serviceUrl('mqtt');
const redis = serviceUrl('redis');
const nats = serviceUrl('nats');

after(() => {
  for (const p of started) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const WORKFLOW = (type: string, source: string, metadata = '') => `
id: intake
specVersion: '0.8'
start: Receive
events:
  - name: Arrived
    type: ${type}
    source: ${source}${metadata ? `\n    metadata: ${metadata}` : ''}
states:
  - name: Receive
    type: event
    onEvents:
      - eventRefs: [Arrived]
    end: true
`;

/** A folder with one component file and the intake workflow. */
function layout(component: string, type: string, source: string, metadata = ''): string {
  const dir = mkdtempSync(join(tmpdir(), 'swirl-binding-kill-'));
  dirs.push(dir);
  mkdirSync(join(dir, 'workflows'));
  mkdirSync(join(dir, 'components'));
  writeFileSync(join(dir, 'workflows', 'intake.yaml'), WORKFLOW(type, source, metadata));
  writeFileSync(join(dir, 'components', 'in.yaml'), component);
  if (metadata !== '') killSources.set(dir, source);
  return dir;
}

/** Per folder: the source of the events the launcher kills at (pub/sub tests name their own). */
const killSources = new Map<string, string>();

function serve(dir: string, kill?: 'before-commit' | 'after-commit'): Promise<Server> {
  const env = { ...process.env, SWIRL_TEST_BINDING_KILL: kill ?? '', SWIRL_TEST_BINDING_KILL_SOURCE: killSources.get(dir) ?? '' };
  return startServe(dir, started, ['--components', join(dir, 'components')], launcher, env);
}

/**
 * Starts a process that is to kill itself at `moment` (after `send`, when given, once it listens:
 * a redelivery may arrive before it listens) and waits for it to; returns the event id it printed.
 */
async function killedAt(dir: string, moment: 'before-commit' | 'after-commit', send?: () => Promise<void>, ms = 60_000): Promise<string> {
  const serving = serve(dir, moment);
  const proc = started[started.length - 1]!;
  let out = '';
  let err = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  serving.catch(() => undefined); // killed before listening is expected
  if (send) {
    await serving;
    await send();
  }
  const timer = setTimeout(() => proc.kill('SIGKILL'), ms);
  await exited;
  clearTimeout(timer);
  const m = new RegExp(`KILLING ${moment} (\\S+)`).exec(out);
  assert.ok(m, `the process killed itself ${moment} (stdout: ${out}; stderr: ${err})`);
  assert.equal(proc.signalCode, 'SIGKILL');
  return m[1]!;
}

/** The intake instances, polled until `done(list)` or `ms`. */
async function instances(base: string, done: (l: Array<Record<string, any>>) => boolean, ms = 30_000): Promise<Array<Record<string, any>>> {
  const end = Date.now() + ms;
  for (;;) {
    const body = (await (await fetch(`${base}/api/v1/instances?workflow=intake`)).json()) as { instances: Array<Record<string, any>> };
    if (done(body.instances) || Date.now() > end) return body.instances;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The three runs: killed before the commit, killed after it, then a clean one; returns the last server. */
async function killTwiceThenServe(dir: string, send: () => Promise<void>): Promise<{ server: Server; ids: string[] }> {
  const id1 = await killedAt(dir, 'before-commit', send);
  const id2 = await killedAt(dir, 'after-commit');
  const server = await serve(dir);
  return { server, ids: [id1, id2] };
}

// One broker after the other: four chains of `swirl serve` starts side by side starve a 2-core machine.
describe('kill -9 between delivery and commit: the message is redelivered and consumed once', () => {
  test('bindings.rabbitmq (a durable queue)', { skip: rabbit.skip, timeout: 180_000 }, async () => {
    const queue = uniqueName('swirl_kill');
    const dir = layout(componentYaml('jobs', 'bindings.rabbitmq', { host: rabbit.url, queueName: queue, durable: 'true', direction: 'input', route: '/job' }), 'job', 'swirl/bindings/jobs');
    const conn = await amqp.connect(rabbit.url);
    try {
      const { server, ids } = await killTwiceThenServe(dir, async () => {
        const ch = await conn.createConfirmChannel();
        ch.sendToQueue(queue, Buffer.from(JSON.stringify({ job: 7 })), { persistent: true, messageId: 'job-7' });
        await ch.waitForConfirms();
        await ch.close();
      });
      assert.deepEqual(ids, ['job-7', 'job-7'], 'the same message reached both killed processes');
      const list = await instances(server.base, (l) => l.some((i) => i.runtimeStatus === 'COMPLETED'));
      assert.equal(list.length, 1, `one instance: ${JSON.stringify(list)}`);
      assert.equal(list[0]!.runtimeStatus, 'COMPLETED');
      const detail = (await (await fetch(`${server.base}/api/v1/instances/${list[0]!.instanceID ?? list[0]!.id}`)).json()) as Record<string, any>;
      assert.deepEqual(detail.output ?? JSON.parse(detail.serializedOutput ?? 'null'), { job: 7 });
      // The clean run acknowledged the redelivered copy: nothing is left on the queue.
      const ch = await conn.createChannel();
      for (let i = 0; i < 50 && (await ch.checkQueue(queue)).messageCount > 0; i++) await new Promise((r) => setTimeout(r, 100));
      server.proc.kill('SIGTERM');
      await server.exited;
      assert.equal((await ch.checkQueue(queue)).messageCount, 0, 'the broker holds nothing for redelivery');
      await ch.deleteQueue(queue);
    } finally {
      await conn.close();
    }
  });

  test('bindings.mqtt3 (a persistent session)', { skip: mq.skip, timeout: 180_000 }, async () => {
    const topic = `swirl/kill/${uniqueName('t')}`;
    const clientId = uniqueName('swirl_kill');
    const dir = layout(componentYaml('meter', 'bindings.mqtt3', { url: mq.url, topic, consumerID: clientId, direction: 'input' }), 'meter', 'swirl/bindings/meter');
    const { server, ids } = await killTwiceThenServe(dir, async () => {
      const c = await mqtt.connectAsync(mq.url);
      await c.publishAsync(topic, JSON.stringify({ kwh: 3.5 }), { qos: 1 });
      await c.endAsync();
    });
    assert.equal(ids[0], ids[1], 'the redelivered copy has the same (content) id');
    const list = await instances(server.base, (l) => l.some((i) => i.runtimeStatus === 'COMPLETED'));
    // Give a stray second copy the time to show up before counting.
    await new Promise((r) => setTimeout(r, 500));
    const again = await instances(server.base, () => true, 0);
    assert.equal(again.length, 1, `one instance: ${JSON.stringify(again)}`);
    assert.equal(list[0]!.runtimeStatus, 'COMPLETED');
    server.proc.kill('SIGTERM');
    await server.exited;
    // Clean up the broker's session of this client id.
    const c = await mqtt.connectAsync(mq.url, { clientId, clean: true });
    await c.endAsync();
  });

  // Redis is reached through pub/sub (the issue): the subscription acks after the same ingest.
  test('pubsub.redis (a consumer group: the restarted consumer re-reads its pending entry)', { skip: redis.skip, timeout: 180_000 }, async () => {
    const topic = uniqueName('swirl_kill');
    const dir = layout(componentYaml('bus', 'pubsub.redis', { redisHost: redisHostOf(redis.url), consumerID: topic }), 'meter.read', '/kill-redis', `{ pubsub: bus, topic: ${topic} }`);
    const r = new Redis(redis.url);
    try {
      const { server, ids } = await killTwiceThenServe(dir, async () => {
        await r.xadd(topic, '*', 'data', JSON.stringify({ specversion: '1.0', id: 'r-1', source: '/kill-redis', type: 'meter.read', data: { m: 1 } }));
      });
      assert.deepEqual(ids, ['r-1', 'r-1']);
      const list = await instances(server.base, (l) => l.some((i) => i.runtimeStatus === 'COMPLETED'));
      assert.equal(list.length, 1, `one instance: ${JSON.stringify(list)}`);
      for (let i = 0; i < 50 && Number((await r.xpending(topic, topic))[0]) > 0; i++) await new Promise((res) => setTimeout(res, 100));
      assert.equal(Number((await r.xpending(topic, topic))[0]), 0, 'the entry was acknowledged');
      server.proc.kill('SIGTERM');
      await server.exited;
    } finally {
      await r.del(topic);
      r.disconnect();
    }
  });

  test('pubsub.nats (a JetStream durable consumer, redelivered after ackWait)', { skip: nats.skip, timeout: 180_000 }, async () => {
    const topic = uniqueName('swirl_kill');
    const dir = layout(componentYaml('js', 'pubsub.nats', { natsURL: nats.url, consumerID: topic, streamName: `s_${topic}`, ackWait: '2s' }), 'meter.read', '/kill-nats', `{ pubsub: js, topic: ${topic} }`);
    const nc = await natsConnect({ servers: nats.url });
    try {
      const { server, ids } = await killTwiceThenServe(dir, async () => {
        await nc.jetstream().publish(topic, new TextEncoder().encode(JSON.stringify({ specversion: '1.0', id: 'n-1', source: '/kill-nats', type: 'meter.read', data: { m: 2 } })));
      });
      assert.deepEqual(ids, ['n-1', 'n-1']);
      const list = await instances(server.base, (l) => l.some((i) => i.runtimeStatus === 'COMPLETED'));
      assert.equal(list.length, 1, `one instance: ${JSON.stringify(list)}`);
      assert.equal(list[0]!.runtimeStatus, 'COMPLETED');
      server.proc.kill('SIGTERM');
      await server.exited;
      await (await nc.jetstreamManager()).streams.delete(`s_${topic}`).catch(() => undefined);
    } finally {
      await nc.close();
    }
  });
});
