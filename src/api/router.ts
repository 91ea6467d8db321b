/**
 * @module api/router
 * A small method + path router: patterns like `/v1.0/workflows/:component/:id/start`, segments
 * URL-decoded, first match wins. 404 for unknown paths, 405 for a known path with another method.
 */

import { fromWebRequest, toWebResponse, type Params, type PlainHandler } from './plain.js';

export type { Params } from './plain.js';

/** A route handler. */
export type Handler = (req: Request, params: Params, url: URL) => Promise<Response> | Response;

interface Route {
  method: string;
  segments: string[];
  handler: Handler;
  /** The hot routes' handler without web Request/Response (api/plain.ts); `handler` adapts to it. */
  plain?: PlainHandler;
}

/** What {@link Router.match} finds. */
export type RouteMatch = { handler: Handler; params: Params; plain?: PlainHandler } | { allowed: string[] };

/** Routes in registration order. */
export class Router {
  private readonly routes: Route[] = [];

  /** Adds a route; `:name` segments capture. */
  on(method: string, pattern: string, handler: Handler): this {
    this.routes.push({ method, segments: pattern.replace(/^\/+/, '').split('/'), handler });
    return this;
  }

  /**
   * Adds a hot route: the socket adapter calls `plain` straight from node:http, `app.fetch`
   * through a web Request adapted to it — one handler, so both answer alike.
   */
  onPlain(method: string, pattern: string, plain: PlainHandler): this {
    const handler: Handler = async (req, params, url) => toWebResponse(await plain(fromWebRequest(req, url), params));
    this.routes.push({ method, segments: pattern.replace(/^\/+/, '').split('/'), handler, plain });
    return this;
  }

  /** Finds the handler: `{ handler, params }`, or `{ allowed }` (methods of a matching path) when none fits. */
  match(method: string, pathname: string): RouteMatch {
    // Empty inner segments are kept (`/workflows/dapr//start` has an empty name: a 400, not a 404).
    const parts = pathname.replace(/^\/+/, '').replace(/\/+$/, '').split('/');
    const allowed: string[] = [];
    for (const r of this.routes) {
      if (r.segments.length !== parts.length) continue;
      const params: Params = {};
      let ok = true;
      for (let i = 0; i < parts.length && ok; i++) {
        const seg = r.segments[i]!;
        let part: string;
        try {
          part = decodeURIComponent(parts[i]!);
        } catch {
          ok = false;
          break;
        }
        if (seg.startsWith(':')) params[seg.slice(1)] = part;
        else ok = seg === part;
      }
      if (!ok) continue;
      if (r.method === method) return r.plain ? { handler: r.handler, params, plain: r.plain } : { handler: r.handler, params };
      allowed.push(r.method);
    }
    return { allowed };
  }
}
