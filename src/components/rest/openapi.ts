/**
 * @module components/rest/openapi
 * Loading OpenAPI 3 and Swagger 2.0 documents (JSON or YAML; a file relative to the workflow, or
 * http(s)) and finding an operation by operationId: its method, path, server and parameters.
 * `$ref`s — inside the document and to other files, which resolve against the file they are in —
 * are dereferenced by @apidevtools/swagger-parser, the same library the validator checks them
 * with, so what validates is what runs.
 */
import { readFile } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { load } from 'js-yaml';
import { InfrastructureError, WorkflowError } from '../../errors.js';
import { loadOnUse } from '../../optional-module.js';
import { boundedHttp } from '../bounded-http-on-use.js';

/** The OpenAPI parser, loaded with the first document (issue 12: not at start-up). */
async function swaggerParser(): Promise<typeof import('@apidevtools/swagger-parser')> {
  return (await loadOnUse(() => import('@apidevtools/swagger-parser'), '@apidevtools/swagger-parser', 'rest (OpenAPI) functions')).default;
}

/** How long fetching a remote document (or a remote file it refers to) may take. */
const FETCH_TIMEOUT_MS = 10_000;

/** A parameter of an operation (path, query, header or cookie; Swagger 2.0's body/formData are the body). */
export interface OpenApiParameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
}

/** Where a parameter goes, for the request builder (Swagger 2.0 `body`/`formData` are the request body). */
const PARAMETER_PLACES: readonly string[] = ['path', 'query', 'header', 'cookie'];

