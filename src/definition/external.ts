/**
 * @module definition/external
 * Definitions kept in other files (spec §Workflow Definition Structure: `functions`, `events`,
 * `retries`, `errors`, `constants` and `dataInputSchema` may be URIs). Relative paths and `file:` URIs
 * resolve against the referencing document; `http(s):` URIs are fetched. Each loaded file is checked
 * with diagnostics pointing into *that* file.
 */
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DiagnosticCode, Severity, type Diagnostic } from './diagnostic.js';
import { DOCUMENT_LIMITS, parseDocument, type ParsedDocument } from './parse.js';
import { reachProblem } from './reach.js';
import { cappedText } from './remote-text.js';

/** A document that another one refers to, loaded and parsed, or the diagnostic why not. */
export type LoadedReference = { ok: true; document: ParsedDocument } | { ok: false; diagnostics: Diagnostic[] };

/** Where a reference points: a local path or a remote URL. */
export function resolveReference(ref: string, fromFile: string): { kind: 'file'; path: string } | { kind: 'url'; url: string } {
  if (/^https?:\/\//i.test(ref)) return { kind: 'url', url: ref };
  const base = fromFile === '<input>' ? process.cwd() : dirname(fromFile);
  if (/^file:/i.test(ref)) {
    try {
      return { kind: 'file', path: fileURLToPath(ref) };
    } catch {
      // `file://functions.yml` (a "host" that is really a relative path) is how the spec's own
      // examples write relative files: resolve it against the document, as their authors meant.
      return { kind: 'file', path: resolve(base, ref.replace(/^file:\/\//i, '')) };
    }
  }
  // Relative to a relative file: stay relative (to the working directory), so diagnostics in the
  // external file print its path the way the user wrote the command line.
  if (fromFile !== '<input>' && !isAbsolute(fromFile) && !isAbsolute(ref)) return { kind: 'file', path: join(dirname(fromFile), ref) };
  return { kind: 'file', path: resolve(base, ref) };
}

/**
 * Whether a reference needs a base to resolve against: not an http(s) URL, an absolute path or an
 * absolute `file:` URI (`file://functions.yml`, the spec examples' way of writing a relative file,
 * is relative).
 */
export function isRelativeReference(ref: string): boolean {
  if (/^https?:\/\//i.test(ref)) return false;
  if (/^file:/i.test(ref)) {
    try {
      fileURLToPath(ref);
      return false;
    } catch {
      return true;
    }
  }
  return !isAbsolute(ref);
}

/** The RELATIVE_REFERENCE diagnostic for `ref` at `pointer` of a document without a location. */
export function relativeReferenceDiagnostic(ref: string, from: ParsedDocument, pointer: string): Diagnostic {
  const { line, column } = from.source.locate(pointer);
  return {
    severity: Severity.Error,
    code: DiagnosticCode.RelativeReference,
    message: `relative reference '${ref}' cannot be resolved for a definition registered over the API: use an absolute URL or put the file in the workflows folder`,
    file: from.file,
    line,
    column,
    pointer,
    hint: 'write an absolute path or URL (file:///…, https://…), or serve the definition from the --workflows folder, where relative files resolve against the definition file',
  };
}

/** How long a remote document (external file, OpenAPI document, a `$ref` in one) may take. */
export const REMOTE_TIMEOUT_MS = 10_000;

/** Reads text from a path or URL. Throws with a readable message. */
export async function readReference(ref: string, fromFile: string): Promise<{ name: string; text: string }> {
  const target = resolveReference(ref, fromFile);
  if (target.kind === 'url') {
    const res = await fetch(target.url, { signal: AbortSignal.timeout(REMOTE_TIMEOUT_MS) });
    if (!res.ok) {
      await res.body?.cancel().catch(() => undefined);
      throw new Error(`GET ${target.url} answered ${res.status}`);
    }
    // A document past the parse limit would be refused anyway: not read past it.
    return { name: target.url, text: await cappedText(res, target.url, DOCUMENT_LIMITS.length) };
  }
  return { name: target.path, text: await readFile(target.path, 'utf8') };
}

/**
 * Loads the file a document refers to at `pointer`. Failures become a FILE_NOT_FOUND / SYNTAX
 * diagnostic; a read failure is reported at the reference in the referencing document.
 */
export async function loadReference(
  ref: string,
  from: ParsedDocument,
  pointer: string,
  what: string,
): Promise<LoadedReference> {
  // Resolving against the server's working directory would work by accident, or not at all.
  if (from.unanchored && isRelativeReference(ref)) return { ok: false, diagnostics: [relativeReferenceDiagnostic(ref, from, pointer)] };
  const refused = notAllowedDiagnostic(ref, from, pointer);
  if (refused) return { ok: false, diagnostics: [refused] };
  let loaded: { name: string; text: string };
  try {
    loaded = await readReference(ref, from.file);
  } catch (err) {
    const { line, column } = from.source.locate(pointer);
    const reason = err instanceof Error ? ((err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : err.message) : String(err);
    return {
      ok: false,
      diagnostics: [
        {
          severity: Severity.Error,
          code: DiagnosticCode.FileNotFound,
          message: `cannot load ${what} from '${ref}': ${reason}`,
          file: from.file,
          line,
          column,
          pointer,
        },
      ],
    };
  }
  const parsed = parseDocument(loaded.text, loaded.name);
  if (!parsed.ok) return { ok: false, diagnostics: [parsed.diagnostic] };
  // What the referencing document may not reach, the files it loads may not either.
  if (from.reach) parsed.document.reach = from.reach;
  return { ok: true, document: parsed.document };
}

/**
 * REFERENCE_NOT_ALLOWED for `ref` at `pointer` when the document's reach policy refuses it, else
 * undefined. Checked before reading or fetching: a refused URL never gets a request.
 */
export function notAllowedDiagnostic(ref: string, from: ParsedDocument, pointer: string): Diagnostic | undefined {
  if (!from.reach) return undefined;
  const problem = reachProblem(from.reach, resolveReference(ref, from.file));
  if (problem === undefined) return undefined;
  const { line, column } = from.source.locate(pointer);
  return {
    severity: Severity.Error,
    code: DiagnosticCode.ReferenceNotAllowed,
    message: `reference '${ref}' is not allowed: ${problem}`,
    file: from.file,
    line,
    column,
    pointer,
    hint: 'the server operator decides what definitions registered over the API may read: --definition-root <dir> for files, --allow-url-prefix <url> for URLs; or serve the definition from the --workflows folder',
  };
}
