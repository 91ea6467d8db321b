/**
 * @module api/app
 * The HTTP app of `swirl serve` as a `fetch(Request) → Response` handler, testable without a
 * socket: the Dapr workflow API, Swirl's own API, health and metrics. The API token check and
 * the error map are applied here once, for every route.
 */
import { timingSafeEqual } from 'node:crypto';
import type { SwirlHost } from '../host/host.js';
import { registerDaprRoutes } from './dapr-routes.js';
import { errorBody, json, toErrorResponse } from './http-error.js';
import { renderMetrics } from './metrics.js';
import { Router } from './router.js';
import { registerSwirlRoutes } from './swirl-routes.js';

/** Options of {@link createApp}. */
export interface AppOptions {
  /** When set, every route but health requires this value in the `dapr-api-token` header. */
  apiToken?: string;
}

/** The app: a fetch handler. */
export interface App {
  fetch(req: Request): Promise<Response>;
}

/** Paths served without the API token (liveness probes carry no secrets). */
const PUBLIC_PATHS: ReadonlySet<string> = new Set(['/healthz', '/v1.0/healthz']);

function tokenMatches(expected: Buffer, given: string | null): boolean {
  if (given === null) return false;
  const g = Buffer.from(given);
  return g.length === expected.length && timingSafeEqual(g, expected);
}

/** Builds the app over a host. */
export function createApp(host: SwirlHost, options: AppOptions = {}): App {
  const router = new Router();
  // Unhealthy (503, with the reason) once the store has failed: the node cannot commit anything
  // and a load balancer or supervisor must take it out / restart it.
  router.on('GET', '/healthz', () => {
    const h = host.health();
    return h.healthy ? json(200, { status: 'ok' }) : json(503, { status: 'unhealthy', reason: h.reason });
  });
  // daprd's health endpoint answers 204 with no body when healthy.
  router.on('GET', '/v1.0/healthz', () => {
    const h = host.health();
    return h.healthy ? new Response(null, { status: 204 }) : errorBody(503, 'ERR_UNHEALTHY', h.reason);
  });
  router.on('GET', '/metrics', async () => new Response(await renderMetrics(host), { status: 200, headers: { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' } }));
  registerDaprRoutes(router, host);
  registerSwirlRoutes(router, host);
  const token = options.apiToken !== undefined && options.apiToken !== '' ? Buffer.from(options.apiToken) : undefined;

  return {
    async fetch(req: Request): Promise<Response> {
      let url: URL;
      try {
        url = new URL(req.url);
      } catch {
        return errorBody(400, 'ERR_MALFORMED_REQUEST', `invalid request URL '${req.url}'`);
      }
      // An empty first segment (`//`, `//api/v1/instances`) is a malformed path, not a route.
      if (url.pathname.startsWith('//')) return errorBody(400, 'ERR_MALFORMED_REQUEST', `the request path '${url.pathname.slice(0, 100)}' starts with '//': remove the empty segment`);
      if (token && !PUBLIC_PATHS.has(url.pathname) && !tokenMatches(token, req.headers.get('dapr-api-token'))) {
        return errorBody(401, 'ERR_UNAUTHORIZED', req.headers.has('dapr-api-token') ? 'invalid api token' : 'missing api token: send it in the dapr-api-token header');
      }
      const found = router.match(req.method, url.pathname);
      if ('allowed' in found) {
        if (found.allowed.length > 0) return errorBody(405, 'ERR_METHOD_NOT_ALLOWED', `${req.method} is not allowed on ${url.pathname} (allowed: ${found.allowed.join(', ')})`);
        return errorBody(404, 'ERR_NOT_FOUND', `no route for ${req.method} ${url.pathname}`);
      }
      try {
        return await found.handler(req, found.params, url);
      } catch (err) {
        return toErrorResponse(err);
      }
    },
  };
}
