/**
 * @module components/rest/openapi
 * Loading OpenAPI 3 documents (JSON or YAML; a file relative to the workflow, or http(s)) and
 * finding an operation by operationId: its method, path, server and parameters.
 */
import { readFile } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { load } from 'js-yaml';
import { request } from 'undici';
import { InfrastructureError, WorkflowError } from '../../errors.js';

/** A parameter of an operation (path, query, header or cookie). */
export interface OpenApiParameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
}

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
  let res;
  try {
    res = await request(url, { method: 'GET', headers: authorization ? { authorization } : {} });
  } catch (err) {
    throw new InfrastructureError('OPENAPI_UNREACHABLE', `cannot fetch OpenAPI document ${url.href}: ${(err as Error).message}`, { cause: err });
  }
  const text = await res.body.text();
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

/** Finds `operationId` in a parsed OpenAPI 3 document loaded from `url`. */
export function findOperation(doc: Obj, operationId: string, url: URL): OpenApiOperation {
  const paths = (doc.paths ?? {}) as Obj;
  for (const [path, itemRaw] of Object.entries(paths)) {
    const item = resolveRef(doc, itemRaw) as Obj;
    for (const method of METHODS) {
      const op = item?.[method] as Obj | undefined;
      if (!op || op.operationId !== operationId) continue;
      const params = [...((item.parameters as unknown[]) ?? []), ...((op.parameters as unknown[]) ?? [])]
        .map((p) => resolveRef(doc, p) as Obj)
        .filter((p) => typeof p?.name === 'string')
        .map((p) => ({ name: p.name as string, in: p.in as OpenApiParameter['in'] }));
      const servers = (op.servers ?? item.servers ?? doc.servers) as { url?: string }[] | undefined;
      const rawServer = servers?.[0]?.url ?? '/';
      const server = url.protocol === 'file:' && !/^https?:/i.test(rawServer) ? rawServer : new URL(rawServer, url).href;
      const body = resolveRef(doc, op.requestBody) as Obj | undefined;
      const content = body && typeof body.content === 'object' && body.content !== null ? Object.keys(body.content) : [];
      const bodyType = content.find((t) => /json/i.test(t)) ?? content[0] ?? 'application/json';
      return { method: method.toUpperCase(), path, server, parameters: params, hasBody: op.requestBody !== undefined, bodyType };
    }
  }
  throw new WorkflowError('OPERATION_NOT_FOUND', `operationId '${operationId}' is not in OpenAPI document ${url.href}`, { nonRetryable: true });
}

/** Loads and caches documents by URL. */
export class OpenApiCache {
  private readonly docs = new Map<string, Promise<Obj>>();

  /** The parsed document at `url` (JSON or YAML), fetched with `authorization` when given. */
  load(url: URL, authorization?: string): Promise<Obj> {
    let p = this.docs.get(url.href);
    if (!p) {
      p = fetchText(url, authorization).then((text) => {
        const doc = load(text) as Obj;
        if (!doc || typeof doc !== 'object') throw new WorkflowError('INVALID_OPENAPI', `${url.href} is not an OpenAPI document`, { nonRetryable: true });
        return doc;
      });
      p.catch(() => this.docs.delete(url.href));
      this.docs.set(url.href, p);
    }
    return p;
  }
}
