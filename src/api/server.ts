/**
 * @module api/server
 * The node:http (or node:https) adapter of the fetch app: converts requests and responses, tracks
 * open connections, and closes gracefully (stop accepting, let requests in flight finish, then
 * close idle keep-alive sockets). The app's preflight (the API token) is answered before the body
 * is read. The hot routes (`app.plain`: Dapr start and get, Swirl get instance) are answered
 * straight from node:http — no web Request, Headers, ReadableStream or AbortSignal per request
 * (api/plain.ts); every other route goes through `app.fetch`. With TLS material it serves HTTPS,
 * with a client CA it requires client certificates signed by it (mutual TLS), and
 * {@link RunningServer.reloadTls} swaps the certificate for new connections (specs/security.md
 * "Transport security").
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { App } from './app.js';
import { NEVER_HUNG_UP, nodeHeaders, type HangUp, type PlainAnswer } from './plain.js';
import { simpleTarget, type RequestTarget } from './request-target.js';

/** PEM material of an HTTPS listener. */
export interface TlsMaterial {
  /** The server's certificate chain (PEM). */
  cert: string | Buffer;
  /** Its private key (PEM). */
  key: string | Buffer;
  /** When set, clients must present a certificate signed by one of these CAs (PEM): mutual TLS. */
  clientCa?: string | Buffer;
}

/** A listening server. */
export interface RunningServer {
  /** The bound port (useful with port 0). */
  port: number;
  /** `http` or `https`. */
  scheme: 'http' | 'https';
  /** Stops accepting connections and resolves when requests in flight have been answered. */
  close(): Promise<void>;
  /**
   * Serves new TLS connections with this material (a renewed certificate); connections already
   * open keep theirs. Throws when the material is unusable (the old one stays) or TLS is off.
   */
  reloadTls(material: TlsMaterial): void;
}

/** Largest request body accepted (the engine's payload limit applies after decoding). */
export const MAX_BODY_BYTES = 16 * 1024 * 1024;

class BodyTooLarge extends Error {}

/** A request the client got wrong before any route sees it (bad Host header, bad request target). */
class BadRequestLine extends Error {
  constructor(
    readonly errorCode: string,
    message: string,
  ) {
    super(message);
  }
}

/** host[:port]: a name, an IPv4 or a bracketed IPv6 address. */
const HOST_HEADER = /^(?:[A-Za-z0-9._~-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/** The origin of a request from its Host header, or a BadRequestLine. */
function originOf(host: string, scheme: 'http' | 'https'): string {
  try {
    if (!HOST_HEADER.test(host)) throw new Error('not host[:port]');
    return new URL(`${scheme}://${host}`).origin;
  } catch {
    throw new BadRequestLine('ERR_BAD_HOST', `the Host header ${JSON.stringify(host.slice(0, 100))} is not a valid host[:port]`);
  }
}

/**
 * The request URL from its origin and the request target, or a BadRequestLine. The target is
 * appended to the origin as text, never resolved against it: `//x` is a path here, not a
 * protocol-relative URL naming host `x` (specs/http-api.openapi.yaml "Client mistakes").
 */
function requestUrl(origin: string, target: string): URL {
  try {
    return new URL(target.startsWith('/') ? origin + target : target);
  } catch {
    throw new BadRequestLine('ERR_MALFORMED_REQUEST', `the request target ${JSON.stringify(target.slice(0, 100))} is not a path`);
  }
}

function headersOf(req: IncomingMessage): Headers {
  const headers = new Headers();
  for (const [k, v] of Object.entries(req.headers)) {
    if (v === undefined) continue;
    if (Array.isArray(v)) for (const x of v) headers.append(k, x);
    else headers.set(k, v);
  }
  return headers;
}

/**
 * The body of a request that may have one (not GET or HEAD), at most {@link MAX_BODY_BYTES}; a
 * larger one is refused (413, the connection closed after the answer) and the rest of it not
 * kept. Read with 'data'/'end' listeners: a stream's async iterator (its promises, `finished`
 * watcher and 'readable' handling) was measurable CPU per start at load.
 */
function readBody(req: IncomingMessage, method: string): Promise<Buffer | undefined> {
  if (method === 'GET' || method === 'HEAD') return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (c: Buffer) => {
      if (over) return;
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        over = true;
        reject(new BodyTooLarge(`the request body is larger than ${MAX_BODY_BYTES} bytes`));
        return;
      }
      chunks.push(c);
    });
    req.once('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size)));
    req.once('error', reject);
  });
}

async function send(res: ServerResponse, response: Response, closing = false): Promise<void> {
  const headers: Record<string, string> = {};
  response.headers.forEach((v, k) => (headers[k] = v));
  // A stopping server ends each connection with its answer (else keep-alive would hold close()).
  if (closing) headers.connection = 'close';
  const body = Buffer.from(await response.arrayBuffer());
  res.writeHead(response.status, { ...headers, 'content-length': String(body.length) });
  res.end(body);
}

/** A hot route's answer, with the headers {@link send} writes for the same JSON `Response`. */
function sendPlain(res: ServerResponse, answer: PlainAnswer, closing: boolean): void {
  // A string body: node:http joins it to the header block and writes both with one socket write
  // (a Buffer body goes out as a second chunk of a writev).
  const body = JSON.stringify(answer.body);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (closing) headers.connection = 'close';
  headers['content-length'] = String(Buffer.byteLength(body));
  res.writeHead(answer.status, headers);
  res.end(body);
}

/** UTF-8 as `Request.text()` decodes it (a leading BOM dropped, bad bytes replaced). */
const UTF8 = new TextDecoder();

