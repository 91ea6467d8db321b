/**
 * Issue 18 "Transport security", against a real `swirl serve` process with certificates this test
 * makes with openssl: HTTPS with the right CA, mutual TLS (no client certificate and one from a
 * wrong CA rejected), an expired server certificate rejected by a verifying client, TLS on the
 * gRPC port (mutual too), and a replaced certificate served after SIGHUP on both listeners (told
 * apart by its serial number).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type PeerCertificate } from 'node:tls';
import { Agent, request } from 'undici';
import { freePort } from './free-port.js';
import { startServe, type Server } from './serve-child.js';

const hasOpenssl = spawnSync('openssl', ['version']).status === 0;
const started: ChildProcess[] = [];
let dir: string;

/** Runs openssl in the certificate folder. */
const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: join(dir, 'pki'), stdio: 'pipe' });

/** A CA: `<name>.key`, `<name>.pem`. */
function makeCa(name: string): void {
  openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.pem`, '-days', '2', '-subj', `/CN=${name}`);
}

/** A certificate signed by `ca` with `serial`, valid for `days` (negative: already expired), for 127.0.0.1. */
function makeCert(name: string, ca: string, serial: string, days: number, usage: 'serverAuth' | 'clientAuth'): void {
  openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
  writeFileSync(join(dir, 'pki', `${name}.ext`), `subjectAltName=IP:127.0.0.1\nextendedKeyUsage=${usage}\n`);
  openssl('x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`, '-set_serial', serial, '-days', String(days), '-extfile', `${name}.ext`, '-out', `${name}.pem`);
}

const pem = (name: string) => readFileSync(join(dir, 'pki', `${name}.pem`));
const key = (name: string) => readFileSync(join(dir, 'pki', `${name}.key`));
const file = (name: string) => join(dir, 'pki', name);

/** GET /v1.0/metadata over HTTPS with undici, verifying the server against `ca`, optionally with a client certificate. */
async function get(base: string, ca: Buffer, client?: string): Promise<number> {
  const agent = new Agent({ connect: { ca, ...(client ? { cert: pem(client), key: key(client) } : {}) } });
  try {
    const res = await request(`${base}/v1.0/metadata`, { dispatcher: agent });
    await res.body.text();
    return res.statusCode;
  } finally {
    await agent.close();
  }
}

/** The serial number of the certificate a TLS handshake with `port` presents. */
function servedSerial(port: number, ca: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = connect({ host: '127.0.0.1', port, ca, servername: undefined, ALPNProtocols: ['h2', 'http/1.1'] }, () => {
      const cert: PeerCertificate = sock.getPeerCertificate();
      sock.end();
      resolve(cert.serialNumber.toUpperCase());
    });
    sock.on('error', reject);
  });
}

/**
 * The error code a TLS client gets from `port` when it sends a request (TLS 1.3 delivers a
 * server's certificate alert after the client's handshake completes, on the first read).
 */
function tlsFailure(port: number, ca: Buffer, client?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = connect({ host: '127.0.0.1', port, ca, ...(client ? { cert: pem(client), key: key(client) } : {}) }, () => sock.write('GET /v1.0/metadata HTTP/1.1\r\nHost: x\r\n\r\n'));
    sock.on('data', (d: Buffer) => reject(new Error(`the server answered: ${d.toString().split('\r\n')[0]}`)));
    sock.on('error', (err: Error & { code?: string }) => resolve(err.code ?? err.message));
    sock.on('close', () => resolve('closed without an alert'));
  });
}

