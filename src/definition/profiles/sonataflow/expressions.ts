/**
 * @module definition/profiles/sonataflow/expressions
 * SonataFlow's expression leniencies, rewritten into standard 0.8 (specs/sonataflow-profile.md):
 * bare jq in `arguments` (evaluated when it is jq that reads data), `$SECRET` (→ `$SECRETS`, the
 * names declared in `secrets`), iteration parameters as jq variables (`$item` → bound from the
 * iteration data), scalar function results merged as `{response: …}`, and booleans written as
 * strings. `$WORKFLOW` stays a runtime variable under the profile; migrate replaces the static parts.
 */
import { compileExpression, ExpressionError } from '../../../expressions/index.js';
import { DiagnosticCode, Severity } from '../../diagnostic.js';
import { expressionSites, wholeExpression } from '../../expression-sites.js';
import { getAtPointer, joinPointer, splitPointer } from '../../json-pointer.js';
import { actionsOf, isObject, states } from '../../walk.js';
import type { Findings } from './findings.js';

type Obj = Record<string, unknown>;

/** Properties that 0.8 types as boolean, wherever they appear outside user data. */
const BOOLEAN_KEYS = new Set(['end', 'terminate', 'compensate', 'usedForCompensation', 'keepActive', 'exclusive', 'useData', 'useResults', 'autoRetries', 'failOnValidationErrors']);
/** Subtrees that hold user data, where a "true" string is meant as a string. */
const DATA_KEYS = new Set(['constants', 'metadata', 'arguments', 'data', 'schema', 'dataInputSchema', 'contextAttributes', 'extensions']);

/** `"true"` / `"false"` at boolean properties become booleans (one warning each). */
export function coerceBooleans(value: unknown, pointer: string, f: Findings): void {
  if (Array.isArray(value)) {
    value.forEach((v, i) => coerceBooleans(v, joinPointer(pointer, i), f));
    return;
  }
  if (!isObject(value)) return;
  for (const [k, v] of Object.entries(value)) {
    const p = joinPointer(pointer, k);
    if (BOOLEAN_KEYS.has(k) && typeof v === 'string' && /^(true|false)$/i.test(v.trim())) {
      value[k] = v.trim().toLowerCase() === 'true';
      f.add(Severity.Warning, DiagnosticCode.StringBoolean, p, `'${k}' is the string "${v}"; read as the boolean ${String(value[k])}`, `write ${k}: ${String(value[k])} without quotes`);
      f.converted.push({ pointer: p, message: `"${v}" → ${String(value[k])}` });
    } else if (!DATA_KEYS.has(k)) coerceBooleans(v, p, f);
  }
}

/**
 * SonataFlow's rule for a string argument (Swirl's reading of it): it is evaluated when it is a jq
 * program that reads something — compiles, and has a path, variable or string literal (`.`, `$`,
 * `"`). Text that is not jq (`hello world`, a URL) and constants (`42`, `2024-01-01`, `true`) stay
 * literal strings.
 */
