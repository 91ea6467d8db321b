/**
 * @module api/metrics
 * `GET /metrics` in the Prometheus text exposition format (0.0.4): the host's one registry
 * (host/metrics-registry.ts), default process/Node metrics included. Nothing here scans the store:
 * counters are kept as the work happens; rates such as turns/s are left to Prometheus
 * (`rate(swirl_turns_total[1m])`). Served by the app and, with --metrics-port, on its own port.
 */
import type { SwirlHost } from '../host/host.js';
import type { App } from './app.js';

/** Renders the metrics page. */
export function renderMetrics(host: SwirlHost): Promise<string> {
  return host.prometheus.render();
}

/** The `/metrics` response. */
export async function metricsResponse(host: SwirlHost): Promise<Response> {
  return new Response(await renderMetrics(host), { status: 200, headers: { 'content-type': host.prometheus.contentType } });
}

/**
 * The app of `--metrics-port`: `GET /metrics` only (no API token, like daprd's metrics port: keep
 * it on a network Prometheus reaches and clients do not); everything else is a 404.
 */
export function createMetricsApp(host: SwirlHost): App {
  return {
    // The metrics port takes no token (like daprd's) and reads no request body.
    preflight: () => undefined,
    async fetch(req: Request): Promise<Response> {
      const path = new URL(req.url).pathname;
      if (path === '/metrics' && (req.method === 'GET' || req.method === 'HEAD')) return metricsResponse(host);
      return new Response(JSON.stringify({ errorCode: 'ERR_NOT_FOUND', message: `no route for ${req.method} ${path} on the metrics port (only GET /metrics)` }), {
        status: 404,
        headers: { 'content-type': 'application/json' },
      });
    },
  };
}
