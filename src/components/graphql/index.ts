/**
 * @module components/graphql
 * The `graphql` function type (spec §Using Functions for GraphQL Service Invocations): operation
 * `<endpoint-uri>#<query|mutation>#<field>`, the functionRef's `arguments` as the field's arguments
 * and its `selectionSet` as the selection. Values travel as GraphQL VARIABLES, never spliced into
 * the document; their types come from the endpoint's schema, read once by introspection
 * (schema.ts). POST with undici; a response with `errors` raises WorkflowError (code: the first
 * error's `extensions.code`, else `GRAPHQL_ERROR`); the result is the response's `data`.
 */
import { request } from 'undici';
import { InfrastructureError, WorkflowError } from '../../errors.js';
import { boundedDispatcher, tooLarge } from '../bounded-http.js';
import { SchemaCache, type GraphqlPost } from './schema.js';

/** One call of a graphql function. */
export interface GraphqlCall {
  /** `<endpoint>#<query|mutation>#<field>`. */
  operation: string;
  arguments: Record<string, unknown>;
  /** The selection set (expressions in it already evaluated); none for a field of scalar type. */
  selectionSet?: string;
  /**
   * The variables' types written out (function `metadata.argumentTypes`, `"id: Int!, pet: PetInput!"`):
   * used instead of introspection, e.g. for an endpoint that has it disabled.
   */
  argumentTypes?: string;
  /** The Authorization header value (also sent with the introspection query). */
  authorization?: string;
  idempotencyKey?: string;
  /** The action's W3C trace context, sent as the `traceparent` header (specs/observability.md). */
  traceparent?: string;
  /** Gives up (code `timeout`) after this long. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** Calls graphql functions. */
export interface GraphqlCaller {
  call(req: GraphqlCall): Promise<unknown>;
}

/** `<endpoint>#<query|mutation>#<field>` split at its last two `#`. */
export function parseGraphqlOperation(operation: string): { endpoint: string; kind: 'query' | 'mutation'; field: string } | undefined {
  const m = /^(.+)#(query|mutation)#([_A-Za-z][_0-9A-Za-z]*)$/.exec(operation);
  return m ? { endpoint: m[1]!, kind: m[2] as 'query' | 'mutation', field: m[3]! } : undefined;
}

/** A GraphQL name (variables are named after arguments, which are names already). */
const NAME = /^[_A-Za-z][_0-9A-Za-z]*$/;

/**
 * The document of a call: `query SwirlCall($id: Int!) { pet(id: $id) { id name } }`. Only the
 * given arguments are declared; `types` maps each to its GraphQL type.
 */
export function buildDocument(kind: 'query' | 'mutation', field: string, args: string[], types: Record<string, string>, selectionSet?: string): string {
  const vars = args.map((a) => `$${a}: ${types[a]}`).join(', ');
  const call = args.map((a) => `${a}: $${a}`).join(', ');
  const sel = selectionSet?.trim();
  const selection = sel ? (sel.startsWith('{') ? ` ${sel}` : ` { ${sel} }`) : '';
  return `${kind} SwirlCall${vars ? `(${vars})` : ''} { ${field}${call ? `(${call})` : ''}${selection} }`;
}

/** One `name: Type` of an argumentTypes list (`$` before the name allowed). */
const DECLARED = /^\s*\$?([_A-Za-z][_0-9A-Za-z]*)\s*:\s*(\[*\s*[_A-Za-z][_0-9A-Za-z]*\s*!?\s*(?:\]\s*!?\s*)*)$/;

/**
 * `"id: Int!, tags: [String!]"` → `{ id: 'Int!', tags: '[String!]' }`; an error naming the entry
 * that does not parse (or whose brackets do not balance).
 */
export function parseArgumentTypes(text: string): { ok: true; types: Record<string, string> } | { ok: false; error: string } {
  const out: Record<string, string> = {};
  for (const entry of text.split(',')) {
    if (entry.trim() === '') continue;
    const m = DECLARED.exec(entry);
    const type = m?.[2]?.replace(/\s+/g, '');
    if (!m || !type || (type.match(/\[/g) ?? []).length !== (type.match(/\]/g) ?? []).length) return { ok: false, error: `'${entry.trim()}' is not 'name: Type' (e.g. 'id: Int!' or 'ids: [ID!]!')` };
    out[m[1]!] = type;
  }
  return { ok: true, types: out };
}

function declaredTypes(text: string, field: string, args: string[]): Record<string, string> {
  const parsed = parseArgumentTypes(text);
  if (!parsed.ok) throw new WorkflowError('INVALID_ARGUMENT_TYPES', `graphql field '${field}': metadata.argumentTypes: ${parsed.error}`, { nonRetryable: true });
  const types = parsed.types;
  const missing = args.filter((a) => types[a] === undefined);
  if (missing.length > 0) throw new WorkflowError('INVALID_ARGUMENTS', `graphql field '${field}': metadata.argumentTypes declares no type for '${missing.join("', '")}' (it declares: ${Object.keys(types).join(', ') || 'none'})`, { nonRetryable: true });
  return types;
}

/** The code of a GraphQL error list: the first `extensions.code`, else GRAPHQL_ERROR. */
function errorCode(errors: unknown[]): string {
  for (const e of errors) {
    const code = (e as { extensions?: { code?: unknown } } | null)?.extensions?.code;
    if (typeof code === 'string' && code !== '') return code;
  }
  return 'GRAPHQL_ERROR';
}

/** Creates a caller with its own schema cache. */
export function createGraphqlCaller(): GraphqlCaller {
  const post: GraphqlPost = async (endpoint, body, opts) => {
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json' };
    if (opts.authorization !== undefined) headers.authorization = opts.authorization;
    if (opts.idempotencyKey !== undefined) headers['idempotency-key'] = opts.idempotencyKey;
    if (opts.traceparent !== undefined) headers.traceparent = opts.traceparent;
    const timeout = opts.timeoutMs !== undefined ? AbortSignal.timeout(opts.timeoutMs) : undefined;
    const signal = timeout && opts.signal ? AbortSignal.any([timeout, opts.signal]) : (timeout ?? opts.signal);
    let res;
    let raw: string;
    try {
      res = await request(endpoint, { method: 'POST', headers, body: JSON.stringify(body), signal, dispatcher: boundedDispatcher() });
      raw = await res.body.text();
    } catch (err) {
      const big = tooLarge(err, `POST ${endpoint}`);
      if (big) throw big;
      if (timeout?.aborted) throw new WorkflowError('timeout', `POST ${endpoint}: no answer within ${opts.timeoutMs} ms`, { details: { timeoutMs: opts.timeoutMs } });
      throw new InfrastructureError('NETWORK_ERROR', `POST ${endpoint}: ${(err as Error).message}`, { cause: err });
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      parsed = undefined;
    }
    const result = parsed as { data?: unknown; errors?: unknown } | undefined;
    // GraphQL over HTTP answers 4xx with a GraphQL body for request errors: those are read as errors[].
    if (res.statusCode >= 400 && !Array.isArray(result?.errors)) {
      throw new WorkflowError(String(res.statusCode), `POST ${endpoint} returned HTTP ${res.statusCode}`, { details: { status: res.statusCode, body: parsed ?? raw.slice(0, 1000) } });
    }
    if (!result || typeof result !== 'object') throw new WorkflowError('GRAPHQL_INVALID_RESPONSE', `POST ${endpoint}: the answer is not a GraphQL JSON response`, { nonRetryable: true });
    return result;
  };
  const schemas = new SchemaCache(post);
  return {
    async call(req: GraphqlCall): Promise<unknown> {
      const op = parseGraphqlOperation(req.operation);
      if (!op) throw new WorkflowError('INVALID_OPERATION', `graphql operation '${req.operation}' is not '<endpoint-uri>#<query|mutation>#<field>'`, { nonRetryable: true });
      const opts = { authorization: req.authorization, signal: req.signal, timeoutMs: req.timeoutMs };
      const args = Object.keys(req.arguments);
      const bad = args.filter((a) => !NAME.test(a));
      if (bad.length > 0) throw new WorkflowError('INVALID_ARGUMENTS', `graphql ${op.kind} '${op.field}': '${bad.join("', '")}' ${bad.length === 1 ? 'is not a GraphQL name' : 'are not GraphQL names'}`, { nonRetryable: true });
      const types = args.length === 0 ? {} : req.argumentTypes !== undefined ? declaredTypes(req.argumentTypes, op.field, args) : await schemas.argumentTypes(op.endpoint, op.kind, op.field, args, opts);
      const query = buildDocument(op.kind, op.field, args, types, req.selectionSet);
      const result = await post(op.endpoint, { query, variables: req.arguments, operationName: 'SwirlCall' }, { ...opts, idempotencyKey: req.idempotencyKey, ...(req.traceparent !== undefined ? { traceparent: req.traceparent } : {}) });
      if (Array.isArray(result.errors) && result.errors.length > 0) {
        const messages = result.errors.map((e) => String((e as { message?: unknown } | null)?.message ?? JSON.stringify(e)));
        throw new WorkflowError(errorCode(result.errors), `graphql ${op.kind} '${op.field}' at ${op.endpoint} failed: ${messages.join('; ')}`, { details: { errors: result.errors, data: result.data ?? null } });
      }
      return result.data ?? null;
    },
  };
}
