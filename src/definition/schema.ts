/**
 * @module definition/schema
 * Structural validation against the Serverless Workflow 0.8 JSON Schema, using the SDK's validators
 * (precompiled: sdk-validators.generated.ts) on the plain parsed object (not `WorkflowValidator`,
 * which mangles string timeouts and auth: ../shared/reference/sw-0.8-notes.md §5.2). ajv's raw
 * errors are translated into messages that say which property is wrong or missing, on which state.
 *
 * The validators stop at the first failing keyword, so each state, function, event, retry and
 * error is validated on its own (one precise finding per broken item), and the workflow root with
 * those sections set aside.
 */
import { DiagnosticCode } from './diagnostic.js';
import { getAtPointer, joinPointer, splitPointer } from './json-pointer.js';
import type { Reporter } from './report.js';
import { sdkSchemaFiles, sdkValidateFunctions, VALIDATOR_REFS } from './sdk-validators.generated.js';
import { closest, didYouMean, editDistance } from './suggest.js';
import { STATE_TYPES } from './types.js';

/** Timeout properties that authors put on states directly (spec example 8 does). */
const TIMEOUT_KEYS = ['eventTimeout', 'stateExecTimeout', 'actionExecTimeout', 'branchExecTimeout', 'workflowExecTimeout'];

/** Property names from other DSLs or SW versions → the 0.8 name ("did you mean"). */
const RENAMED: Record<string, string> = { parameters: 'arguments', args: 'arguments', params: 'arguments', input: 'arguments' };

/** The subset of ajv's ErrorObject we read. */
interface AjvError {
  instancePath: string;
  schemaPath: string;
  keyword: string;
  params: Record<string, any>;
  message?: string;
}

/** An ajv validate function as the SDK exposes it. */
interface ValidateFn {
  (data: unknown): boolean;
  errors?: AjvError[] | null;
  schema?: unknown;
  schemaEnv?: { root?: { schema?: unknown } };
}

let sdkValidators: Map<string, ValidateFn> | undefined;

/**
 * The SDK's validators, from their ajv standalone code (sdk-validators.generated.ts, made by
 * scripts/sdk-validators.mjs from the SDK's schemas and options): requiring the SDK compiles all of
 * its ~80 validators (0.3–0.7 s of CPU), which `swirl serve` paid on every start with a workflows
 * folder, restarts after a crash included (issue 12). Each function carries the SDK's `schema` and
 * `schemaEnv.root.schema`, which knownProperties reads; test/definition/sdk-validators.test.ts checks
 * that they answer exactly like the SDK's. Built with the first document validated.
 */
function validator(name: string): ValidateFn {
  sdkValidators ??= loadValidators();
  const v = sdkValidators.get(name);
  if (!v) throw new Error(`the SDK has no validator '${name}'`);
  return v;
}

function loadValidators(): Map<string, ValidateFn> {
  const files = sdkSchemaFiles() as Record<string, Record<string, unknown>>;
  const fns = sdkValidateFunctions() as Record<string, ValidateFn>;
  const out = new Map<string, ValidateFn>();
  for (const [name, ref] of Object.entries(VALIDATOR_REFS as Record<string, string>)) {
    const [id, fragment = ''] = ref.split('#');
    const root = files[id];
    const v = fns[name];
    v.schema = getAtPointer(root, fragment);
    v.schemaEnv = { root: { schema: root } };
    out.set(name, v);
  }
  return out;
}

/** Validator per state type; a switch picks its data- or event-based form. */
const STATE_VALIDATORS: Record<string, string> = {
  event: 'Eventstate',
  operation: 'Operationstate',
  sleep: 'Sleepstate',
  parallel: 'Parallelstate',
  inject: 'Injectstate',
  foreach: 'Foreachstate',
  callback: 'Callbackstate',
};

/** Sections validated item by item, with their item validator. */
const SECTIONS: Record<'functions' | 'events' | 'retries' | 'errors' | 'auth', string> = {
  functions: 'Function',
  events: 'Eventdef',
  retries: 'Retrydef',
  errors: 'Errordef',
  auth: 'Authdef',
};

export type SectionName = 'functions' | 'events' | 'retries' | 'errors' | 'auth';

/** Validates the items of a named section (inline, or the array of an external file at `base`). */
export function checkSectionItems(section: SectionName, items: unknown[], base: string, r: Reporter): boolean {
  const before = r.diagnostics.length;
  const v = validator(SECTIONS[section]);
  items.forEach((item, i) => runValidator(v, item, `${base}/${i}`, r));
  return r.diagnostics.length === before;
}

