/**
 * @module components/bindings/redis
 * `bindings.redis` output binding (Dapr semantics). Operations, all keyed by request metadata `key`:
 * `create` (SET; `ttlInSeconds` sets an expiry), `get` (the stored value, JSON-decoded when it is
 * JSON; null when the key does not exist), `delete` (succeeds whether or not the key exists) and
 * `increment` (INCR, the new value in `data`).
 */
import type { Redis } from 'ioredis';
import { networkError, requestError } from '../failures.js';
import type { ComponentMetadata } from '../metadata.js';
import { decodePayload, encodePayload } from '../payload.js';
import { connectRedis } from '../redis-connection.js';
import type { OutputBinding } from '../types.js';
import { SwirlError } from '../../errors.js';

const OPERATIONS = ['create', 'get', 'delete', 'increment'] as const;

/** Connects and returns the binding. */
export async function createRedisBinding(md: ComponentMetadata, opts: { connectTimeoutMs: number }): Promise<OutputBinding> {
  const client: Redis = await connectRedis(md, opts.connectTimeoutMs);
  const name = md.manifest.name;
  return {
    operations: OPERATIONS,
    async invoke(call) {
      const key = call.metadata.key;
      if (!key) throw requestError('ERR_INVOKE_OUTPUT_BINDING', `bindings.redis '${name}': request metadata 'key' is required`);
      const ttl = call.metadata.ttlInSeconds;
      if (ttl !== undefined && !/^\d+$/.test(ttl)) throw requestError('ERR_INVOKE_OUTPUT_BINDING', `bindings.redis '${name}': ttlInSeconds must be a non-negative integer, found '${ttl}'`);
      try {
        switch (call.operation) {
          case 'create': {
            const value = encodePayload(call.data);
            if (ttl !== undefined && Number(ttl) > 0) await client.set(key, value, 'EX', Number(ttl));
            else await client.set(key, value);
            return { data: null, metadata: {} };
          }
          case 'get': {
            const raw = await client.getBuffer(key);
            return { data: decodePayload(raw), metadata: {} };
          }
          case 'delete':
            await client.del(key);
            return { data: null, metadata: {} };
          case 'increment': {
            const n = await client.incr(key);
            if (ttl !== undefined && Number(ttl) > 0) await client.expire(key, Number(ttl));
            return { data: n, metadata: {} };
          }
          default:
            throw requestError('ERR_INVOKE_OUTPUT_BINDING', `bindings.redis '${name}' has no operation '${call.operation}' (supported: ${OPERATIONS.join(', ')})`);
        }
      } catch (err) {
        if (err instanceof SwirlError) throw err;
        // Redis refused the command (INCR on a non-number…): the request is wrong, not the network.
        if (err instanceof Error && err.name === 'ReplyError') throw requestError('ERR_INVOKE_OUTPUT_BINDING', `binding ${name}/${call.operation}: ${err.message}`);
        throw networkError(`binding ${name}/${call.operation}`, err);
      }
    },
    async close() {
      client.disconnect();
    },
  };
}
