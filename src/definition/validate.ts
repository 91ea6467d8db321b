/**
 * @module definition/validate
 * The validator's front door: text or file → Diagnostics (+ the document with its external
 * sections inlined, ready for graph/compile). Order: parse → specVersion → schema → external files →
 * semantic checks. Semantic checks run even when the schema fails (they tolerate any shape), so an
 * author sees every problem in one pass.
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { initExpressions } from '../expressions/index.js';
import { checkDurations, checkRetryDurations } from './checks/durations.js';
import { checkExpressions, checkFunctionExpressions } from './checks/expressions.js';
import { checkFlow } from './checks/flow.js';
import { checkRestFunctions, type RestFunctionSite } from './checks/openapi.js';
import { checkAsyncApiFunctions } from './checks/asyncapi.js';
import { checkFunctionDefs } from './checks/functions.js';
import { checkProtocolFunctions } from './checks/protocols.js';
import { checkGraphqlFunctions } from './checks/graphql.js';
import { checkReferences } from './checks/references.js';
import { checkReservedId } from './checks/reserved-id.js';
import { checkSchedule } from './checks/schedule.js';
import { checkSectionShape } from './checks/sections.js';
import { checkConcurrency } from './checks/concurrency.js';
import { checkDuplicateDefinitions, checkDuplicateNames, checkStates } from './checks/states.js';
import { checkTargets } from './checks/targets.js';
import { checkWorkflowId } from './checks/workflow-id.js';
import { sectionOf, type CheckContext } from './checks/context.js';
import { checkDataInputSchema } from './data-input-schema.js';
import { DiagnosticCode, Severity, hasErrors, sortDiagnostics, type Diagnostic } from './diagnostic.js';
import { isRelativeReference, loadReference, relativeReferenceDiagnostic } from './external.js';
import { parseDocument, type ParsedDocument } from './parse.js';
import type { ReachPolicy } from './reach.js';
import { Reporter } from './report.js';
import { checkSchema, checkSectionItems, type SectionName } from './schema.js';
import type { Workflow } from './types.js';
import { isObject } from './walk.js';
import { Profile } from './profiles/profile.js';
import { FOLDER_PROFILE_FILE, FolderProfiles, profileOf, type ProfileChoice } from './profiles/folder-profile.js';
import type { ProfileRuntime } from './profiles/sonataflow/runtime.js';
import { normalizeSonataflow } from './profiles/sonataflow/normalize.js';
import { checkJsonPathExpressions, isJsonPath } from './profiles/sonataflow/jsonpath.js';

/** Result of validating one definition. */
export interface ValidationResult {
  file: string;
  /** true when no diagnostic is an error. */
  valid: boolean;
  diagnostics: Diagnostic[];
  /**
   * The document with external functions/events/retries/errors/constants inlined and an external
   * dataInputSchema loaded; present whenever the text parsed to an object (even if invalid).
   */
  workflow?: Workflow;
  /** What the profile the definition was validated under hands to the interpreter (sonataflow only). */
  profile?: ProfileRuntime;
  /** The profile it was validated under (set by {@link validateFiles}: the flag's, its folder's or the default). */
  profileName?: Profile;
}

export interface ValidateOptions {
  /** Workflow ids known to the host (subFlowRef / continueAs targets). Undefined: not checked. */
  workflowIds?: ReadonlySet<string>;
  /**
   * The text has no location of its own (a definition registered over the HTTP API): relative
   * file references are refused (RELATIVE_REFERENCE) instead of resolving against the working
   * directory. Only for {@link validateText}.
   * @default false
   */
  unanchored?: boolean;
  /**
   * What the definition's references may reach (a server's policy for definitions registered over
   * the API); refused ones are REFERENCE_NOT_ALLOWED, before anything is read or fetched. Only for
   * {@link validateText}. @default anything the process can read
   */
  reach?: ReachPolicy;
  /**
   * `sonataflow` accepts SonataFlow's extensions and leniencies (specs/sonataflow-profile.md): the
   * document is normalized to standard 0.8 first, and the result carries the profile's runtime data.
   * @default 'standard'
   */
  profile?: Profile;
}

/** Validates a definition given as text. `file` names it in diagnostics and anchors relative references. */
export async function validateText(text: string, file = '<input>', options: ValidateOptions = {}): Promise<ValidationResult> {
  const parsed = parseDocument(text, file);
  if (!parsed.ok) return { file, valid: false, diagnostics: [parsed.diagnostic] };
  if (options.unanchored) parsed.document.unanchored = true;
  if (options.reach) parsed.document.reach = options.reach;
  return validateDocument(parsed.document, options);
}