/** Validates the document's structure; reports into `r`. Returns true when the schema holds. */
export function checkSchema(doc: Record<string, unknown>, r: Reporter): boolean {
  const before = r.diagnostics.length;
  const root: Record<string, unknown> = { ...doc };

  if (Array.isArray(doc.states)) {
    doc.states.forEach((state, i) => checkState(state, `/states/${i}`, r));
    // A valid placeholder keeps the root validator from re-reporting state problems.
    if (doc.states.length > 0) root.states = [{ name: '_', type: 'inject', data: {}, end: true }];
  }
  for (const section of Object.keys(SECTIONS) as SectionName[]) {
    const items = doc[section];
    if (items === null) delete root[section]; // reported, with a better message, by checks/sections.ts
    if (!Array.isArray(items)) continue;
    checkSectionItems(section, items, `/${section}`, r);
    delete root[section]; // optional at the root; its items were checked one by one
  }
  runValidator(validator('Workflow'), root, '', r);
  return r.diagnostics.length === before;
}

function checkState(state: unknown, pointer: string, r: Reporter): void {
  if (state === null || typeof state !== 'object' || Array.isArray(state)) {
    r.error(DiagnosticCode.WrongType, pointer, `a state must be an object, not ${typeName(state)}`);
    return;
  }
  const s = state as Record<string, unknown>;
  const label = typeof s.name === 'string' ? `state '${s.name}'` : `state #${Number(splitPointer(pointer)[1]) + 1}`;
  if (s.type === undefined) {
    // 'tpye: inject' reads as a missing type; say which key was probably meant (at that key).
    // One edit, or the same letters reordered ('tpye'); not any key two edits away ('time').
    const sameLetters = (k: string) => [...k.toLowerCase()].sort().join('') === 'epty';
    const typo = Object.keys(s).find((k) => k.length >= 3 && (editDistance(k, 'type') <= 1 || sameLetters(k)));
    if (typo !== undefined) {
      r.error(DiagnosticCode.MissingProperty, joinPointer(pointer, typo), `${label}: missing required property 'type'; property '${typo}' looks like a misspelling of it`, {
        atKey: true,
        hint: `rename '${typo}' to 'type' (one of: ${STATE_TYPES.join(', ')})`,
      });
      return;
    }
    r.error(DiagnosticCode.MissingProperty, pointer, `${label}: missing required property 'type'`, {
      hint: `one of: ${STATE_TYPES.join(', ')}`,
    });
    return;
  }
  if (typeof s.type !== 'string' || !(STATE_TYPES as readonly string[]).includes(s.type)) {
    r.error(
      DiagnosticCode.UnknownStateType,
      `${pointer}/type`,
      `${label}: unknown state type '${String(s.type)}'${didYouMean(String(s.type), STATE_TYPES)}`,
      { hint: `one of: ${STATE_TYPES.join(', ')}` },
    );
    return;
  }
  let name = STATE_VALIDATORS[s.type];
  if (s.type === 'switch') {
    const data = s.dataConditions !== undefined;
    const events = s.eventConditions !== undefined;
    if (data === events) {
      r.error(
        DiagnosticCode.InvalidSwitch,
        pointer,
        data
          ? `${label}: a switch has either 'dataConditions' or 'eventConditions', not both`
          : `${label}: a switch needs 'dataConditions' (data-based) or 'eventConditions' (event-based)`,
      );
      return;
    }
    name = data ? 'Databasedswitchstate' : 'Eventbasedswitchstate';
  }
  const before = r.diagnostics.length;
  state = withSleepBeforeAndAfter(state);
  runValidator(validator(name), state, pointer, r);
  // ajv stops at the first failing keyword; "needs end or transition" would hide a misspelt
  // property (`transtion`). Look again with the end supplied, to report what else is wrong.
  const hasEnd = s.end !== undefined && s.end !== false;
  if (r.diagnostics.length > before && !hasEnd && s.transition === undefined && s.type !== 'switch' && s.usedForCompensation !== true) {
    runValidator(validator(name), { ...s, end: true }, pointer, r);
  }
}

/**
 * Spec §Sleep Definition: an action sleeps "before and/or after" it, but the 0.8 schema's `oneOf`
 * (one form requiring `before`, one requiring `after`) rejects both. The schema sees such a `sleep`
 * with `before` alone; `after` is checked as a duration by checks/durations.ts like every duration.
 */
function withSleepBeforeAndAfter(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withSleepBeforeAndAfter);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const both = k === 'sleep' && v !== null && typeof v === 'object' && !Array.isArray(v) && 'before' in v && 'after' in v;
    if (both) {
      const { after: _after, ...rest } = v as Record<string, unknown>;
      out[k] = rest;
    } else out[k] = withSleepBeforeAndAfter(v);
  }
  return out;
}

