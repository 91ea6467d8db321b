/**
 * @module expressions/fallback
 * jq-wasm 3.0.0-jq-1.8.2 as the transparent fallback for constructs the compiler does not handle, and
 * as the oracle in tests. jq-wasm runs jq's whole CLI per call (~1 ms + ~25 µs per KB, see
 * reference/jq-notes.md), so it is never the hot path; it only becomes synchronous after `loadJq()`
 * resolved, which is why {@link loadFallback} must be awaited once at startup.
 */
import type { Jq } from 'jq-wasm';
import { LimitExceeded, expressionLimits } from './budget.js';
import { ExpressionError, ExpressionErrorCode, positionAt, type SourcePosition } from './errors.js';
import { rawBounded } from './fallback-runner.js';
import { TokenKind, tokenize, type Token } from './lexer.js';

let handle: Jq | undefined;
let loading: Promise<Jq> | undefined;

/** Imports jq-wasm and instantiates it (the package itself loads here, not with this module). */
function loadJq(): Promise<Jq> {
  return import('jq-wasm').then((m) => m.loadJq());
}

/**
 * Loads jq-wasm once (about 85 ms the first time); later calls return the same promise. Validating
 * a definition awaits it (definition/validate.ts), before any of its expressions compiles; a
 * server with no definition to validate yet does not load it at start-up (issue 12). The worker
 * that runs bounded evaluations starts with the first expression or regex that may need it
 * (index.ts fallbackExpression, regex.ts), not here.
 */
export function loadFallback(): Promise<void> {
  loading ??= loadJq().then((jq) => (handle = jq));
  return loading.then(() => undefined);
}

/** True once {@link loadFallback} has resolved, i.e. fallback evaluation can run synchronously. */
export function fallbackLoaded(): boolean {
  return handle !== undefined;
}

const RUNTIME_PREFIX = /^jq: error \(at [^)]*\)(?: \(not a string\))?: /;

/**
 * Runs `src` on `input` through jq-wasm and returns every output. `first` stops at the first output
 * when there was one even if jq failed later, to match the lazy compiled `evaluate`. Evaluations run
 * in a worker thread (expressions/fallback-runner), bounded by the `fallbackTimeMs` limit: an
 * overrun throws LimitExceeded. The main thread's jq-wasm only answers compile-time questions.
 */
export function runFallback(
  src: string,
  input: unknown,
  vars: Record<string, unknown> | undefined,
  first: boolean,
  deterministic = false,
): unknown[] {
  if (handle === undefined) throw notLoaded(src, 'this expression');
  const flags = ['-c'];
  const program = deterministic ? deterministicProgram(src, vars, flags) : src;
  let text: string | undefined;
  try {
    if (vars) {
      for (const name of Object.keys(vars)) {
        const value = JSON.stringify(vars[name]);
        flags.push('--argjson', name, value === undefined ? 'null' : value);
      }
    }
    text = JSON.stringify(input);
  } catch (err) {
    throw new ExpressionError(ExpressionErrorCode.Runtime, `the input cannot be passed to jq-wasm: ${(err as Error).message}`, { expression: src, cause: err });
  }
  const result = rawBounded(text === undefined ? 'null' : text, program, flags, expressionLimits().fallbackTimeMs);
  if (result === 'timeout') throw new LimitExceeded('fallbackTimeMs', expressionLimits().fallbackTimeMs);
  if ('trap' in result) {
    // A wasm trap (e.g. "memory access out of bounds" on very deep nesting): the worker is replaced.
    throw new ExpressionError(ExpressionErrorCode.Runtime, `the jq-wasm fallback crashed (${result.trap}); it is being reloaded`, { expression: src });
  }
  const outputs: unknown[] = [];
  for (const line of result.stdout.split('\n')) {
    if (line.length > 0) outputs.push(JSON.parse(line));
  }
  if (result.exitCode === 0 || (first && outputs.length > 0)) return outputs;
  throw fallbackError(src, result.stderr, result.exitCode);
}

/**
 * Asks jq whether `src` compiles, without running it (it is wrapped in an unused `def`). Used only
 * when Swirl's parser rejects an expression, as a safety net against parser gaps.
 */
export function jqAccepts(src: string): boolean {
  if (handle === undefined || nestingDepth(src) > 300) return false;
  try {
    return handle.raw('null', `def __swirl_syntax_check: (${src}\n); empty`, ['-n']).exitCode === 0;
  } catch {
    handle = undefined;
    loading = loadJq().then((jq) => (handle = jq));
    return false;
  }
}

/**
 * The `$variables` jq itself reports as not defined in `src` when only `defined` are bound (jq
 * rejects them at compile time: "jq: error: $x is not defined"). For programs that run on the
 * fallback, whose free variables Swirl's compiler cannot list. [] when jq-wasm is not loaded.
 */