/** The client hung up before its answer: the response closed unfinished (one listener, no AbortSignal). */
class ResponseHangUp implements HangUp {
  aborted = false;
  private readonly listeners = new Set<() => void>();

  constructor(res: ServerResponse) {
    res.once('close', () => {
      if (res.writableFinished) return;
      this.aborted = true;
      for (const l of [...this.listeners]) l();
      this.listeners.clear();
    });
  }

  addEventListener(_type: 'abort', listener: () => void): void {
    this.listeners.add(listener);
  }

  removeEventListener(_type: 'abort', listener: () => void): void {
    this.listeners.delete(listener);
  }
}

/** Node's TLS options for the material. */
function tlsOptions(material: TlsMaterial) {
  return {
    cert: material.cert,
    key: material.key,
    ...(material.clientCa !== undefined ? { ca: material.clientCa, requestCert: true, rejectUnauthorized: true } : {}),
  };
}

/**
 * Serves the app on `port` (0: any free port) and `host` (default 127.0.0.1: loopback only), over
 * HTTPS when `tls` is given.
 */
export function startServer(app: App, options: { port: number; host?: string; tls?: TlsMaterial }): Promise<RunningServer> {
  const scheme = options.tls ? 'https' : 'http';
  let closing = false;
  const fail = (res: ServerResponse, err: unknown): void => {
    const tooLarge = err instanceof BodyTooLarge;
    const bad = err instanceof BadRequestLine;
    const status = tooLarge ? 413 : bad ? 400 : 500;
    // The body of a refused request is not read: close the connection rather than drain it.
    if (!res.headersSent) res.writeHead(status, { 'content-type': 'application/json', ...(tooLarge || bad ? { connection: 'close' } : {}) });
    res.end(JSON.stringify({ errorCode: tooLarge ? 'ERR_REQUEST_TOO_LARGE' : bad ? err.errorCode : 'ERR_INTERNAL', message: (err as Error).message }));
  };
  // Clients send the same Host header on every request: its origin is parsed once, not per request.
  let lastHost: string | undefined;
  let lastOrigin = '';
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const target = req.url ?? '/';
    // A simple target is read without a URL parse (api/request-target.ts); the others, and any
    // request that goes on to app.fetch, get their URL as before.
    let url: RequestTarget;
    let origin: string;
    try {
      const host = req.headers.host ?? 'localhost';
      if (host !== lastHost) {
        lastOrigin = originOf(host, scheme);
        lastHost = host;
      }
      origin = lastOrigin;
      url = simpleTarget(target) ?? requestUrl(origin, target);
    } catch (err) {
      const bad = err as BadRequestLine;
      res.writeHead(400, { 'content-type': 'application/json', connection: 'close' });
      res.end(JSON.stringify({ errorCode: bad.errorCode, message: bad.message }));
      return;
    }
    const method = req.method ?? 'GET';
    const lookup = nodeHeaders(req.headers);
    // Before the body: a refused request is answered at once and its body never buffered (Node
    // discards what still arrives; `connection: close` ends the socket after the answer).
    const early = app.preflight(method, url.pathname, lookup);
    if (early) {
      early.headers.set('connection', 'close');
      void send(res, early).catch(() => res.destroy());
      return;
    }
    const run = app.plain?.(method, url);
    if (run) {
      // A GET, or a start with `?wait=`, is held open and ends when the client hangs up before its answer.
      // (The parameter as the route reads it, decoded: `?w%61it=` is a wait too.)
      const hangUp = method === 'GET' || (target.includes('?') && url.searchParams.has('wait')) ? new ResponseHangUp(res) : NEVER_HUNG_UP;
      readBody(req, method)
        .then((body) => run({ method, url, headers: lookup, text: () => Promise.resolve(body ? UTF8.decode(body) : ''), hangUp }))
        .then((answer) => sendPlain(res, answer, closing))
        .catch((err: unknown) => fail(res, err));
      return;
    }
    // A GET's signal aborts when the client hangs up before its answer (a `?wait=` long poll then
    // ends). Only GETs are held open; an AbortController per request is measurable CPU at load.
    let signal: AbortSignal | undefined;
    if (method === 'GET') {
      const hangUp = new AbortController();
      res.once('close', () => {
        if (!res.writableFinished) hangUp.abort();
      });
      signal = hangUp.signal;
    }
    readBody(req, method)
      .then((body) => app.fetch(new Request(url instanceof URL ? url : requestUrl(origin, target), { method, headers: headersOf(req), ...(signal ? { signal } : {}), ...(body ? { body } : {}) })))
      .then((response) => send(res, response, closing))
      .catch((err: unknown) => fail(res, err));
  };
  const tls = options.tls;
  const secure = tls ? createHttpsServer(tlsOptions(tls), handle) : undefined;
  const server: Server = secure ?? createServer(handle);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      const port = (server.address() as AddressInfo).port;
      resolve({
        port,
        scheme,
        reloadTls: (material) => {
          if (!secure) throw new Error('this server does not serve TLS (start it with a certificate and key)');
          // setSecureContext validates the material first: a bad key or certificate throws and the old one stays.
          secure.setSecureContext(tlsOptions(material));
        },
        close: () =>
          new Promise<void>((done) => {
            closing = true;
            server.close(() => done());
            // Long-poll waits would hold close() for up to their whole wait: they answer now.
            app.closeWaits?.();
            // Idle keep-alive sockets would hold close() open; busy ones finish their request first.
            server.closeIdleConnections();
          }),
      });
    });
  });
}
