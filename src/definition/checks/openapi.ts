/**
 * @module definition/checks/openapi
 * `rest` functions (spec §Using Functions for RESTful Service Invocations): the OpenAPI document
 * of `<doc-uri>#<operationId>` is loaded like every other external file (relative to the workflow,
 * as the runtime caller resolves it; http(s) with the same timeout), `$ref`s across files are
 * dereferenced by @apidevtools/swagger-parser (OpenAPI 3.x and Swagger 2.0), and the operationId
 * and a base URL for the call must be found. An unreachable remote document is a warning.
 */
import { fileURLToPath, pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import { DiagnosticCode, type Diagnostic } from '../diagnostic.js';
import { loadOnUse } from '../../optional-module.js';
import { REMOTE_TIMEOUT_MS, isRelativeReference, readReference, resolveReference } from '../external.js';
import { getAtPointer, joinPointer } from '../json-pointer.js';
import type { ParsedDocument } from '../parse.js';
import { parseDocument } from '../parse.js';
import { reachProblem, urlRefusal, type ReachPolicy } from '../reach.js';
import { Reporter } from '../report.js';
import { didYouMean } from '../suggest.js';
import { isObject } from '../walk.js';

type Obj = Record<string, unknown>;

/** A rest function to check: its definition and the document + pointer its `operation` is at. */
export interface RestFunctionSite {
  operation: string;
  /** Where the function is written (the workflow or an external functions file). */
  at: ParsedDocument;
  pointer: string;
  /**
   * The function has an `authRef`: its document is fetched with credentials that exist only at run
   * time ($SECRETS), so a remote one is not fetched here (it would answer 401 and send a request
   * without them); it is checked at the first call.
   */
  authenticated?: boolean;
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/** Every operationId of a (dereferenced) document. */
function operationIds(doc: Obj): string[] {
  const ids: string[] = [];
  for (const item of Object.values(isObject(doc.paths) ? doc.paths : {})) {
    if (!isObject(item)) continue;
    for (const m of METHODS) {
      const op = item[m];
      if (isObject(op) && typeof op.operationId === 'string') ids.push(op.operationId);
    }
  }
  return ids;
}

/** The servers that apply to an operation (operation, then path item, then document). */
function serversOf(doc: Obj, operationId: string): unknown {
  for (const item of Object.values(isObject(doc.paths) ? doc.paths : {})) {
    if (!isObject(item)) continue;
    for (const m of METHODS) {
      const op = item[m];
      if (isObject(op) && op.operationId === operationId) return op.servers ?? item.servers ?? doc.servers;
    }
  }
  return doc.servers;
}

/**
 * Whether a call can get a base URL, as the runtime caller derives it: an absolute
 * `servers[0].url` (or Swagger 2.0 `host`), or one relative to a remote document's own URL.
 * 'derived' when the document gives none and its own location is used.
 */
function baseUrlOf(doc: Obj, operationId: string, remote: boolean): 'ok' | 'derived' | 'none' {
  if (typeof doc.swagger === 'string') return typeof doc.host === 'string' && doc.host !== '' ? 'ok' : remote ? 'derived' : 'none';
  const servers = serversOf(doc, operationId);
  const url = Array.isArray(servers) && isObject(servers[0]) && typeof servers[0].url === 'string' ? servers[0].url : undefined;
  if (url !== undefined && /^https?:\/\//i.test(url)) return 'ok';
  return remote ? 'derived' : 'none';
}

/** Checks one rest function's document and operationId. */
async function checkOne(site: RestFunctionSite, workflow: ParsedDocument, cache: Map<string, Promise<Obj | Diagnostic[] | string>>, out: Diagnostic[]): Promise<void> {
  const r = new Reporter(site.at.file, site.at.source, site.at.value);
  // Not `<uri>#<operationId>` (no `#`, or a gRPC-style `a.proto#Service#Method`): INVALID_OPERATION,
  // reported by checks/functions.ts; a document named by half of it would be a second, wrong finding.
  if (!/^[^#]+#[^#]+$/.test(site.operation)) return;
  const hash = site.operation.indexOf('#');
  const uri = site.operation.slice(0, hash);
  const operationId = site.operation.slice(hash + 1);
  // Unanchored (API) definitions: RELATIVE_REFERENCE, reported by validate.ts.
  if (workflow.unanchored && isRelativeReference(uri)) return;
  const target = resolveReference(uri, workflow.file);
  // Outside what the server lets this definition reach: refused before anything is read or fetched.
  const refused = workflow.reach ? reachProblem(workflow.reach, target) : undefined;
  if (refused !== undefined) {
    r.error(DiagnosticCode.ReferenceNotAllowed, site.pointer, `the OpenAPI document '${uri}' of this rest function is not allowed: ${refused}`, {
      hint: 'the server operator decides what definitions registered over the API may read: --definition-root <dir> for files, --allow-url-prefix <url> for URLs',
    });
    out.push(...r.diagnostics);
    return;
  }
  const remote = target.kind === 'url';
  if (remote && site.authenticated === true) return;
  const key = remote ? target.url : resolve(target.path);
  let loading = cache.get(key);
  if (!loading) cache.set(key, (loading = loadDocument(uri, workflow, remote, key)));
  const loaded = await loading;
  if (typeof loaded === 'string') {
    if (remote) {
      r.warning(DiagnosticCode.OpenApiUnreachable, site.pointer, `cannot fetch the OpenAPI document '${uri}' to check operation '${operationId}': ${loaded}`, {
        hint: 'the operation is checked when the function is first called; make the document reachable from here to check it now',
      });
    } else {
      r.error(DiagnosticCode.FileNotFound, site.pointer, `cannot load the OpenAPI document of this rest function from '${uri}': ${loaded}`, {
        hint: `the path is relative to the workflow file (${workflow.file}), or write an absolute path or URL`,
      });
    }
  } else if (Array.isArray(loaded)) {
    out.push(...loaded);
    r.error(DiagnosticCode.InvalidOpenApi, site.pointer, `'${uri}' is not a usable OpenAPI document (see the diagnostics in it)`);
  } else {
    const ids = operationIds(loaded);
    if (!ids.includes(operationId)) {
      r.error(DiagnosticCode.UnknownOperation, site.pointer, `operationId '${operationId}' is not in the OpenAPI document '${uri}'${didYouMean(operationId, ids)}`, {
        hint: ids.length > 0 ? `its operations: ${ids.slice(0, 10).join(', ')}${ids.length > 10 ? ', …' : ''}` : 'the document defines no operationId',
      });
    } else {
      const base = baseUrlOf(loaded, operationId, remote);
      if (base === 'none') {
        r.error(DiagnosticCode.OpenApiNoServer, site.pointer, `operation '${operationId}' of '${uri}' has no base URL: the document has no absolute 'servers' URL${typeof loaded.swagger === 'string' ? " ('host')" : ''} and is a local file`, {
          hint: "add servers: [{url: 'https://api.example.com'}] to the document (or to the operation)",
        });
      } else if (base === 'derived') {
        r.warning(DiagnosticCode.OpenApiNoServer, site.pointer, `operation '${operationId}' of '${uri}': the document has no absolute 'servers' URL, so calls go to the document's own host`, {
          hint: 'add an absolute servers URL to the document if the API lives elsewhere',
        });
      }
    }
  }
  out.push(...r.diagnostics);
}

/** Why a read or fetch failed, with undici's cause (`fetch failed` alone says nothing). */
function fetchFailure(err: unknown): string {
  if (err instanceof Error && err.name === 'TimeoutError') return `no answer within ${REMOTE_TIMEOUT_MS / 1000} s`;
  const cause = err instanceof Error && err.cause instanceof Error ? err.cause.message : undefined;
  const message = err instanceof Error ? err.message : String(err);
  return cause && !message.includes(cause) ? `${message} (${cause})` : message;
}

/** The dereferenced document; a string when it cannot be read or fetched; diagnostics in the document when it is no OpenAPI. */
async function loadDocument(uri: string, workflow: ParsedDocument, remote: boolean, key: string): Promise<Obj | Diagnostic[] | string> {
  let text: { name: string; text: string };
  try {
    text = await readReference(uri, workflow.file);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : fetchFailure(err);
  }
  const parsed = parseDocument(text.text, text.name);
  if (!parsed.ok) return [parsed.diagnostic];
  const doc = parsed.document;
  const rep = new Reporter(doc.file, doc.source, doc.value);
  if (!isObject(doc.value) || (typeof doc.value.openapi !== 'string' && typeof doc.value.swagger !== 'string')) {
    rep.error(DiagnosticCode.InvalidOpenApi, '', "not an OpenAPI document: no 'openapi' (3.x) or 'swagger' (2.0) version field");
    return rep.diagnostics;
  }
  // Dereferencing resolves `$ref`s to other files against the document's own location, with
  // the timeout of every other remote file; the parsed object is a copy (dereference mutates).
  const base = remote ? key : pathToFileURL(key).href;
  try {
    const SwaggerParser = (await loadOnUse(() => import('@apidevtools/swagger-parser'), '@apidevtools/swagger-parser', 'checking rest (OpenAPI) functions')).default;
    const api = await SwaggerParser.dereference(base, structuredClone(doc.value) as never, {
      continueOnError: true,
      // The same rules as every other remote file (external.ts `readReference`): any http(s) host,
      // loopback and private ones too (the library's safeUrlResolver would refuse a $ref that the
      // document itself, fetched by us, may come from). A remote document never reads local files.
      resolve: { http: { timeout: REMOTE_TIMEOUT_MS, safeUrlResolver: false }, ...(remote ? { file: false } : {}), ...reachResolvers(workflow.reach, remote) },
      dereference: { circular: 'ignore' },
    } as never);
    return api as unknown as Obj;
  } catch (err) {
    for (const e of refErrors(err)) {
      const at = e.source === base && Array.isArray(e.path) ? joinPointer('', ...e.path.map(String)) : '';
      const ref = getAtPointer(doc.value, joinPointer(at, '$ref'));
      // A failure in a file this one refers to is reported here, naming that file.
      const what = typeof ref === 'string' ? `$ref '${ref}'` : e.source && e.source !== base ? `a $ref in the files it refers to (${relativeTo(base, e.source)})` : 'a $ref';
      rep.error(DiagnosticCode.InvalidOpenApi, typeof ref === 'string' ? joinPointer(at, '$ref') : at, `${what} cannot be resolved: ${refusedRef(workflow.reach, ref, e.source ?? base) ?? refReason(e, base)}`, {
        hint: '$refs to other files resolve against the file they are in',
      });
    }
    return rep.diagnostics;
  }
}

/**
 * `not allowed: …` when the reach policy refused the target of `$ref` `ref` (written in the file at
 * `source`): the library reports its resolver's refusal only as "Error reading file".
 */
function refusedRef(reach: ReachPolicy | undefined, ref: unknown, source: string): string | undefined {
  if (!reach || typeof ref !== 'string' || ref.startsWith('#')) return undefined;
  let target: string;
  try {
    target = new URL(ref.split('#')[0]!, source).href;
  } catch {
    return undefined;
  }
  const problem = urlRefusal(reach, target);
  return problem !== undefined ? `not allowed: ${problem}` : undefined;
}

/**
 * Resolver options that keep `$ref`s inside the reach policy: the built-in file and http resolvers
 * read only allowed targets, and a first resolver takes every other one and fails it (the library
 * would otherwise try the next resolver). Nothing when there is no policy.
 */
function reachResolvers(reach: ReachPolicy | undefined, remote: boolean): Record<string, unknown> {
  if (!reach) return {};
  const refusal = (url: string) => urlRefusal(reach, url);
  const allowed = (file: { url: string }) => refusal(file.url) === undefined;
  return {
    http: { timeout: REMOTE_TIMEOUT_MS, safeUrlResolver: false, canRead: (file: { url: string }) => /^https?:/i.test(file.url) && allowed(file) },
    ...(remote ? {} : { file: { canRead: (file: { url: string }) => !/^https?:/i.test(file.url) && allowed(file) } }),
    reach: {
      order: 0,
      canRead: (file: { url: string }) => !allowed(file),
      read: (file: { url: string }) => Promise.reject(new Error(`not allowed: ${refusal(file.url)}`)),
    },
  };
}

/** A $ref failure as json-schema-ref-parser reports it (with `continueOnError`, a group of them). */
interface RefError {
  message: string;
  source?: string;
  path?: unknown[] | null;
  ioErrorCode?: string;
}

function refErrors(err: unknown): RefError[] {
  const group = (err as { errors?: unknown }).errors;
  if (Array.isArray(group) && group.length > 0) return group as RefError[];
  return [{ message: err instanceof Error ? err.message : String(err) }];
}

/** Why a $ref failed, without the machine's absolute paths (diagnostics print the same everywhere). */
function refReason(e: RefError, base: string): string {
  if (e.ioErrorCode === 'ENOENT') return 'no such file';
  const dir = base.slice(0, base.lastIndexOf('/') + 1);
  const local = dir.startsWith('file:') ? fileURLToPath(dir) : dir;
  return e.message.split(dir).join('').split(local).join('');
}

function relativeTo(base: string, target: string): string {
  const dir = base.slice(0, base.lastIndexOf('/') + 1);
  return target.startsWith(dir) ? target.slice(dir.length) : target;
}

/** Checks every rest function; documents used by several functions are loaded once. */
export async function checkRestFunctions(sites: RestFunctionSite[], workflow: ParsedDocument, out: Diagnostic[]): Promise<void> {
  const cache = new Map<string, Promise<Obj | Diagnostic[] | string>>();
  await Promise.all(sites.map((s) => checkOne(s, workflow, cache, out)));
}
