/**
 * @module components/rpc/proto
 * Loading the .proto file of an `rpc` function (a file relative to the workflow, a `file:` URI or an
 * http(s) URL) with its imports, through @grpc/proto-loader, and finding a service's method in it.
 * A remote file and the files it imports are fetched into a private folder first (proto-loader
 * reads from disk); `google/protobuf/*` imports are protobuf.js's built-in copies.
 */
import { mkdtemp, mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { load, type MethodDefinition, type Options, type PackageDefinition } from '@grpc/proto-loader';
import { InfrastructureError, WorkflowError } from '../../errors.js';
import { boundedRequest, boundedText } from '../bounded-http.js';

/**
 * proto-loader options giving the proto3 JSON mapping (specs/function-types.md): lowerCamelCase
 * field names, 64-bit integers as decimal strings, enums by name, bytes as base64, and fields
 * left at their default present in the response.
 */
export const PROTO_OPTIONS: Options = { keepCase: false, longs: String, enums: String, bytes: String, defaults: true, arrays: true, objects: true, json: true };

/** How long fetching a remote .proto (or one it imports) may take. */
const FETCH_TIMEOUT_MS = 10_000;
/** Bounds of a remote proto tree: files and bytes per file. */
const MAX_REMOTE_FILES = 64;
const MAX_FILE_BYTES = 1024 * 1024;

/** One method of a service, as the caller needs it. */
export interface RpcMethod {
  /** Fully-qualified service name (`pkg.Service`). */
  service: string;
  name: string;
  definition: MethodDefinition<object, object>;
  /** Fully-qualified request message type name. */
  requestType: string;
  responseType: string;
}

/** A loaded proto tree. */
export interface LoadedProto {
  definition: PackageDefinition;
  /** Fully-qualified names of the services it defines. */
  services: string[];
}

/** Where a proto file lives: an absolute URL (http(s):// or file://). */
export function protoUrl(uri: string, baseDir: string): URL {
  if (/^https?:\/\//i.test(uri)) return new URL(uri);
  if (/^file:/i.test(uri)) {
    try {
      return new URL(`file://${fileURLToPath(uri)}`);
    } catch {
      // `file://user.proto`, the spec examples' way to write a relative file.
      return new URL(`file://${join(baseDir, uri.replace(/^file:\/\//i, ''))}`);
    }
  }
  return new URL(`file://${uri.startsWith('/') ? uri : join(baseDir, uri)}`);
}

/** The imports a .proto file names (`import "x.proto";`, `import public …`, `import weak …`). */
export function protoImports(text: string): string[] {
  const out: string[] = [];
  const re = /^\s*import\s+(?:public\s+|weak\s+)?["']([^"']+)["']\s*;/gm;
  for (let m = re.exec(text); m; m = re.exec(text)) out.push(m[1]!);
  return out;
}

async function fetchProto(url: URL): Promise<string> {
  let res;
  try {
    res = await boundedRequest(url, { method: 'GET', headersTimeout: FETCH_TIMEOUT_MS, bodyTimeout: FETCH_TIMEOUT_MS });
  } catch (err) {
    throw new InfrastructureError('PROTO_UNREACHABLE', `cannot fetch proto file ${url.href}: ${(err as Error).message}`, { cause: err });
  }
  const text = await boundedText(res, `GET ${url.href}`);
  if (res.statusCode >= 400) throw new WorkflowError('PROTO_NOT_FOUND', `fetching proto file ${url.href} failed with HTTP ${res.statusCode}`, { nonRetryable: true });
  if (text.length > MAX_FILE_BYTES) throw new WorkflowError('PROTO_TOO_LARGE', `proto file ${url.href} is larger than ${MAX_FILE_BYTES} bytes`, { nonRetryable: true });
  return text;
}

/**
 * Copies a remote proto and everything it imports (resolved against the main file's folder, as an
 * include root) into `dir`; returns the main file's path there.
 */
async function mirrorRemote(url: URL, dir: string): Promise<string> {
  const root = new URL('.', url);
  const main = url.href.slice(root.href.length);
  const seen = new Set<string>();
  const queue = [main];
  while (queue.length > 0) {
    const rel = normalize(queue.shift()!);
    if (seen.has(rel) || rel.startsWith('google/protobuf/')) continue;
    if (rel.startsWith('..') || rel.startsWith('/')) throw new WorkflowError('INVALID_PROTO', `proto file ${url.href} imports '${rel}', outside its folder`, { nonRetryable: true });
    seen.add(rel);
    if (seen.size > MAX_REMOTE_FILES) throw new WorkflowError('PROTO_TOO_LARGE', `proto file ${url.href} imports more than ${MAX_REMOTE_FILES} files`, { nonRetryable: true });
    const text = await fetchProto(new URL(rel, root));
    const target = join(dir, rel);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, text);
    queue.push(...protoImports(text));
  }
  return join(dir, main);
}

/** proto-loader's message, without install paths. */
function loadFailure(url: URL, err: unknown): WorkflowError {
  const message = (err as Error).message ?? String(err);
  return new WorkflowError('INVALID_PROTO', `cannot load proto file ${url.href}: ${message.replace(/ in \/.*$/s, '')}`, { cause: err, nonRetryable: true });
}

/** Loads a proto tree (no cache). */
export async function loadProto(url: URL): Promise<LoadedProto> {
  let definition: PackageDefinition;
  if (url.protocol === 'file:') {
    const path = fileURLToPath(url);
    try {
      await stat(path);
    } catch {
      throw new WorkflowError('PROTO_NOT_FOUND', `cannot read proto file ${path}: no such file`, { nonRetryable: true });
    }
    try {
      definition = await load(path, { ...PROTO_OPTIONS, includeDirs: [dirname(path)] });
    } catch (err) {
      throw loadFailure(url, err);
    }
  } else {
    const dir = await mkdtemp(join(tmpdir(), 'swirl-proto-'));
    try {
      const main = await mirrorRemote(url, dir);
      try {
        definition = await load(main, { ...PROTO_OPTIONS, includeDirs: [dir] });
      } catch (err) {
        throw loadFailure(url, err);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  const services = Object.keys(definition).filter((k) => !('format' in definition[k]!) && !('type' in definition[k]!));
  return { definition, services };
}

/** Loaded proto trees by URL; a local file is loaded again when it changed (its mtime). */
export class ProtoCache {
  private readonly protos = new Map<string, { version: string; loading: Promise<LoadedProto> }>();

  async load(url: URL): Promise<LoadedProto> {
    const version = url.protocol === 'file:' ? String((await stat(fileURLToPath(url)).catch(() => undefined))?.mtimeMs ?? 'missing') : 'remote';
    const hit = this.protos.get(url.href);
    if (hit && hit.version === version) return hit.loading;
    const loading = loadProto(url);
    const entry = { version, loading };
    this.protos.set(url.href, entry);
    loading.catch(() => {
      if (this.protos.get(url.href) === entry) this.protos.delete(url.href);
    });
    return loading;
  }
}

/**
 * The fully-qualified name of `service` in a proto tree: written fully-qualified (`pkg.Service`),
 * or by its simple name when exactly one service has it. Undefined when none (or several) match.
 */
export function findService(proto: LoadedProto, service: string): string | undefined {
  if (proto.services.includes(service)) return service;
  const simple = proto.services.filter((s) => s.split('.').pop() === service);
  return simple.length === 1 ? simple[0] : undefined;
}

/** The simple names of a tree's services (for did-you-mean). */
export function serviceNames(proto: LoadedProto): string[] {
  return proto.services.map((s) => s.split('.').pop()!);
}

/** The methods of a (fully-qualified) service, by their proto names. */
export function methodNames(proto: LoadedProto, service: string): string[] {
  return Object.keys(proto.definition[service] ?? {});
}

/** A method, or an error naming what is missing. */
export function findMethod(proto: LoadedProto, url: URL, service: string, method: string): RpcMethod {
  const full = findService(proto, service);
  if (full === undefined) throw new WorkflowError('UNKNOWN_SERVICE', `service '${service}' is not in proto file ${url.href} (it has: ${serviceNames(proto).join(', ') || 'no services'})`, { nonRetryable: true });
  const def = (proto.definition[full] as Record<string, MethodDefinition<object, object>>)[method];
  if (!def) throw new WorkflowError('UNKNOWN_METHOD', `method '${method}' is not in service '${full}' of ${url.href} (it has: ${methodNames(proto, full).join(', ')})`, { nonRetryable: true });
  return { service: full, name: method, definition: def, requestType: typeNameOf(proto, def.requestType.type as { name?: string }), responseType: typeNameOf(proto, def.responseType.type as { name?: string }) };
}

/** The fully-qualified name under which a message descriptor is in the tree. */
function typeNameOf(proto: LoadedProto, type: { name?: string }): string {
  // proto-loader gives each method its own copy of the descriptor: match by simple name, and by
  // content when several packages define a message of that name.
  const same = Object.entries(proto.definition).filter(([name, entry]) => name.split('.').pop() === type.name && (entry as { format?: string }).format === 'Protocol Buffer 3 DescriptorProto');
  if (same.length <= 1) return same[0]?.[0] ?? '';
  const text = JSON.stringify(type);
  return same.find(([, entry]) => JSON.stringify((entry as { type?: unknown }).type) === text)?.[0] ?? same[0]![0];
}
