/**
 * TLS of the NATS client (issue 16: TLS options where the component metadata has them): a second
 * nats-server (with JetStream) started by the test on a free port, TLS required and client
 * certificates verified (CA, server and client certificates made with openssl for this run). A
 * `pubsub.nats` component with Dapr's `tls_client_cert`/`tls_client_key` (files) and `caCert`
 * round-trips a message, as it does with the PEM text fields; without the client certificate the
 * server refuses it and the load fails with COMPONENT_UNREACHABLE; a half pair or a missing file
 * fails the load naming the field. Skipped when openssl or nats-server is not installed.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createComponentHost, parseComponentText, type CloudEventJson, type ComponentHost } from '../../src/components/index.js';
import { freePort } from '../host/free-port.js';
import { hasOpenssl, makeTestPki } from './test-pki.js';
import { componentYaml, untilListening, waitFor } from './support.js';

const NATS = ['/usr/sbin/nats-server', '/usr/bin/nats-server', '/usr/local/bin/nats-server'].find((p) => existsSync(p));
const skip = !NATS || !hasOpenssl ? 'skipped: needs nats-server and openssl' : false;
const dir = mkdtempSync(join(tmpdir(), 'swirl-nats-tls-'));
let server: ChildProcess | undefined;
let port = 0;
const hosts: ComponentHost[] = [];

before(async () => {
  if (skip) return;
  makeTestPki(dir);
  mkdirSync(join(dir, 'js'));
  port = await freePort();
  server = spawn(NATS!, ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', join(dir, 'js'), '--tlsverify', '--tlscert', join(dir, 'server.pem'), '--tlskey', join(dir, 'server.key'), '--tlscacert', join(dir, 'ca.pem')], { stdio: 'ignore' });
  await untilListening(port, 'the TLS nats-server');
});

after(async () => {
  await Promise.allSettled(hosts.map((h) => h.close()));
  server?.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

const pem = (file: string) => readFileSync(join(dir, file), 'utf8');

async function load(metadata: Record<string, string>): Promise<ComponentHost> {
  const h = await createComponentHost(parseComponentText(componentYaml('secure', 'pubsub.nats', metadata), join(dir, 'secure.yaml')), { connectTimeoutMs: 5000 });
  hosts.push(h);
  return h;
}

async function roundTrip(h: ComponentHost, topic: string): Promise<void> {
  const got: CloudEventJson[] = [];
  await h.subscribe({ pubsub: 'secure', topic, handler: async (e) => void got.push(e) });
  await h.publish({ pubsub: 'secure', topic, event: { specversion: '1.0', id: `${topic}-1`, source: '/t', type: 't', data: { secure: topic } } });
  await waitFor(() => got.length === 1, 30_000, 'the message over TLS');
  assert.deepEqual(got[0]!.data, { secure: topic });
}

test("pubsub.nats with Dapr's tls_client_cert/tls_client_key files (next to the component file) and caCert round-trips a message", { skip }, async () => {
  // Relative names: not in the working directory, found beside secure.yaml.
  await roundTrip(await load({ natsURL: `nats://127.0.0.1:${port}`, streamName: 'tlsfiles', consumerID: 'c1', caCert: pem('ca.pem'), tls_client_cert: 'client.pem', tls_client_key: 'client.key' }), 'tls.files');
});

test('pubsub.nats with the PEM text fields (clientCert/clientKey, caCert) round-trips a message', { skip }, async () => {
  await roundTrip(await load({ natsURL: `nats://127.0.0.1:${port}`, streamName: 'tlstext', consumerID: 'c2', caCert: pem('ca.pem'), clientCert: pem('client.pem'), clientKey: pem('client.key') }), 'tls.text');
});

test('without the client certificate the server refuses the connection: COMPONENT_UNREACHABLE at load naming natsURL', { skip }, async () => {
  await assert.rejects(load({ natsURL: `nats://127.0.0.1:${port}`, consumerID: 'c3', caCert: pem('ca.pem') }), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'COMPONENT_UNREACHABLE');
    assert.match(err.message, /secure\.yaml(:\d+)?: spec\.metadata\.natsURL: component 'secure': cannot connect to NATS at nats:\/\/127\.0\.0\.1:\d+/);
    return true;
  });
});

test('a half pair, both forms at once or a missing file fail the load naming the field', { skip }, async () => {
  await assert.rejects(load({ natsURL: `nats://127.0.0.1:${port}`, tls_client_cert: 'client.pem' }), /spec\.metadata\.tls_client_key: component 'secure': 'tls_client_cert' and 'tls_client_key' go together: 'tls_client_key' is missing/);
  await assert.rejects(
    load({ natsURL: `nats://127.0.0.1:${port}`, tls_client_cert: 'client.pem', tls_client_key: 'client.key', clientCert: pem('client.pem'), clientKey: pem('client.key') }),
    /spec\.metadata\.tls_client_cert: component 'secure': the client certificate is given twice/,
  );
  await assert.rejects(load({ natsURL: `nats://127.0.0.1:${port}`, tls_client_cert: 'nope.pem', tls_client_key: 'client.key' }), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'COMPONENT_BAD_METADATA');
    assert.match(err.message, /spec\.metadata\.tls_client_cert: component 'secure': no such file 'nope\.pem'/);
    return true;
  });
});