/** Runs one validator and reports its translated errors under `prefix`. */
function runValidator(v: ValidateFn, data: unknown, prefix: string, r: Reporter): void {
  if (v(data)) return;
  const errors = prune((v.errors ?? []).map((e) => ({ ...e })), data);
  const seen = new Set<string>();
  for (const e of errors) {
    const key = `${e.instancePath}|${e.keyword}|${JSON.stringify(e.params)}`;
    if (seen.has(key)) continue;
    seen.add(key);
    translate(e, data, prefix, v, r);
  }
}

/**
 * Reduces ajv's error list to the ones that explain the failure: for every failed oneOf/anyOf,
 * keep the alternative that fits the data's shape best instead of every alternative's complaints.
 */
function prune(errors: AjvError[], data: unknown): AjvError[] {
  let list = errors.filter((e) => e.keyword !== 'if');
  const combinators = list
    .filter((e) => (e.keyword === 'oneOf' || e.keyword === 'anyOf') && !Array.isArray(e.params.passingSchemas))
    .sort((a, b) => a.instancePath.length - b.instancePath.length || a.schemaPath.length - b.schemaPath.length);
  for (const c of combinators) {
    if (!list.includes(c)) continue;
    const prefix = c.schemaPath + '/';
    const branchErrors = list.filter(
      (e) => e !== c && e.schemaPath.startsWith(prefix) && e.instancePath.startsWith(c.instancePath),
    );
    if (branchErrors.length === 0) continue;
    const branches = new Map<string, AjvError[]>();
    for (const e of branchErrors) {
      const index = e.schemaPath.slice(prefix.length).split('/')[0];
      branches.set(index, [...(branches.get(index) ?? []), e]);
    }
    // Drop alternatives whose very shape does not fit (a string form when the data is an object).
    let candidates = [...branches.values()];
    // `id` and `key` are alternatives (schema root oneOf): a document with one of them is not
    // "missing" the other.
    const here = getAtPointer(data, c.instancePath);
    if (here !== null && typeof here === 'object') {
      const present = new Set(Object.keys(here));
      const fitting = candidates.filter((b) => !b.some((e) => e.keyword === 'required' && ((e.params.missingProperty === 'key' && present.has('id')) || (e.params.missingProperty === 'id' && present.has('key')))));
      if (fitting.length > 0) candidates = fitting;
    }
    const shaped = candidates.filter(
      (b) => !b.some((e) => (e.keyword === 'type' || e.keyword === 'const') && e.instancePath === c.instancePath),
    );
    if (shaped.length > 0) candidates = shaped;
    let keep: AjvError[];
    const onlyRequiredHere = candidates.every((b) =>
      b.every((e) => e.keyword === 'required' && e.instancePath === c.instancePath),
    );
    if (onlyRequiredHere && candidates.length > 1) {
      const sets = candidates.map((b) => new Set(b.map((e) => String(e.params.missingProperty))));
      const common = [...sets[0]].filter((p) => sets.every((s) => s.has(p)));
      if (common.length > 0) {
        keep = candidates[0].filter((e) => common.includes(String(e.params.missingProperty)));
      } else {
        const alternatives = [...new Set(sets.flatMap((s) => [...s]))];
        keep = [{ ...c, keyword: 'requiredOneOf', params: { alternatives } }];
      }
    } else {
      keep = candidates.reduce((best, b) => (b.length < best.length ? b : best));
    }
    list = list.filter((e) => e !== c && !branchErrors.includes(e)).concat(keep);
  }
  return list;
}

