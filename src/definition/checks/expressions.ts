/**
 * @module definition/checks/expressions
 * Every workflow expression compiles as jq, and every `fn:name` it calls is an `expression` function.
 * Positions inside a one-line expression are mapped into the file (column of the value + offset).
 */
import { compileExpression, ExpressionError, jqUndefinedVariables, type FreeVariable } from '../../expressions/index.js';
import { assertNever } from '../../errors.js';
import { DiagnosticCode } from '../diagnostic.js';
import { expressionSites, functionExpressionSites, FUNCTION_CALL, type ExpressionSite, type LiteralLookalike } from '../expression-sites.js';
import type { Reporter } from '../report.js';
import { closest } from '../suggest.js';
import type { CheckContext } from './context.js';

export function checkExpressions(ctx: CheckContext): void {
  const expressionFunctions = new Set(
    [...(ctx.functions.byName?.values() ?? [])].filter((f) => f.type === 'expression').map((f) => String(f.name)),
  );
  const lookalikes: LiteralLookalike[] = [];
  for (const site of expressionSites(ctx.doc, lookalikes)) {
    checkSite(site, ctx.r, ctx.functions.byName ? expressionFunctions : undefined, ctx.globals);
    checkConditionEquals(site, ctx.r);
  }
  for (const l of lookalikes) {
    const owner = ctx.r.ownerOf(l.pointer);
    switch (l.kind) {
      case 'interpolation':
        ctx.r.warning(DiagnosticCode.InvalidExpression, l.pointer, `${owner}: '${l.text}' is not one \${ } expression, so it is used as literal text`, {
          hint: '0.8 has no string interpolation of several expressions; write one expression, e.g. \'${ "\\(.a) and \\(.b)" }\'',
        });
        break;
      case 'unterminated':
        ctx.r.error(DiagnosticCode.InvalidExpression, l.pointer, `${owner}: unterminated expression '${l.text.trim()}': '\${' has no closing '}'`, {
          hint: "close it: '${ … }' (in YAML, quote a value that starts with '${')",
        });
        break;
      case 'bare':
        ctx.r.warning(DiagnosticCode.BareExpression, l.pointer, `${owner}: '${l.text.trim()}' is sent as literal text; did you mean '\${ ${l.text.trim()} }'?`, {
          hint: 'in arguments and data, only a whole ${ … } string is evaluated; any other string is a literal',
        });
        break;
      default:
        assertNever(l.kind, 'lookalike kind');
    }
  }
}

/**
 * Index of a lone `=` in jq (not `==`, `!=`, `<=`, `>=`, nor an update-assignment such as `|=`),
 * outside string literals, or -1. In a condition it assigns and yields the (truthy) input.
 */
export function loneEquals(jq: string): number {
  let inString = false;
  for (let i = 0; i < jq.length; i++) {
    const c = jq[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === '#') {
      const eol = jq.indexOf('\n', i);
      if (eol < 0) return -1;
      i = eol;
    } else if (c === '=') {
      if (jq[i + 1] === '=') {
        i++;
        continue;
      }
      if (!/[=!<>|+\-*/%]/.test(jq[i - 1] ?? '')) return i;
    }
  }
  return -1;
}

/** `=` written where `==` was meant, in a condition (spec §Switch State dataConditions, action condition). */
function checkConditionEquals(site: ExpressionSite, r: Reporter): void {
  if (!site.pointer.endsWith('/condition') || loneEquals(site.jq) < 0) return;
  r.warning(DiagnosticCode.AssignmentInCondition, site.pointer, `${r.ownerOf(site.pointer)}: condition '${site.text.trim()}' assigns with '=' (so it is always true); did you mean '=='?`, {
    hint: "jq compares with '=='; '=' is assignment and yields the updated input, which is truthy",
  });
}

/** Checks the operations of expression functions in an external functions file. */
export function checkFunctionExpressions(functions: unknown[], r: Reporter, base = '/functions'): void {
  for (const site of functionExpressionSites(functions, base)) checkSite(site, r, undefined);
}

/**
 * The variables every 0.8 expression sees (spec §Workflow Expressions, §Workflow Constants,
 * §Workflow Secrets). `$ENV` is jq's own (always `{}` in Swirl), bound by the compiler.
 */
const GLOBALS: ReadonlySet<string> = new Set(['CONST', 'SECRETS']);

/**
 * A `$name` neither bound by the expression (`… as $x`, reduce, foreach, `def f($a)`) nor a 0.8
 * global fails every evaluation ("$NOPE is not defined"); jq rejects it at compile time, so do we.
 */
function checkVariables(free: readonly FreeVariable[], site: ExpressionSite, owner: string, r: Reporter, extra?: ReadonlySet<string>): void {
  for (const name of new Set(free.map((v) => v.name))) {
    if (GLOBALS.has(name) || extra?.has(name)) continue;
    const suggestion = closest(name, GLOBALS);
    const kogito = name === 'WORKFLOW' ? "$WORKFLOW is a Kogito extension, not Serverless Workflow 0.8; " : '';
    r.error(DiagnosticCode.UndefinedVariable, site.pointer, `${owner}: variable '$${name}' is not defined in '${site.text.trim()}'${suggestion ? `; did you mean '$${suggestion}'?` : ''}`, {
      hint: `${kogito}0.8 expressions have $CONST, $SECRETS and the variables they bind themselves (… as $x); state data is '.', e.g. '.${name}'`,
    });
  }
}

/**
 * Compiles one site. `fn:` calls are checked against `fns` (when known) and replaced by `(.)` for the
 * syntax check: the interpreter inlines the function's own (separately checked) expression there.
 */
function checkSite(site: ExpressionSite, r: Reporter, fns: ReadonlySet<string> | undefined, extra?: ReadonlySet<string>): void {
  const owner = r.ownerOf(site.pointer);
  let jq = site.jq;
  if (jq.includes('fn:')) {
    for (const m of jq.matchAll(FUNCTION_CALL)) {
      if (fns && !fns.has(m[1])) {
        const suggestion = closest(m[1], fns);
        r.error(DiagnosticCode.UnknownFunction, site.pointer, `${owner}: 'fn:${m[1]}' calls no expression function named '${m[1]}'${suggestion ? `; did you mean '${suggestion}'?` : ''}`, {
          hint: "fn: calls functions of type 'expression'",
        });
      }
    }
    // Same length, so positions inside the expression stay right.
    jq = jq.replace(FUNCTION_CALL, (call) => '.'.padEnd(call.length, ' '));
  }
  if (jq.trim() === '') {
    r.error(DiagnosticCode.InvalidExpression, site.pointer, `${owner}: empty expression '${site.text}'`);
    return;
  }
  try {
    const compiled = compileExpression(jq);
    // A program on the jq-wasm fallback has no variable list of Swirl's: ask jq itself.
    const free = compiled.usesFallback ? jqUndefinedVariables(jq, [...GLOBALS, ...(extra ?? [])]).map((name) => ({ name, offset: 0 })) : compiled.freeVariables;
    checkVariables(free, site, owner, r, extra);
  } catch (err) {
    if (!(err instanceof ExpressionError)) throw err;
    const reason = (err as Error).message.replace(/\s+/g, ' ').trim();
    // file:line:column is where in the expression jq stopped, when the text allows it.
    const at = (err as ExpressionError).position;
    r.error(DiagnosticCode.InvalidExpression, site.pointer, `${owner}: invalid expression '${site.text.trim()}': ${reason}`, at !== undefined ? { within: { value: site.text, index: site.offset + at.offset } } : {});
  }
}
