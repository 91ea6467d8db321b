/**
 * TLS of the RabbitMQ clients (issue 16). The shared broker has no TLS listener (and must not be
 * reconfigured), so the test starts TLS terminators (node:tls servers with a CA and certificates
 * made with openssl for this run) that pipe each connection to 127.0.0.1:5672: one that only
 * serves its certificate, one that also requires a client certificate. Over them, the
 * `bindings.rabbitmq` output binding, the same binding as an input (`direction: input`) and
 * `pubsub.rabbitmq` with `caCert` (and `clientCert`/`clientKey`) pass messages; a CA that did not
 * sign the server certificate, or a missing client certificate, fails the load with
 * COMPONENT_UNREACHABLE naming the component and the field.
 * Skipped when openssl is not installed or RabbitMQ is down.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, type Server as NetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createTlsServer } from 'node:tls';
import { createComponentHost, parseComponentText, type CloudEventJson, type ComponentHost } from '../../src/components/index.js';
import { hasOpenssl, makeTestPki } from './test-pki.js';
import { componentYaml, serviceUrl, uniqueName, waitFor } from './support.js';

const rabbit = serviceUrl('rabbitmq');
const skip = rabbit.skip || (!hasOpenssl ? 'skipped: needs openssl' : false);
const dir = mkdtempSync(join(tmpdir(), 'swirl-rabbitmq-tls-'));
const servers: NetServer[] = [];
const hosts: ComponentHost[] = [];
let plainPort = 0;
let mutualPort = 0;

const pem = (file: string) => readFileSync(join(dir, file), 'utf8');
/** The shared broker's credentials, on a terminator's port, as an amqps:// URL. */
const amqpsUrl = (port: number) => {
  const u = new URL(rabbit.url);
  return `amqps://${u.username}:${u.password}@127.0.0.1:${port}`;
};

/** A TLS server on a free loopback port piping every connection to the shared RabbitMQ. */
async function terminator(requireClientCert: boolean): Promise<number> {
  const upstream = new URL(rabbit.url);
  const server = createTlsServer({ key: pem('server.key'), cert: pem('server.pem'), ca: pem('ca.pem'), requestCert: requireClientCert, rejectUnauthorized: requireClientCert }, (tls) => {
    const broker = connect(Number(upstream.port || 5672), upstream.hostname);
    tls.pipe(broker).pipe(tls);
    const end = () => (tls.destroy(), broker.destroy());
    tls.on('error', end).on('close', end);
    broker.on('error', end).on('close', end);
  });
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  servers.push(server);
  return (server.address() as { port: number }).port;
}

before(async () => {
  if (skip) return;
  makeTestPki(dir, ['other-ca']);
  plainPort = await terminator(false);
  mutualPort = await terminator(true);
});

after(async () => {
  await Promise.allSettled(hosts.map((h) => h.close()));
  for (const s of servers) s.close();
  rmSync(dir, { recursive: true, force: true });
});

async function load(name: string, type: string, metadata: Record<string, string>): Promise<ComponentHost> {
  const h = await createComponentHost(parseComponentText(componentYaml(name, type, metadata), join(dir, `${name}.yaml`)), { connectTimeoutMs: 3000 });
  hosts.push(h);
  return h;
}

const mutualTls = () => ({ caCert: pem('ca.pem'), clientCert: pem('client.pem'), clientKey: pem('client.key') });

for (const [label, port, tls] of [
  ['caCert', () => plainPort, () => ({ caCert: pem('ca.pem') })],
  ['caCert, clientCert and clientKey (the terminator requires a client certificate)', () => mutualPort, mutualTls],
] as const) {
  test(`bindings.rabbitmq output and input over amqps:// with ${label}: the message flows`, { skip }, async () => {
    const queue = uniqueName('swirl_tls_q');
    const input = await load('tls-in', 'bindings.rabbitmq', { host: amqpsUrl(port()), queueName: queue, direction: 'input', route: '/tlsorder', deleteWhenUnused: 'true', ...tls() });
    const output = await load('tls-out', 'bindings.rabbitmq', { host: amqpsUrl(port()), queueName: queue, deleteWhenUnused: 'true', contentType: 'application/json', ...tls() });
    const got: CloudEventJson[] = [];
    const sub = await input.readBinding!('tls-in', async (e) => void got.push(e));
    await output.invokeBinding({ name: 'tls-out', operation: 'create', data: { order: 7 } });
    await waitFor(() => got.length === 1, 30_000, 'the message through the TLS terminator');
    assert.equal(got[0]!.type, 'tlsorder');
    assert.deepEqual(got[0]!.data, { order: 7 });
    await sub.close();
  });

  test(`pubsub.rabbitmq over amqps:// with ${label}: a published event reaches the subscriber`, { skip }, async () => {
    const topic = uniqueName('swirl_tls_t');
    const h = await load('tls-bus', 'pubsub.rabbitmq', { connectionString: amqpsUrl(port()), consumerID: uniqueName('c'), ...tls() });
    const got: CloudEventJson[] = [];
    const sub = await h.subscribe({ pubsub: 'tls-bus', topic, handler: async (e) => void got.push(e) });
    await h.publish({ pubsub: 'tls-bus', topic, event: { specversion: '1.0', id: uniqueName('e'), source: '/t', type: 't', data: { secure: true } } });
    await waitFor(() => got.length === 1, 30_000, 'the event through the TLS terminator');
    assert.deepEqual(got[0]!.data, { secure: true });
    await sub.close();
  });
}

test('a CA that did not sign the server certificate fails the load with a clear error', { skip }, async () => {
  for (const [type, field] of [['bindings.rabbitmq', 'host'], ['pubsub.rabbitmq', 'connectionString']] as const) {
    await assert.rejects(load('wrong-ca', type, { [field]: amqpsUrl(plainPort), queueName: 'q', consumerID: 'c', caCert: pem('other-ca.pem') }), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'COMPONENT_UNREACHABLE');
      assert.match(err.message, new RegExp(`wrong-ca\\.yaml(:\\d+)?: spec\\.metadata\\.${field}: component 'wrong-ca': cannot connect to RabbitMQ at amqps://[^ ]*127\\.0\\.0\\.1:${plainPort}[^ ]*: .*(certificate|verify)`, 'i'));
      assert.doesNotMatch(err.message, /guest:guest/, 'the password is not shown');
      return true;
    });
  }
});

test('without the client certificate a terminator that requires one refuses the connection', { skip }, async () => {
  await assert.rejects(load('no-client-cert', 'pubsub.rabbitmq', { connectionString: amqpsUrl(mutualPort), consumerID: 'c', caCert: pem('ca.pem') }), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'COMPONENT_UNREACHABLE');
    assert.match(err.message, /component 'no-client-cert': cannot connect to RabbitMQ at amqps:/);
    return true;
  });
});
