/**
 * TLS of the Redis clients (issue 16: TLS options where the component metadata has them): a second
 * redis-server started by the test on a free port with only a TLS listener that requires client
 * certificates (CA, server and client certificates made with openssl for this run). A
 * `pubsub.redis` component with `enableTLS`, Dapr's `clientCert`/`clientKey` and Swirl's `caCert`
 * round-trips a message, as does `bindings.redis`; without the client certificate the server
 * refuses the handshake and the load fails with COMPONENT_UNREACHABLE; TLS settings without
 * `enableTLS` fail the load naming it. Skipped when openssl or redis-server is not installed.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createComponentHost, parseComponentText, type CloudEventJson, type ComponentHost } from '../../src/components/index.js';
import { freePort } from '../host/free-port.js';
import { hasOpenssl, makeTestPki } from './test-pki.js';
import { componentYaml, untilListening, waitFor } from './support.js';

const REDIS = ['/usr/bin/redis-server', '/usr/sbin/redis-server', '/usr/local/bin/redis-server'].find((p) => existsSync(p));
const skip = !REDIS || !hasOpenssl ? 'skipped: needs redis-server and openssl' : false;
const dir = mkdtempSync(join(tmpdir(), 'swirl-redis-tls-'));
let server: ChildProcess | undefined;
let port = 0;
const hosts: ComponentHost[] = [];

before(async () => {
  if (skip) return;
  makeTestPki(dir);
  port = await freePort();
  // Only a TLS listener (port 0 turns the plain one off), client certificates required, nothing persisted.
  server = spawn(
    REDIS!,
    ['--port', '0', '--tls-port', String(port), '--bind', '127.0.0.1', '--tls-cert-file', join(dir, 'server.pem'), '--tls-key-file', join(dir, 'server.key'), '--tls-ca-cert-file', join(dir, 'ca.pem'), '--tls-auth-clients', 'yes', '--save', '', '--appendonly', 'no', '--dir', dir],
    { stdio: 'ignore' },
  );
  await untilListening(port, 'the TLS redis-server');
});

after(async () => {
  await Promise.allSettled(hosts.map((h) => h.close()));
  server?.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

const pem = (file: string) => readFileSync(join(dir, file), 'utf8');

async function load(type: string, metadata: Record<string, string>): Promise<ComponentHost> {
  const h = await createComponentHost(parseComponentText(componentYaml('secure', type, metadata), join(dir, 'secure.yaml')), { connectTimeoutMs: 5000 });
  hosts.push(h);
  return h;
}

test('pubsub.redis with enableTLS, caCert, clientCert and clientKey round-trips a message', { skip }, async () => {
  const h = await load('pubsub.redis', { redisHost: `127.0.0.1:${port}`, enableTLS: 'true', consumerID: `swirl-tls-${process.pid}`, caCert: pem('ca.pem'), clientCert: pem('client.pem'), clientKey: pem('client.key') });
  const got: CloudEventJson[] = [];
  await h.subscribe({ pubsub: 'secure', topic: 'tls-t', handler: async (e) => void got.push(e) });
  await h.publish({ pubsub: 'secure', topic: 'tls-t', event: { specversion: '1.0', id: 'tls-1', source: '/t', type: 't', data: { secure: true } } });
  await waitFor(() => got.length === 1, 30_000, 'the message over TLS');
  assert.deepEqual(got[0]!.data, { secure: true });
});

test('bindings.redis over TLS: a value set is read back', { skip }, async () => {
  const h = await load('bindings.redis', { redisHost: `127.0.0.1:${port}`, enableTLS: 'true', caCert: pem('ca.pem'), clientCert: pem('client.pem'), clientKey: pem('client.key') });
  await h.invokeBinding({ name: 'secure', operation: 'create', data: { n: 1 }, metadata: { key: 'tls-key' } });
  const read = await h.invokeBinding({ name: 'secure', operation: 'get', metadata: { key: 'tls-key' } });
  assert.deepEqual(read.data, { n: 1 });
});

test('without the client certificate the server refuses the handshake: COMPONENT_UNREACHABLE at load naming redisHost', { skip }, async () => {
  await assert.rejects(load('pubsub.redis', { redisHost: `127.0.0.1:${port}`, enableTLS: 'true', consumerID: 'c', caCert: pem('ca.pem') }), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'COMPONENT_UNREACHABLE');
    assert.match(err.message, /secure\.yaml(:\d+)?: spec\.metadata\.redisHost: component 'secure': cannot connect to Redis at 127\.0\.0\.1:\d+/);
    return true;
  });
});

test('a CA that did not sign the server certificate: COMPONENT_UNREACHABLE with the TLS reason', { skip }, async () => {
  // The client certificate as the CA: it did not sign the server's certificate.
  await assert.rejects(load('pubsub.redis', { redisHost: `127.0.0.1:${port}`, enableTLS: 'true', consumerID: 'c', caCert: pem('client.pem'), clientCert: pem('client.pem'), clientKey: pem('client.key') }), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'COMPONENT_UNREACHABLE');
    assert.match(err.message, /certificate/i);
    return true;
  });
});

test('TLS settings without enableTLS, or a certificate without its key, fail the load naming the field', { skip }, async () => {
  await assert.rejects(load('pubsub.redis', { redisHost: '127.0.0.1:6379', consumerID: 'c', clientCert: pem('client.pem'), clientKey: pem('client.key') }), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'COMPONENT_BAD_METADATA');
    assert.match(err.message, /spec\.metadata\.enableTLS: component 'secure': TLS settings \(clientCert, clientKey\) need enableTLS: "true"/);
    return true;
  });
  await assert.rejects(load('bindings.redis', { redisHost: '127.0.0.1:6379', enableTLS: 'true', clientCert: pem('client.pem') }), /spec\.metadata\.clientKey: component 'secure': 'clientCert' and 'clientKey' go together: 'clientKey' is missing/);
});
