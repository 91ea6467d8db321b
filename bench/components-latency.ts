/**
 * @module test/components/latency-probe
 * Not a test: measures publish→handler round trips per pub/sub and output-binding call latency
 * against the real services (run: source .ci/services.sh && npx tsx bench/components-latency.ts).
 * Belongs in bench/ (owned by another engineer); kept here so the numbers in the report reproduce.
 */
import { loadComponents, toCloudEvent } from '../src/components/index.js';
import { componentDir, componentYaml, redisHostOf, uniqueName } from '../test/components/support.js';
import { Redis } from 'ioredis';
const N = 300;
const p = uniqueName('swirl_bench');
const d = await componentDir({
  'r.yaml': componentYaml('redis', 'pubsub.redis', { redisHost: redisHostOf(process.env.SWIRL_TEST_REDIS_URL!), consumerID: p }),
  'q.yaml': componentYaml('rabbit', 'pubsub.rabbitmq', { connectionString: process.env.SWIRL_TEST_RABBITMQ_URL!, consumerID: p }),
  'm.yaml': componentYaml('mqtt', 'pubsub.mqtt3', { url: process.env.SWIRL_TEST_MQTT_URL!, consumerID: p, cleanSession: 'true' }),
  'n.yaml': componentYaml('nats', 'pubsub.nats', { natsURL: process.env.SWIRL_TEST_NATS_URL!, streamName: p, memoryStorage: 'true', consumerID: p }),
  'c.yaml': componentYaml('cache', 'bindings.redis', { redisHost: redisHostOf(process.env.SWIRL_TEST_REDIS_URL!) }),
  'db.yaml': componentYaml('db', 'bindings.postgresql', { connectionString: process.env.SWIRL_TEST_PG_URL! }),
});
const host = await loadComponents(d.dir, { env: {} });
const pct = (xs: number[], q: number) => xs.slice().sort((a, b) => a - b)[Math.floor(q * (xs.length - 1))].toFixed(2);
for (const ps of ['redis', 'rabbit', 'mqtt', 'nats']) {
  const topic = `${p}.${ps}`;
  let resolveNext: (() => void) | undefined;
  const sub = await host.subscribe({ pubsub: ps, topic, handler: async () => resolveNext?.() });
  const lat: number[] = [];
  const t0 = performance.now();
  for (let i = 0; i < N; i++) {
    const got = new Promise<void>((r) => (resolveNext = r));
    const s = performance.now();
    await host.publish({ pubsub: ps, topic, event: toCloudEvent({ source: 'bench', type: 't', data: { i } }) });
    await got;
    lat.push(performance.now() - s);
  }
  const total = performance.now() - t0;
  console.log(`${ps.padEnd(7)} publish→handler p50 ${pct(lat, 0.5)} ms  p99 ${pct(lat, 0.99)} ms  (${(N / (total / 1000)).toFixed(0)} sequential round trips/s)`);
  await sub.close();
}
for (const [name, op, md] of [['cache', 'get', { key: `${p}:k` }], ['db', 'query', { sql: 'SELECT 1' }]] as const) {
  const lat: number[] = [];
  for (let i = 0; i < N; i++) { const s = performance.now(); await host.invokeBinding({ name, operation: op, metadata: md }); lat.push(performance.now() - s); }
  console.log(`binding ${name}/${op} p50 ${pct(lat, 0.5)} ms  p99 ${pct(lat, 0.99)} ms`);
}
await host.close();
const r = new Redis(process.env.SWIRL_TEST_REDIS_URL!); await r.del(`${p}.redis`); r.disconnect();
const { connect } = await import('nats'); const nc = await connect({ servers: process.env.SWIRL_TEST_NATS_URL! }); await (await nc.jetstreamManager()).streams.delete(p).catch(() => 0); await nc.close();
await d.cleanup();
