/**
 * `bindings.redis` and `pubsub.redis` (Redis Streams) against the real Redis of
 * SWIRL_TEST_REDIS_URL. Keys and streams are unique per run and deleted afterwards.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { WorkflowError } from '../../src/errors.js';
import { loadComponents, toCloudEvent, type CloudEventJson, type ComponentHost } from '../../src/components/index.js';
import { componentDir, componentYaml, redisHostOf, serviceUrl, uniqueName, waitFor } from './support.js';

const svc = serviceUrl('redis');

describe('redis components', { skip: svc.skip, timeout: 60_000 }, () => {
  let host: ComponentHost;
  let raw: Redis;
  let cleanup: () => Promise<void>;
  const prefix = uniqueName('swirl_test');
  const dir = async (consumerID: string) =>
    componentDir({
      'cache.yaml': componentYaml('cache', 'bindings.redis', { redisHost: redisHostOf(svc.url) }),
      'events.yaml': componentYaml('events', 'pubsub.redis', { redisHost: redisHostOf(svc.url), consumerID, processingTimeout: '300ms', redeliverInterval: '200ms' }),
    });

  before(async () => {
    raw = new Redis(svc.url);
    const d = await dir(`${prefix}_group`);
    cleanup = d.cleanup;
    host = await loadComponents(d.dir, { env: {} });
  });

  after(async () => {
    await host?.close();
    await cleanup();
    const keys = await raw.keys(`${prefix}*`);
    if (keys.length) await raw.del(...keys);
    raw.disconnect();
  });

  it('create / get / delete with Dapr semantics; JSON round-trips, strings stay strings', async () => {
    const key = `${prefix}:order`;
    const created = await host.invokeBinding({ name: 'cache', operation: 'create', data: { id: 1, items: ['a'] }, metadata: { key } });
    assert.deepEqual(created, { data: null, metadata: {} });
    assert.equal(await raw.get(key), '{"id":1,"items":["a"]}');
    assert.deepEqual((await host.invokeBinding({ name: 'cache', operation: 'get', metadata: { key } })).data, { id: 1, items: ['a'] });
    await host.invokeBinding({ name: 'cache', operation: 'create', data: 'hello', metadata: { key } });
    assert.equal((await host.invokeBinding({ name: 'cache', operation: 'get', metadata: { key } })).data, 'hello');
    await host.invokeBinding({ name: 'cache', operation: 'delete', metadata: { key } });
    assert.equal((await host.invokeBinding({ name: 'cache', operation: 'get', metadata: { key } })).data, null);
    // Deleting a missing key succeeds, as in Dapr.
    await host.invokeBinding({ name: 'cache', operation: 'delete', metadata: { key } });
  });

  it('ttlInSeconds sets an expiry; increment counts', async () => {
    const key = `${prefix}:ttl`;
    await host.invokeBinding({ name: 'cache', operation: 'create', data: 1, metadata: { key, ttlInSeconds: '100' } });
    const ttl = await raw.ttl(key);
    assert.ok(ttl > 90 && ttl <= 100, `ttl ${ttl}`);
    const counter = `${prefix}:n`;
    assert.equal((await host.invokeBinding({ name: 'cache', operation: 'increment', metadata: { key: counter } })).data, 1);
    assert.equal((await host.invokeBinding({ name: 'cache', operation: 'increment', metadata: { key: counter } })).data, 2);
  });

  it('request errors are non-retryable WorkflowErrors', async () => {
    await assert.rejects(host.invokeBinding({ name: 'cache', operation: 'get' }), (e: WorkflowError) => e instanceof WorkflowError && /metadata 'key' is required/.test(e.message));
    await host.invokeBinding({ name: 'cache', operation: 'create', data: 'abc', metadata: { key: `${prefix}:s` } });
    await assert.rejects(host.invokeBinding({ name: 'cache', operation: 'increment', metadata: { key: `${prefix}:s` } }), (e: WorkflowError) => e instanceof WorkflowError && e.nonRetryable && /not an integer/.test(e.message));
  });

  it('pubsub: a published CloudEvent reaches the subscriber as an entry with field data', async () => {
    const topic = `${prefix}_orders`;
    const got: CloudEventJson[] = [];
    const sub = await host.subscribe({ pubsub: 'events', topic, handler: async (e) => void got.push(e) });
    const event = toCloudEvent({ source: 'test', type: 'order.created', data: { id: 42 }, traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' });
    await host.publish({ pubsub: 'events', topic, event });
    await waitFor(() => got.length === 1, 30_000, 'delivery');
    assert.deepEqual(got[0], event);
    const [[, fields]] = (await raw.xrange(topic, '-', '+')) as Array<[string, string[]]>;
    assert.equal(fields[0], 'data');
    assert.deepEqual(JSON.parse(fields[1]), event);
    // Acked: nothing pending for the group.
    await waitFor(() => true);
    const pending = (await raw.xpending(topic, `${prefix}_group`)) as [number, ...unknown[]];
    assert.equal(pending[0], 0);
    await sub.close();
  });

  it('pubsub: a failing handler is redelivered (at-least-once) and acked once it succeeds', async () => {
    const topic = `${prefix}_retry`;
    const attempts: string[] = [];
    const sub = await host.subscribe({
      pubsub: 'events',
      topic,
      handler: async (e) => {
        attempts.push(e.id);
        if (attempts.length < 3) throw new Error('not yet');
      },
    });
    const event = toCloudEvent({ source: 'test', type: 't', data: 1 });
    await host.publish({ pubsub: 'events', topic, event });
    await waitFor(() => attempts.length >= 3, 30_000, 'redelivery');
    assert.deepEqual(new Set(attempts), new Set([event.id]));
    await waitFor(() => true);
    const pending = (await raw.xpending(topic, `${prefix}_group`)) as [number];
    assert.equal(pending[0], 0);
    await sub.close();
  });

  it('pubsub: a message delivered but not acked before a crash is delivered again after restart', async (t) => {
    const topic = `${prefix}_crash`;
    const group = `${prefix}_crashgroup`;
    const d = await componentDir({ 'e.yaml': componentYaml('events', 'pubsub.redis', { redisHost: redisHostOf(svc.url), consumerID: group, redeliverInterval: '0' }) });
    const first = await loadComponents(d.dir, { env: {} });
    t.after(() => first.close()); // also when an assertion fails: open sockets would keep the test process alive
    let started = false;
    let release!: () => void;
    await first.subscribe({ pubsub: 'events', topic, handler: () => { started = true; return new Promise<void>((_, reject) => (release = () => reject(new Error('crash')))); } });
    const event = toCloudEvent({ source: 'test', type: 't', data: 'x' });
    await first.publish({ pubsub: 'events', topic, event });
    await waitFor(() => started, 30_000, 'first delivery');
    release(); // the handler fails: not acked
    await first.close();
    const second = await loadComponents(d.dir, { env: {} });
    t.after(() => second.close()); // also when an assertion fails: open sockets would keep the test process alive
    const got: CloudEventJson[] = [];
    await second.subscribe({ pubsub: 'events', topic, handler: async (e) => void got.push(e) });
    await waitFor(() => got.length === 1, 30_000, 'redelivery after restart');
    assert.equal(got[0].id, event.id);
    await second.close();
    await d.cleanup();
  });

  it('pubsub: a subscription survives a dropped connection (reconnects and keeps consuming)', async (t) => {
    const topic = `${prefix}_drop`;
    const d = await componentDir({ 'e.yaml': componentYaml(`${prefix}_drop`, 'pubsub.redis', { redisHost: redisHostOf(svc.url), consumerID: `${prefix}_dropgroup` }) });
    const h = await loadComponents(d.dir, { env: {} });
    t.after(() => h.close()); // also when an assertion fails: open sockets would keep the test process alive
    const got: CloudEventJson[] = [];
    await h.subscribe({ pubsub: `${prefix}_drop`, topic, handler: async (e) => void got.push(e) });
    const first = toCloudEvent({ source: 'test', type: 't', data: 1 });
    await h.publish({ pubsub: `${prefix}_drop`, topic, event: first });
    await waitFor(() => got.length === 1, 30_000, 'first delivery');
    // Kill this component's connections only (publisher and blocked reader, named swirl-<component>),
    // as a Redis restart would; other users of the shared Redis are left alone.
    const list = (await raw.call('CLIENT', 'LIST')) as string;
    const ids = list.split('\n').filter((l) => l.includes(` name=swirl-${prefix}_drop `)).map((l) => /id=(\d+)/.exec(l)![1]);
    assert.equal(ids.length, 2);
    for (const id of ids) await raw.call('CLIENT', 'KILL', 'ID', id);
    const second = toCloudEvent({ source: 'test', type: 't', data: 2 });
    for (let i = 0; ; i++) {
      try {
        await h.publish({ pubsub: `${prefix}_drop`, topic, event: second });
        break;
      } catch (err) {
        if (i > 20) throw err;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    await waitFor(() => got.length === 2, 30_000, 'delivery after reconnect');
    assert.equal(got[1].id, second.id);
    await h.close();
    await d.cleanup();
  });

  it('pubsub: a stream deleted under a subscription (Redis restarted without persistence) is re-created', async () => {
    const topic = `${prefix}_wiped`;
    const got: CloudEventJson[] = [];
    const sub = await host.subscribe({ pubsub: 'events', topic, handler: async (e) => void got.push(e) });
    await raw.del(topic);
    const event = toCloudEvent({ source: 'test', type: 't', data: 'after wipe' });
    // The reader gets NOGROUP and re-creates the group from '0', so an entry added before that is still read.
    await host.publish({ pubsub: 'events', topic, event });
    await waitFor(() => got.length === 1, 30_000, 'delivery after the stream was re-created');
    assert.equal(got[0].id, event.id);
    await sub.close();
  });

  it('a raw (non-CloudEvent) entry is wrapped with a stable id', async () => {
    const topic = `${prefix}_raw`;
    const got: CloudEventJson[] = [];
    const sub = await host.subscribe({ pubsub: 'events', topic, handler: async (e) => void got.push(e) });
    const id = await raw.xadd(topic, '*', 'data', '{"plain":true}');
    await waitFor(() => got.length === 1, 30_000, 'raw delivery');
    assert.equal(got[0].id, `${topic}/${id}`);
    assert.deepEqual(got[0].data, { plain: true });
    await sub.close();
  });

  it('publish rejects an invalid CloudEvent before touching Redis', async () => {
    await assert.rejects(host.publish({ pubsub: 'events', topic: `${prefix}_x`, event: { specversion: '1.0', id: '', source: 's', type: 't' } }), (e: WorkflowError) => e.code === 'INVALID_CLOUDEVENT');
    assert.equal(await raw.exists(`${prefix}_x`), 0);
  });
});