export function jqUndefinedVariables(src: string, defined: readonly string[]): string[] {
  if (handle === undefined || nestingDepth(src) > 300) return [];
  const flags = ['-n', ...defined.flatMap((name) => ['--argjson', name, 'null'])];
  try {
    // Inside a branch that never runs (an unused `def` is dropped before jq binds its variables).
    const result = handle.raw('null', `if false then (${src}\n) else empty end`, flags);
    return [...new Set([...result.stderr.matchAll(/\$([A-Za-z_][A-Za-z0-9_]*) is not defined/g)].map((m) => m[1]))];
  } catch {
    handle = undefined;
    loading = loadJq().then((jq) => (handle = jq));
    return [];
  }
}

/**
 * Gives a fallback run the compiled engine's determinism (see index.ts): `$ENV`/`env` become
 * `vars.ENV` (or `{}`) and `now` becomes `vars.NOW` when given. The definitions are prepended on the
 * same line, so `$__loc__` lines and error texts are unchanged.
 */
function deterministicProgram(src: string, vars: Record<string, unknown> | undefined, flags: string[]): string {
  const env = vars?.ENV;
  flags.push('--argjson', '__swirl_ENV', JSON.stringify(env !== null && typeof env === 'object' && !Array.isArray(env) ? env : {}));
  let prefix = 'def env: $__swirl_ENV; ';
  if (typeof vars?.NOW === 'number') {
    flags.push('--argjson', '__swirl_NOW', JSON.stringify(vars.NOW));
    prefix += 'def now: $__swirl_NOW; ';
  }
  const positions: number[] = [];
  collectEnvVars(src, 0, src.length, positions);
  let out = src;
  for (let i = positions.length - 1; i >= 0; i--) out = `${out.slice(0, positions[i])}$__swirl_ENV${out.slice(positions[i] + 4)}`;
  return prefix + out;
}

/** Offsets of every `$ENV` variable token, including inside string interpolations. */
function collectEnvVars(src: string, start: number, end: number, out: number[]): void {
  let tokens: Token[];
  try {
    tokens = tokenize(src, start, end);
  } catch {
    return;
  }
  for (const t of tokens) {
    if (t.kind === TokenKind.Var && t.value === 'ENV') out.push(t.pos);
    for (const part of t.parts ?? []) if (typeof part !== 'string') collectEnvVars(src, part.start, part.end, out);
  }
  out.sort((a, b) => a - b);
}

/** Deepest nesting of `( [ {` in a jq program (jq-wasm 1.8.2 traps somewhere below 1,000 levels). */
export function nestingDepth(src: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '(' || c === '[' || c === '{') max = Math.max(max, ++depth);
    else if (c === ')' || c === ']' || c === '}') depth--;
  }
  return max;
}

/** Maps jq's stderr text to an ExpressionError with jq's own message (and value, where recoverable). */
function fallbackError(src: string, stderr: string, exitCode: number): ExpressionError {
  const text = stderr.trim();
  if (exitCode === 3) {
    const m = /^jq: error: (.*?)(?: at <top-level>, line (\d+), column (\d+):)?$/m.exec(text);
    const message = m ? m[1] : text;
    let position: SourcePosition | undefined;
    if (m && m[2] !== undefined) position = lineColumnToPosition(src, Number(m[2]), Number(m[3]));
    return new ExpressionError(ExpressionErrorCode.Compile, `${message} in jq expression ${JSON.stringify(src)}`, {
      expression: src,
      ...(position ? { position } : {}),
    });
  }
  const firstLine = text.split('\n')[0] ?? '';
  if (RUNTIME_PREFIX.test(text)) {
    const notString = text.includes('(not a string): ');
    const body = text.replace(RUNTIME_PREFIX, '');
    let value: unknown = body;
    let message = body;
    if (notString) {
      try {
        value = JSON.parse(body);
      } catch {
        value = body;
      }
      message = `${body} (not a string)`;
    }
    return new ExpressionError(ExpressionErrorCode.Runtime, message, { expression: src, value });
  }
  // halt_error prints its message without a prefix.
  return new ExpressionError(ExpressionErrorCode.Runtime, firstLine || `jq exited with code ${exitCode}`, {
    expression: src,
    value: firstLine,
  });
}

function lineColumnToPosition(src: string, line: number, column: number): SourcePosition {
  let offset = 0;
  for (let l = 1; l < line; l++) {
    const nl = src.indexOf('\n', offset);
    if (nl < 0) break;
    offset = nl + 1;
  }
  return positionAt(src, Math.min(src.length, offset + column - 1));
}

/** The error for a construct that needs the fallback while jq-wasm has not been loaded. */
export function notLoaded(src: string, what: string): ExpressionError {
  return new ExpressionError(
    ExpressionErrorCode.Compile,
    `${what} needs the jq-wasm fallback, which is not loaded: await initExpressions() once at startup (jq expression ${JSON.stringify(src)})`,
    { expression: src, needsFallback: true },
  );
}
