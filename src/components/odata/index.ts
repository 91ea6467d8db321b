/**
 * @module components/odata
 * The `odata` function type (spec §Using Functions for OData Service Invocations): operation
 * `<odata-service-uri>#<entity-set>`, arguments as the spec's OData schema (odata.json) writes
 * them — `key` (or 0.7's `id`) and `queryOptions` — sent as a GET of the entity set (or of one
 * entity by key) with each query option as its `$`-prefixed system query option, percent-encoded.
 * The result is the response's `value` array (the entity itself for a key); a failure status raises
 * WorkflowError with the status as its code, as rest does.
 */
import { request } from 'undici';
import { InfrastructureError, WorkflowError } from '../../errors.js';
import { boundedDispatcher, tooLarge } from '../bounded-http.js';

/** One call of an odata function. */
export interface ODataCall {
  /** `<service-uri>#<entity-set>`. */
  operation: string;
  arguments: Record<string, unknown>;
  /** The Authorization header value. */
  authorization?: string;
  idempotencyKey?: string;
  /** The action's W3C trace context, sent as the `traceparent` header (specs/observability.md). */
  traceparent?: string;
  /** Gives up (code `timeout`) after this long. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** Calls odata functions. */
export interface ODataCaller {
  call(req: ODataCall): Promise<unknown>;
}

/**
 * The query options of odata.json → their system query option. Both spellings of the two whose
 * case the schema versions disagree on (`orderby`/`orderBy`, `schemaversion`/`schemaVersion`).
 */
export const QUERY_OPTIONS: Readonly<Record<string, string>> = {
  filter: '$filter',
  expand: '$expand',
  select: '$select',
  orderby: '$orderby',
  orderBy: '$orderby',
  top: '$top',
  skip: '$skip',
  count: '$count',
  search: '$search',
  format: '$format',
  compute: '$compute',
  index: '$index',
  schemaversion: '$schemaversion',
  schemaVersion: '$schemaversion',
};

/** The arguments an odata function takes (odata.json). */
export const ODATA_ARGUMENTS: readonly string[] = ['key', 'id', 'queryOptions'];

/** Integer-valued options. */
const INTEGER_OPTIONS = new Set(['$top', '$skip', '$index']);

/** `<uri>#<entity-set>` split at the last `#`. */
export function parseODataOperation(operation: string): { service: string; entitySet: string } | undefined {
  const m = /^([^#]+)#([^#/]+)$/.exec(operation);
  return m ? { service: m[1]!, entitySet: m[2]! } : undefined;
}

function invalid(message: string): WorkflowError {
  return new WorkflowError('INVALID_ARGUMENTS', message, { nonRetryable: true });
}

/** A key value as an OData literal: numbers as written, strings quoted (`'` doubled). */
function keyLiteral(v: unknown, where: string): string {
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (typeof v === 'string') return `'${v.replace(/'/g, "''")}'`;
  if (typeof v === 'boolean') return String(v);
  throw invalid(`${where} must be a string, a number or a boolean`);
}

/** The key segment: `(42)`, `('ALFKI')`, or a compound key `(OrderID=1,ProductID=2)`. */
export function keySegment(key: unknown): string {
  if (key !== null && typeof key === 'object' && !Array.isArray(key)) {
    const parts = Object.entries(key).map(([k, v]) => `${k}=${keyLiteral(v, `key '${k}'`)}`);
    if (parts.length === 0) throw invalid('an odata key object needs at least one property');
    return `(${encodeURIComponent(parts.join(',')).replace(/%3D/g, '=').replace(/%2C/g, ',').replace(/%27/g, "'")})`;
  }
  return `(${encodeURIComponent(keyLiteral(key, 'key')).replace(/%27/g, "'")})`;
}

/** `queryOptions` → the query string (`$filter=…&$top=5`), in the order written. */
export function queryString(options: unknown): string {
  if (options === undefined || options === null) return '';
  if (typeof options !== 'object' || Array.isArray(options)) throw invalid('odata queryOptions must be an object');
  const parts: string[] = [];
  for (const [name, value] of Object.entries(options)) {
    const option = QUERY_OPTIONS[name];
    if (option === undefined) throw invalid(`unknown odata query option '${name}' (known: ${[...new Set(Object.keys(QUERY_OPTIONS))].join(', ')})`);
    if (value === undefined || value === null) continue;
    if (option === '$count' && typeof value !== 'boolean') throw invalid(`odata query option 'count' must be a boolean`);
    if (INTEGER_OPTIONS.has(option) && !(Number.isInteger(value) && (value as number) >= 0)) throw invalid(`odata query option '${name}' must be a non-negative integer`);
    if (typeof value === 'object') throw invalid(`odata query option '${name}' must be a string`);
    parts.push(`${option}=${encodeURIComponent(String(value))}`);
  }
  return parts.join('&');
}

/** The request URL of a call. */
export function odataUrl(operation: string, args: Record<string, unknown>): string {
  const op = parseODataOperation(operation);
  if (!op) throw new WorkflowError('INVALID_OPERATION', `odata operation '${operation}' is not '<odata-service-uri>#<entity-set>'`, { nonRetryable: true });
  const unknown = Object.keys(args).filter((k) => !ODATA_ARGUMENTS.includes(k));
  if (unknown.length > 0) throw invalid(`odata arguments are 'key' and 'queryOptions' (odata.json); got '${unknown.join("', '")}'`);
  const key = args.key ?? args.id;
  const qs = queryString(args.queryOptions);
  return `${op.service.replace(/\/$/, '')}/${encodeURIComponent(op.entitySet)}${key !== undefined ? keySegment(key) : ''}${qs ? `?${qs}` : ''}`;
}

/** The message of an OData error body (`{"error": {"code", "message"}}`), if it has one. */
function odataMessage(body: unknown): string | undefined {
  const error = (body as { error?: { message?: unknown } } | null)?.error;
  const m = error?.message;
  return typeof m === 'string' ? m : typeof (m as { value?: unknown })?.value === 'string' ? (m as { value: string }).value : undefined;
}

/** Creates a caller. */
export function createODataCaller(): ODataCaller {
  return {
    async call(req: ODataCall): Promise<unknown> {
      const target = odataUrl(req.operation, req.arguments);
      const headers: Record<string, string> = { accept: 'application/json', 'odata-maxversion': '4.0' };
      if (req.authorization !== undefined) headers.authorization = req.authorization;
      if (req.idempotencyKey !== undefined) headers['idempotency-key'] = req.idempotencyKey;
      if (req.traceparent !== undefined) headers.traceparent = req.traceparent;
      const timeout = req.timeoutMs !== undefined ? AbortSignal.timeout(req.timeoutMs) : undefined;
      const signal = timeout && req.signal ? AbortSignal.any([timeout, req.signal]) : (timeout ?? req.signal);
      let res;
      let raw: string;
      try {
        res = await request(target, { method: 'GET', headers, signal, dispatcher: boundedDispatcher() });
        raw = await res.body.text();
      } catch (err) {
        const big = tooLarge(err, `GET ${target}`);
        if (big) throw big;
        if (timeout?.aborted) throw new WorkflowError('timeout', `GET ${target}: no answer within ${req.timeoutMs} ms`, { details: { timeoutMs: req.timeoutMs } });
        throw new InfrastructureError('NETWORK_ERROR', `GET ${target}: ${(err as Error).message}`, { cause: err });
      }
      let body: unknown = raw === '' ? null : raw;
      try {
        if (raw !== '') body = JSON.parse(raw);
      } catch {
        // not JSON: keep the text
      }
      if (res.statusCode >= 400) {
        const why = odataMessage(body);
        throw new WorkflowError(String(res.statusCode), `GET ${target} returned HTTP ${res.statusCode}${why ? `: ${why}` : ''}`, { details: { status: res.statusCode, body } });
      }
      const hasKey = req.arguments.key !== undefined || req.arguments.id !== undefined;
      if (hasKey || body === null || typeof body !== 'object' || !Array.isArray((body as { value?: unknown }).value)) return body;
      const { value } = body as { value: unknown[]; '@odata.count'?: unknown };
      // Decision (specs/function-types.md): with `count`, the count comes along with the entities.
      const count = (body as Record<string, unknown>)['@odata.count'];
      return count !== undefined ? { count: Number(count), value } : value;
    },
  };
}
