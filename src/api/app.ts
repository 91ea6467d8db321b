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
import type { Logger } from '../engine/logger.js';
import { metricsResponse } from './metrics.js';
import { parseTraceParent } from './traceparent.js';
import { Router } from './router.js';
import { InstanceWaits } from './instance-wait.js';
import { registerSwirlRoutes } from './swirl-routes.js';
import { registerDiagramRoutes } from './diagram-routes.js';
import { createUiHandler } from './ui-route.js';

/** Options of {@link createApp}. */
export interface AppOptions {
  /** When set, every route but health requires this value in the `dapr-api-token` header. */
  apiToken?: string;
  /**
   * Where the access log goes: one info line per request (`event: 'http.request'`) with method,
   * path (no query string), status and duration; never bodies, headers or tokens. @default none
   */
  accessLog?: Logger;
  /** The dashboard's built files (dist/ui). @default the folder beside the compiled code */
  uiDir?: string;
  /** `?wait=` requests open at once; one more is 503 ERR_TOO_MANY_WAITERS. @default DEFAULT_MAX_WAITERS (10,000) */
  maxWaiters?: number;
}

/** The app: a fetch handler. */
export interface App {
  fetch(req: Request): Promise<Response>;
  /**
   * The answer a request gets from its method, path and headers alone — the API token check —
   * or undefined when it must be handled. The socket adapter calls it before reading the body, so
   * an unauthenticated client cannot make the server buffer (or even read) its body.
   */
  preflight(method: string, pathname: string, headers: Headers): Response | undefined;
  /** The server is stopping: open `?wait=` requests answer now with the current state, later ones do not wait. */
  closeWaits?(): void;
}

/** Paths served without the API token (health probes carry no secrets). */
const PUBLIC_PATHS: ReadonlySet<string> = new Set(['/healthz', '/v1.0/healthz', '/readyz', '/v1.0/healthz/outbound']);

/** The dashboard's files: public (the page holds no secret; it asks for the token and sends it on API calls). */
const isUiPath = (pathname: string) => pathname === '/' || pathname === '/ui' || pathname.startsWith('/ui/');

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
  // Readiness, apart from liveness: 503 while starting or stopping, or once the store failed.
  router.on('GET', '/readyz', () => {
    const r = host.readiness();
    return r.ready ? json(200, { status: 'ready' }) : json(503, { status: 'not ready', reasons: r.reasons });
  });
  // daprd's outbound health: 204 once the components are initialized, whatever the workers do.
  router.on('GET', '/v1.0/healthz/outbound', () => {
    const r = host.outboundReadiness();
    return r.ready ? new Response(null, { status: 204 }) : errorBody(503, 'ERR_OUTBOUND_HEALTH_NOT_READY', r.reasons.join('; '));
  });
  router.on('GET', '/metrics', () => metricsResponse(host));
  const waits = new InstanceWaits(host.client, options.maxWaiters);
  registerDaprRoutes(router, host, waits);
  registerSwirlRoutes(router, host, waits);
  registerDiagramRoutes(router, host);
  const ui = createUiHandler(options.uiDir);
  const token = options.apiToken !== undefined && options.apiToken !== '' ? Buffer.from(options.apiToken) : undefined;
  const unauthorized = (pathname: string, headers: Headers): Response | undefined => {
    if (!token || PUBLIC_PATHS.has(pathname) || isUiPath(pathname) || tokenMatches(token, headers.get('dapr-api-token'))) return undefined;
    return errorBody(401, 'ERR_UNAUTHORIZED', headers.has('dapr-api-token') ? 'invalid api token' : 'missing api token: send it in the dapr-api-token header');
  };

  const app: App = {
    preflight: (_method, pathname, headers) => unauthorized(pathname, headers),
    closeWaits: () => waits.close(),
    async fetch(req: Request): Promise<Response> {
      let url: URL;
      try {
        url = new URL(req.url);
      } catch {
        return errorBody(400, 'ERR_MALFORMED_REQUEST', `invalid request URL '${req.url}'`);
      }
      // An empty first segment (`//`, `//api/v1/instances`) is a malformed path, not a route.
      if (url.pathname.startsWith('//')) return errorBody(400, 'ERR_MALFORMED_REQUEST', `the request path '${url.pathname.slice(0, 100)}' starts with '//': remove the empty segment`);
      const refused = unauthorized(url.pathname, req.headers);
      if (refused) return refused;
      const page = ui(req, url.pathname);
      if (page) return page;
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
  return options.accessLog ? withAccessLog(app, options.accessLog) : app;
}

/** The app, logging one line per request once it is answered. */
function withAccessLog(app: App, log: Logger): App {
  return {
    preflight(method: string, pathname: string, headers: Headers): Response | undefined {
      const refused = app.preflight(method, pathname, headers);
      // Refused before the body was read: logged like any answer (no time spent worth measuring).
      if (refused) log.info(`${method} ${pathname} ${refused.status}`, { event: 'http.request', method, path: pathname, status: refused.status, durationMs: 0 });
      return refused;
    },
    closeWaits: () => app.closeWaits?.(),
    async fetch(req: Request): Promise<Response> {
      const t0 = process.hrtime.bigint();
      const response = await app.fetch(req);
      let path = req.url;
      try {
        path = new URL(req.url).pathname;
      } catch {
        // A malformed URL is logged as given (the app answered 400).
      }
      const trace = parseTraceParent(req.headers.get('traceparent'));
      log.info(`${req.method} ${path} ${response.status}`, {
        event: 'http.request',
        method: req.method,
        path,
        status: response.status,
        durationMs: Math.round(Number(process.hrtime.bigint() - t0) / 1e4) / 100,
        ...(trace ? { traceId: trace.traceId, spanId: trace.spanId } : {}),
      });
      return response;
    },
  };
}
