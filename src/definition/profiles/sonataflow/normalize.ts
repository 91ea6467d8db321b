/**
 * @module definition/profiles/sonataflow/normalize
 * A SonataFlow document → a standard 0.8 document plus the profile's runtime data
 * (specs/sonataflow-profile.md). The validator runs its standard checks on the result; `swirl
 * migrate` writes it out (mode `migrate` also removes what only the profile can run).
 */
import { dirname, relative } from 'node:path';
import { initExpressions } from '../../../expressions/index.js';
import { DiagnosticCode, Severity } from '../../diagnostic.js';
import { isObject, states } from '../../walk.js';
import { bindIterationParams, coerceBooleans, inlineWorkflowVariables, renameSecret, wrapBareArguments, wrapScalarResults } from './expressions.js';
import { Findings } from './findings.js';
import { normalizeFunctions, type ProjectContext } from './functions.js';
import { findResourcesRoot, loadProperties, ProjectProperties } from './properties.js';
import { isJsonPath } from './jsonpath.js';
import type { SonataflowRuntime } from './runtime.js';

type Obj = Record<string, unknown>;

/** Options of {@link normalizeSonataflow}. */
export interface NormalizeOptions {
  /** The definition's file; absent (or `unanchored`) for text registered over the API. */
  file?: string;
  /** `profile` (validate/run/serve) or `migrate` (standard documents that run without the profile). */
  mode: 'profile' | 'migrate';
}

/** The rewritten document and what was found on the way. */
export interface NormalizeResult {
  value: Obj;
  runtime: SonataflowRuntime;
  findings: Findings;
  /** application.properties that was read, if any. */
  propertiesFile?: string;
}

/** Normalizes a parsed SonataFlow document (the input is not modified). */
export async function normalizeSonataflow(input: Obj, options: NormalizeOptions): Promise<NormalizeResult> {
  await initExpressions();
  const f = new Findings();
  const value = withSpecVersion(structuredClone(input), f);
  const runtime: SonataflowRuntime = { name: 'sonataflow', sysout: {}, rest: {}, servers: {} };
  const dir = options.file ? dirname(options.file) : undefined;
  const resources = dir ? await findResourcesRoot(dir) : undefined;
  const props = dir ? await loadProperties(dir, resources) : { ok: true as const, values: new Map<string, string>() };
  if (!props.ok) f.add(Severity.Error, DiagnosticCode.ApplicationProperties, '', props.message);
  // A definition without a location (registered over the API) has no project: no file, no environment.
  const properties = dir ? new ProjectProperties(props.ok ? props.values : new Map()) : new ProjectProperties(new Map(), {});
  const project: ProjectContext = { dir, resources, properties, workflowId: typeof value.id === 'string' ? value.id : undefined };

  coerceBooleans(value, '', f);
  resolveClasspathFields(value, project, f);
  const dropped = normalizeFunctions(value, project, runtime, f, options.mode === 'migrate');
  const jsonpath = isJsonPath(value.expressionLang);
  // The rewrites below write jq; a JSONPath document gets only its bare arguments wrapped.
  if (jsonpath) wrapBareArguments(value, f, (s) => s.trim().startsWith('$'));
  else {
    wrapBareArguments(value, f);
    bindIterationParams(value, f);
    renameSecret(value, f);
    wrapScalarResults(value, new Set([...Object.keys(runtime.sysout)]), f);
  }
  if (jsonpath && options.mode === 'migrate') f.unconverted.push({ pointer: '/expressionLang', message: "expressionLang 'jsonpath': standard Swirl evaluates jq; rewrite the expressions in jq (e.g. '$.order.items[0]' → '${ .order.items[0] }')" });
  if (options.mode === 'migrate') {
    if (!jsonpath) inlineWorkflowVariables(value, f);
    dropActions(value, dropped);
  }
  return { value, runtime, findings: f, ...(props.ok && props.file ? { propertiesFile: props.file } : {}) };
}

/** No specVersion: 0.8 is assumed (SonataFlow runs 0.8 documents without one), said once as an info. */
function withSpecVersion(doc: Obj, f: Findings): Obj {
  if (doc.specVersion !== undefined) return doc;
  f.add(Severity.Info, DiagnosticCode.SpecVersionAssumed, '', "no 'specVersion': Serverless Workflow 0.8 assumed (sonataflow profile)", "add specVersion: '0.8' so the document also validates without the profile");
  f.converted.push({ pointer: '/specVersion', message: "specVersion '0.8' added" });
  // specVersion goes after the id/key/version/name header, where authors write it.
  const out: Obj = {};
  const header = ['id', 'key', 'version', 'name', 'description'];
  let placed = false;
  for (const [k, v] of Object.entries(doc)) {
    if (!placed && !header.includes(k)) {
      out.specVersion = '0.8';
      placed = true;
    }
    out[k] = v;
  }
  if (!placed) out.specVersion = '0.8';
  return out;
}

/** `classpath:` in dataInputSchema and in external section references → a path relative to the workflow. */
function resolveClasspathFields(doc: Obj, project: ProjectContext, f: Findings): void {
  const fix = (v: unknown, pointer: string, set: (s: string) => void) => {
    if (typeof v !== 'string' || !v.startsWith('classpath:')) return;
    const inResources = v.slice('classpath:'.length).replace(/^\/+/, '');
    if (!project.resources || !project.dir) {
      f.add(Severity.Error, DiagnosticCode.FileNotFound, pointer, `'${v}' needs the project's src/main/resources folder, and none was found above ${project.dir ?? 'a definition without a location'}`);
      f.suppress(pointer, DiagnosticCode.FileNotFound);
      return;
    }
    const rel = relative(project.dir, `${project.resources}/${inResources}`) || inResources;
    const path = rel.startsWith('.') || rel.startsWith('/') ? rel : `./${rel}`;
    set(path);
    f.converted.push({ pointer, message: `'${v}' resolved to '${path}'` });
  };
  for (const key of ['functions', 'events', 'retries', 'errors', 'constants', 'auth', 'dataInputSchema']) fix(doc[key], `/${key}`, (s) => (doc[key] = s));
  const dis = doc.dataInputSchema;
  if (isObject(dis)) fix(dis.schema, '/dataInputSchema/schema', (s) => (dis.schema = s));
}

/** migrate: actions that call a dropped function (sysout) are removed. */
function dropActions(doc: Obj, dropped: ReadonlySet<string>): void {
  if (dropped.size === 0) return;
  const calls = (a: unknown) => {
    if (!isObject(a)) return false;
    const ref = a.functionRef;
    const name = typeof ref === 'string' ? ref : isObject(ref) ? ref.refName : undefined;
    return typeof name === 'string' && dropped.has(name);
  };
  for (const { state } of states(doc)) {
    const lists: unknown[][] = [];
    if (Array.isArray(state.actions)) lists.push(state.actions);
    for (const key of ['onEvents', 'branches'] as const) if (Array.isArray(state[key])) for (const x of state[key]) if (isObject(x) && Array.isArray(x.actions)) lists.push(x.actions);
    for (const list of lists) for (let i = list.length - 1; i >= 0; i--) if (calls(list[i])) list.splice(i, 1);
  }
  if (Array.isArray(doc.functions)) doc.functions = doc.functions.filter((fn) => !(isObject(fn) && typeof fn.name === 'string' && dropped.has(fn.name)));
  // 0.8 allows no empty function list.
  if (Array.isArray(doc.functions) && doc.functions.length === 0) delete doc.functions;
}
