/**
 * @module definition/checks/protocols
 * `rpc` and `odata` functions checked before any run (specs/function-types.md): an rpc function's
 * .proto file (relative to the file the function is written in, with its imports) is loaded with
 * @grpc/proto-loader, its service and method must exist and be unary, and the literal argument names
 * of every functionRef calling it must be fields of the request message; an odata functionRef's
 * arguments must be `key`/`queryOptions` with known query options. A remote .proto is fetched with
 * its imports (definition/remote-proto.ts); one that cannot be fetched is a warning and is checked at
 * its first call. graphql functions: checks/graphql.ts.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { PackageDefinition } from '@grpc/proto-loader';
import { loadOnUse } from '../../optional-module.js';
import { DiagnosticCode, type Diagnostic } from '../diagnostic.js';
import { isRelativeReference, relativeReferenceDiagnostic, resolveReference } from '../external.js';
import { joinPointer } from '../json-pointer.js';
import type { ParsedDocument } from '../parse.js';
import { reachProblem, type ReachPolicy } from '../reach.js';
import { mirrorRemoteProto } from '../remote-proto.js';
import { Reporter } from '../report.js';
import { closest, didYouMean } from '../suggest.js';
import { actionsOf, isObject, states } from '../walk.js';

type Obj = Record<string, unknown>;

/** A function definition and where it is written. */
export interface FunctionSite {
  fn: Obj;
  at: ParsedDocument;
  pointer: string;
}

/** What the runtime caller sends an odata service (components/odata, kept in step with it). */
const ODATA_ARGUMENTS = ['key', 'id', 'queryOptions'];
const ODATA_QUERY_OPTIONS = ['filter', 'expand', 'select', 'orderby', 'orderBy', 'top', 'skip', 'count', 'search', 'format', 'compute', 'index', 'schemaversion', 'schemaVersion'];

/** The same options the runtime loads with (components/rpc/proto.ts): lowerCamelCase field names. */
const LOAD_OPTIONS = { keepCase: false, longs: String, enums: String, defaults: true, includeDirs: [] as string[] };

interface MethodShape {
  requestFields: string[];
  streaming: boolean;
}

/** A loaded proto tree, or why not (`kind` for a remote one: see MirrorOutcome; else it does not load). */
type Loaded = { ok: true; def: PackageDefinition } | { ok: false; reason: string; kind?: 'unreachable' | 'invalid' | 'refused' };

async function loadProto(path: string): Promise<Loaded> {
  // proto-loader (and protobufjs) load with the first rpc function checked (issue 12: not at start-up).
  const { load } = await loadOnUse(() => import('@grpc/proto-loader'), '@grpc/proto-loader', 'checking rpc functions');
  try {
    return { ok: true, def: await load(path, { ...LOAD_OPTIONS, includeDirs: [dirname(path)] }) };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOENT' && e.path === path) return { ok: false, reason: 'no such file' };
    // proto-loader names absolute paths: keep the message, drop the machine's folders.
    return { ok: false, reason: (e.message ?? String(err)).split(dirname(path) + '/').join('') };
  }
}

