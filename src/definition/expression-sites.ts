/**
 * @module definition/expression-sites
 * Where a 0.8 document holds workflow expressions, and how each is written (spec §Workflow
 * Expressions; decision in specs/semantics.md):
 * - fields that are always expressions (filters, conditions, inputCollection, toStateData, expression
 *   function operations, string `data` selectors) accept `${ … }` or bare jq;
 * - value fields (arguments, inject data, object `data`, contextAttributes, version) hold an
 *   expression only when the whole string is `${ … }`; any other string is a literal.
 */
import { joinPointer } from './json-pointer.js';
import { actionsOf, arrayOrEmpty, endsOf, isObject, states, transitionObjectsOf } from './walk.js';

/** One expression in a document (or, with `literal`, a value string that only looks like one). */
export interface ExpressionSite {
  pointer: string;
  /** The text as written. */
  text: string;
  /** The jq program (without `${ }`). */
  jq: string;
  /** Offset of the jq program within `text` (for positions inside the expression). */
  offset: number;
}

/**
 * A string that is not an expression but looks meant as one: `interpolation` — a value field with
 * `${ … }` inside other text (used literally); `unterminated` — `${` without its closing `}`;
 * `bare` — a value field that reads like bare jq (`.symbol`, `$CONST.x`), sent as literal text.
 */
export interface LiteralLookalike {
  pointer: string;
  text: string;
  kind: 'interpolation' | 'unterminated' | 'bare';
}

/** True when `text` opens `${` and never closes it (so it is neither an expression nor meant as text). */
export function isUnterminated(text: string): boolean {
  const start = text.search(/\S/);
  return start >= 0 && text.startsWith('${', start) && closingBrace(text, start + 2) < 0 && !text.trimEnd().endsWith('}');
}

/**
 * A path or variable written without `${ }` in a value field: `.symbol`, `.order.items[0]`,
 * `$CONST.region`, `$WORKFLOW.instanceId`. Dotted file names (`.env`) are rare in arguments; the
 * finding is a warning.
 */
const BARE_JQ = /^(\.[A-Za-z_][A-Za-z0-9_]*|\$[A-Za-z_][A-Za-z0-9_]*)(\.[A-Za-z_][A-Za-z0-9_]*|\[[^\]]*\])*$/;

/** True when a value-field string reads like jq that was meant to be evaluated. */
export function looksLikeBareJq(text: string): boolean {
  return BARE_JQ.test(text.trim());
}

/**
 * The jq inside a string that is one whole `${ … }`: the `}` that closes the opening `${` must be
 * the last character (spaces aside). `'${ .a } and ${ .b }'` is therefore not one expression (0.8
 * defines no string interpolation of several expressions: it is a literal in value fields). Braces
 * inside jq string literals, `\( … )` interpolations and comments do not count.
 */
export function wholeExpression(text: string): { jq: string; offset: number } | undefined {
  const start = text.search(/\S/);
  if (start < 0 || !text.startsWith('${', start)) return undefined;
  const end = closingBrace(text, start + 2);
  if (end < 0) {
    // Unbalanced (an unterminated jq string, a missing brace): meant as one expression, broken —
    // take everything up to the last `}` so the jq compiler reports what is wrong.
    const last = text.trimEnd();
    return last.endsWith('}') ? { jq: last.slice(start + 2, -1), offset: start + 2 } : undefined;
  }
  if (text.slice(end + 1).trim() !== '') return undefined;
  return { jq: text.slice(start + 2, end), offset: start + 2 };
}

/** True when a string holds `${ … }` text without being one whole expression (a literal that looks like one). */
export function looksLikeInterpolation(text: string): boolean {
  return wholeExpression(text) === undefined && /\$\{[\s\S]*\}/.test(text);
}

/** Index of the `}` closing a `{` opened just before `from`, or -1. */
function closingBrace(text: string, from: number): number {
  // Each frame is code (counting braces and, inside interpolations, parentheses) or a string.
  type Frame = { kind: 'code'; braces: number; parens: number; interpolation: boolean } | { kind: 'string' };
  const stack: Frame[] = [{ kind: 'code', braces: 1, parens: 0, interpolation: false }];
  for (let i = from; i < text.length; i++) {
    const c = text[i];
    const top = stack[stack.length - 1];
    if (top.kind === 'string') {
      if (c === '\\') {
        if (text[i + 1] === '(') {
          stack.push({ kind: 'code', braces: 0, parens: 1, interpolation: true });
        }
        i++;
      } else if (c === '"') stack.pop();
      continue;
    }
    if (c === '"') stack.push({ kind: 'string' });
    else if (c === '#') {
      const nl = text.indexOf('\n', i);
      i = nl < 0 ? text.length : nl;
    } else if (c === '{') top.braces++;
    else if (c === '}') {
      top.braces--;
      if (top.braces === 0 && stack.length === 1) return i;
    } else if (top.interpolation && c === '(') top.parens++;
    else if (top.interpolation && c === ')') {
      top.parens--;
      if (top.parens === 0) stack.pop();
    }
  }
  return -1;
}

