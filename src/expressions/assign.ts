/**
 * @module expressions/assign
 * Assignment operators. `lhs |= f` updates every path of lhs with the first output of f (no
 * output deletes the path, as in jq 1.8); `lhs = rhs` and `lhs op= rhs` evaluate rhs against the
 * original input, once per rhs output. Paths are collected on the original input first.
 */
import type { AssignOp } from './ast.js';
import { fromOne, pathOf, type Code, type Env } from './code.js';
import { add, divide, modulo, multiply, subtract } from './operators.js';
import { delPaths, getPath, INVALID_PATH, invalidPath, setPath, type Path } from './paths.js';
import { isTruthy, type Value } from './values.js';

const NONE = Symbol('none');

/** First output of `code` on `x`, or NONE. */
function firstOutput(code: Code, x: Value, env: Env): Value | typeof NONE {
  if (code.one) return code.one(x, env);
  let result: Value | typeof NONE = NONE;
  const stop = {};
  try {
    code.run(x, env, (v) => {
      result = v;
      throw stop;
    });
  } catch (e) {
    if (e !== stop) throw e;
  }
  return result;
}

/** Every path `lhs` designates in `x`. */
export function collectPaths(lhs: Code, x: Value, env: Env): Path[] {
  const out: Path[] = [];
  pathOf(lhs)(x, [], env, (v, p) => {
    if (p === INVALID_PATH) invalidPath(v);
    out.push(p);
  });
  return out;
}

/** jq 1.8's `_modify`: set each path to `update(old)`, deleting the paths where update is empty. */
export function modify(x: Value, paths: Path[], update: (old: Value) => Value | typeof NONE): Value {
  let acc = x;
  let dels: Path[] | undefined;
  for (const p of paths) {
    const got = update(getPath(acc, p));
    if (got === NONE) (dels ??= []).push(p);
    else acc = setPath(acc, p as Value[], got);
  }
  return dels ? delPaths(acc, dels) : acc;
}

const ARITH: Record<string, (a: Value, b: Value) => Value> = { '+=': add, '-=': subtract, '*=': multiply, '/=': divide, '%=': modulo };

/** Compiles `lhs op rhs` for the assignment operators. */
export function compileAssign(op: AssignOp, lhs: Code, rhs: Code): Code {
  if (op === '|=') {
    return fromOne((x, env) => modify(x, collectPaths(lhs, x, env), (old) => firstOutput(rhs, old, env)));
  }
  const apply =
    op === '='
      ? (x: Value, env: Env, v: Value): Value => {
          let acc = x;
          for (const p of collectPaths(lhs, x, env)) acc = setPath(acc, p as Value[], v);
          return acc;
        }
      : op === '//='
        ? (x: Value, env: Env, v: Value): Value => modify(x, collectPaths(lhs, x, env), (old) => (isTruthy(old) ? old : v))
        : (x: Value, env: Env, v: Value): Value => {
            const f = ARITH[op];
            return modify(x, collectPaths(lhs, x, env), (old) => f(old, v));
          };
  if (rhs.one) {
    const r = rhs.one;
    return fromOne((x, env) => apply(x, env, r(x, env)));
  }
  return { run: (x, env, emit) => rhs.run(x, env, (v) => emit(apply(x, env, v))) };
}