/** A remote proto tree, mirrored into a private folder that is removed once it is loaded. */
async function loadRemoteProto(url: string, reach: ReachPolicy | undefined): Promise<Loaded> {
  const dir = await mkdtemp(join(tmpdir(), 'swirl-proto-check-'));
  try {
    const mirrored = await mirrorRemoteProto(new URL(url), dir, reach);
    if (!mirrored.ok) return mirrored;
    return await loadProto(mirrored.main);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function serviceNames(def: PackageDefinition): string[] {
  return Object.keys(def).filter((k) => !('format' in def[k]!));
}

/** Checks one rpc function's proto, service and method; returns the method's shape when found. */
async function checkRpc(site: FunctionSite, workflow: ParsedDocument, cache: Map<string, Promise<Loaded>>, out: Diagnostic[]): Promise<MethodShape | undefined> {
  const op = typeof site.fn.operation === 'string' ? /^(.+)#([^#]+)#([^#]+)$/.exec(site.fn.operation) : null;
  if (!op) return undefined; // INVALID_OPERATION, reported by checks/functions.ts
  const [, uri, service, method] = op as unknown as [string, string, string, string];
  const r = new Reporter(site.at.file, site.at.source, site.at.value);
  const pointer = joinPointer(site.pointer, 'operation');
  const report = () => out.push(...r.diagnostics);
  // A definition without a location (registered over the API) has no folder to resolve against.
  if (workflow.unanchored && isRelativeReference(uri)) {
    out.push(relativeReferenceDiagnostic(uri, workflow, site.at === workflow ? pointer : '/functions'));
    return undefined;
  }
  // Relative to the workflow file, as the runtime caller resolves it (also for functions written
  // in an external functions file, as for rest functions' OpenAPI documents).
  const target = resolveReference(uri.replace(/^file:\/\/(?=[^/])/i, ''), workflow.file);
  const refused = workflow.reach ? reachProblem(workflow.reach, target) : undefined;
  if (refused !== undefined) {
    r.error(DiagnosticCode.ReferenceNotAllowed, pointer, `the proto file '${uri}' of this rpc function is not allowed: ${refused}`);
    report();
    return undefined;
  }
  const key = target.kind === 'url' ? target.url : target.path;
  let loading = cache.get(key);
  if (!loading) cache.set(key, (loading = target.kind === 'url' ? loadRemoteProto(target.url, workflow.reach) : loadProto(target.path)));
  const loaded = await loading;
  if (!loaded.ok) {
    if (loaded.kind === 'unreachable') {
      r.warning(DiagnosticCode.RpcProtoUnreachable, pointer, `cannot read the proto file '${uri}' to check service '${service}' and method '${method}': ${loaded.reason}`, { hint: 'it is checked at the first call instead' });
    } else if (loaded.kind === 'refused') r.error(DiagnosticCode.ReferenceNotAllowed, pointer, `the proto file '${uri}' of this rpc function imports a file that is not allowed: ${loaded.reason}`);
    else if (loaded.kind === 'invalid') r.error(DiagnosticCode.InvalidProto, pointer, `the proto file '${uri}' does not load: ${loaded.reason}`, { hint: 'imports resolve against the folder of the proto file' });
    else if (loaded.reason === 'no such file') r.error(DiagnosticCode.FileNotFound, pointer, `cannot load the proto file of this rpc function from '${uri}': no such file`, { hint: `the path is relative to the workflow file (${workflow.file}), or write an absolute path or URL` });
    else r.error(DiagnosticCode.InvalidProto, pointer, `the proto file '${uri}' does not load: ${loaded.reason}`, { hint: 'imports resolve against the folder of the proto file' });
    report();
    return undefined;
  }
  const services = serviceNames(loaded.def);
  const simple = services.map((s) => s.split('.').pop()!);
  const full = services.includes(service) ? service : services.filter((s) => s.split('.').pop() === service).length === 1 ? services.find((s) => s.split('.').pop() === service) : undefined;
  if (full === undefined) {
    r.error(DiagnosticCode.UnknownService, pointer, `service '${service}' is not in the proto file '${uri}'${didYouMean(service, simple)}`, { hint: services.length > 0 ? `its services: ${services.join(', ')}` : 'the file defines no service' });
    report();
    return undefined;
  }
  const methods = loaded.def[full] as unknown as Record<string, { requestStream: boolean; responseStream: boolean; requestType: { type: { field: { name: string }[] } } }>;
  const m = methods[method];
  if (!m) {
    r.error(DiagnosticCode.UnknownMethod, pointer, `method '${method}' is not in service '${full}'${didYouMean(method, Object.keys(methods))}`, { hint: `its methods: ${Object.keys(methods).join(', ')}` });
    report();
    return undefined;
  }
  if (m.requestStream || m.responseStream) {
    r.error(DiagnosticCode.UnsupportedRpcStreaming, pointer, `method '${full}/${method}' streams (${m.requestStream ? 'request' : 'response'}); rpc functions call unary methods only`);
    report();
    return undefined;
  }
  return { requestFields: m.requestType.type.field.map((f) => f.name), streaming: false };
}

const camelCase = (name: string) => name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/** Unknown literal argument names at `argsPointer`, with a did-you-mean among `known`. */
function unknownArguments(args: Obj, argsPointer: string, known: string[], what: string, normalize: (k: string) => string, r: Reporter): void {
  for (const key of Object.keys(args)) {
    if (known.includes(normalize(key))) continue;
    const near = closest(key, known);
    r.error(DiagnosticCode.UnknownArgument, joinPointer(argsPointer, key), `argument '${key}' is not ${what}${near ? `; did you mean '${near}'?` : ''}`, { hint: `it takes: ${known.join(', ') || 'no arguments'}` });
  }
}

/**
 * Checks rpc functions (proto, service, method) and the arguments of the functionRefs that call
 * rpc and odata functions in the workflow document `doc`.
 */
export async function checkProtocolFunctions(sites: FunctionSite[], workflow: ParsedDocument, doc: Obj, out: Diagnostic[]): Promise<void> {
  const cache = new Map<string, Promise<Loaded>>();
  const shapes = new Map<string, MethodShape>();
  await Promise.all(
    sites.map(async (s) => {
      if (s.fn.type !== 'rpc') return;
      const shape = await checkRpc(s, workflow, cache, out);
      if (shape && typeof s.fn.name === 'string') shapes.set(s.fn.name, shape);
    }),
  );
  const types = new Map(sites.map((s) => [s.fn.name, s.fn.type]));
  const r = new Reporter(workflow.file, workflow.source, workflow.value);
  for (const { state, pointer } of states(doc)) {
    for (const { action, pointer: ap } of actionsOf(state, pointer)) {
      const ref = action.functionRef;
      if (!isObject(ref) || typeof ref.refName !== 'string' || !isObject(ref.arguments)) continue;
      const argsPointer = joinPointer(ap, 'functionRef', 'arguments');
      const shape = shapes.get(ref.refName);
      if (shape) unknownArguments(ref.arguments, argsPointer, shape.requestFields, `a field of the request message of '${ref.refName}'`, camelCase, r);
      if (types.get(ref.refName) === 'odata') {
        unknownArguments(ref.arguments, argsPointer, ODATA_ARGUMENTS, `an odata argument (odata.json)`, (k) => k, r);
        if (isObject(ref.arguments.queryOptions)) unknownArguments(ref.arguments.queryOptions, joinPointer(argsPointer, 'queryOptions'), ODATA_QUERY_OPTIONS, 'an odata query option', (k) => k, r);
      }
    }
  }
  out.push(...r.diagnostics);
}
