/**
 * @module host/tracing/otlp
 * The tracing of `swirl serve`: off by default; on with `--tracing`, `SWIRL_TRACING=true` or
 * `OTEL_TRACES_EXPORTER=otlp`. Spans go to an OTLP/HTTP (JSON) endpoint configured by the
 * standard `OTEL_EXPORTER_OTLP_*` variables (the exporter reads them: endpoint, headers, timeout),
 * batched by the SDK's BatchSpanProcessor (`OTEL_BSP_*`).
 */
import { loadOnUse } from '../../optional-module.js';
import type { TracingOptions } from './otel-tracer.js';

const ON = new Set(['1', 'true', 'on', 'yes']);
const OFF = new Set(['', '0', 'false', 'off', 'no']);

/**
 * Whether tracing is asked for: the flag wins; else `SWIRL_TRACING`; else `OTEL_TRACES_EXPORTER`
 * (`otlp` on, `none` or unset off). A value that is neither is an error naming the variable.
 */
export function tracingRequested(flag: boolean | undefined, env: NodeJS.ProcessEnv): { on: boolean } | { error: string } {
  if (flag === true) return { on: true };
  const swirl = env.SWIRL_TRACING?.trim().toLowerCase();
  if (swirl !== undefined && swirl !== '') {
    if (ON.has(swirl)) return { on: true };
    if (OFF.has(swirl)) return { on: false };
    return { error: `SWIRL_TRACING must be true or false, not '${env.SWIRL_TRACING}'` };
  }
  const exporters = (env.OTEL_TRACES_EXPORTER ?? '').split(',').map((s) => s.trim().toLowerCase()).filter((s) => s !== '');
  if (exporters.length === 0 || (exporters.length === 1 && exporters[0] === 'none')) return { on: false };
  const unknown = exporters.filter((e) => e !== 'otlp' && e !== 'none');
  if (unknown.length > 0) return { error: `OTEL_TRACES_EXPORTER: only 'otlp' (or 'none') is supported, not '${unknown.join(', ')}'` };
  return { on: exporters.includes('otlp') };
}

/** `OTEL_EXPORTER_OTLP_(TRACES_)PROTOCOL` other than http/json is refused (the exporter speaks JSON over HTTP). */
export function otlpProtocolProblem(env: NodeJS.ProcessEnv): string | undefined {
  for (const name of ['OTEL_EXPORTER_OTLP_TRACES_PROTOCOL', 'OTEL_EXPORTER_OTLP_PROTOCOL']) {
    const v = env[name]?.trim();
    if (v === undefined || v === '') continue;
    if (v === 'http/json') return undefined;
    return `${name}=${v} is not supported: Swirl exports traces as OTLP http/json (set ${name}=http/json or unset it)`;
  }
  return undefined;
}

/**
 * Tracing options that export over OTLP/HTTP as the environment configures. The exporter and the
 * SDK load here, only when tracing is on (issue 12: start-up CPU).
 */
export async function otlpTracing(serviceName?: string): Promise<TracingOptions> {
  const [{ BatchSpanProcessor }, { OTLPTraceExporter }] = await Promise.all([
    loadOnUse(() => import('@opentelemetry/sdk-trace-base'), '@opentelemetry/sdk-trace-base', 'tracing'),
    loadOnUse(() => import('@opentelemetry/exporter-trace-otlp-http'), '@opentelemetry/exporter-trace-otlp-http', 'tracing'),
  ]);
  return { spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())], ...(serviceName !== undefined ? { serviceName } : {}) };
}
