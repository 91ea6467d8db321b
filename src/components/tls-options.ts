/**
 * @module components/tls-options
 * Dapr's TLS metadata of broker clients — `caCert`, `clientCert`, `clientKey` (PEM text, usually
 * through a secretKeyRef) and `skipVerify` — read once into the options Node's TLS sockets take
 * (amqplib's socket options, mqtt.js's connect options). A certificate without its key (or the
 * reverse) is a COMPONENT_BAD_METADATA error at load, not a handshake failure later.
 */
import type { ComponentMetadata } from './metadata.js';

/** TLS settings for a client socket; empty when the component has none. */
export interface ClientTls {
  ca?: string;
  cert?: string;
  key?: string;
  rejectUnauthorized?: boolean;
}

const PEM = /-----BEGIN [A-Z0-9 ]+-----/;

/** Reads the TLS metadata; throws naming the field when a value is not PEM or a pair is incomplete. */
export function readClientTls(md: ComponentMetadata): ClientTls {
  const tls: ClientTls = {};
  for (const [field, key] of [['caCert', 'ca'], ['clientCert', 'cert'], ['clientKey', 'key']] as const) {
    const v = md.string(field);
    if (v === undefined) continue;
    if (!PEM.test(v)) throw md.error(field, `expected PEM text (-----BEGIN …-----), found ${v.length} characters without a PEM header`);
    tls[key] = v;
  }
  if ((tls.cert === undefined) !== (tls.key === undefined)) {
    const missing = tls.cert === undefined ? 'clientCert' : 'clientKey';
    throw md.error(missing, `'clientCert' and 'clientKey' go together: '${missing}' is missing`);
  }
  if (md.bool('skipVerify', false)) tls.rejectUnauthorized = false;
  return tls;
}

/** True when any TLS setting is present. */
export function hasTls(tls: ClientTls): boolean {
  return Object.keys(tls).length > 0;
}
