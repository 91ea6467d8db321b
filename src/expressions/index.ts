/**
 * @module expressions
 * jq for workflows: `compileExpression(src)` parses jq 1.8 and compiles it to JS closures over live
 * values (no JSON text round trip, inputs never mutated), cached per source. Constructs the compiler
 * does not handle run on jq-wasm 3.0.0-jq-1.8.2 instead, transparently; this fallback is synchronous
 * only once loaded, so call `await initExpressions()` once at startup. Decisions:
 * - `evaluate` returns the first output and stops there (later outputs and errors are not computed);
 *   no output at all gives `null`.
 * - `$ENV` / `env` are `vars.ENV` when given, else `{}`: the process environment never leaks into
 *   workflow data (it may hold secrets, and it differs between the machines that replay a workflow).
 * - `now` is `vars.NOW` (seconds since the epoch) when given, else the wall clock; the interpreter
 *   passes the orchestration time so replays are deterministic.
 * - `input` raises "No more inputs", `inputs` is empty, `input_filename` is null, `$__prog_args` and
 *   modules (`import`, `include`) are not supported.
 * - Outputs may share structure with the input (jq values are immutable: nothing here mutates
 *   them); callers must not mutate inputs or outputs either.
 * - Without `initExpressions()`, compiling a construct that needs jq-wasm throws an ExpressionError
 *   with `needsFallback: true`; a program that recurses deeper than the JS stack re-runs on jq-wasm.
 * - Every evaluation is bounded (expressions/budget, specs/expression-limits.md): steps, array and
 *   string lengths, and the time of fallback evaluations and risky regex searches (both run in a
 *   worker thread); exceeding a limit throws an ExpressionError `EXPRESSION_LIMIT`.
 * See DEVIATIONS.md for the differences from jq 1.8.2 that remain.
 */
import { LimitExceeded, describeLimit } from './budget.js';
import type { FreeVariable } from './compile-bindings.js';
import { CompileError, compileProgram, type Program } from './compiler.js';
import { ExpressionError, ExpressionErrorCode, positionAt } from './errors.js';
import { fallbackLoaded, jqAccepts, loadFallback, nestingDepth, notLoaded, runFallback } from './fallback.js';
import { startFallbackWorker } from './fallback-runner.js';
export { jqUndefinedVariables } from './fallback.js';
import { SyntaxErrorAt } from './lexer.js';
import { parse } from './parser.js';
import { JqError, Unsupported } from './runtime.js';
import { normalizeOutput } from './values.js';

export { ExpressionError, ExpressionErrorCode } from './errors.js';
export { compileJsonPath, JSONPATH_MAX_LENGTH, type JsonPathOptions } from './jsonpath.js';
export { DEFAULT_EXPRESSION_LIMITS, expressionLimits, setExpressionLimits, type ExpressionLimits } from './budget.js';
export type { SourcePosition } from './errors.js';
export type { FreeVariable } from './compile-bindings.js';

/** A compiled jq expression; safe to share and to call concurrently. */
export interface CompiledExpression {
  readonly source: string;
  /** First output (the value a workflow uses); `null` when there is no output. */
  evaluate(input: unknown, vars?: Record<string, unknown>): unknown;
  /** Every output, in order. */
  evaluateAll(input: unknown, vars?: Record<string, unknown>): unknown[];
  /** True when this expression runs on the jq-wasm fallback. */
  readonly usesFallback: boolean;
  /**
   * `$names` that no construct of the expression binds, each use with its offset in the source: an
   * evaluation must supply them in `vars`. Empty for fallback expressions (not analysed).
   */
  readonly freeVariables: readonly FreeVariable[];
}

/** Options of {@link compileExpression}. `engine: 'wasm'` forces jq-wasm (tests compare against it). */
export interface CompileOptions {
  readonly engine?: 'auto' | 'wasm';
}

/** A fallback notice, sent once per expression to the logger of {@link setExpressionLogger}. */
export interface ExpressionLogEvent {
  readonly message: string;
  readonly expression: string;
  readonly reason: string;
}

let logger: ((event: ExpressionLogEvent) => void) | undefined;
const cache = new Map<string, CompiledExpression>();
const stats = { compiled: 0, fallbacks: 0, fallbackEvaluations: 0 };
const CACHE_LIMIT = 10_000;

/** Installs (or removes, with `undefined`) the hook that hears about fallbacks. */
export function setExpressionLogger(fn: ((event: ExpressionLogEvent) => void) | undefined): void {
  logger = fn;
}

/** Counters: expressions compiled to closures, expressions on the fallback, fallback evaluations. */
export function expressionStats(): { compiled: number; fallbacks: number; fallbackEvaluations: number } {
  return { ...stats };
}

/** Loads jq-wasm once; must be awaited before expressions that need the fallback compile. */
export function initExpressions(): Promise<void> {
  return loadFallback();
}

/**
 * Compiles `src` (cached per source). Throws an ExpressionError with code `EXPRESSION_COMPILE` and
 * the position on a syntax error, or when the expression needs the fallback and it is not loaded.
 */
export function compileExpression(src: string, options?: CompileOptions): CompiledExpression {
  if (options?.engine === 'wasm') return fallbackExpression(src, 'forced', false);
  const hit = cache.get(src);
  if (hit) return hit;
  const compiled = compileFresh(src);
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
  cache.set(src, compiled);
  return compiled;
}