export function evaluatedBySonataflow(text: string): boolean {
  if (wholeExpression(text) !== undefined || !/[.$"]/.test(text) || text.trim() === '') return false;
  try {
    compileExpression(text);
    return true;
  } catch (err) {
    if (err instanceof ExpressionError) return false;
    throw err;
  }
}

function setAt(root: Obj, pointer: string, value: unknown): void {
  const parts = splitPointer(pointer);
  const last = parts.pop() as string;
  const parent = getAtPointer(root, parts.length ? `/${parts.map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/')}` : '') as Obj;
  parent[last] = value;
}

/** Bare jq in `arguments` → `${ … }` (`evaluated` decides which strings: SonataFlow's jq rule by default). */
export function wrapBareArguments(doc: Obj, f: Findings, evaluated: (text: string) => boolean = evaluatedBySonataflow): void {
  const visit = (v: unknown, pointer: string, set: (x: unknown) => void) => {
    if (typeof v === 'string') {
      if (wholeExpression(v) === undefined && evaluated(v)) {
        set(`\${ ${v.trim()} }`);
        f.converted.push({ pointer, message: `'${v.trim()}' → '\${ ${v.trim()} }'` });
      }
    } else if (Array.isArray(v)) v.forEach((x, i) => visit(x, joinPointer(pointer, i), (y) => (v[i] = y)));
    else if (isObject(v)) for (const [k, x] of Object.entries(v)) visit(x, joinPointer(pointer, k), (y) => (v[k] = y));
  };
  for (const { state, pointer } of states(doc)) {
    for (const { action, pointer: ap } of actionsOf(state, pointer)) {
      if (isObject(action.functionRef) && action.functionRef.arguments !== undefined) {
        const ref = action.functionRef;
        const pointer = joinPointer(ap, 'functionRef', 'arguments');
        visit(ref.arguments, pointer, (y) => (ref.arguments = y));
        // SonataFlow also takes the whole `arguments` as one expression (its value is the call's
        // arguments); standard 0.8 types `arguments` as an object, so only the profile runs it.
        if (typeof ref.arguments === 'string' && wholeExpression(ref.arguments) !== undefined) {
          f.suppress(pointer, DiagnosticCode.WrongType);
          f.unconverted.push({ pointer, message: `'arguments' is one expression (SonataFlow); standard 0.8 arguments are an object: write each argument as its own \${ } expression, e.g. { "a": "\${ .x }" }` });
        }
      }
    }
  }
}

/** A `$name` used free in jq (not `$names`); `as $name` bindings make it not free, which is rare enough to ignore here. */
function usesVariable(jq: string, name: string): boolean {
  return new RegExp(`\\$${name}(?![A-Za-z0-9_])`).test(jq);
}

/** `$SECRET` → `$SECRETS`, and the names used are added to `secrets`. */
export function renameSecret(doc: Obj, f: Findings): void {
  const names = new Set<string>(Array.isArray(doc.secrets) ? doc.secrets.filter((s): s is string => typeof s === 'string') : []);
  const before = names.size;
  for (const site of expressionSites(doc)) {
    if (!usesVariable(site.jq, 'SECRET')) continue;
    for (const m of site.jq.matchAll(/\$SECRET(?:\.([A-Za-z_][A-Za-z0-9_]*)|\[\s*"([^"]+)"\s*\])/g)) names.add(m[1] ?? m[2]);
    const text = site.text.replace(/\$SECRET(?![A-Za-z0-9_])/g, '$SECRETS');
    setAt(doc, site.pointer, text);
    f.converted.push({ pointer: site.pointer, message: `$SECRET → $SECRETS` });
  }
  if (names.size > before) doc.secrets = [...names];
}

/** migrate: `$WORKFLOW.id`/`.name`/`.version` become string literals; `$WORKFLOW.instanceId` cannot be converted. */
export function inlineWorkflowVariables(doc: Obj, f: Findings): void {
  const known: Record<string, unknown> = { id: doc.id ?? doc.key, name: doc.name, version: doc.version };
  for (const site of expressionSites(doc)) {
    if (!usesVariable(site.jq, 'WORKFLOW')) continue;
    const text = site.text.replace(/\$WORKFLOW\.(id|name|version)(?![A-Za-z0-9_])/g, (_, k: string) => JSON.stringify(known[k] ?? null));
    if (text !== site.text) {
      setAt(doc, site.pointer, text);
      f.converted.push({ pointer: site.pointer, message: `$WORKFLOW.id/name/version replaced by their values` });
    }
    if (usesVariable(wholeExpression(text)?.jq ?? text, 'WORKFLOW')) {
      f.unconverted.push({ pointer: site.pointer, message: `'${site.text.trim()}' reads $WORKFLOW (instanceId…), which standard 0.8 does not define; pass the value in the workflow input instead` });
    }
  }
}

/**
 * In a foreach state's actions, `$<iterationParam>` (SonataFlow binds the element as a variable)
 * is bound from the iteration data, where Swirl puts the element (A7): `.item as $item | …`. Only
 * sites evaluated on the iteration data: arguments, condition, fromStateData, eventRef data.
 */
export function bindIterationParams(doc: Obj, f: Findings): void {
  for (const { state, pointer } of states(doc)) {
    if (state.type !== 'foreach') continue;
    const param = typeof state.iterationParam === 'string' ? state.iterationParam : 'item';
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(param)) continue;
    const base = joinPointer(pointer, 'actions');
    for (const site of expressionSites(doc)) {
      if (!site.pointer.startsWith(`${base}/`)) continue;
      const rest = site.pointer.slice(base.length);
      if (!/^\/\d+\/(functionRef\/arguments(\/.*)?|condition|actionDataFilter\/fromStateData|eventRef\/data(\/.*)?)$/.test(rest)) continue;
      if (!usesVariable(site.jq, param)) continue;
      setAt(doc, site.pointer, `\${ .${param} as $${param} | (${site.jq.trim()}) }`);
      f.converted.push({ pointer: site.pointer, message: `$${param} bound from the iteration data (.${param})` });
    }
  }
}

/**
 * SonataFlow merges a function result that is not an object as `{"response": result}`. Applied to
 * function actions outside foreach states (an iteration's scalar result is its result already),
 * without toStateData (which says where the result goes), except sysout functions (no result).
 */
export function wrapScalarResults(doc: Obj, skip: ReadonlySet<string>, f: Findings): void {
  for (const { state, pointer } of states(doc)) {
    if (state.type === 'foreach') continue;
    for (const { action, pointer: ap } of actionsOf(state, pointer)) {
      const ref = action.functionRef;
      const name = typeof ref === 'string' ? ref : isObject(ref) ? ref.refName : undefined;
      if (typeof name !== 'string' || skip.has(name)) continue;
      const filter = isObject(action.actionDataFilter) ? action.actionDataFilter : undefined;
      if (filter?.toStateData !== undefined || filter?.useResults === false || (filter?.results !== undefined && typeof filter.results !== 'string')) continue;
      const inner = typeof filter?.results === 'string' ? (wholeExpression(filter.results)?.jq ?? filter.results).trim() : '.';
      const results = `\${ (${inner}) | if type == "object" or type == "null" then . else {response: .} end }`;
      action.actionDataFilter = { ...(filter ?? {}), results };
      f.converted.push({ pointer: joinPointer(ap, 'actionDataFilter', 'results'), message: 'a result that is not an object is merged as {response: …} (SonataFlow)' });
    }
  }
}