async function stop(s: Server): Promise<void> {
  s.proc.kill('SIGTERM');
  assert.equal(await s.exited, 0, s.stderr());
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'swirl-tls-'));
  mkdirSync(join(dir, 'workflows'));
  mkdirSync(join(dir, 'pki'));
  if (!hasOpenssl) return;
  makeCa('ca');
  makeCa('other-ca');
  makeCert('server1', 'ca', '0x1001', 2, 'serverAuth');
  makeCert('server2', 'ca', '0x2002', 2, 'serverAuth');
  makeCert('expired', 'ca', '0x3003', -1, 'serverAuth');
  makeCert('client', 'ca', '0x4004', 2, 'clientAuth');
  makeCert('stranger', 'other-ca', '0x5005', 2, 'clientAuth');
});
after(() => {
  for (const p of started) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('TLS', { skip: hasOpenssl ? false : 'skipped: openssl is not installed (the test makes its certificates with it)' }, () => {
  test('--tls-cert/--tls-key serve HTTPS (and TLS on the gRPC port) that a client trusting the CA accepts; an untrusting client refuses it', async () => {
    const grpcPort = await freePort();
    const s = await startServe(dir, started, ['--tls-cert', file('server1.pem'), '--tls-key', file('server1.key'), '--grpc-port', String(grpcPort)]);
    assert.match(s.base, /^https:\/\/127\.0\.0\.1:\d+$/);
    assert.match(s.stdout(), new RegExp(`gRPC \\(Durable Task sidecar\\) listening on 127\\.0\\.0\\.1:${grpcPort} \\(TLS\\)`));
    assert.equal(await get(s.base, pem('ca')), 200);
    await assert.rejects(get(s.base, pem('other-ca')), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE');
      return true;
    });
    // The gRPC port speaks TLS with the same certificate.
    assert.equal(await servedSerial(grpcPort, pem('ca')), '1001');
    await stop(s);
  });

  test('--tls-client-ca requires a client certificate signed by that CA: none and a wrong CA are rejected', async () => {
    const grpcPort = await freePort();
    const s = await startServe(dir, started, ['--tls-cert', file('server1.pem'), '--tls-key', file('server1.key'), '--tls-client-ca', file('ca.pem'), '--grpc-port', String(grpcPort)]);
    assert.match(s.stdout(), /client certificates required/);
    // The gRPC port requires them too.
    assert.equal(await tlsFailure(grpcPort, pem('ca')), 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED');
    assert.equal(await get(s.base, pem('ca'), 'client'), 200);
    // Without a certificate, or with one from another CA, the server ends the handshake with a TLS alert.
    const port = Number(new URL(s.base).port);
    assert.equal(await tlsFailure(port, pem('ca')), 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED');
    // Node checks a presented certificate after OpenSSL's handshake and drops the connection (no alert):
    // what matters is that no request gets an answer.
    assert.match(await tlsFailure(port, pem('ca'), 'stranger'), /^(ERR_SSL_TLSV1_ALERT_UNKNOWN_CA|ECONNRESET|closed without an alert)$/);
    await assert.rejects(get(s.base, pem('ca'), 'stranger'), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'UND_ERR_SOCKET');
      return true;
    });
    // The server is unharmed: the right client still gets in.
    assert.equal(await get(s.base, pem('ca'), 'client'), 200);
    await stop(s);
  });

  test('an expired server certificate is rejected by a verifying client', async () => {
    const s = await startServe(dir, started, ['--tls-cert', file('expired.pem'), '--tls-key', file('expired.key')]);
    await assert.rejects(get(s.base, pem('ca')), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'CERT_HAS_EXPIRED');
      return true;
    });
    await stop(s);
  });

  test('after replacing the certificate files and SIGHUP the new certificate is served; a bad replacement keeps the old one', async () => {
    copyFileSync(file('server1.pem'), file('live.pem'));
    copyFileSync(file('server1.key'), file('live.key'));
    const grpcPort = await freePort();
    const s = await startServe(dir, started, ['--tls-cert', file('live.pem'), '--tls-key', file('live.key'), '--grpc-port', String(grpcPort)]);
    const port = Number(new URL(s.base).port);
    assert.equal(await servedSerial(port, pem('ca')), '1001');
    assert.equal(await servedSerial(grpcPort, pem('ca')), '1001');

    // A key that does not match the certificate: refused, the old pair is still served.
    copyFileSync(file('server2.pem'), file('live.pem'));
    s.proc.kill('SIGHUP');
    await until(() => /SIGHUP: the TLS certificate was not reloaded/.test(s.stderr()));
    assert.equal(await servedSerial(port, pem('ca')), '1001');
    assert.equal(await servedSerial(grpcPort, pem('ca')), '1001');

    copyFileSync(file('server2.key'), file('live.key'));
    s.proc.kill('SIGHUP');
    await until(() => /SIGHUP: reloaded the TLS certificate from .*live\.pem/.test(s.stdout()));
    assert.equal(await servedSerial(port, pem('ca')), '2002');
    assert.equal(await servedSerial(grpcPort, pem('ca')), '2002');
    assert.equal(await get(s.base, pem('ca')), 200);
    await stop(s);
  });

  test('half a TLS configuration is a usage error (exit 2)', async () => {
    for (const [args, message] of [
      [['--tls-cert', file('server1.pem')], /--tls-cert and --tls-key go together/],
      [['--tls-client-ca', file('ca.pem')], /--tls-client-ca needs --tls-cert and --tls-key/],
      [['--tls-cert', file('absent.pem'), '--tls-key', file('server1.key')], /cannot read --tls-cert '.*absent\.pem': no such file/],
    ] as const) {
      await assert.rejects(startServe(dir, started, [...args]), (err: Error) => {
        assert.match(err.message, /exited with 2 before listening/);
        assert.match(err.message, message);
        return true;
      });
    }
  });
});

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) assert.fail('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}
