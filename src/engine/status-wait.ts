/**
 * @module engine/status-wait
 * Waiting for an instance to reach a status (EngineClient.waitForCompletion, waitForStart):
 * watch its committed statuses for the whole wait (from before the first store read), read
 * again only when a local commit reports the awaited status or a recheck interval passes without
 * news (a change made by another process), end on the deadline or the caller's abort signal.
 */

import { SwirlError } from '../errors.js';
import type { InstanceRecord, RuntimeStatus } from '../store/types.js';
import type { ClientHost } from './client-host.js';
import { EngineErrorCode } from './error-codes.js';
import { toMetadata, type InstanceMetadata } from './instance-metadata.js';
import { checkInstanceId } from './validation.js';

/**
 * What ends a wait early: an AbortSignal, or any object with its `aborted`, `reason` and abort
 * listeners (the HTTP API's waits use a lighter one than an AbortController per request).
 */
export interface WaitSignal {
  readonly aborted: boolean;
  readonly reason: unknown;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

/** Throws the signal's reason once it has aborted (AbortSignal.throwIfAborted, for any {@link WaitSignal}). */
function throwIfAborted(signal: WaitSignal | undefined): void {
  if (signal?.aborted) throw signal.reason;
}

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
  signal?: WaitSignal,
  recheckMs: number = host.opts.pollIntervalMs,
): Promise<InstanceMetadata> {
  checkInstanceId(instanceId);
  throwIfAborted(signal);
  // Changes heard since the last look: `heard` any, `wanted` one we wait for (or the engine stopped),
  // `reached` the record a local commit of a wanted status left (then no read is needed).
  let heard = false;
  let wanted = false;
  let reached: InstanceRecord | undefined;
  // When the last change was heard (Date.now()): a change that spares a read moves the next
  // recheck to one interval after it, never further (a sleep already running is not restarted).
  let heardAt = 0;
  let spared: number | undefined;
  let wake: (() => void) | undefined;
  const unwatch = host.watchChanges(instanceId, (status, record) => {
    heard = true;
    heardAt = Date.now();
    if (status === undefined || done(status)) {
      wanted = true;
      if (status !== undefined && reached === undefined) reached = record?.();
      wake?.();
    }
    // Any other change only spares the next recheck's read (the waiter sleeps on): waking for it
    // cost a new timer and promise per turn of the instance (4 per 3-step chain).
  });
  const onAbort = (): void => wake?.();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const deadline = timeoutMs !== undefined ? Date.now() + timeoutMs : Number.POSITIVE_INFINITY;
    let read = true;
    let last: InstanceRecord | undefined;
    for (;;) {
      const left = deadline - Date.now();
      if (read) {
        last = await host.store().getInstance(instanceId);
        if (!last) throw new SwirlError(EngineErrorCode.INSTANCE_NOT_FOUND, `no instance with id '${instanceId}'`);
        if (done(last.status)) return toMetadata(last);
      }
      if (left <= 0) {
        throw new SwirlError(EngineErrorCode.WAIT_TIMEOUT, `instance '${instanceId}' did not finish waiting ${what} within ${timeoutMs} ms (status ${last?.status})`);
      }
      throwIfAborted(signal);
      if (!heard) {
        // One recheck interval after the last news: a change heard during the previous sleep
        // spared that sleep's read, so this one ends an interval after the change, not after it.
        const interval = spared === undefined ? recheckMs : spared + recheckMs - Date.now();
        spared = undefined;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, Math.max(0, Math.min(left, interval)));
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        wake = undefined;
      }
      throwIfAborted(signal);
      // A local commit of the status we wait for hands over the record it left (durable: it is
      // reported after its commit): that is what a read would return now, so it is the answer.
      if (reached !== undefined && done(reached.status)) return toMetadata(reached);
      // A local commit tells us the new status: read the store only when it is the one we wait
      // for, or when nothing was heard (the change may have come from another process).
      read = !heard || wanted;
      if (heard && !wanted) spared = heardAt;
      heard = wanted = false;
    }
  } finally {
    unwatch();
    signal?.removeEventListener('abort', onAbort);
  }
}
