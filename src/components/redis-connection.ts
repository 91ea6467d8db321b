/**
 * @module components/redis-connection
 * Opens an ioredis client from Dapr's Redis metadata (`redisHost`, `redisPassword`,
 * `redisUsername`, `redisDB`, `enableTLS`, `clientCert`/`clientKey`, `redisMaxRetries`,
 * `dialTimeout`; Swirl's `caCert`/`skipVerify` besides) shared by `bindings.redis` and
 * `pubsub.redis`. The first connection must succeed (an unreachable Redis is a start-up error
 * naming `redisHost`); after that the client reconnects on its own.
 */
import { Redis } from 'ioredis';
import { ComponentErrorCode, describeCause } from './failures.js';
import type { ComponentMetadata } from './metadata.js';
import { hasTls, readClientTls, type ClientTls } from './tls-options.js';

/**
 * The TLS options: `enableTLS` turns TLS on (system CAs), Dapr's `clientCert`/`clientKey` add a
 * client certificate, `caCert`/`skipVerify` (Swirl's, as for RabbitMQ and MQTT) the CA to trust.
 * TLS settings without `enableTLS: "true"` are an error naming `enableTLS` (Dapr requires it).
 */
function redisTls(md: ComponentMetadata): ClientTls | undefined {
  const tls = readClientTls(md);
  if (md.bool('enableTLS', false)) return tls;
  if (hasTls(tls)) throw md.error('enableTLS', `TLS settings (${Object.keys(tls).map((k) => TLS_FIELDS[k as keyof ClientTls]).join(', ')}) need enableTLS: "true"`);
  return undefined;
}

const TLS_FIELDS: Record<keyof ClientTls, string> = { ca: 'caCert', cert: 'clientCert', key: 'clientKey', rejectUnauthorized: 'skipVerify' };

/** Connects and pings; throws a COMPONENT_UNREACHABLE error pointing at `redisHost` on failure. */
export async function connectRedis(md: ComponentMetadata, connectTimeoutMs: number): Promise<Redis> {
  const hostPort = md.required('redisHost');
  const m = /^(?:redis:\/\/)?\[?([^\]]*?)\]?(?::(\d+))?$/.exec(hostPort.trim());
  if (!m || m[1] === '') throw md.error('redisHost', `expected 'host:port', found '${hostPort}'`);
  const maxRetries = md.int('redisMaxRetries', 3);
  const tls = redisTls(md);
  let started = false;
  const client = new Redis({
    host: m[1],
    port: m[2] ? Number(m[2]) : 6379,
    username: md.string('redisUsername'),
    password: md.string('redisPassword'),
    db: md.int('redisDB', 0),
    tls,
    connectTimeout: md.durationMs('dialTimeout', connectTimeoutMs),
    // Named so operators (and tests) can tell Swirl's connections apart in CLIENT LIST.
    connectionName: `swirl-${md.manifest.name}`,
    lazyConnect: true,
    maxRetriesPerRequest: maxRetries,
    // Before the first successful connection: give up at once (start-up error). After: back off up to 2 s.
    retryStrategy: (times) => (started ? Math.min(times * 100, 2000) : null),
  });
  // Unhandled 'error' events would crash the process; failures surface through commands instead.
  // The last one explains a failed first connect better than ioredis' "Connection is closed".
  let lastError: unknown;
  client.on('error', (err) => (lastError = err));
  try {
    await client.connect();
    await client.ping();
  } catch (err) {
    client.disconnect();
    const cause = lastError ?? err;
    throw md.error('redisHost', `cannot connect to Redis at ${hostPort}: ${describeCause(cause)}`, ComponentErrorCode.Unreachable, cause);
  }
  started = true;
  return client;
}