function translate(e: AjvError, data: unknown, prefix: string, v: ValidateFn, r: Reporter): void {
  const pointer = prefix + e.instancePath;
  const owner = r.ownerOf(pointer);
  const where = describeProperty(e.instancePath);
  const at = where ? `${owner}: ${where}` : owner;
  const value = getAtPointer(data, e.instancePath);
  switch (e.keyword) {
    case 'required': {
      const prop = String(e.params.missingProperty);
      r.error(DiagnosticCode.MissingProperty, pointer, `${at}: missing required property '${prop}'`);
      return;
    }
    case 'requiredOneOf': {
      const alts: string[] = e.params.alternatives;
      if (alts.includes('end') && alts.includes('transition')) {
        r.error(DiagnosticCode.EndOrTransition, pointer, `${at}: needs either 'end' or 'transition'`, {
          hint: "add 'transition: <next state>' or 'end: true'",
        });
      } else {
        r.error(DiagnosticCode.MissingProperty, pointer, `${at}: needs one of ${alts.map((a) => `'${a}'`).join(' or ')}`);
      }
      return;
    }
    case 'additionalProperties': {
      const prop = String(e.params.additionalProperty);
      const known = knownProperties(v, e.schemaPath);
      // Renames authors carry over from other DSLs (or earlier SW versions), beyond edit distance.
      const suggestion = RENAMED[prop] && known.includes(RENAMED[prop]) ? RENAMED[prop] : closest(prop, known);
      if (TIMEOUT_KEYS.includes(prop) && known.includes('timeouts')) {
        r.error(DiagnosticCode.UnknownProperty, joinPointer(pointer, prop), `${at}: property '${prop}' is not allowed here`, {
          atKey: true,
          hint: `timeouts go inside 'timeouts': timeouts.${prop}`,
        });
        return;
      }
      r.error(
        DiagnosticCode.UnknownProperty,
        joinPointer(pointer, prop),
        `${at}: property '${prop}' is not allowed here${suggestion ? `; did you mean '${suggestion}'?` : ''}`,
        { atKey: true, hint: known.length > 0 && !suggestion ? `allowed: ${known.join(', ')}` : undefined },
      );
      return;
    }
    case 'type':
      r.error(DiagnosticCode.WrongType, pointer, `${at}: must be ${article(String(e.params.type))}, not ${typeName(value)}`);
      return;
    case 'enum': {
      const allowed = (e.params.allowedValues as unknown[]).map(String);
      r.error(
        DiagnosticCode.InvalidValue,
        pointer,
        `${at}: '${String(value)}' is not allowed${didYouMean(String(value), allowed)}`,
        { hint: `one of: ${allowed.join(', ')}` },
      );
      return;
    }
    case 'const':
      r.error(DiagnosticCode.InvalidValue, pointer, `${at}: must be ${JSON.stringify(e.params.allowedValue)}`);
      return;
    case 'oneOf':
    case 'anyOf': {
      const obj = value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : {};
      if ('end' in obj && 'transition' in obj) {
        r.error(DiagnosticCode.EndOrTransition, pointer, `${at}: has both 'end' and 'transition'; use exactly one`);
      } else if (e.instancePath === '' && 'id' in obj && 'key' in obj) {
        r.error(DiagnosticCode.SchemaViolation, joinPointer(pointer, 'key'), `${at}: 'id' and 'key' are exclusive; use one of them`, {
          atKey: true,
          hint: "'id' is the usual identifier; 'key' is its domain-specific alternative (spec §Workflow Definition)",
        });
      } else if (/\/defaultCondition$/.test(e.instancePath) && (value === null || typeof value !== 'object')) {
        const target = typeof value === 'string' ? value : '<state>';
        r.error(DiagnosticCode.WrongType, pointer, `${at}: must be an object such as {transition: '${target}'} or {end: true}, not ${typeName(value)}`, {
          hint: `write 'defaultCondition: { transition: ${target} }'`,
        });
      } else if (Array.isArray(e.params.passingSchemas)) {
        r.error(DiagnosticCode.SchemaViolation, pointer, `${at}: matches more than one of its allowed forms; remove the properties of all but one`);
      } else {
        r.error(DiagnosticCode.SchemaViolation, pointer, `${at}: does not match any allowed form`);
      }
      return;
    }
    case 'minItems':
      r.error(DiagnosticCode.SchemaViolation, pointer, `${at}: must have at least ${e.params.limit} item${e.params.limit === 1 ? '' : 's'}`);
      return;
    case 'minLength':
      r.error(DiagnosticCode.SchemaViolation, pointer, `${at}: must not be empty`);
      return;
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      r.error(DiagnosticCode.SchemaViolation, pointer, `${at}: must be ${e.params.comparison} ${e.params.limit}`);
      return;
    default:
      r.error(DiagnosticCode.SchemaViolation, pointer, `${at}: ${e.message ?? e.keyword}`);
  }
}

/** `property 'actions[0].functionRef'` for an instance path relative to its owner. */
function describeProperty(instancePath: string): string {
  const parts = splitPointer(instancePath);
  // Owner sections (/states/N) are named by the reporter; describe what is below them.
  const rest = parts.length >= 2 && ['states', 'functions', 'events', 'retries', 'errors', 'auth'].includes(parts[0]) && /^\d+$/.test(parts[1]) ? parts.slice(2) : parts;
  if (rest.length === 0) return '';
  const path = rest.map((p, i) => (/^\d+$/.test(p) ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
  return `property '${path}'`;
}

/** Properties the schema allows at the object an additionalProperties error is about. */
function knownProperties(v: ValidateFn, schemaPath: string): string[] {
  const path = schemaPath.replace(/^[^#]*#/, '').replace(/\/additionalProperties$/, '');
  for (const root of [v.schema, v.schemaEnv?.root?.schema]) {
    const node = getAtPointer(root, path) as { properties?: Record<string, unknown> } | undefined;
    if (node?.properties) return Object.keys(node.properties);
  }
  return [];
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return `${article(typeof value)} (${JSON.stringify(value)})`;
}

function article(type: string): string {
  const t = type.replace(/,/g, ' or ');
  return /^[aeiou]/.test(t) ? `an ${t}` : `a ${t}`;
}
