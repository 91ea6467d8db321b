/**
 * @module test/components/test-pki
 * A throw-away PKI for the broker TLS tests, made with openssl in a test's folder: a CA (`ca.pem`,
 * `ca.key`), a server certificate for 127.0.0.1 and localhost (`server.pem`, `server.key`) and a
 * client certificate for client authentication (`client.pem`, `client.key`), all signed by the CA
 * and valid for a day; optionally more CAs that signed nothing (`<name>.pem`), for wrong-CA cases.
 */

import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Whether openssl is installed (the TLS tests skip without it). */
export const hasOpenssl: boolean = (() => {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/** Writes the CA, server and client certificates into `dir`, and a CA per name of `otherCas`. */
export function makeTestPki(dir: string, otherCas: readonly string[] = []): void {
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  for (const ca of ['ca', ...otherCas]) ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${ca}.key`, '-out', `${ca}.pem`, '-days', '1', '-subj', `/CN=swirl-test-${ca}`);
  for (const who of ['server', 'client']) {
    ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${who}.key`, '-out', `${who}.csr`, '-subj', `/CN=${who === 'server' ? '127.0.0.1' : 'swirl-client'}`);
    // The nats client checks the name localhost even for a 127.0.0.1 URL.
    writeFileSync(join(dir, `${who}.ext`), who === 'server' ? 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' : 'extendedKeyUsage=clientAuth\n');
    ssl('x509', '-req', '-in', `${who}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${who}.pem`, '-days', '1', '-extfile', `${who}.ext`);
  }
}
