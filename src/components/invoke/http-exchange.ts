/**
 * @module components/invoke/http-exchange
 * One request/response through an undici dispatcher's `dispatch` with a handler that buffers the
 * answer: what `request()` + `body.text()` give (status, headers parsed alike, the body decoded as
 * UTF-8 with a leading BOM dropped), without what `request()` adds per call — a URL parse of the
 * target, an AsyncResource handler, a Readable body stream and its consumer, an abort listener
 * registration (~¼ of the undici CPU of a workflow of `invoke:` calls: bench/README.md
 * "Declarative over HTTP"). Size limits, timeouts and connection handling stay the dispatcher's.
 */
import { errors, util, type Dispatcher } from 'undici';
import type { CallDeadline } from './call-deadline.js';

/** The answer of {@link exchange}. */
export interface Exchanged {
  statusCode: number;
  /** Lower-case names; repeated headers as arrays (undici's `parseHeaders`). */
  headers: Record<string, string | string[] | undefined>;
  /** The body as UTF-8 text. */
  text: string;
}

/** A request target as undici dispatches it. */
interface Target {
  origin: string;
  path: string;
}

/**
 * Targets parsed so far: a service's URLs repeat on every call. Cleared when full, and only URLs
 * up to MAX_CACHED_URL characters are kept (a URL built from workflow data may be large): bounded memory.
 */
const targets = new Map<string, Target>();
const MAX_TARGETS = 1024;
const MAX_CACHED_URL = 2048;

/** `url` split as undici's `request(url)` does (the same errors for a bad URL or protocol). */
function targetOf(url: string): Target {
  const known = targets.get(url);
  if (known !== undefined) return known;
  const u = new URL(url);
  if (!/^https?:/.test(u.origin || u.protocol)) throw new errors.InvalidArgumentError('Invalid URL protocol: the URL must start with `http:` or `https:`.');
  const made = { origin: u.origin, path: u.search ? `${u.pathname}${u.search}` : u.pathname };
  if (url.length > MAX_CACHED_URL) return made;
  if (targets.size >= MAX_TARGETS) targets.clear();
  targets.set(url, made);
  return made;
}

/** UTF-8 text of the chunks, a leading BOM dropped (undici's `body.text()`). */
function decodeText(chunks: Buffer[], length: number): string {
  if (chunks.length === 0 || length === 0) return '';
  const buffer = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, length);
  const start = buffer.length > 2 && buffer[0] === 0xef && buffer[1] === 0xbb && buffer[2] === 0xbf ? 3 : 0;
  return buffer.toString('utf8', start);
}

/** undici's (legacy) dispatch handler, buffering the response; settles once. */
class BufferingHandler {
  private abortRequest: ((reason: unknown) => void) | undefined;
  private statusCode = 0;
  private rawHeaders: Buffer[] = [];
  private readonly chunks: Buffer[] = [];
  private length = 0;

  constructor(
    private readonly resolve: (v: Exchanged) => void,
    private readonly reject: (err: unknown) => void,
    private readonly deadline: CallDeadline,
  ) {
    deadline.addEventListener('abort', this.onAbort);
  }

  private readonly onAbort = (): void => {
    this.abortRequest?.(this.deadline.reason);
  };

  onConnect(abort: (reason: unknown) => void): void {
    if (this.deadline.aborted) return abort(this.deadline.reason);
    this.abortRequest = abort;
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[]): boolean {
    // 1xx answers (100 Continue …) are not the response.
    if (statusCode < 200) return true;
    this.statusCode = statusCode;
    this.rawHeaders = rawHeaders;
    return true;
  }

  onData(chunk: Buffer): boolean {
    this.chunks.push(chunk);
    this.length += chunk.length;
    return true;
  }

  onComplete(): void {
    this.deadline.removeEventListener('abort', this.onAbort);
    let text: string;
    try {
      text = decodeText(this.chunks, this.length);
    } catch (err) {
      return this.reject(err);
    }
    this.resolve({ statusCode: this.statusCode, headers: util.parseHeaders(this.rawHeaders) as Exchanged['headers'], text });
  }

  onError(err: unknown): void {
    this.deadline.removeEventListener('abort', this.onAbort);
    this.reject(err);
  }
}

/** Sends one request through `dispatcher`; rejects with undici's error (or the deadline's reason once it aborts). */
export function exchange(dispatcher: Dispatcher, url: string, request: { method: string; headers: Record<string, string>; body: string | Buffer | undefined }, deadline: CallDeadline): Promise<Exchanged> {
  return new Promise<Exchanged>((resolve, reject) => {
    const { origin, path } = targetOf(url);
    dispatcher.dispatch({ origin, path, method: request.method as Dispatcher.HttpMethod, headers: request.headers, body: request.body }, new BufferingHandler(resolve, reject, deadline) as unknown as Dispatcher.DispatchHandler);
  });
}