function compileFresh(src: string): CompiledExpression {
  let program: Program;
  try {
    program = compileProgram(parse(src), src);
  } catch (err) {
    if (err instanceof SyntaxErrorAt && jqAccepts(src)) {
      // jq itself accepts what our parser rejected: a parser gap, so run it on jq-wasm instead.
      return fallbackExpression(src, `parser: ${err.message}`, true);
    }
    if (err instanceof SyntaxErrorAt || err instanceof CompileError) {
      const position = positionAt(src, err.offset);
      throw new ExpressionError(
        ExpressionErrorCode.Compile,
        `${err.message} at line ${position.line}, column ${position.column} of jq expression ${JSON.stringify(src)}`,
        { expression: src, position },
      );
    }
    if (err instanceof ExpressionError) throw err;
    if (err instanceof Unsupported) return fallbackExpression(src, err.message, true);
    if (isStackOverflow(err)) {
      throw new ExpressionError(ExpressionErrorCode.Compile, `jq expression is nested too deeply: ${JSON.stringify(src.slice(0, 60))}…`, { expression: src });
    }
    throw err;
  }
  stats.compiled++;
  return compiledExpression(src, program);
}

function compiledExpression(src: string, program: Program): CompiledExpression {
  return {
    source: src,
    usesFallback: false,
    freeVariables: program.freeVariables,
    evaluate(input, vars) {
      try {
        return normalizeOutput(program.first(input ?? null, vars));
      } catch (err) {
        if (isStackOverflow(err) && fallbackLoaded()) return deepFallback(src, input, vars, true)[0] ?? null;
        throw runtimeError(src, err);
      }
    },
    evaluateAll(input, vars) {
      try {
        return program.all(input ?? null, vars).map(normalizeOutput);
      } catch (err) {
        if (isStackOverflow(err) && fallbackLoaded()) return deepFallback(src, input, vars, false);
        throw runtimeError(src, err);
      }
    },
  };
}

/** Only a JS stack overflow (not e.g. "Invalid string length" from `"x" * 1e12`). */
function isStackOverflow(err: unknown): boolean {
  return err instanceof RangeError && err.message.includes('call stack');
}

/**
 * A program that recursed deeper than the JS stack allows (thousands of jq call levels) is re-run
 * on jq-wasm, which has no such limit; counted as a fallback evaluation.
 */
function deepFallback(src: string, input: unknown, vars: Record<string, unknown> | undefined, first: boolean): unknown[] {
  stats.fallbackEvaluations++;
  return boundedFallback(src, input ?? null, vars, first, true).map(normalizeOutput);
}

/** runFallback, with an overrun of the fallback time limit reported as EXPRESSION_LIMIT. */
function boundedFallback(src: string, input: unknown, vars: Record<string, unknown> | undefined, first: boolean, deterministic: boolean): unknown[] {
  try {
    return runFallback(src, input, vars, first, deterministic);
  } catch (err) {
    if (err instanceof LimitExceeded) throw limitError(src, err);
    throw err;
  }
}

function runtimeError(src: string, err: unknown): unknown {
  if (err instanceof LimitExceeded) return limitError(src, err);
  if (err instanceof JqError) {
    return new ExpressionError(ExpressionErrorCode.Runtime, err.message, { expression: src, value: err.value });
  }
  if (err instanceof ExpressionError) return err;
  if (isStackOverflow(err)) {
    // A deep recursion in the jq program (e.g. an unbounded recursive def) overflows the JS stack.
    return new ExpressionError(ExpressionErrorCode.Runtime, 'jq program exceeded the call depth', { expression: src, cause: err });
  }
  if (err instanceof RangeError) {
    // e.g. a string or array too large for JS ("Invalid string length").
    return new ExpressionError(ExpressionErrorCode.Runtime, err.message, { expression: src, cause: err });
  }
  return err;
}

/** The error of an evaluation that exceeded a limit: what was exceeded, and which expression. */
function limitError(src: string, err: LimitExceeded): ExpressionError {
  const shown = src.length > 120 ? `${src.slice(0, 120)}…` : src;
  return new ExpressionError(ExpressionErrorCode.Limit, `jq expression ${JSON.stringify(shown)} needed ${describeLimit(err)} (limit ${err.kind})`, {
    expression: src,
    value: { limit: err.kind, max: err.limit },
  });
}

/** Programs nested deeper than this never go to jq-wasm, which traps (and is then unusable) on them. */
const MAX_FALLBACK_NESTING = 300;

function fallbackExpression(src: string, reason: string, count: boolean): CompiledExpression {
  if (nestingDepth(src) > MAX_FALLBACK_NESTING) {
    throw new ExpressionError(ExpressionErrorCode.Compile, `jq expression is nested too deeply (${reason}): ${JSON.stringify(src.slice(0, 60))}…`, { expression: src });
  }
  if (!fallbackLoaded()) throw notLoaded(src, `this expression (${reason})`);
  startFallbackWorker(); // ahead of its first evaluation, which runs in the worker
  if (count) {
    stats.fallbacks++;
    logger?.({ message: `jq expression runs on the jq-wasm fallback: ${reason}`, expression: src, reason });
  }
  return {
    source: src,
    usesFallback: true,
    freeVariables: [],
    evaluate(input, vars) {
      if (count) stats.fallbackEvaluations++;
      const out = boundedFallback(src, input ?? null, vars, true, count);
      return out.length === 0 ? null : normalizeOutput(out[0]);
    },
    evaluateAll(input, vars) {
      if (count) stats.fallbackEvaluations++;
      return boundedFallback(src, input ?? null, vars, false, count).map(normalizeOutput);
    },
  };
}
