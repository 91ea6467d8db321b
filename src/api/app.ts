/**
 * @module api/app
 * The HTTP app of `swirl serve` as a `fetch(Request) → Response` handler, testable without a
 * socket: the Dapr workflow API, Swirl's own API, health and metrics. The API token check and
 * the error map are applied here once, for every route.
 */
import { timingSafeEqual } from 'node:crypto';
import type { SwirlHost } from '../host/host.js';
import { registerDaprRoutes } from './dapr-routes.js';
import { errorAnswer, errorBody, json, toErrorResponse } from './http-error.js';
import type { HeaderLookup, PlainAnswer, PlainRequest } from './plain.js';
import type { RequestTarget } from './request-target.js';
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
  preflight(method: string, pathname: string, headers: HeaderLookup): Response | undefined;
  /**
   * The hot routes (Dapr start and get, Swirl get instance) without web Request/Response: the
   * runner of `method` `url` when it is one, else undefined (then {@link fetch}). The runner
   * answers what `fetch` would — the token check, the route, the error map (api/plain.ts).
   */
  plain?(method: string, url: RequestTarget): ((req: PlainRequest) => Promise<PlainAnswer>) | undefined;
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
  const refusal = (pathname: string, headers: HeaderLookup): PlainAnswer | undefined => {
    if (!token || PUBLIC_PATHS.has(pathname) || isUiPath(pathname)) return undefined;
    const given = headers.get('dapr-api-token');
    if (tokenMatches(token, given)) return undefined;
    return { status: 401, body: { errorCode: 'ERR_UNAUTHORIZED', message: given !== null ? 'invalid api token' : 'missing api token: send it in the dapr-api-token header' } };
  };
  const unauthorized = (pathname: string, headers: HeaderLookup): Response | undefined => {
    const refused = refusal(pathname, headers);
    return refused ? json(refused.status, refused.body) : undefined;
  };

  const app: App = {
    preflight: (_method, pathname, headers) => unauthorized(pathname, headers),
    closeWaits: () => waits.close(),
    plain(method, url) {
      // What fetch refuses before routing ('//…') or serves apart (the dashboard) is not a hot route.
      if (url.pathname.startsWith('//')) return undefined;
      const found = router.match(method, url.pathname);
      if (!('plain' in found) || found.plain === undefined) return undefined;
      const { plain, params } = found;
      return async (req) => {
        const refused = refusal(url.pathname, req.headers);
        if (refused) return refused;
        try {
          return await plain(req, params);
        } catch (err) {
          return errorAnswer(err);
        }
      };
    },
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
      if ('malformed' in found) return errorBody(400, 'ERR_MALFORMED_REQUEST', `the path segment '${found.malformed.slice(0, 100)}' is not valid percent-encoding`);
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
  const logged = (method: string, path: string, status: number, t0: bigint, headers: HeaderLookup): void => {
    const trace = parseTraceParent(headers.get('traceparent'));
    log.info(`${method} ${path} ${status}`, {
      event: 'http.request',
      method,
      path,
      status,
      durationMs: Math.round(Number(process.hrtime.bigint() - t0) / 1e4) / 100,
      ...(trace ? { traceId: trace.traceId, spanId: trace.spanId } : {}),
    });
  };
  return {
    preflight(method: string, pathname: string, headers: HeaderLookup): Response | undefined {
      const refused = app.preflight(method, pathname, headers);
      // Refused before the body was read: logged like any answer (no time spent worth measuring).
      if (refused) log.info(`${method} ${pathname} ${refused.status}`, { event: 'http.request', method, path: pathname, status: refused.status, durationMs: 0 });
      return refused;
    },
    closeWaits: () => app.closeWaits?.(),
    plain(method, url) {
      const run = app.plain?.(method, url);
      if (run === undefined) return undefined;
      return async (req) => {
        const t0 = process.hrtime.bigint();
        const answer = await run(req);
        logged(method, url.pathname, answer.status, t0, req.headers);
        return answer;
      };
    },
    async fetch(req: Request): Promise<Response> {
      const t0 = process.hrtime.bigint();
      const response = await app.fetch(req);
      let path = req.url;
      try {
        path = new URL(req.url).pathname;
      } catch {
        // A malformed URL is logged as given (the app answered 400).
      }
      logged(req.method, path, response.status, t0, req.headers);
      return response;
    },
  };
}