/** Validates a definition file. */
export async function validateFile(path: string, options: ValidateOptions = {}): Promise<ValidationResult> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message;
    return {
      file: path,
      valid: false,
      diagnostics: [{ severity: Severity.Error, code: DiagnosticCode.FileNotFound, message: `cannot read '${path}': ${reason}`, file: path, line: 1, column: 1, pointer: '' }],
    };
  }
  return validateText(text, path, options);
}

/** A file in a searched directory that is not validated, and why. */
export interface SkippedFile {
  file: string;
  reason: string;
}

/** Definition files under the given paths: files as given, directories searched for *.yaml|*.yml|*.json. */
export async function findDefinitionFiles(paths: string[], options: ProfileChoice = {}): Promise<string[]> {
  return (await findDefinitionCandidates(paths, options)).files;
}

/**
 * Like {@link findDefinitionFiles}, and also the *.yaml|*.yml|*.json files of searched directories
 * that are not definitions (no `specVersion` or no `states`), so a caller can say what it skipped.
 */
export async function findDefinitionCandidates(paths: string[], options: ProfileChoice = {}): Promise<{ files: string[]; skipped: SkippedFile[] }> {
  const folders = options.folders ?? new FolderProfiles();
  // A definition under a broken folder file is searched for leniently, so that its error is reported.
  const lenientAt = async (file: string) => {
    const p = await profileOf(file, options, folders);
    return 'diagnostic' in p || p.profile === Profile.Sonataflow;
  };
  const files: string[] = [];
  const skipped: SkippedFile[] = [];
  const walk = async (dir: string) => {
    for (const entry of (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
      if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
      const p = join(dir, entry.name);
      if (entry.isDirectory()) await walk(p);
      else if (entry.name === FOLDER_PROFILE_FILE) continue; // the folder's profile (and serve configuration), not a definition
      else if (['.yaml', '.yml', '.json'].includes(extname(entry.name).toLowerCase())) {
        const reason = await notAWorkflow(p, await lenientAt(p));
        if (reason) skipped.push({ file: p, reason });
        else files.push(p);
      }
    }
  };
  for (const p of paths) {
    const s = await stat(p).catch(() => undefined);
    if (s?.isDirectory()) await walk(p);
    else files.push(p);
  }
  return { files, skipped };
}

/**
 * Inside directories, only documents that declare `specVersion` and `states` are definitions;
 * function/event files, inputs and component files that live beside them are not. Returns why a
 * file is not one, or undefined when it is.
 */
async function notAWorkflow(path: string, lenient: boolean): Promise<string | undefined> {
  const text = await readFile(path, 'utf8').catch(() => undefined);
  if (text === undefined) return 'unreadable';
  const spec = /(^|["'\s{,])specVersion["']?\s*:/m.test(text);
  const states = /(^|["'\s{,])states["']?\s*:/m.test(text);
  if (spec && states) return undefined;
  // sonataflow: most projects omit specVersion; `id` (or `key`) and `states` make a definition.
  if (lenient && states && /(^|["'\s{,])(id|key)["']?\s*:/m.test(text)) return undefined;
  if (!spec && !states) return "no 'specVersion' and no 'states'";
  return spec ? "no 'states'" : "no 'specVersion'";
}

/**
 * Validates several files together: subFlowRef / continueAs targets are checked against the ids of
 * all of them (plus `options.workflowIds`).
 */
export async function validateFiles(paths: string[], options: Omit<ValidateOptions, 'profile'> & ProfileChoice = {}): Promise<ValidationResult[]> {
  const choice = { ...options, folders: options.folders ?? new FolderProfiles() };
  const files = await findDefinitionFiles(paths, choice);
  // Each file is read and parsed once: the ids come from the parsed documents that are then validated.
  const parsed = await Promise.all(
    files.map(async (f) => {
      const text = await readFile(f, 'utf8').catch(() => undefined);
      return { f, parsed: text === undefined ? undefined : parseDocument(text, f) };
    }),
  );
  const ids = new Set(options.workflowIds ?? []);
  for (const { parsed: p } of parsed) {
    if (p?.ok && isObject(p.document.value)) {
      const { id, key } = p.document.value;
      if (typeof id === 'string') ids.add(id);
      else if (typeof key === 'string') ids.add(key);
    }
  }
  const results = await Promise.all(
    parsed.map(async ({ f, parsed: p }): Promise<ValidationResult> => {
      const chosen = await profileOf(f, choice, choice.folders);
      if ('diagnostic' in chosen) return { file: f, valid: false, diagnostics: [chosen.diagnostic] };
      if (p === undefined) return { ...(await validateFile(f)), profileName: chosen.profile }; // unreadable: reported by validateFile
      if (!p.ok) return { file: f, valid: false, diagnostics: [p.diagnostic], profileName: chosen.profile };
      return { ...(await validateDocument(p.document, { workflowIds: ids, profile: chosen.profile })), profileName: chosen.profile };
    }),
  );
  checkDuplicateWorkflows(parsed.flatMap(({ parsed: p }, i) => (p?.ok ? [{ document: p.document, result: results[i] }] : [])));
  return results;
}

/**
 * Two definitions with the same id (or key) and version in one set: a host would keep one of them
 * silently, and which one depends on file order. Reported on every file after the first.
 */
function checkDuplicateWorkflows(docs: { document: ParsedDocument; result: ValidationResult }[]): void {
  const first = new Map<string, ParsedDocument>();
  for (const { document, result } of docs) {
    const v = document.value;
    if (!isObject(v)) continue;
    const prop = typeof v.id === 'string' ? 'id' : typeof v.key === 'string' ? 'key' : undefined;
    if (!prop) continue;
    const version = typeof v.version === 'string' ? v.version : undefined;
    const key = JSON.stringify([v[prop], version ?? null]);
    const earlier = first.get(key);
    if (!earlier) {
      first.set(key, document);
      continue;
    }
    const r = new Reporter(document.file, document.source, v);
    const { line } = earlier.source.locate(`/${prop}`);
    r.error(
      DiagnosticCode.DuplicateWorkflow,
      `/${prop}`,
      `workflow '${String(v[prop])}'${version !== undefined ? ` version '${version}'` : ' (no version)'} is also defined in ${earlier.file}:${line}`,
      { hint: 'give each definition its own id, or a different version' },
    );
    result.diagnostics = sortDiagnostics([...result.diagnostics, ...r.diagnostics]);
    result.valid = false;
  }
}

async function validateDocument(document: ParsedDocument, options: ValidateOptions): Promise<ValidationResult> {
  if (options.profile === Profile.Sonataflow && isObject(document.value)) return validateSonataflow(document, options);
  return validateStandard(document, options);
}

/**
 * sonataflow profile: the document is normalized to standard 0.8 and checked as such; the profile's
 * own findings are added, and the standard findings it answers for (e.g. INVALID_OPERATION of a
 * sysout function) are dropped, so each problem is reported once.
 */
async function validateSonataflow(document: ParsedDocument, options: ValidateOptions): Promise<ValidationResult> {
  const n = await normalizeSonataflow(document.value as Record<string, unknown>, { mode: 'profile', ...(document.unanchored ? {} : { file: document.file }) });
  const result = await validateStandard({ ...document, value: n.value }, { ...options, globals: SONATAFLOW_GLOBALS, jsonpath: isJsonPath(n.value.expressionLang) });
  const r = new Reporter(document.file, document.source, document.value);
  for (const d of n.findings.diagnostics) r.report(d.code, d.pointer, d.message, { severity: d.severity, ...(d.hint ? { hint: d.hint } : {}) });
  const kept = result.diagnostics.filter((d) => d.file !== document.file || !n.findings.isSuppressed(d.pointer, d.code));
  return { ...finish(document.file, [...kept, ...r.diagnostics], result.workflow), profile: n.runtime };
}

/** Variables SonataFlow expressions may read besides 0.8's: $WORKFLOW (set by the interpreter's profile part). */
const SONATAFLOW_GLOBALS: ReadonlySet<string> = new Set(['WORKFLOW']);

async function validateStandard(document: ParsedDocument, options: ValidateOptions & { globals?: ReadonlySet<string>; jsonpath?: boolean }): Promise<ValidationResult> {
  const { file, value } = document;
  const r = new Reporter(file, document.source, value);
  if (!isObject(value)) {
    r.error(DiagnosticCode.NotAnObject, '', `a workflow definition must be an object with 'id', 'specVersion' and 'states'`);
    return finish(file, r.diagnostics);
  }
  const doc: Record<string, unknown> = { ...value };
  const extra: Diagnostic[] = [];
  // jq constructs the compiler does not handle yet are checked by jq-wasm, which loads once.
  await initExpressions();

  checkSpecVersion(doc, r);
  checkWorkflowId(doc, r);
  checkSchema({ ...doc, specVersion: '0.8' }, r);

  // External sections: load, check inside their own file, inline.
  const sections: Partial<Record<SectionName, unknown[]>> = {};
  // Where each external section's items are written (for diagnostics about them).
  const origins: Partial<Record<SectionName, { document: ParsedDocument; base: string }>> = {};
  for (const section of ['functions', 'events', 'retries', 'errors', 'auth'] as const) {
    const v = doc[section];
    checkSectionShape(section, v, `/${section}`, r);
    if (Array.isArray(v)) sections[section] = v;
    else if (typeof v === 'string') {
      const items = await loadSection(section, v, document, extra, origins);
      if (items) {
        sections[section] = items;
        doc[section] = items;
      }
    }
  }
  if (typeof doc.constants === 'string') {
    const loaded = await loadReference(doc.constants, document, '/constants', 'constants');
    if (!loaded.ok) extra.push(...loaded.diagnostics);
    else if (!isObject(loaded.document.value)) extra.push(notAnObject(loaded.document, 'constants'));
    else doc.constants = loaded.document.value;
  }
  await checkDataInputSchema(doc, document, r, extra);
  if (document.unanchored) checkRestDocumentsAnchored(value, sections.functions, document, extra);
  await checkRestFunctions(restSites(sections.functions, origins.functions ?? { document, base: '/functions' }), document, extra);
  const fnSites = functionSites(sections.functions, origins.functions ?? { document, base: '/functions' });
  await Promise.all([checkProtocolFunctions(fnSites, document, value, extra), checkGraphqlFunctions(fnSites, document, value, extra)]);
  await checkAsyncApiFunctions(sections.functions, origins.functions ?? { document, base: '/functions' }, document, extra);

  // Checks read the document as written (so findings in external files are not reported twice,
  // at pointers that do not exist here); references resolve through the loaded sections.
  const ctx: CheckContext = {
    doc: value,
    r,
    functions: sectionOf(sections.functions),
    events: sectionOf(sections.events),
    retries: sectionOf(sections.retries),
    errors: sectionOf(sections.errors),
    auth: sectionOf(sections.auth),
    workflowIds: options.workflowIds,
    ...(options.globals ? { globals: options.globals } : {}),
  };
  if (Array.isArray(value.functions)) checkFunctionDefs(value.functions, '/functions', r);
  checkReservedId(ctx);
  checkStates(ctx);
  checkDuplicateDefinitions(ctx);
  checkTargets(ctx);
  checkReferences(ctx);
  checkDurations(ctx);
  checkSchedule(ctx);
  checkConcurrency(ctx);
  // Expressions in another language would each fail as jq; one diagnostic says why instead.
  if (options.jsonpath) checkJsonPathExpressions(ctx);
  else if (checkExpressionLang(value, r)) checkExpressions(ctx);
  checkFlow(ctx);
  return finish(file, [...r.diagnostics, ...extra], doc as unknown as Workflow);
}

/**
 * Only jq is supported (specs/semantics.md, expressionLang). Returns true when the document's
 * expressions are jq, i.e. worth checking as such.
 */
function checkExpressionLang(doc: Record<string, unknown>, r: Reporter): boolean {
  const lang = doc.expressionLang;
  if (lang === undefined || (typeof lang === 'string' && lang.trim().toLowerCase() === 'jq')) return true;
  if (typeof lang !== 'string') return true; // a schema WRONG_TYPE already
  r.error(DiagnosticCode.UnsupportedExpressionLang, '/expressionLang', `expressionLang '${lang}' is not supported; Swirl evaluates workflow expressions as jq`, {
    hint: "remove 'expressionLang' (jq is the default) and write the expressions in jq, e.g. '${ .order.items[0] }' for JSONPath '$.order.items[0]'",
  });
  return false;
}

/** `0.8` and its patch releases (`0.8.0`, …): the DSL did not change between them. */
const SPEC_VERSION = /^0\.8(\.\d+)?$/;

function checkSpecVersion(doc: Record<string, unknown>, r: Reporter): void {
  const v = doc.specVersion;
  if (v === undefined) {
    r.error(DiagnosticCode.MissingProperty, '', "workflow: missing required property 'specVersion'", { hint: "add specVersion: '0.8'" });
  } else if (v === 0.8) {
    r.error(DiagnosticCode.SpecVersion, '/specVersion', 'specVersion must be the string "0.8", not the number 0.8', {
      hint: "quote it in YAML: specVersion: '0.8'",
    });
  } else if (typeof v !== 'string' || !SPEC_VERSION.test(v)) {
    r.error(DiagnosticCode.SpecVersion, '/specVersion', `specVersion '${String(v)}' is not supported; Swirl runs Serverless Workflow 0.8`, {
      hint: "set specVersion: '0.8'",
    });
  }
}

/**
 * The OpenAPI documents of `rest` functions resolve against the workflow's folder at run time; a
 * definition without one (registered over the API) must name them absolutely. Inline functions are
 * reported at their operation, functions from an external file at `/functions`.
 */
function checkRestDocumentsAnchored(value: Record<string, unknown>, functions: unknown[] | undefined, document: ParsedDocument, out: Diagnostic[]): void {
  const inline = Array.isArray(value.functions);
  (functions ?? []).forEach((f, i) => {
    if (!isObject(f) || (f.type !== undefined && f.type !== 'rest' && f.type !== 'asyncapi') || typeof f.operation !== 'string') return;
    const hash = f.operation.lastIndexOf('#');
    const uri = hash > 0 ? f.operation.slice(0, hash) : f.operation;
    if (uri === '' || !isRelativeReference(uri)) return;
    out.push(relativeReferenceDiagnostic(uri, document, inline ? `/functions/${i}/operation` : '/functions'));
  });
}

/** The rest functions (type `rest` or none) with a string operation, each with where it is written. */
function restSites(functions: unknown[] | undefined, origin: { document: ParsedDocument; base: string }): RestFunctionSite[] {
  return (functions ?? []).flatMap((f, i) =>
    isObject(f) && (f.type === undefined || f.type === 'rest') && typeof f.operation === 'string'
      ? [{ operation: f.operation, at: origin.document, pointer: `${origin.base}/${i}/operation`, authenticated: typeof f.authRef === 'string' || isObject(f.authRef) }]
      : [],
  );
}

/** Every function definition (an object), with where it is written. */
function functionSites(functions: unknown[] | undefined, origin: { document: ParsedDocument; base: string }): { fn: Record<string, unknown>; at: ParsedDocument; pointer: string }[] {
  return (functions ?? []).flatMap((f, i) => (isObject(f) ? [{ fn: f, at: origin.document, pointer: `${origin.base}/${i}` }] : []));
}

/** Loads an external functions/events/retries/errors file (`{"functions": [...]}`) and checks it. */
async function loadSection(
  section: SectionName,
  ref: string,
  from: ParsedDocument,
  out: Diagnostic[],
  origins: Partial<Record<SectionName, { document: ParsedDocument; base: string }>>,
): Promise<unknown[] | undefined> {
  const loaded = await loadReference(ref, from, `/${section}`, section);
  if (!loaded.ok) {
    out.push(...loaded.diagnostics);
    return undefined;
  }
  const ext = loaded.document;
  const r = new Reporter(ext.file, ext.source, ext.value, Array.isArray(ext.value) ? section : undefined);
  // Spec §Workflow Definition Structure: "a resource containing an array of function definitions";
  // the spec's own examples wrap it in an object ({"functions": [...]}). Both are accepted.
  const bare = Array.isArray(ext.value);
  const items = bare ? ext.value : isObject(ext.value) ? ext.value[section] : undefined;
  if (!Array.isArray(items)) {
    r.error(DiagnosticCode.NotAnObject, '', `an external ${section} file must be an array of ${section} or an object with a '${section}' array`, {
      hint: `e.g. {"${section}": [ ... ]}`,
    });
    out.push(...r.diagnostics);
    return undefined;
  }
  const base = bare ? '' : `/${section}`;
  origins[section] = { document: ext, base };
  checkSectionShape(section, items, base, r);
  checkSectionItems(section, items, base, r);
  checkDuplicateNames(items, base, `${section === 'retries' ? 'retry' : section.replace(/s$/, '')} name`, r);
  if (section === 'functions') {
    checkFunctionDefs(items, base, r);
    checkFunctionExpressions(items, r, base);
  }
  if (section === 'retries') checkRetryDurations(items, r, base);
  out.push(...r.diagnostics);
  return items;
}

function notAnObject(doc: ParsedDocument, what: string): Diagnostic {
  return { severity: Severity.Error, code: DiagnosticCode.NotAnObject, message: `${what} file must hold a JSON object`, file: doc.file, line: 1, column: 1, pointer: '' };
}

/** Dedupes (same file, pointer and code), sorts, and decides validity. */
function finish(file: string, diagnostics: Diagnostic[], workflow?: Workflow): ValidationResult {
  const seen = new Set<string>();
  const unique = diagnostics.filter((d) => {
    const key = `${d.file}|${d.pointer}|${d.code}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  const sorted = sortDiagnostics(unique);
  const result: ValidationResult = { file, valid: !hasErrors(sorted), diagnostics: sorted };
  if (workflow) result.workflow = workflow;
  return result;
}
