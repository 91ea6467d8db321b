/**
 * @module api/instance-wait
 * Long-poll completion waits: `GET /api/v1/instances/{id}?wait=30s` and the same `?wait=` on the
 * Dapr `GET /v1.0/workflows/{component}/{id}` answer as soon as the instance is finished (or the
 * wait has passed: then its current state, as a plain GET). The wait listens to the engine's
 * change notifications, not to a store poll; a client that hangs up frees its wait, open waits
 * are capped, and a server that stops answers every open wait at once.
 */
import type { InstanceMetadata } from '../engine/client.js';
import type { WaitSignal } from '../engine/status-wait.js';
import type { PublicClient } from '../host/public-client.js';
import { HttpError } from './http-error.js';
import type { HangUp } from './plain.js';

/** The longest wait one request may ask for. */
export const MAX_WAIT_MS = 60_000;

/**
 * How long an open wait goes without hearing a change before it reads the instance anyway: the
 * safety net for a change no notification reported (commits of this process, and of every node
 * with PostgreSQL, are heard at once).
 */
const RECHECK_MS = 5_000;

/** Waits open at the same time, by default; one more is refused (503) rather than queued. */
export const DEFAULT_MAX_WAITERS = 10_000;

// `h` is read only to say that an hour is over the limit (rather than "not a duration").
const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/;
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;

/**
 * `?wait=` as milliseconds: `30s`, `500ms`, `1m`, or a number of milliseconds (`250`); `0` is a
 * plain GET. Absent: undefined (no wait). Anything else, or more than {@link MAX_WAIT_MS}, is
 * 400 ERR_BAD_WAIT naming the value.
 */
export function parseWait(value: string | null): number | undefined {
  if (value === null) return undefined;
  const shown = value.length > 60 ? `${value.slice(0, 60)}…` : value;
  const m = DURATION.exec(value.trim());
  if (!m) throw new HttpError(400, 'ERR_BAD_WAIT', `wait '${shown}' is not a duration: use milliseconds (500) or a number with ms, s or m (500ms, 30s, 1m)`);
  const ms = Math.ceil(Number(m[1]) * UNIT_MS[(m[2] ?? 'ms') as keyof typeof UNIT_MS]);
  if (ms > MAX_WAIT_MS) throw new HttpError(400, 'ERR_BAD_WAIT', `wait '${shown}' is longer than the limit of ${MAX_WAIT_MS / 1000}s`);
  return ms;
}

/** Engine codes after which the GET answers (the current state, or its 404/400). */
const WAIT_OVER: ReadonlySet<string> = new Set(['WAIT_TIMEOUT', 'INSTANCE_NOT_FOUND', 'INVALID_INSTANCE_ID']);

/** Why a wait ended early (the signal's reason). */
class WaitEnded extends Error {}

/**
 * The client hung up before its answer (nginx's 499, "client closed request"): thrown instead of
 * answering, so that the route reads nothing more — no instance, no state — for an answer nobody
 * receives. The access log shows the status.
 */
export function clientGone(): HttpError {
  return new HttpError(499, 'ERR_CLIENT_CLOSED_REQUEST', 'the client closed the request before its answer');
}

/**
 * Ends one wait early (the client went away, the server is stopping): the engine's wait takes any
 * {@link WaitSignal}, and this one is lighter than an AbortController and its AbortSignal per request.
 */
class WaitCancel implements WaitSignal {
  aborted = false;
  reason: unknown = undefined;
  private listener: (() => void) | undefined;

  abort(reason: WaitEnded): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    const l = this.listener;
    this.listener = undefined;
    l?.();
  }

  /** The engine's wait listens with one listener at a time. */
  addEventListener(_type: 'abort', listener: () => void): void {
    this.listener = listener;
  }

  removeEventListener(_type: 'abort', listener: () => void): void {
    if (this.listener === listener) this.listener = undefined;
  }
}

/** The open waits of one app: the cap, and the switch that answers them all at shutdown. */
export class InstanceWaits {
  private readonly open = new Set<WaitCancel>();
  private closed = false;

  constructor(
    private readonly client: PublicClient,
    private readonly maxWaiters: number = DEFAULT_MAX_WAITERS,
  ) {}

  /** Waits open now. */
  get size(): number {
    return this.open.size;
  }

  /**
   * Waits up to `ms` for `instanceId` to finish. Resolves with the finished instance, or
   * undefined when the wait passed or the server is closing (the caller then reads the current
   * state, or answers 404 for an unknown id as a GET does); 503 ERR_TOO_MANY_WAITERS when the cap
   * is reached; 499 ({@link clientGone}) when the client hung up, before or during the wait.
   */
  async untilFinished(instanceId: string, ms: number, request: HangUp): Promise<InstanceMetadata | undefined> {
    if (request.aborted) throw clientGone();
    if (ms <= 0 || this.closed) return undefined;
    if (this.open.size >= this.maxWaiters) {
      throw new HttpError(503, 'ERR_TOO_MANY_WAITERS', `${this.maxWaiters} waits are open on this server: retry later, or poll without ?wait=`);
    }
    const ac = new WaitCancel();
    const onRequestAbort = (): void => ac.abort(new WaitEnded('the client went away'));
    request.addEventListener('abort', onRequestAbort, { once: true });
    this.open.add(ac);
    try {
      return await this.client.waitForCompletion(instanceId, { timeoutMs: ms, signal: ac, recheckMs: RECHECK_MS });
    } catch (e) {
      if (request.aborted) throw clientGone();
      // An unknown or malformed id is answered by the GET that follows, exactly as without ?wait=.
      if (e instanceof WaitEnded || WAIT_OVER.has(String((e as { code?: unknown }).code))) return undefined;
      throw e;
    } finally {
      this.open.delete(ac);
      request.removeEventListener('abort', onRequestAbort);
    }
  }

  /** Answers every open wait now (with the current state) and every later one at once: the server is stopping. */
  close(): void {
    this.closed = true;
    for (const ac of [...this.open]) ac.abort(new WaitEnded('the server is stopping'));
  }
}
