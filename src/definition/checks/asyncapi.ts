/**
 * @module definition/checks/asyncapi
 * `asyncapi` functions (SW 0.8 §Using Functions for Async API Server Invocations): the AsyncAPI
 * 2.x document of `<doc-uri>#<operationId>` is loaded like every other external file (relative to
 * the workflow, as the runtime call resolves it; what a definition registered over the API may
 * reach is the reach policy's), read by definition/asyncapi, and the operationId must be one of
 * its `publish`/`subscribe` operations (did-you-mean). An unreachable remote document is a warning:
 * it is checked at the first call. Which component a channel maps to is checked at run time,
 * where the components are (specs/asyncapi.md).
 */
import { readAsyncApi, splitAsyncApiOperation, type AsyncApiDocument } from '../asyncapi.js';
import { DiagnosticCode, type Diagnostic } from '../diagnostic.js';
import { isRelativeReference, readReference, resolveReference } from '../external.js';
import { joinPointer } from '../json-pointer.js';
import { parseDocument, type ParsedDocument } from '../parse.js';
import { reachProblem } from '../reach.js';
import { Reporter } from '../report.js';
import { didYouMean } from '../suggest.js';
import { isObject } from '../walk.js';

/** Where an asyncapi function is written. */
export interface AsyncApiFunctionSite {
  operation: string;
  at: ParsedDocument;
  pointer: string;
}

type Loaded = { doc: AsyncApiDocument; file: ParsedDocument } | { failed: string } | { diagnostics: Diagnostic[] };

async function load(uri: string, workflow: ParsedDocument): Promise<Loaded> {
  let text: { name: string; text: string };
  try {
    text = await readReference(uri, workflow.file);
  } catch (err) {
    return { failed: (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message };
  }
  const parsed = parseDocument(text.text, text.name);
  if (!parsed.ok) return { diagnostics: [parsed.diagnostic] };
  return { doc: readAsyncApi(parsed.document.value), file: parsed.document };
}

async function checkOne(site: AsyncApiFunctionSite, workflow: ParsedDocument, cache: Map<string, Promise<Loaded>>, out: Diagnostic[]): Promise<void> {
  const split = splitAsyncApiOperation(site.operation);
  if (!split) return; // INVALID_OPERATION, reported by checks/functions.ts
  const { uri, operationId } = split;
  if (workflow.unanchored && isRelativeReference(uri)) return; // RELATIVE_REFERENCE, reported by validate.ts
  const r = new Reporter(site.at.file, site.at.source, site.at.value);
  const target = resolveReference(uri, workflow.file);
  const refused = workflow.reach ? reachProblem(workflow.reach, target) : undefined;
  if (refused !== undefined) {
    r.error(DiagnosticCode.ReferenceNotAllowed, site.pointer, `the AsyncAPI document '${uri}' of this asyncapi function is not allowed: ${refused}`, {
      hint: 'the server operator decides what definitions registered over the API may read: --definition-root <dir> for files, --allow-url-prefix <url> for URLs',
    });
    out.push(...r.diagnostics);
    return;
  }
  const key = target.kind === 'url' ? target.url : target.path;
  let loading = cache.get(key);
  if (!loading) cache.set(key, (loading = load(uri, workflow)));
  const loaded = await loading;
  if ('failed' in loaded) {
    if (target.kind === 'url') {
      r.warning(DiagnosticCode.AsyncApiUnreachable, site.pointer, `cannot fetch the AsyncAPI document '${uri}' to check operation '${operationId}': ${loaded.failed}`, {
        hint: 'the operation is checked when the function is first called',
      });
    } else {
      r.error(DiagnosticCode.FileNotFound, site.pointer, `cannot load the AsyncAPI document of this asyncapi function from '${uri}': ${loaded.failed}`, {
        hint: `the path is relative to the workflow file (${workflow.file}), or write an absolute path or URL`,
      });
    }
  } else if ('diagnostics' in loaded) {
    out.push(...loaded.diagnostics);
    r.error(DiagnosticCode.InvalidAsyncApi, site.pointer, `'${uri}' is not a usable AsyncAPI document (see the diagnostics in it)`);
  } else if (!loaded.doc.ok) {
    const rep = new Reporter(loaded.file.file, loaded.file.source, loaded.file.value);
    for (const p of loaded.doc.problems) rep.error(DiagnosticCode.InvalidAsyncApi, p.pointer, p.message);
    out.push(...rep.diagnostics);
    r.error(DiagnosticCode.InvalidAsyncApi, site.pointer, `'${uri}' is not a usable AsyncAPI document (see the diagnostics in it)`);
  } else if (!loaded.doc.operations.has(operationId)) {
    const ids = [...loaded.doc.operations.keys()];
    r.error(DiagnosticCode.UnknownOperation, site.pointer, `operationId '${operationId}' is not in the AsyncAPI document '${uri}'${didYouMean(operationId, ids)}`, {
      hint: ids.length > 0 ? `its operations: ${ids.slice(0, 10).join(', ')}${ids.length > 10 ? ', …' : ''}` : 'the document has no publish/subscribe operation with an operationId',
    });
  }
  out.push(...r.diagnostics);
}

/** Checks every asyncapi function; a document used by several is loaded once. */
export async function checkAsyncApiFunctions(functions: unknown[] | undefined, origin: { document: ParsedDocument; base: string }, workflow: ParsedDocument, out: Diagnostic[]): Promise<void> {
  const sites: AsyncApiFunctionSite[] = (functions ?? []).flatMap((f, i) =>
    isObject(f) && f.type === 'asyncapi' && typeof f.operation === 'string' ? [{ operation: f.operation, at: origin.document, pointer: joinPointer(origin.base, i, 'operation') }] : [],
  );
  const cache = new Map<string, Promise<Loaded>>();
  await Promise.all(sites.map((s) => checkOne(s, workflow, cache, out)));
}
