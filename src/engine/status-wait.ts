/**
 * @module engine/status-wait
 * Waiting for an instance to reach a status (EngineClient.waitForCompletion, waitForStart):
 * subscribe to its next committed turn before reading the store, read again only when a local
 * commit reports the awaited status or a recheck interval passes without news (a change made by
 * another process), end on the deadline or the caller's abort signal.
 */

import { SwirlError } from '../errors.js';
import type { InstanceRecord, RuntimeStatus } from '../store/types.js';
import type { ClientHost } from './client-host.js';
import { EngineErrorCode } from './error-codes.js';
import { toMetadata, type InstanceMetadata } from './instance-metadata.js';
import { checkInstanceId } from './validation.js';

/**
 * Waits until `done` holds for the instance's status and returns it.
 * @throws SwirlError WAIT_TIMEOUT after `timeoutMs` (wall-clock), INSTANCE_NOT_FOUND; the
 *   signal's reason when `signal` aborts
 */
export async function waitForStatus(
  host: ClientHost,
  instanceId: string,
  timeoutMs: number | undefined,
  done: (s: RuntimeStatus) => boolean,
  what: string,
  signal?: AbortSignal,
  recheckMs: number = host.opts.pollIntervalMs,
): Promise<InstanceMetadata> {
  checkInstanceId(instanceId);
  signal?.throwIfAborted();
  let sub: ReturnType<ClientHost['waitForChange']> | undefined;
  // An abort resolves the pending subscription; the loop then throws the signal's reason.
  const onAbort = (): void => sub?.cancel();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    return await waitLoop(host, instanceId, timeoutMs, done, what, signal, recheckMs, (s) => (sub = s));
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}

async function waitLoop(
  host: ClientHost,
  instanceId: string,
  timeoutMs: number | undefined,
  done: (s: RuntimeStatus) => boolean,
  what: string,
  signal: AbortSignal | undefined,
  recheckMs: number,
  subscribed: (sub: ReturnType<ClientHost['waitForChange']>) => void,
): Promise<InstanceMetadata> {
  const deadline = timeoutMs !== undefined ? Date.now() + timeoutMs : Number.POSITIVE_INFINITY;
  let read = true;
  let last: InstanceRecord | undefined;
  for (;;) {
    const left = deadline - Date.now();
    const sub = host.waitForChange(instanceId, Math.max(0, Math.min(left, recheckMs)));
    subscribed(sub);
    if (read) {
      try {
        last = await host.store().getInstance(instanceId);
      } catch (e) {
        sub.cancel();
        throw e;
      }
      if (!last) {
        sub.cancel();
        throw new SwirlError(EngineErrorCode.INSTANCE_NOT_FOUND, `no instance with id '${instanceId}'`);
      }
      if (done(last.status)) {
        sub.cancel();
        return toMetadata(last);
      }
    }
    if (left <= 0) {
      sub.cancel();
      throw new SwirlError(EngineErrorCode.WAIT_TIMEOUT, `instance '${instanceId}' did not finish waiting ${what} within ${timeoutMs} ms (status ${last?.status})`);
    }
    // A local commit tells us the new status: read the store only when it is the one we wait
    // for, or when the wait timed out (the change may have come from another process).
    const status = await sub.changed;
    signal?.throwIfAborted();
    read = status === undefined || done(status);
  }
}