/**
 * The `${ … }` expressions embedded in a graphql `selectionSet` (spec §Using Functions for GraphQL
 * Service Invocations: each is evaluated before the call). `start`/`end` delimit `${ … }` in `text`
 * (end just past the `}`); an entry with `end: -1` is a `${` that never closes.
 */
export function embeddedExpressions(text: string): Array<{ start: number; end: number; jq: string; offset: number }> {
  const out: Array<{ start: number; end: number; jq: string; offset: number }> = [];
  for (let start = text.indexOf('${'); start >= 0; ) {
    const close = closingBrace(text, start + 2);
    if (close < 0) {
      out.push({ start, end: -1, jq: text.slice(start + 2), offset: start + 2 });
      break;
    }
    out.push({ start, end: close + 1, jq: text.slice(start + 2, close), offset: start + 2 });
    start = text.indexOf('${', close + 1);
  }
  return out;
}

/** The jq of an always-expression field: the inside of a whole `${ … }`, else the text as jq. */
export function alwaysExpression(text: string): { jq: string; offset: number } {
  return wholeExpression(text) ?? { jq: text, offset: 0 };
}

/** The jq of a value field, or undefined when the string is a literal. */
export function valueExpression(text: string): { jq: string; offset: number } | undefined {
  return wholeExpression(text);
}

type Obj = Record<string, unknown>;