/** An operation resolved from a document. */
export interface OpenApiOperation {
  method: string;
  path: string;
  /** Base URL of the service (servers[0].url resolved against the document location). */
  server: string;
  parameters: OpenApiParameter[];
  hasBody: boolean;
  /** The request body media type the call sends: the operation's first declared one (JSON when none). */
  bodyType: string;
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
type Obj = Record<string, unknown>;

/** Where a document lives: an absolute URL (http(s):// or file://). */
export function documentUrl(uri: string, baseDir: string): URL {
  if (/^https?:\/\//i.test(uri) || uri.startsWith('file:')) return new URL(uri);
  const path = isAbsolute(uri) ? uri : resolve(baseDir, uri);
  return new URL(`file://${path}`);
}

async function fetchText(url: URL, authorization?: string): Promise<string> {
  if (url.protocol === 'file:') {
    try {
      return await readFile(fileURLToPath(url), 'utf8');
    } catch (err) {
      throw new WorkflowError('OPENAPI_NOT_FOUND', `cannot read OpenAPI document ${fileURLToPath(url)}: ${(err as Error).message}`, { cause: err, nonRetryable: true });
    }
  }
  const http = await boundedHttp('rest (OpenAPI) functions');
  let res;
  try {
    res = await http.boundedRequest(url, { method: 'GET', headers: authorization ? { authorization } : {} });
  } catch (err) {
    throw new InfrastructureError('OPENAPI_UNREACHABLE', `cannot fetch OpenAPI document ${url.href}: ${(err as Error).message}`, { cause: err });
  }
  const text = await http.boundedText(res, `GET ${url.href}`);
  if (res.statusCode >= 400) throw new WorkflowError(String(res.statusCode), `fetching OpenAPI document ${url.href} failed with HTTP ${res.statusCode}`);
  return text;
}

function resolveRef(doc: Obj, value: unknown): unknown {
  if (value && typeof value === 'object' && typeof (value as Obj).$ref === 'string') {
    const ref = (value as Obj).$ref as string;
    if (!ref.startsWith('#/')) return value;
    let cur: unknown = doc;
    for (const seg of ref.slice(2).split('/')) cur = (cur as Obj | undefined)?.[seg.replace(/~1/g, '/').replace(/~0/g, '~')];
    return cur ?? value;
  }
  return value;
}

/** Swagger 2.0's base URL: `schemes[0]://host` + `basePath` (host defaults to the document's own). */
function swagger2Server(doc: Obj, url: URL): string {
  const schemes = Array.isArray(doc.schemes) ? (doc.schemes as string[]) : [];
  const scheme = schemes.includes('https') ? 'https' : (schemes[0] ?? (url.protocol === 'file:' ? 'http' : url.protocol.slice(0, -1)));
  const host = typeof doc.host === 'string' ? doc.host : url.protocol === 'file:' ? undefined : url.host;
  const basePath = typeof doc.basePath === 'string' ? doc.basePath : '/';
  return host === undefined ? basePath : `${scheme}://${host}${basePath}`;
}

/** Finds `operationId` in a parsed (dereferenced) OpenAPI 3 or Swagger 2.0 document loaded from `url`. */
export function findOperation(doc: Obj, operationId: string, url: URL): OpenApiOperation {
  const paths = (doc.paths ?? {}) as Obj;
  const swagger2 = typeof doc.swagger === 'string';
  for (const [path, itemRaw] of Object.entries(paths)) {
    const item = resolveRef(doc, itemRaw) as Obj;
    for (const method of METHODS) {
      const op = item?.[method] as Obj | undefined;
      if (!op || op.operationId !== operationId) continue;
      const all = [...((item.parameters as unknown[]) ?? []), ...((op.parameters as unknown[]) ?? [])].map((p) => resolveRef(doc, p) as Obj).filter((p) => typeof p?.name === 'string');
      const params = all.filter((p) => PARAMETER_PLACES.includes(p.in as string)).map((p) => ({ name: p.name as string, in: p.in as OpenApiParameter['in'] }));
      let server: string;
      let hasBody: boolean;
      let content: string[];
      if (swagger2) {
        server = swagger2Server(doc, url);
        const form = all.some((p) => p.in === 'formData');
        hasBody = form || all.some((p) => p.in === 'body');
        const consumes = (op.consumes ?? doc.consumes) as string[] | undefined;
        content = Array.isArray(consumes) ? consumes : form ? ['application/x-www-form-urlencoded'] : [];
      } else {
        const servers = (op.servers ?? item.servers ?? doc.servers) as { url?: string }[] | undefined;
        server = servers?.[0]?.url ?? '/';
        const body = resolveRef(doc, op.requestBody) as Obj | undefined;
        hasBody = op.requestBody !== undefined;
        content = body && typeof body.content === 'object' && body.content !== null ? Object.keys(body.content) : [];
      }
      if (!(url.protocol === 'file:' && !/^https?:/i.test(server))) server = new URL(server, url).href;
      const bodyType = content.find((t) => /json/i.test(t)) ?? content[0] ?? 'application/json';
      return { method: method.toUpperCase(), path, server, parameters: params, hasBody, bodyType };
    }
  }
  throw new WorkflowError('OPERATION_NOT_FOUND', `operationId '${operationId}' is not in OpenAPI document ${url.href}`, { nonRetryable: true });
}

/** Loads and caches documents by URL. */
export class OpenApiCache {
  private readonly docs = new Map<string, Promise<Obj>>();

  /**
   * The parsed document at `url` (JSON or YAML), fetched with `authorization` when given; its
   * `$ref`s only to what `reach` allows (when given).
   */
  load(url: URL, authorization?: string, reach?: (url: string) => string | undefined): Promise<Obj> {
    let p = this.docs.get(url.href);
    if (!p) {
      p = fetchText(url, authorization).then(async (text) => {
        const doc = load(text) as Obj;
        if (!doc || typeof doc !== 'object') throw new WorkflowError('INVALID_OPENAPI', `${url.href} is not an OpenAPI document`, { nonRetryable: true });
        return dereference(url, doc, authorization, reach);
      });
      p.catch(() => this.docs.delete(url.href));
      this.docs.set(url.href, p);
    }
    return p;
  }
}

/**
 * Resolves every `$ref` of `doc` (loaded from `url`), to other files too, against the file it is
 * in — the same rules the validator applies (a remote document never reads local files).
 */
async function dereference(url: URL, doc: Obj, authorization?: string, reach?: (url: string) => string | undefined): Promise<Obj> {
  const remote = url.protocol !== 'file:';
  try {
    const allowed = (file: { url: string }) => reach?.(file.url) === undefined;
    const isHttp = (file: { url: string }) => /^https?:/i.test(file.url);
    const http = { timeout: FETCH_TIMEOUT_MS, safeUrlResolver: false, ...(authorization ? { headers: { authorization } } : {}), ...(reach ? { canRead: (f: { url: string }) => isHttp(f) && allowed(f) } : {}) };
    // With a policy, the built-in resolvers read only allowed targets and a first one fails the rest
    // (the library would otherwise try the next resolver).
    const guarded = reach
      ? {
          ...(remote ? {} : { file: { canRead: (f: { url: string }) => !isHttp(f) && allowed(f) } }),
          reach: { order: 0, canRead: (f: { url: string }) => !allowed(f), read: (f: { url: string }) => Promise.reject(new Error(`${f.url} may not be read: ${reach(f.url)}`)) },
        }
      : {};
    return (await (await swaggerParser()).dereference(url.href, doc as never, {
      resolve: { http, ...(remote ? { file: false } : {}), ...guarded },
      dereference: { circular: 'ignore' },
    } as never)) as unknown as Obj;
  } catch (err) {
    // The library reports the guard's refusal only as "Error reading file": say why.
    const source = (err as { source?: unknown }).source;
    const refused = reach && typeof source === 'string' ? reach(source) : undefined;
    const reason = refused !== undefined ? `${String(source)} may not be read: ${refused}` : (err as Error).message;
    throw new WorkflowError('INVALID_OPENAPI', `OpenAPI document ${url.href}: a $ref cannot be resolved: ${reason}`, { cause: err, nonRetryable: true });
  }
}
