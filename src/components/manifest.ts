/**
 * @module components/manifest
 * Reads Dapr component files (`apiVersion: dapr.io/v1alpha1`, `kind: Component`) into plain
 * manifests: name, type, version and the `spec.metadata` list (value or secretKeyRef), keeping the
 * line of each entry so later errors can point at it. Several documents per file are allowed
 * (`---`), like `dapr run --resources-path`. Documents of another kind (Configuration,
 * Subscription, Resiliency) are skipped, as Dapr does in a resources folder.
 */
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { loadAll } from 'js-yaml';
import { ComponentErrorCode, componentError } from './failures.js';

/** One `spec.metadata` entry. Exactly one of `value` / `secretKeyRef` is set. */
export interface MetadataEntry {
  name: string;
  /** Scalars are kept as strings, like Dapr (`"5"`, `"true"`). */
  value?: string;
  secretKeyRef?: { name: string; key?: string };
  line?: number;
}

/** A component file, parsed but not yet connected. */
export interface ComponentManifest {
  file: string;
  /** 1-based line of the document's `kind:` (documents in multi-document files). */
  line?: number;
  name: string;
  type: string;
  version: string;
  metadata: MetadataEntry[];
  /** `auth.secretStore`: the store that resolves this component's secretKeyRefs. */
  secretStore?: string;
  /** `scopes`: workflow ids (or the host's app id) that may use the component; empty = all (specs/components.md §5). */
  scopes: string[];
}

/** Lists `*.yaml` / `*.yml` files of a folder, sorted, non-recursive (Dapr's behaviour). */
export async function listComponentFiles(dir: string): Promise<string[]> {
  const names = await readdir(dir);
  return names.filter((n) => /\.ya?ml$/i.test(n)).sort().map((n) => join(dir, n));
}

/** Parses every Component document of one file. Throws a DefinitionError naming file, line and field. */
export async function readComponentFile(file: string): Promise<ComponentManifest[]> {
  const text = await readFile(file, 'utf8');
  return parseComponentText(text, file);
}

/** Parses component text (exposed for tests and for the HTTP API's validation route). */
export function parseComponentText(text: string, file: string): ComponentManifest[] {
  let docs: unknown[];
  try {
    docs = loadAll(text);
  } catch (err) {
    const mark = (err as { mark?: { line?: number } }).mark;
    throw componentError(
      { code: ComponentErrorCode.Invalid, file, line: mark?.line !== undefined ? mark.line + 1 : undefined, field: '(file)', message: `not valid YAML: ${(err as Error).message.split('\n')[0]}` },
      err,
    );
  }
  const lines = new LineFinder(text);
  const out: ComponentManifest[] = [];
  for (const doc of docs) {
    if (doc === null || doc === undefined) continue;
    if (typeof doc !== 'object' || Array.isArray(doc)) {
      throw componentError({ code: ComponentErrorCode.Invalid, file, field: '(document)', message: 'expected a mapping with apiVersion, kind, metadata and spec' });
    }
    const m = parseDocument(doc as Record<string, unknown>, file, lines);
    if (m) out.push(m);
  }
  return out;
}

function parseDocument(doc: Record<string, unknown>, file: string, lines: LineFinder): ComponentManifest | undefined {
  const fail = (field: string, message: string, code: string = ComponentErrorCode.Invalid, key = field.split('.').pop() ?? field) =>
    componentError({ code, file, line: lines.keyLine(key), field, message });
  if (doc.kind !== 'Component') {
    // Dapr resources folders mix kinds; only Components concern us. A missing kind is a mistake.
    if (doc.kind === undefined) throw fail('kind', "missing 'kind' (expected 'Component')");
    return undefined;
  }
  if (typeof doc.apiVersion !== 'string' || !doc.apiVersion.startsWith('dapr.io/')) {
    throw fail('apiVersion', `expected 'dapr.io/v1alpha1', found ${JSON.stringify(doc.apiVersion ?? null)}`);
  }
  const meta = doc.metadata as Record<string, unknown> | undefined;
  if (!meta || typeof meta.name !== 'string' || meta.name === '') throw fail('metadata.name', 'missing component name', ComponentErrorCode.Invalid, 'metadata');
  const name = meta.name;
  const spec = doc.spec as Record<string, unknown> | undefined;
  if (!spec || typeof spec !== 'object') throw fail('spec', `component '${name}' has no spec`);
  if (typeof spec.type !== 'string' || spec.type === '') throw fail('spec.type', `component '${name}' has no type (e.g. 'pubsub.redis')`);
  const version = spec.version === undefined ? 'v1' : String(spec.version);
  const entries: MetadataEntry[] = [];
  const rawList = spec.metadata ?? [];
  if (!Array.isArray(rawList)) throw fail('spec.metadata', 'expected a list of {name, value} entries');
  for (const [i, raw] of rawList.entries()) {
    const e = raw as Record<string, unknown> | null;
    if (!e || typeof e !== 'object' || typeof e.name !== 'string' || e.name === '') {
      throw fail(`spec.metadata[${i}]`, 'each metadata entry needs a name', ComponentErrorCode.Invalid, 'metadata');
    }
    const line = lines.metadataLine(e.name);
    const entry: MetadataEntry = { name: e.name, line };
    if (e.secretKeyRef !== undefined) {
      const ref = e.secretKeyRef as Record<string, unknown> | null;
      if (!ref || typeof ref.name !== 'string' || ref.name === '') {
        throw componentError({ code: ComponentErrorCode.Invalid, file, line, field: `spec.metadata.${e.name}.secretKeyRef`, message: 'secretKeyRef needs a name' });
      }
      entry.secretKeyRef = { name: ref.name, key: typeof ref.key === 'string' && ref.key !== '' ? ref.key : undefined };
    } else if (e.value !== undefined && e.value !== null) {
      entry.value = typeof e.value === 'string' ? e.value : typeof e.value === 'object' ? JSON.stringify(e.value) : String(e.value);
    } else {
      entry.value = '';
    }
    entries.push(entry);
  }
  const auth = doc.auth as Record<string, unknown> | undefined;
  const scopes = Array.isArray(doc.scopes) ? doc.scopes.map(String) : [];
  return {
    file,
    line: lines.keyLine('kind'),
    name,
    type: spec.type,
    version,
    metadata: entries,
    secretStore: auth && typeof auth.secretStore === 'string' ? auth.secretStore : undefined,
    scopes,
  };
}

/**
 * Finds lines by text. js-yaml's plain `load` keeps no positions; a component file is small and
 * regular enough that "the line where `- name: X` appears" is what a user needs to see.
 */
class LineFinder {
  private readonly lines: string[];
  constructor(text: string) {
    this.lines = text.split(/\r?\n/);
  }
  private find(re: RegExp): number | undefined {
    const i = this.lines.findIndex((l) => re.test(l));
    return i < 0 ? undefined : i + 1;
  }
  keyLine(key: string): number | undefined {
    return this.find(new RegExp(`^\\s*(-\\s+)?${escapeRe(key)}\\s*:`));
  }
  metadataLine(name: string): number | undefined {
    return this.find(new RegExp(`^\\s*(-\\s+)?name\\s*:\\s*["']?${escapeRe(name)}["']?\\s*(#.*)?$`));
  }
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
