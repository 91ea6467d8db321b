/**
 * @module grpc/tls
 * TLS credentials of the gRPC listener that can be replaced while it runs (SIGHUP, like the HTTP
 * listener: specs/security.md "Transport security"). grpc-js binds `createSsl` credentials once;
 * its certificate-provider credentials take updates from a provider, which this module is: one
 * object that serves both the identity (certificate + key) and, for mutual TLS, the client CA.
 */
import { createSecureContext } from 'node:tls';
import { experimental, ServerCredentials } from '@grpc/grpc-js';

/** PEM material of the gRPC listener. */
export interface GrpcTlsMaterial {
  cert: Buffer;
  key: Buffer;
  /** Clients must present a certificate signed by this CA (mutual TLS). */
  clientCa?: Buffer;
}

type CaListener = experimental.CaCertificateUpdateListener;
type IdentityListener = experimental.IdentityCertificateUpdateListener;

/** A certificate provider whose material {@link ReloadableTls.update} replaces. */
export class ReloadableTls implements experimental.CertificateProvider {
  private readonly caListeners = new Set<CaListener>();
  private readonly identityListeners = new Set<IdentityListener>();
  /** Whether client certificates are required: fixed at start, as on the HTTP listener. */
  readonly mutual: boolean;

  constructor(private material: GrpcTlsMaterial) {
    this.mutual = material.clientCa !== undefined;
    check(material);
  }

  /** The credentials to bind the server with. */
  credentials(): ServerCredentials {
    // grpc-js 1.14 passes its first argument on as the identity provider and the second as the CA
    // provider (the .d.ts names them the other way round): one object serving both is either.
    return experimental.createCertificateProviderServerCredentials(this, this.mutual ? this : null, this.mutual);
  }

  /** Serves `material` to new connections; throws (keeping the current one) when it does not load. */
  update(material: GrpcTlsMaterial): void {
    check(material);
    this.material = material;
    for (const l of this.identityListeners) l({ certificate: material.cert, privateKey: material.key });
    if (material.clientCa !== undefined) for (const l of this.caListeners) l({ caCertificate: material.clientCa });
  }

  addCaCertificateListener(listener: CaListener): void {
    this.caListeners.add(listener);
    // Later, not now: grpc-js adds its watcher after it adds the listeners, and an update before the
    // watcher exists would be lost (every connection then dropped as "credentials not loaded").
    queueMicrotask(() => {
      if (this.caListeners.has(listener) && this.material.clientCa !== undefined) listener({ caCertificate: this.material.clientCa });
    });
  }

  removeCaCertificateListener(listener: CaListener): void {
    this.caListeners.delete(listener);
  }

  addIdentityCertificateListener(listener: IdentityListener): void {
    this.identityListeners.add(listener);
    queueMicrotask(() => {
      if (this.identityListeners.has(listener)) listener({ certificate: this.material.cert, privateKey: this.material.key });
    });
  }

  removeIdentityCertificateListener(listener: IdentityListener): void {
    this.identityListeners.delete(listener);
  }
}

/** Throws when the key does not match the certificate (or either is not PEM), as Node's TLS would. */
function check(material: GrpcTlsMaterial): void {
  createSecureContext({ cert: material.cert, key: material.key, ...(material.clientCa !== undefined ? { ca: material.clientCa } : {}) });
}
