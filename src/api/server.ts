/**
 * @module api/server
 * The node:http adapter of the fetch app: converts requests and responses, tracks open
 * connections, and closes gracefully (stop accepting, let requests in flight finish, then
 * close idle keep-alive sockets).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { App } from './app.js';

/** A listening server. */
export interface RunningServer {
  /** The bound port (useful with port 0). */
  port: number;
  /** Stops accepting connections and resolves when requests in flight have been answered. */
  close(): Promise<void>;
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

/**
 * The request URL from the Host header and the request target, or a BadRequestLine. The target
 * is appended to the origin as text, never resolved against it: `//x` is a path here, not a
 * protocol-relative URL naming host `x` (specs/http-api.openapi.yaml "Client mistakes").
 */
function requestUrl(req: IncomingMessage): URL {
  const host = req.headers.host ?? 'localhost';
  let origin: string;
  try {
    if (!HOST_HEADER.test(host)) throw new Error('not host[:port]');
    origin = new URL(`http://${host}`).origin;
  } catch {
    throw new BadRequestLine('ERR_BAD_HOST', `the Host header ${JSON.stringify(host.slice(0, 100))} is not a valid host[:port]`);
  }
  const target = req.url ?? '/';
  try {
    return new URL(target.startsWith('/') ? origin + target : target);
  } catch {
    throw new BadRequestLine('ERR_MALFORMED_REQUEST', `the request target ${JSON.stringify(target.slice(0, 100))} is not a path`);
  }
}

async function toRequest(req: IncomingMessage, url: URL): Promise<Request> {
  const headers = new Headers();
  for (const [k, v] of Object.entries(req.headers)) {
    if (v === undefined) continue;
    if (Array.isArray(v)) for (const x of v) headers.append(k, x);
    else headers.set(k, v);
  }
  const method = req.method ?? 'GET';
  let body: Buffer | undefined;
  if (method !== 'GET' && method !== 'HEAD') {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of req) {
      size += (c as Buffer).length;
      if (size > MAX_BODY_BYTES) throw new BodyTooLarge(`the request body is larger than ${MAX_BODY_BYTES} bytes`);
      chunks.push(c as Buffer);
    }
    body = Buffer.concat(chunks);
  }
  return new Request(url, { method, headers, ...(body ? { body } : {}) });
}

async function send(res: ServerResponse, response: Response): Promise<void> {
  const headers: Record<string, string> = {};
  response.headers.forEach((v, k) => (headers[k] = v));
  const body = Buffer.from(await response.arrayBuffer());
  res.writeHead(response.status, { ...headers, 'content-length': String(body.length) });
  res.end(body);
}

/** Serves the app on `port` (0: any free port) and `host`. */
export function startServer(app: App, options: { port: number; host?: string }): Promise<RunningServer> {
  const server = createServer((req, res) => {
    Promise.resolve()
      .then(() => toRequest(req, requestUrl(req)))
      .then((r) => app.fetch(r))
      .then((response) => send(res, response))
      .catch((err: unknown) => {
        const tooLarge = err instanceof BodyTooLarge;
        const bad = err instanceof BadRequestLine;
        const status = tooLarge ? 413 : bad ? 400 : 500;
        // The body of a refused request is not read: close the connection rather than drain it.
        if (!res.headersSent) res.writeHead(status, { 'content-type': 'application/json', ...(tooLarge || bad ? { connection: 'close' } : {}) });
        res.end(JSON.stringify({ errorCode: tooLarge ? 'ERR_REQUEST_TOO_LARGE' : bad ? err.errorCode : 'ERR_INTERNAL', message: (err as Error).message }));
      });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '0.0.0.0', () => {
      server.off('error', reject);
      const port = (server.address() as AddressInfo).port;
      resolve({
        port,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            // Idle keep-alive sockets would hold close() open; busy ones finish their request first.
            server.closeIdleConnections();
          }),
      });
    });
  });
}
