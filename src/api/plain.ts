/**
 * @module api/plain
 * The hot routes' own request and answer: what the Dapr start, the Dapr GET and the Swirl GET of
 * one instance (with `?wait=`) read and return, without a web `Request`/`Response`. The socket
 * adapter (api/server.ts) builds a {@link PlainRequest} straight from node:http — no `Headers`,
 * no `ReadableStream`, no `AbortSignal` per request, which were ~0.5 ms of CPU of a workflow
 * started and awaited over HTTP (bench/README.md "Declarative over HTTP") — and `app.fetch` adapts
 * a web `Request` to the same handler ({@link fromWebRequest}), so both paths answer alike.
 */

import type { RequestTarget } from './request-target.js';

/** Path parameters by name. */
export type Params = Record<string, string>;

/** Client hang-up: an AbortSignal, or the socket adapter's lighter listener on the response's `close`. */
export interface HangUp {
  readonly aborted: boolean;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

/** Header lookup by lower-case name: `Headers`, or node:http's `req.headers` (see {@link nodeHeaders}). */
export interface HeaderLookup {
  get(name: string): string | null;
}

/** A request of a hot route. */
export interface PlainRequest {
  readonly method: string;
  /** Path and query: a `URL`, or the socket adapter's {@link RequestTarget} of a simple target. */
  readonly url: RequestTarget;
  readonly headers: HeaderLookup;
  /** The body as text, UTF-8 decoded as `Request.text()` does (a leading BOM dropped); '' when there is none. */
  text(): Promise<string>;
  /** Fires when the client hangs up before its answer (a `?wait=` long poll then ends). */
  readonly hangUp: HangUp;
}

/** A JSON answer: status and the value sent as `application/json`. */
export interface PlainAnswer {
  status: number;
  body: unknown;
}

/** A hot route's handler. */
export type PlainHandler = (req: PlainRequest, params: Params) => Promise<PlainAnswer>;

/** A HangUp that never fires (requests nobody holds open). */
export const NEVER_HUNG_UP: HangUp = { aborted: false, addEventListener: () => undefined, removeEventListener: () => undefined };

/** The same request seen through a web `Request` (app.fetch: tests, the non-socket callers). */
export function fromWebRequest(req: Request, url: URL): PlainRequest {
  return { method: req.method, url, headers: req.headers, text: () => req.text(), hangUp: req.signal };
}

/** The web `Response` of an answer, as `json()` of api/http-error builds it. */
export function toWebResponse(answer: PlainAnswer): Response {
  return new Response(JSON.stringify(answer.body), { status: answer.status, headers: { 'content-type': 'application/json' } });
}

/**
 * node:http's headers as a {@link HeaderLookup}: the values a web `Headers` built from them would
 * give (node has already joined repeated headers, or kept the first where HTTP allows only one).
 */
export function nodeHeaders(headers: Record<string, string | string[] | undefined>): HeaderLookup {
  return {
    get(name: string): string | null {
      const v = headers[name];
      if (v === undefined) return null;
      return Array.isArray(v) ? v.join(', ') : v;
    },
  };
}
