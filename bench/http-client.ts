/**
 * @module bench/http-client
 * The load generator's HTTP client: one request/response through the shared undici Agent's
 * `dispatch` with a handler that buffers the answer — what `request()` + `body.text()` give here,
 * without what `request()` adds per call (a URL parse, an AsyncResource, a Readable body stream
 * and its consumer). Real HTTP/1.1 over keep-alive sockets all the same. Every system the
 * benchmarks drive over HTTP (`swirl serve` in bench/serve-http.ts, Restate's ingress in
 * bench/peers/restate.ts) is called through it, so the client's share is the same for each.
 * `useUndiciRequest(true)` switches back to `request()` (bench/declarative-http-pipeline.ts
 * measures both in one run).
 */

import { Agent, request, type Dispatcher } from 'undici';

/** The HTTP client's connection pool for every request of these benchmarks. */
export const dispatcher = new Agent({ connections: 256, keepAliveTimeout: 60_000, pipelining: 1 });

/** A buffered answer. */
export interface Answer {
  statusCode: number;
  text: string;
}

let viaRequest = false;

/** true: send through undici's `request()` (and read `body.text()`) instead of the lean handler. */
export function useUndiciRequest(on: boolean): void {
  viaRequest = on;
}

const origins = new Map<string, { origin: string; path: string }>();

function target(url: string): { origin: string; path: string } {
  let t = origins.get(url);
  if (t === undefined) {
    const u = new URL(url);
    t = { origin: u.origin, path: `${u.pathname}${u.search}` };
    if (origins.size < 4096) origins.set(url, t);
  }
  return t;
}

/** One exchange; `body` is sent as JSON (content-type application/json) when given. */
export async function exchange(url: string, method: 'GET' | 'POST', body?: string): Promise<Answer> {
  const headers = body === undefined ? undefined : { 'content-type': 'application/json' };
  if (viaRequest) {
    const res = await request(url, { method, dispatcher, headers, body });
    return { statusCode: res.statusCode, text: await res.body.text() };
  }
  const { origin, path } = target(url);
  return await new Promise<Answer>((resolve, reject) => {
    let statusCode = 0;
    const chunks: Buffer[] = [];
    const handler = {
      onConnect: () => undefined,
      onHeaders: (status: number) => {
        if (status >= 200) statusCode = status;
        return true;
      },
      onData: (chunk: Buffer) => {
        chunks.push(chunk);
        return true;
      },
      onComplete: () => resolve({ statusCode, text: chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8') }),
      onError: reject,
    };
    dispatcher.dispatch({ origin, path, method, headers, body }, handler as unknown as Dispatcher.DispatchHandler);
  });
}
