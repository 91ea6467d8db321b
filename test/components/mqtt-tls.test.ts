/**
 * TLS of the MQTT clients (issue 16): a second Mosquitto started by the test on a free port with
 * a TLS listener that requires client certificates (CA, server and client certificates made with
 * openssl for this run). A `pubsub.mqtt3` component with Dapr's `caCert`, `clientCert` and
 * `clientKey` connects and round-trips a message; without the client certificate the broker
 * refuses it, and the load fails with COMPONENT_UNREACHABLE naming the component.
 * Skipped when openssl or mosquitto is not installed.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createComponentHost, parseComponentText, type CloudEventJson, type ComponentHost } from '../../src/components/index.js';
import { freePort } from '../host/free-port.js';
import { hasOpenssl, makeTestPki } from './test-pki.js';
import { componentYaml, waitFor } from './support.js';

const MOSQUITTO = ['/usr/sbin/mosquitto', '/usr/bin/mosquitto'].find((p) => existsSync(p));
const skip = !MOSQUITTO || !hasOpenssl ? 'skipped: needs mosquitto and openssl' : false;
const dir = mkdtempSync(join(tmpdir(), 'swirl-mqtt-tls-'));
let broker: ChildProcess | undefined;
let port = 0;
const hosts: ComponentHost[] = [];

before(async () => {
  if (skip) return;
  makeTestPki(dir);
  // Mosquitto started as root drops to its own user, which must read these throwaway files.
  chmodSync(dir, 0o755);
  for (const f of ['ca.pem', 'server.pem', 'server.key']) chmodSync(join(dir, f), 0o644);
  port = await freePort();
  writeFileSync(
    join(dir, 'mosquitto.conf'),
    [`listener ${port} 127.0.0.1`, `cafile ${join(dir, 'ca.pem')}`, `certfile ${join(dir, 'server.pem')}`, `keyfile ${join(dir, 'server.key')}`, 'require_certificate true', 'allow_anonymous true', ''].join('\n'),
  );
  broker = spawn(MOSQUITTO!, ['-c', join(dir, 'mosquitto.conf')], { stdio: 'ignore' });
  // Listening once a TCP connect succeeds.
  const net = await import('node:net');
  const end = Date.now() + 10_000;
  for (;;) {
    const ok = await new Promise<boolean>((r) => {
      const s = net.connect(port, '127.0.0.1', () => (s.end(), r(true)));
      s.on('error', () => r(false));
    });
    if (ok) break;
    if (Date.now() > end) throw new Error('the TLS mosquitto did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
});

after(async () => {
  await Promise.allSettled(hosts.map((h) => h.close()));
  broker?.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

/** A YAML block scalar of a PEM file, for a component's metadata value. */
function pem(file: string): string {
  return readFileSync(join(dir, file), 'utf8');
}

async function load(metadata: Record<string, string>, type = 'pubsub.mqtt3'): Promise<ComponentHost> {
  const h = await createComponentHost(parseComponentText(componentYaml('secure', type, metadata), join(dir, 'secure.yaml')), { connectTimeoutMs: 3000 });
  hosts.push(h);
  return h;
}

test('pubsub.mqtt3 over mqtts:// with caCert, clientCert and clientKey round-trips a message', { skip }, async () => {
  const h = await load({ url: `mqtts://127.0.0.1:${port}`, consumerID: `swirl-tls-${process.pid}`, cleanSession: 'true', caCert: pem('ca.pem'), clientCert: pem('client.pem'), clientKey: pem('client.key') });
  const got: CloudEventJson[] = [];
  await h.subscribe({ pubsub: 'secure', topic: 'tls/t', handler: async (e) => void got.push(e) });
  await h.publish({ pubsub: 'secure', topic: 'tls/t', event: { specversion: '1.0', id: 'tls-1', source: '/t', type: 't', data: { secure: true } } });
  await waitFor(() => got.length === 1, 30_000, 'the message over TLS');
  assert.deepEqual(got[0]!.data, { secure: true });
});

test('bindings.mqtt3 as an input and output over mqtts:// with caCert, clientCert and clientKey: the message sent is read', { skip }, async () => {
  const tls = { caCert: pem('ca.pem'), clientCert: pem('client.pem'), clientKey: pem('client.key') };
  const h = await load({ url: `mqtts://127.0.0.1:${port}`, topic: 'tls/binding', consumerID: `swirl-tls-bin-${process.pid}`, cleanSession: 'true', direction: 'input, output', ...tls }, 'bindings.mqtt3');
  const got: CloudEventJson[] = [];
  assert.ok(h.readBinding, 'the component host reads input bindings');
  await h.readBinding('secure', async (e) => void got.push(e));
  await h.invokeBinding({ name: 'secure', operation: 'create', data: { reading: 7 } });
  await waitFor(() => got.length === 1, 30_000, 'the binding message over TLS');
  assert.equal(got[0]!.source, 'swirl/bindings/secure');
  assert.equal(got[0]!.subject, 'tls/binding');
  assert.deepEqual(got[0]!.data, { reading: 7 });
  // The input side without its client certificate is refused by the broker at load.
  await assert.rejects(load({ url: `mqtts://127.0.0.1:${port}`, topic: 'tls/binding', consumerID: `swirl-tls-bin-no-${process.pid}`, direction: 'input', caCert: pem('ca.pem') }, 'bindings.mqtt3'), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'COMPONENT_UNREACHABLE');
    return true;
  });
});

test('without the client certificate the broker refuses the connection: COMPONENT_UNREACHABLE at load', { skip }, async () => {
  await assert.rejects(load({ url: `mqtts://127.0.0.1:${port}`, consumerID: `swirl-tls-no-${process.pid}`, caCert: pem('ca.pem') }), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'COMPONENT_UNREACHABLE');
    assert.match(err.message, /secure\.yaml(:\d+)?: spec\.metadata\.url: component 'secure': cannot connect to MQTT broker at mqtts:\/\/127\.0\.0\.1:\d+/);
    return true;
  });
});