/** Every expression site of a workflow document (functions given inline included). */
export function expressionSites(doc: Obj, lookalikes: LiteralLookalike[] = []): ExpressionSite[] {
  const out: ExpressionSite[] = [];
  const always = (v: unknown, pointer: string) => {
    if (typeof v !== 'string') return;
    if (isUnterminated(v)) lookalikes.push({ pointer, text: v, kind: 'unterminated' });
    else out.push({ pointer, text: v, ...alwaysExpression(v) });
  };
  const value = (v: unknown, pointer: string) => {
    if (typeof v === 'string') {
      const e = valueExpression(v);
      if (e) out.push({ pointer, text: v, ...e });
      else if (isUnterminated(v)) lookalikes.push({ pointer, text: v, kind: 'unterminated' });
      else if (looksLikeInterpolation(v)) lookalikes.push({ pointer, text: v, kind: 'interpolation' });
      else if (!/^\/version$|\/(batchSize|numCompleted)$/.test(pointer) && looksLikeBareJq(v)) lookalikes.push({ pointer, text: v, kind: 'bare' });
    } else if (Array.isArray(v)) v.forEach((x, i) => value(x, joinPointer(pointer, i)));
    else if (isObject(v)) for (const [k, x] of Object.entries(v)) value(x, joinPointer(pointer, k));
  };
  // A graphql selection set is GraphQL text with `${ … }` expressions inside it, each one a site.
  const selectionSet = (v: unknown, pointer: string) => {
    if (typeof v !== 'string') return;
    for (const e of embeddedExpressions(v)) {
      if (e.end < 0) lookalikes.push({ pointer, text: v.slice(e.start), kind: 'unterminated' });
      else out.push({ pointer, text: v.slice(e.start, e.end), jq: e.jq, offset: 2 });
    }
  };
  const data = (v: unknown, pointer: string) => (typeof v === 'string' ? always(v, pointer) : value(v, pointer));
  const eventDataFilter = (f: unknown, pointer: string) => {
    if (!isObject(f)) return;
    always(f.data, joinPointer(pointer, 'data'));
    always(f.toStateData, joinPointer(pointer, 'toStateData'));
  };
  const produceEvents = (list: unknown, pointer: string) =>
    arrayOrEmpty(list).forEach((p, i) => {
      if (!isObject(p)) return;
      data(p.data, joinPointer(pointer, i, 'data'));
      value(p.contextAttributes, joinPointer(pointer, i, 'contextAttributes'));
    });

  value(doc.version, '/version');
  for (const { state, pointer } of states(doc)) {
    if (isObject(state.stateDataFilter)) {
      always(state.stateDataFilter.input, joinPointer(pointer, 'stateDataFilter', 'input'));
      always(state.stateDataFilter.output, joinPointer(pointer, 'stateDataFilter', 'output'));
    }
    for (const { action, pointer: ap } of actionsOf(state, pointer)) {
      always(action.condition, joinPointer(ap, 'condition'));
      const f = action.actionDataFilter;
      if (isObject(f)) for (const k of ['fromStateData', 'results', 'toStateData']) always(f[k], joinPointer(ap, 'actionDataFilter', k));
      if (isObject(action.functionRef)) {
        value(action.functionRef.arguments, joinPointer(ap, 'functionRef', 'arguments'));
        selectionSet(action.functionRef.selectionSet, joinPointer(ap, 'functionRef', 'selectionSet'));
      }
      if (isObject(action.eventRef)) {
        data(action.eventRef.data, joinPointer(ap, 'eventRef', 'data'));
        value(action.eventRef.contextAttributes, joinPointer(ap, 'eventRef', 'contextAttributes'));
      }
    }
    arrayOrEmpty(state.onEvents).forEach((on, i) => isObject(on) && eventDataFilter(on.eventDataFilter, joinPointer(pointer, 'onEvents', i, 'eventDataFilter')));
    arrayOrEmpty(state.eventConditions).forEach((c, i) => isObject(c) && eventDataFilter(c.eventDataFilter, joinPointer(pointer, 'eventConditions', i, 'eventDataFilter')));
    arrayOrEmpty(state.dataConditions).forEach((c, i) => isObject(c) && always(c.condition, joinPointer(pointer, 'dataConditions', i, 'condition')));
    if (state.type === 'callback') eventDataFilter(state.eventDataFilter, joinPointer(pointer, 'eventDataFilter'));
    if (state.type === 'foreach') {
      always(state.inputCollection, joinPointer(pointer, 'inputCollection'));
      always(state.outputCollection, joinPointer(pointer, 'outputCollection'));
      value(state.batchSize, joinPointer(pointer, 'batchSize'));
    }
    if (state.type === 'parallel') value(state.numCompleted, joinPointer(pointer, 'numCompleted'));
    if (state.type === 'inject') value(state.data, joinPointer(pointer, 'data'));
    for (const { end, pointer: ep } of endsOf(state, pointer)) {
      if (!isObject(end)) continue;
      produceEvents(end.produceEvents, joinPointer(ep, 'produceEvents'));
      if (isObject(end.continueAs)) data(end.continueAs.data, joinPointer(ep, 'continueAs', 'data'));
    }
    for (const { transition, pointer: tp } of transitionObjectsOf(state, pointer)) produceEvents(transition.produceEvents, joinPointer(tp, 'produceEvents'));
  }
  if (Array.isArray(doc.functions)) out.push(...functionExpressionSites(doc.functions, '/functions'));
  if (Array.isArray(doc.events)) out.push(...eventExpressionSites(doc.events, '/events'));
  return out;
}

/** Operations of `expression` functions, from a functions list at `base`. */
export function functionExpressionSites(functions: unknown[], base: string): ExpressionSite[] {
  return functions.flatMap((fn, i) =>
    isObject(fn) && fn.type === 'expression' && typeof fn.operation === 'string'
      ? [{ pointer: joinPointer(base, i, 'operation'), text: fn.operation, ...alwaysExpression(fn.operation) }]
      : [],
  );
}

/** Correlation values written as `${ … }`, from an events list at `base`. */
export function eventExpressionSites(events: unknown[], base: string): ExpressionSite[] {
  const out: ExpressionSite[] = [];
  events.forEach((ev, i) => {
    if (!isObject(ev)) return;
    arrayOrEmpty(ev.correlation).forEach((c, j) => {
      if (!isObject(c) || typeof c.contextAttributeValue !== 'string') return;
      const e = valueExpression(c.contextAttributeValue);
      if (e) out.push({ pointer: joinPointer(base, i, 'correlation', j, 'contextAttributeValue'), text: c.contextAttributeValue, ...e });
    });
  });
  return out;
}

/** `fn:name` references inside an expression (spec §Workflow Expressions: expression functions). */
export const FUNCTION_CALL = /\bfn:([A-Za-z0-9_][A-Za-z0-9_-]*)/g;
