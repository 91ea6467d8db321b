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

async function toRequest(req: IncomingMessage, origin: string): Promise<Request> {
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
  return new Request(new URL(req.url ?? '/', origin), { method, headers, ...(body ? { body } : {}) });
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
    const origin = `http://${req.headers.host ?? 'localhost'}`;
    toRequest(req, origin)
      .then((r) => app.fetch(r))
      .then((response) => send(res, response))
      .catch((err: unknown) => {
        const tooLarge = err instanceof BodyTooLarge;
        if (!res.headersSent) res.writeHead(tooLarge ? 413 : 500, { 'content-type': 'application/json', ...(tooLarge ? { connection: 'close' } : {}) });
        res.end(JSON.stringify({ errorCode: tooLarge ? 'ERR_REQUEST_TOO_LARGE' : 'ERR_INTERNAL', message: (err as Error).message }));
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
