/**
 * @module expressions/compile-access
 * Compilation of `.[k]`, `.[a:b]` and `.[]` (with optional `?` suffixes), in value and path mode.
 * jq evaluates the subscript against the input of the whole term and varies it slowest.
 */
import type { Node } from './ast.js';
import { step } from './budget.js';
import { cartesian, fromOne, pathOf, type Code, type Emit } from './code.js';
import { compileNode } from './compiler.js';
import { index, iterValues, slice } from './operators.js';
import { INVALID_PATH } from './paths.js';
import { JqError, fail } from './runtime.js';
import type { Scope } from './scope.js';
import { dumpShort, isObject, toJson, type Value } from './values.js';

/** Applies `op`, dropping the output when it raises a jq error (an optional suffix `?`). */
function tryOp<T>(op: () => T, optional: boolean): T | typeof SKIP {
  if (!optional) return op();
  try {
    return op();
  } catch (e) {
    if (e instanceof JqError) return SKIP;
    throw e;
  }
}

const SKIP = Symbol('skip');

export function compileIndex(target: Code, idx: Code, optional: boolean): Code {
  const tpath = pathOf(target);
  const path: Code['path'] = (x, p, env, emit) => {
    const withKey = (k: Value): void =>
      tpath(x, p, env, (v, q) => {
        const r = tryOp(() => {
          if (q === INVALID_PATH) fail(`Invalid path expression near attempt to access element ${toJson(k)} of ${dumpShort(v)}`);
          return v === null ? null : index(v, k);
        }, optional);
        if (r !== SKIP) emit(r, [...q, k]);
      });
    if (idx.one) withKey(idx.one(x, env));
    else idx.run(x, env, withKey);
  };
  if (target.one && idx.one && !optional) {
    const t = target.one;
    const i = idx.one;
    return fromOne((x, env) => {
      const k = i(x, env);
      return index(t(x, env), k);
    }, path);
  }
  return {
    run: (x, env, emit) => {
      idx.run(x, env, (k) =>
        target.run(x, env, (v) => {
          const r = tryOp(() => index(v, k), optional);
          if (r !== SKIP) emit(r);
        }),
      );
    },
    path,
  };
}

export function compileSlice(node: Extract<Node, { kind: 'Slice' }>, scope: Scope, src: string): Code {
  const target = compileNode(node.target, scope, src);
  const nullCode = fromOne(() => null);
  const from = node.from ? compileNode(node.from, scope, src) : nullCode;
  const to = node.to ? compileNode(node.to, scope, src) : nullCode;
  const tpath = pathOf(target);
  const optional = node.optional === true;
  // jq evaluates `to` outermost, then `from`, then the target.
  const path: Code['path'] = (x, p, env, emit) => {
    cartesian([to, from], x, env, ([t, f]) =>
      tpath(x, p, env, (v, q) => {
        const r = tryOp(() => {
          if (q === INVALID_PATH) fail(`Invalid path expression near attempt to access element ${toJson({ start: f, end: t })} of ${dumpShort(v)}`);
          return slice(v, f, t);
        }, optional);
        if (r !== SKIP) emit(r, [...q, { start: f, end: t }]);
      }),
    );
  };
  if (target.one && from.one && to.one && !optional) {
    const tg = target.one;
    const f = from.one;
    const t = to.one;
    return fromOne((x, env) => {
      const to = t(x, env);
      const from = f(x, env);
      return slice(tg(x, env), from, to);
    }, path);
  }
  return {
    run: (x, env, emit) =>
      cartesian([to, from], x, env, ([t, f]) =>
        target.run(x, env, (v) => {
          const r = tryOp(() => slice(v, f, t), optional);
          if (r !== SKIP) emit(r);
        }),
      ),
    path,
  };
}

export function compileIterate(target: Code, optional: boolean): Code {
  const tpath = pathOf(target);
  const path: Code['path'] = (x, p, env, emit) =>
    tpath(x, p, env, (v, q) => {
      if (q === INVALID_PATH) {
        if (optional) return;
        fail(`Invalid path expression near attempt to iterate through ${dumpShort(v)}`);
      }
      if (Array.isArray(v)) {
        for (let i = 0; i < v.length; i++) {
          step();
          emit(v[i], [...q, i]);
        }
      } else if (isObject(v)) {
        for (const k of Object.keys(v)) {
          step();
          emit(v[k], [...q, k]);
        }
      } else if (!optional) iterValues(v);
    });
  const each = (v: Value, emit: Emit): void => {
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        step();
        emit(v[i]);
      }
    } else if (isObject(v)) {
      for (const k in v) {
        if (!Object.prototype.hasOwnProperty.call(v, k)) continue;
        step();
        emit(v[k]);
      }
    } else if (!optional) iterValues(v);
  };
  if (target.one) {
    const t = target.one;
    return { run: (x, env, emit) => each(t(x, env), emit), path };
  }
  return { run: (x, env, emit) => target.run(x, env, (v) => each(v, emit)), path };
}
