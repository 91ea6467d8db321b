/**
 * @module definition/data-input-schema
 * `dataInputSchema` (spec §Workflow Data Input): an inline or external JSON Schema that must itself
 * be a valid schema of the draft it declares. Relative `$ref`s to other files resolve against the
 * schema file's own location (the workflow's, for an inline schema), with the rules of external.ts;
 * the referenced documents are loaded once here and handed to the interpreter with the schema.
 */
import { pathToFileURL } from 'node:url';
import { DiagnosticCode, type Diagnostic } from './diagnostic.js';
import { loadReference } from './external.js';
import { compileUserSchema, draftOf, externalRefs, isMetaSchemaUri } from './json-schema.js';
import type { ParsedDocument } from './parse.js';
import { Reporter } from './report.js';
import { isObject } from './walk.js';

type Obj = Record<string, unknown>;

/** The URI a file's schema has as its base (what ajv resolves its relative refs against). */
function fileUri(doc: ParsedDocument): string | undefined {
  if (/^https?:\/\//i.test(doc.file)) return doc.file;
  if (doc.file === '<input>') return undefined;
  return pathToFileURL(doc.file).href;
}

/** The base URI ajv uses for a schema: its own `$id` (`id` in draft-04) if absolute, else its file. */
function baseOf(schema: Obj, file: string | undefined): string | undefined {
  const id = typeof schema.$id === 'string' ? schema.$id : typeof schema.id === 'string' ? schema.id : undefined;
  try {
    return id ? new URL(id, file).href.split('#')[0] : file;
  } catch {
    return file;
  }
}

/** `$id`s declared anywhere inside a schema (refs to them are internal). */
function embeddedIds(schema: unknown, base: string | undefined, out = new Set<string>()): Set<string> {
  if (Array.isArray(schema)) schema.forEach((s) => embeddedIds(s, base, out));
  else if (isObject(schema)) {
    if (typeof schema.$id === 'string') {
      try {
        out.add(new URL(schema.$id, base).href.split('#')[0]);
      } catch {
        // not a URI: nothing can refer to it by URI
      }
    }
    for (const v of Object.values(schema)) embeddedIds(v, base, out);
  }
  return out;
}

/**
 * Loads every file a schema refers to, transitively. Returns absolute URI → schema; failures are
 * reported at the `$ref` that names the file.
 */
async function loadRefs(schema: Obj, doc: ParsedDocument, pointerBase: string, out: Diagnostic[], failed: { value: boolean }): Promise<Record<string, Obj>> {
  const refs: Record<string, Obj> = {};
  const queue: { schema: Obj; doc: ParsedDocument; at: string }[] = [{ schema, doc, at: pointerBase }];
  while (queue.length > 0) {
    const { schema: s, doc: d, at } = queue.shift()!;
    const base = baseOf(s, fileUri(d));
    const internal = embeddedIds(s, base);
    for (const { ref, pointer } of externalRefs(s)) {
      let uri: string;
      try {
        uri = new URL(ref, base).href;
      } catch {
        continue; // a relative ref with no base (text without a file): ajv reports it
      }
      if (refs[uri] || internal.has(uri) || isMetaSchemaUri(uri)) continue;
      // Files are read relative to the file that holds the ref, as every other external file is;
      // a base set by `$id` is honoured for where ajv looks the document up.
      const loaded = await loadReference(ref, d, at + pointer, 'the schema of this $ref');
      if (!loaded.ok) {
        out.push(...loaded.diagnostics);
        failed.value = true;
        continue;
      }
      const value = loaded.document.value;
      if (!isObject(value)) {
        const r = new Reporter(loaded.document.file, loaded.document.source, value);
        r.error(DiagnosticCode.NotAnObject, '', 'a schema referenced by dataInputSchema must be a JSON Schema object');
        out.push(...r.diagnostics);
        failed.value = true;
        continue;
      }
      refs[uri] = value;
      queue.push({ schema: value, doc: loaded.document, at: '' });
    }
  }
  return refs;
}

/**
 * Checks `dataInputSchema` and replaces it in `doc` by its resolved form
 * `{ schema, failOnValidationErrors, refs?, baseUri? }` when it compiles.
 */
export async function checkDataInputSchema(doc: Obj, from: ParsedDocument, r: Reporter, out: Diagnostic[]): Promise<void> {
  const dis = doc.dataInputSchema;
  const ref = typeof dis === 'string' ? dis : isObject(dis) ? dis.schema : undefined;
  const pointer = typeof dis === 'string' ? '/dataInputSchema' : '/dataInputSchema/schema';
  let schema: unknown;
  let schemaFile: ParsedDocument;
  if (typeof ref === 'string') {
    const loaded = await loadReference(ref, from, pointer, 'dataInputSchema');
    if (!loaded.ok) {
      out.push(...loaded.diagnostics);
      return;
    }
    schemaFile = loaded.document;
    schema = loaded.document.value;
  } else if (isObject(ref)) {
    schemaFile = from;
    schema = ref;
  } else return;
  const external = schemaFile !== from;
  const where = external ? new Reporter(schemaFile.file, schemaFile.source, schema) : r;
  const at = external ? '' : pointer;
  if (!isObject(schema)) {
    where.error(DiagnosticCode.NotAnObject, at, 'dataInputSchema must be a JSON Schema object');
  } else {
    if (draftOf(schema) === undefined) {
      where.warning(DiagnosticCode.SchemaViolation, `${at}/$schema`, `dataInputSchema: $schema '${String(schema.$schema)}' names no JSON Schema draft Swirl knows; it is validated as draft-07`, {
        hint: 'use http://json-schema.org/draft-04/schema#, draft-06, draft-07, or https://json-schema.org/draft/2019-09/schema or 2020-12',
      });
    }
    const failed = { value: false };
    const refs = await loadRefs(schema, schemaFile, at, out, failed);
    // A missing $ref file is reported at the $ref; compiling would only repeat it.
    if (failed.value) {
      if (external) out.push(...where.diagnostics);
      return;
    }
    const baseUri = fileUri(schemaFile);
    const user = { schema, ...(Object.keys(refs).length > 0 ? { refs } : {}), ...(baseUri ? { baseUri } : {}) };
    try {
      compileUserSchema(user);
      const failOnValidationErrors = isObject(dis) && typeof dis.failOnValidationErrors === 'boolean' ? dis.failOnValidationErrors : true;
      doc.dataInputSchema = { ...(isObject(dis) ? dis : {}), ...user, failOnValidationErrors };
    } catch (err) {
      where.error(DiagnosticCode.SchemaViolation, at, `dataInputSchema is not a valid JSON Schema: ${(err as Error).message}`);
    }
  }
  if (external) out.push(...where.diagnostics);
}
