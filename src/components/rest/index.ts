/**
 * @module components/rest
 * The `rest` function type (spec §Using Functions for RESTful Service Invocations): operation
 * `<openapi-doc-uri>#<operationId>`. Arguments whose names are path, query or header parameters of
 * the operation go there; the remaining ones form the JSON body (A30). Calls use undici. A failure
 * status raises WorkflowError with code = the status ("404"); network trouble InfrastructureError.
 * Credentials (auth.ts) apply to the document fetch and/or the invocation, as the caller says.
 */
import { InfrastructureError, WorkflowError } from '../../errors.js';
import { boundedHttp } from '../bounded-http-on-use.js';
import { AuthorizationProvider, type HttpAuth } from './auth.js';
import { OpenApiCache, documentUrl, findOperation } from './openapi.js';

export type { HttpAuth } from './auth.js';


/** One call of a rest function. */
export interface RestCall {
  /** `<doc-uri>#<operationId>`. */
  operation: string;
  /** Directory relative document URIs are resolved against (the workflow file's directory). */
  baseDir: string;
  arguments: Record<string, unknown>;
  /** Credentials for fetching the OpenAPI document (spec §Auth Definition: `authRef`). */
  resourceAuth?: HttpAuth;
  /** Credentials for invoking the operation (`authRef.invocation`). */
  invocationAuth?: HttpAuth;
  /** Sent as the `Idempotency-Key` header. */
  /** W3C trace context, sent as the `traceparent` header. */
  traceparent?: string;
  idempotencyKey?: string;
  signal?: AbortSignal;
  /**
   * Why the OpenAPI document, or a file or URL one of its `$ref`s names, may not be read (the
   * server's policy for definitions registered over the API, specs/security.md); undefined when it
   * may. Absent: anything.
   */
  reach?: (url: string) => string | undefined;
  /** Base URL that replaces the operation's server (the sonataflow profile's application.properties). */
  server?: string;
}

/** Calls rest functions. */
export interface RestCaller {
  call(req: RestCall): Promise<unknown>;
}

function text(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/**
 * The body in the operation's media type (A30): `application/x-www-form-urlencoded` as a form of
 * the remaining arguments; `text/plain` as the text of the one remaining argument (JSON text of
 * several); JSON otherwise (a JSON media type is preferred when the operation declares several).
 */
export function encodeBody(rest: Record<string, unknown>, mediaType: string): { body: string; type: string } {
  const type = mediaType.split(';')[0]!.trim().toLowerCase();
  if (type === 'application/x-www-form-urlencoded') {
    const form = new URLSearchParams();
    for (const [k, v] of Object.entries(rest)) for (const x of Array.isArray(v) ? v : [v]) form.append(k, text(x));
    return { body: form.toString(), type };
  }
  if (type.startsWith('text/')) {
    const values = Object.values(rest);
    return { body: values.length === 1 ? text(values[0]) : JSON.stringify(rest), type: `${type}; charset=utf-8` };
  }
  return { body: JSON.stringify(rest), type: 'application/json' };
}

/** Creates a caller with its own document cache. */
export function createRestCaller(): RestCaller {
  const cache = new OpenApiCache();
  const auth = new AuthorizationProvider();
  return {
    async call(req: RestCall): Promise<unknown> {
      const hash = req.operation.lastIndexOf('#');
      if (hash <= 0) throw new WorkflowError('INVALID_OPERATION', `rest operation '${req.operation}' is not '<openapi-doc-uri>#<operationId>'`, { nonRetryable: true });
      const url = documentUrl(req.operation.slice(0, hash), req.baseDir);
      // Checked at registration too; again here, before the document is read at its first call.
      const refused = req.reach?.(url.href);
      if (refused !== undefined) throw new WorkflowError('REFERENCE_NOT_ALLOWED', `the OpenAPI document ${url.href} may not be read: ${refused}`, { nonRetryable: true });
      const docAuth = req.resourceAuth && url.protocol !== 'file:' ? await auth.header(req.resourceAuth, req.signal) : undefined;
      const op = findOperation(await cache.load(url, docAuth, req.reach), req.operation.slice(hash + 1), url);
      const rest: Record<string, unknown> = { ...req.arguments };
      let path = op.path;
      const query = new URLSearchParams();
      const headers: Record<string, string> = { accept: 'application/json' };
      for (const p of op.parameters) {
        if (!(p.name in rest)) continue;
        const v = rest[p.name];
        delete rest[p.name];
        if (p.in === 'path') path = path.replace(`{${p.name}}`, encodeURIComponent(text(v)));
        else if (p.in === 'query') for (const x of Array.isArray(v) ? v : [v]) query.append(p.name, text(x));
        else if (p.in === 'header') headers[p.name.toLowerCase()] = text(v);
      }
      if (req.idempotencyKey) headers['idempotency-key'] = req.idempotencyKey;
      if (req.traceparent) headers.traceparent = req.traceparent;
      if (req.invocationAuth) headers.authorization = await auth.header(req.invocationAuth, req.signal);
      const qs = query.toString();
      const target = `${(req.server ?? op.server).replace(/\/$/, '')}${path}${qs ? `?${qs}` : ''}`;
      let body: string | undefined;
      if (Object.keys(rest).length > 0 && op.method !== 'GET' && op.method !== 'HEAD') {
        ({ body, type: headers['content-type'] } = encodeBody(rest, op.bodyType));
      }
      const http = await boundedHttp('rest (OpenAPI) functions');
      let res;
      let raw: string;
      try {
        res = await http.boundedRequest(target, { method: op.method as 'GET', headers, body, signal: req.signal });
        raw = await res.body.text();
      } catch (err) {
        throw http.tooLarge(err, `${op.method} ${target}`) ?? new InfrastructureError('NETWORK_ERROR', `${op.method} ${target}: ${(err as Error).message}`, { cause: err });
      }
      let data: unknown = raw === '' ? null : raw;
      const type = String(res.headers['content-type'] ?? '');
      if (raw !== '' && (type.includes('json') || /^[[{"]/.test(raw.trim()))) {
        try {
          data = JSON.parse(raw);
        } catch {
          // not JSON after all: keep the text
        }
      }
      if (res.statusCode >= 400) {
        throw new WorkflowError(String(res.statusCode), `${op.method} ${target} returned HTTP ${res.statusCode}`, { details: { status: res.statusCode, body: data } });
      }
      return data;
    },
  };
}
