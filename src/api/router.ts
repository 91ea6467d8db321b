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

/**
 * What {@link Router.match} finds: a route, the methods of a matching path when none fits
 * (`allowed`: empty for no such path), or a segment that is not valid percent-encoding.
 */
export type RouteMatch = { handler: Handler; params: Params; plain?: PlainHandler } | { allowed: string[] } | { malformed: string };

/** Routes in registration order (first match wins). */
export class Router {
  /** The routes by segment count, each list in registration order: only those can match a path. */
  private readonly bySegments = new Map<number, Route[]>();

  private add(route: Route): void {
    const same = this.bySegments.get(route.segments.length);
    if (same) same.push(route);
    else this.bySegments.set(route.segments.length, [route]);
  }

  /** Adds a route; `:name` segments capture. */
  on(method: string, pattern: string, handler: Handler): this {
    this.add({ method, segments: pattern.replace(/^\/+/, '').split('/'), handler });
    return this;
  }

  /**
   * Adds a hot route: the socket adapter calls `plain` straight from node:http, `app.fetch`
   * through a web Request adapted to it — one handler, so both answer alike.
   */
  onPlain(method: string, pattern: string, plain: PlainHandler): this {
    const handler: Handler = async (req, params, url) => toWebResponse(await plain(fromWebRequest(req, url), params));
    this.add({ method, segments: pattern.replace(/^\/+/, '').split('/'), handler, plain });
    return this;
  }

  /** Finds the handler: `{ handler, params }`, `{ allowed }` (methods of a matching path) when none fits, or `{ malformed }`. */
  match(method: string, pathname: string): RouteMatch {
    // Empty inner segments are kept (`/workflows/dapr//start` has an empty name: a 400, not a 404).
    const parts = pathname.replace(/^\/+/, '').replace(/\/+$/, '').split('/');
    // Decoded once for all routes; a part that is not valid percent-encoding is the client's mistake.
    const decoded: string[] = [];
    for (const part of parts) {
      // Without a '%' there is nothing to decode.
      if (!part.includes('%')) {
        decoded.push(part);
        continue;
      }
      try {
        decoded.push(decodeURIComponent(part));
      } catch {
        return { malformed: part };
      }
    }
    const allowed: string[] = [];
    for (const r of this.bySegments.get(decoded.length) ?? []) {
      let ok = true;
      for (let i = 0; i < decoded.length && ok; i++) {
        const seg = r.segments[i]!;
        ok = seg.startsWith(':') || seg === decoded[i];
      }
      if (!ok) continue;
      if (r.method !== method) {
        allowed.push(r.method);
        continue;
      }
      const params: Params = {};
      for (let i = 0; i < decoded.length; i++) if (r.segments[i]!.startsWith(':')) params[r.segments[i]!.slice(1)] = decoded[i]!;
      return r.plain ? { handler: r.handler, params, plain: r.plain } : { handler: r.handler, params };
    }
    return { allowed };
  }
}
