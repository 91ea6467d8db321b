/**
 * @module expressions/compiler
 * AST → closures. Single-output nodes become plain `(input, env) => value` functions (`Code.one`);
 * only generators of several outputs use `emit` callbacks. Output order follows jq 1.8 exactly
 * (e.g. for `a + b` the right operand varies slowest; for `.[i]` the index does). Anything this
 * compiler does not handle throws `Unsupported`, and the expression runs on jq-wasm instead.
 */
import { assertNever } from '../errors.js';
import type { Node, Pattern } from './ast.js';
import { lookupBuiltin, type BuiltinContext } from './builtins.js';
import { cartesian, collect, fromOne, pathOf, type Closure, type Code, type Emit, type Env, type PathEmit } from './code.js';
import { applyFormat } from './formats.js';
import { add, divide, index, iterValues, modulo, multiply, negate, slice, subtract } from './operators.js';
import { INVALID_PATH, invalidPath, type Path } from './paths.js';
import { BreakSignal, JqError, Passthrough, Unsupported, fail } from './runtime.js';
import { compare, equals, getKey, isObject, isTruthy, setKey, toStringValue, typeOf, type Value } from './values.js';
import { compileAssign } from './assign.js';
import { PRELUDE_SRC, preludeDef } from './prelude.js';
import './builtins-core.js';
import './builtins-data.js';
import './builtins-strings.js';
import './regex.js';
import './dates.js';

/** A `def`: its parameters and (once compiled) body. */
interface FuncInfo {
  readonly name: string;
  readonly arity: number;
  readonly params: readonly { readonly name: string; readonly isVar: boolean }[];
  body: Code | undefined;
  /** Frames in scope at the definition; `global` functions run in the empty environment. */
  readonly depth: number;
  readonly global: boolean;
  compileBody?: () => Code;
  compiling?: boolean;
}

type Binding =
  | { readonly kind: 'var'; readonly name: string }
  | { readonly kind: 'label'; readonly name: string }
  | { readonly kind: 'param'; readonly name: string }
  | { readonly kind: 'func'; readonly info: FuncInfo };

/** Compile-time scope: bindings innermost first; `depth` counts runtime frames. */
export interface Scope {
  readonly b: Binding | undefined;
  readonly up: Scope | undefined;
  readonly depth: number;
}

const ROOT: Scope = { b: undefined, up: undefined, depth: 0 };

/** Global variables for the current evaluation (`vars` of evaluate), read by unbound `$names`. */
let currentVars: Record<string, unknown> | undefined;

/** The `vars` of the running evaluation (for builtins such as `now` and `$ENV`). */
export function runtimeVars(): Record<string, unknown> | undefined {
  return currentVars;
}

/** A compiled program: first output (or null), and all outputs. */
export interface Program {
  first(input: Value, vars: Record<string, unknown> | undefined): Value;
  all(input: Value, vars: Record<string, unknown> | undefined): Value[];
}

const STOP = new BreakSignal({});

/** Compiles a parsed program. Throws Unsupported (→ fallback) or JqError-free compile errors. */
export function compileProgram(ast: Node, src: string): Program {
  const code = compileNode(ast, ROOT, src);
  return {
    first(input, vars) {
      const saved = currentVars;
      currentVars = vars;
      try {
        if (code.one) return code.one(input, null);
        let result: Value = null;
        try {
          code.run(input, null, (v) => {
            result = v;
            throw STOP;
          });
        } catch (e) {
          if (e !== STOP) throw unwrap(e);
        }
        return result;
      } finally {
        currentVars = saved;
      }
    },
    all(input, vars) {
      const saved = currentVars;
      currentVars = vars;
      try {
        return collect(code, input, null);
      } catch (e) {
        throw unwrap(e);
      } finally {
        currentVars = saved;
      }
    },
  };
}

function unwrap(e: unknown): unknown {
  while (e instanceof Passthrough) e = e.error;
  if (e instanceof BreakSignal) return new JqError('break');
  return e;
}

function push(scope: Scope, b: Binding, frame: boolean): Scope {
  return { b, up: scope, depth: scope.depth + (frame ? 1 : 0) };
}

/** Distance in frames from a scope to a binding introduced at `bindDepth` (its frame index). */
function lookup(scope: Scope, pred: (b: Binding) => boolean): { b: Binding; frameIndex: number } | undefined {
  let s: Scope | undefined = scope;
  while (s && s.b) {
    if (pred(s.b)) {
      const frameIndex = s.b.kind === 'func' ? -1 : s.depth - 1;
      return { b: s.b, frameIndex };
    }
    s = s.up;
  }
  return undefined;
}

/** Reads the value of the frame `n` levels up, specialised for the common small distances. */
function frameReader(n: number): (env: Env) => unknown {
  switch (n) {
    case 0:
      return (env) => env!.v;
    case 1:
      return (env) => env!.up!.v;
    case 2:
      return (env) => env!.up!.up!.v;
    default:
      return (env) => {
        let e = env;
        for (let i = 0; i < n; i++) e = e!.up;
        return e!.v;
      };
  }
}

function upN(env: Env, n: number): Env {
  let e = env;
  for (let i = 0; i < n; i++) e = e!.up;
  return e;
}

/** Compiles one node in a scope. */
export function compileNode(node: Node, scope: Scope, src: string): Code {
  switch (node.kind) {
    case 'Identity':
      return { one: (x) => x, run: (x, _e, emit) => emit(x), path: (x, p, _e, emit) => emit(x, p) };
    case 'RecurseAll':
      return compileCall({ kind: 'Call', name: 'recurse', args: [], pos: node.pos }, scope, src);
    case 'Literal': {
      const v = node.value;
      return fromOne(() => v);
    }
    case 'Loc': {
      const line = node.line;
      return fromOne(() => ({ file: '<top-level>', line }));
    }
    case 'Str':
      return compileString(node.parts, node.format, scope, src);
    case 'Format': {
      const name = node.name;
      applyFormat(name, null, true);
      return fromOne((x) => applyFormat(name, x));
    }
    case 'Index':
      return compileIndex(compileNode(node.target, scope, src), compileNode(node.index, scope, src), node.optional === true);
    case 'Slice':
      return compileSlice(node, scope, src);
    case 'Iterate':
      return compileIterate(compileNode(node.target, scope, src), node.optional === true);
    case 'Try':
      return compileTry(compileNode(node.body, scope, src), node.handler ? compileNode(node.handler, scope, src) : undefined);
    case 'Array':
      return compileArray(node.body ? compileNode(node.body, scope, src) : undefined);
    case 'Object':
      return compileObject(node, scope, src);
    case 'Neg': {
      const operand = compileNode(node.operand, scope, src);
      if (operand.one) {
        const f = operand.one;
        return fromOne((x, env) => negate(f(x, env)));
      }
      return { run: (x, env, emit) => operand.run(x, env, (v) => emit(negate(v))) };
    }
    case 'Pipe':
      return compilePipe(compileNode(node.left, scope, src), compileNode(node.right, scope, src));
    case 'Comma':
      return compileComma(compileNode(node.left, scope, src), compileNode(node.right, scope, src));
    case 'Alt':
      return compileAlt(compileNode(node.left, scope, src), compileNode(node.right, scope, src));
    case 'And':
    case 'Or':
      return compileLogic(node.kind, compileNode(node.left, scope, src), compileNode(node.right, scope, src));
    case 'Binary':
      return compileBinary(node.op, compileNode(node.left, scope, src), compileNode(node.right, scope, src));
    case 'Assign':
      return compileAssign(node.op, compileNode(node.left, scope, src), compileNode(node.right, scope, src));
    case 'If':
      return compileIf(
        compileNode(node.cond, scope, src),
        compileNode(node.then, scope, src),
        node.otherwise ? compileNode(node.otherwise, scope, src) : undefined,
      );
    case 'Reduce':
      return compileReduce(node, scope, src);
    case 'Foreach':
      return compileForeach(node, scope, src);
    case 'FuncDef':
      return compileFuncDef(node, scope, src);
    case 'Call':
      return compileCall(node, scope, src);
    case 'Var':
      return compileVar(node.name, scope, src, node.pos);
    case 'As':
      return compileAs(node, scope, src);
    case 'Label':
      return compileLabel(node, scope, src);
    case 'Break': {
      const found = lookup(scope, (b) => b.kind === 'label' && b.name === node.name);
      if (!found) throw compileError(src, node.pos, `$*label-${node.name} is not defined`);
      const read = frameReader(scope.depth - 1 - found.frameIndex);
      return {
        run: (_x, env) => {
          throw new BreakSignal(read(env) as object);
        },
        path: (_x, _p, env) => {
          throw new BreakSignal(read(env) as object);
        },
      };
    }
    default:
      return assertNever(node, 'jq AST node');
  }
}

/** A compile error with position (raised as SyntaxErrorAt-like via ExpressionError in index.ts). */
export class CompileError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
    this.name = 'CompileError';
  }
}

function compileError(_src: string, pos: number, message: string): CompileError {
  return new CompileError(message, pos);
}

function compilePipe(left: Code, right: Code): Code {
  const lp = left.path;
  const rp = right.path;
  const path: Code['path'] =
    lp || rp
      ? (x, p, env, emit) => {
          const rpath = pathOf(right);
          // An invalid path (a value, not a path) flows on; only path operations on it fail.
          pathOf(left)(x, p, env, (v, q) => rpath(v, q, env, emit));
        }
      : undefined;
  if (left.one && right.one) {
    const l = left.one;
    const r = right.one;
    return fromOne((x, env) => r(l(x, env), env), path);
  }
  if (left.one) {
    const l = left.one;
    const r = right.run;
    return { run: (x, env, emit) => r(l(x, env), env, emit), ...(path ? { path } : {}) };
  }
  if (right.one) {
    const r = right.one;
    return { run: (x, env, emit) => left.run(x, env, (v) => emit(r(v, env))), ...(path ? { path } : {}) };
  }
  return { run: (x, env, emit) => left.run(x, env, (v) => right.run(v, env, emit)), ...(path ? { path } : {}) };
}

function compileComma(left: Code, right: Code): Code {
  const path: Code['path'] =
    left.path || right.path
      ? (x, p, env, emit) => {
          pathOf(left)(x, p, env, emit);
          pathOf(right)(x, p, env, emit);
        }
      : undefined;
  return {
    run: (x, env, emit) => {
      left.run(x, env, emit);
      right.run(x, env, emit);
    },
    ...(path ? { path } : {}),
  };
}

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

function compileIndex(target: Code, idx: Code, optional: boolean): Code {
  const tpath = pathOf(target);
  const path: Code['path'] = (x, p, env, emit) => {
    const withKey = (k: Value): void =>
      tpath(x, p, env, (v, q) => {
        if (q === INVALID_PATH) invalidPath(v);
        const r = tryOp(() => (v === null ? null : index(v, k)), optional);
        if (r !== SKIP) emit(r, [...q, k]);
      });
    if (idx.one) withKey(idx.one(x, env));
    else idx.run(x, env, withKey);
  };
  if (target.one && idx.one && !optional) {
    const t = target.one;
    const i = idx.one;
    return fromOne((x, env) => index(t(x, env), i(x, env)), path);
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

function compileSlice(node: Extract<Node, { kind: 'Slice' }>, scope: Scope, src: string): Code {
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
        if (q === INVALID_PATH) invalidPath(v);
        const r = tryOp(() => slice(v, f, t), optional);
        if (r !== SKIP) emit(r, [...q, { start: f, end: t }]);
      }),
    );
  };
  if (target.one && from.one && to.one && !optional) {
    const tg = target.one;
    const f = from.one;
    const t = to.one;
    return fromOne((x, env) => slice(tg(x, env), f(x, env), t(x, env)), path);
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

function compileIterate(target: Code, optional: boolean): Code {
  const tpath = pathOf(target);
  const path: Code['path'] = (x, p, env, emit) =>
    tpath(x, p, env, (v, q) => {
      if (q === INVALID_PATH) invalidPath(v);
      if (Array.isArray(v)) {
        for (let i = 0; i < v.length; i++) emit(v[i], [...q, i]);
      } else if (isObject(v)) {
        for (const k of Object.keys(v)) emit(v[k], [...q, k]);
      } else if (!optional) iterValues(v);
    });
  const each = (v: Value, emit: Emit): void => {
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) emit(v[i]);
    } else if (isObject(v)) {
      for (const k in v) if (Object.prototype.hasOwnProperty.call(v, k)) emit(v[k]);
    } else if (!optional) iterValues(v);
  };
  if (target.one) {
    const t = target.one;
    return { run: (x, env, emit) => each(t(x, env), emit), path };
  }
  return { run: (x, env, emit) => target.run(x, env, (v) => each(v, emit)), path };
}

function compileTry(body: Code, handler: Code | undefined): Code {
  const owner = {};
  const guard = (emit: Emit): Emit => (v) => {
    try {
      emit(v);
    } catch (e) {
      throw new Passthrough(owner, e);
    }
  };
  const onError = (e: unknown, x: Value, env: Env, emit: Emit): void => {
    if (e instanceof Passthrough && e.owner === owner) throw e.error;
    if (!(e instanceof JqError)) throw e;
    if (handler) handler.run(e.value, env, emit);
  };
  const bodyPath = body.path;
  return {
    run: (x, env, emit) => {
      if (body.one) {
        let v: Value;
        try {
          v = body.one(x, env);
        } catch (e) {
          onError(e, x, env, emit);
          return;
        }
        emit(v);
        return;
      }
      try {
        body.run(x, env, guard(emit));
      } catch (e) {
        onError(e, x, env, emit);
      }
    },
    ...(bodyPath
      ? {
          path: (x: Value, p: Path, env: Env, emit: PathEmit) => {
            try {
              bodyPath(x, p, env, (v, q) => {
                try {
                  emit(v, q);
                } catch (e) {
                  throw new Passthrough(owner, e);
                }
              });
            } catch (e) {
              if (e instanceof Passthrough && e.owner === owner) throw e.error;
              if (!(e instanceof JqError)) throw e;
              if (handler) pathOf(handler)(e.value, INVALID_PATH, env, emit);
            }
          },
        }
      : {}),
  };
}

function compileArray(body: Code | undefined): Code {
  if (!body) return fromOne(() => []);
  if (body.one) {
    const f = body.one;
    return fromOne((x, env) => [f(x, env)]);
  }
  return fromOne((x, env) => collect(body, x, env));
}

function compileObject(node: Extract<Node, { kind: 'Object' }>, scope: Scope, src: string): Code {
  const entries = node.entries.map((e) => ({ key: compileNode(e.key, scope, src), value: compileNode(e.value, scope, src) }));
  const checkKey = (k: Value): string => {
    if (typeof k !== 'string') {
      if (isObject(k) || Array.isArray(k) || k === null || typeof k !== 'object') {
        fail(`Object keys must be strings`);
      }
    }
    return k as string;
  };
  if (entries.every((e) => e.key.one && e.value.one)) {
    const keys = entries.map((e) => e.key.one!);
    const values = entries.map((e) => e.value.one!);
    const n = entries.length;
    return fromOne((x, env) => {
      const out: Record<string, Value> = {};
      for (let i = 0; i < n; i++) {
        const k = keys[i](x, env);
        setKey(out, typeof k === 'string' ? k : checkKey(k), values[i](x, env));
      }
      return out;
    });
  }
  // Several outputs: the first entry varies slowest, and inside an entry the key before the value.
  return {
    run: (x, env, emit) => {
      const n = entries.length;
      const build = (i: number, acc: [string, Value][]): void => {
        if (i === n) {
          const out: Record<string, Value> = {};
          for (const [k, v] of acc) setKey(out, k, v);
          emit(out);
          return;
        }
        entries[i].key.run(x, env, (k) => {
          const key = checkKey(k);
          entries[i].value.run(x, env, (v) => build(i + 1, [...acc, [key, v]]));
        });
      };
      build(0, []);
    },
  };
}

function compileString(parts: readonly (string | Node)[], format: string | undefined, scope: Scope, src: string): Code {
  if (format !== undefined) applyFormat(format, null, true);
  const fmt = format ?? 'text';
  const codes = parts.map((p) => (typeof p === 'string' ? p : compileNode(p, scope, src)));
  const render = (v: Value): string => (fmt === 'text' ? toStringValue(v) : (applyFormat(fmt, v) as string));
  if (codes.every((c) => typeof c === 'string' || c.one)) {
    return fromOne((x, env) => {
      let s = '';
      for (const c of codes) s += typeof c === 'string' ? c : render(c.one!(x, env));
      return s;
    });
  }
  // The last interpolation varies slowest.
  return {
    run: (x, env, emit) => {
      const build = (i: number, suffix: string): void => {
        if (i < 0) {
          emit(suffix);
          return;
        }
        const c = codes[i];
        if (typeof c === 'string') build(i - 1, c + suffix);
        else c.run(x, env, (v) => build(i - 1, render(v) + suffix));
      };
      build(codes.length - 1, '');
    },
  };
}

function compileAlt(left: Code, right: Code): Code {
  // `a // b`: the truthy outputs of a (errors in a are ignored), or else all outputs of b.
  // jq 1.8.2 lets errors of `a` propagate (the manual's "errors are suppressed" is not what it does).
  const run = (x: Value, env: Env, emit: Emit): void => {
    let any = false;
    left.run(x, env, (v) => {
      if (isTruthy(v)) {
        any = true;
        emit(v);
      }
    });
    if (!any) right.run(x, env, emit);
  };
  const path: Code['path'] = (x, p, env, emit) => {
    let any = false;
    pathOf(left)(x, p, env, (v, q) => {
      if (isTruthy(v)) {
        any = true;
        emit(v, q);
      }
    });
    if (!any) pathOf(right)(x, p, env, emit);
  };
  if (left.one && right.one) {
    const l = left.one;
    const r = right.one;
    return fromOne((x, env) => {
      const v = l(x, env);
      return isTruthy(v) ? v : r(x, env);
    }, path);
  }
  return { run, path };
}

function compileLogic(kind: 'And' | 'Or', left: Code, right: Code): Code {
  const isAnd = kind === 'And';
  if (left.one && right.one) {
    const l = left.one;
    const r = right.one;
    return isAnd
      ? fromOne((x, env) => isTruthy(l(x, env)) && isTruthy(r(x, env)))
      : fromOne((x, env) => isTruthy(l(x, env)) || isTruthy(r(x, env)));
  }
  return {
    run: (x, env, emit) =>
      left.run(x, env, (a) => {
        if (isAnd ? !isTruthy(a) : isTruthy(a)) emit(!isAnd);
        else right.run(x, env, (b) => emit(isTruthy(b)));
      }),
  };
}

const BINARY: Record<string, (a: Value, b: Value) => Value> = {
  '+': add,
  '-': subtract,
  '*': multiply,
  '/': divide,
  '%': modulo,
  '==': (a, b) => equals(a, b),
  '!=': (a, b) => !equals(a, b),
  '<': (a, b) => compare(a, b) < 0,
  '<=': (a, b) => compare(a, b) <= 0,
  '>': (a, b) => compare(a, b) > 0,
  '>=': (a, b) => compare(a, b) >= 0,
};

function compileBinary(op: string, left: Code, right: Code): Code {
  const f = BINARY[op];
  if (left.one && right.one) {
    const l = left.one;
    const r = right.one;
    if (op === '+') {
      return fromOne((x, env) => {
        const a = l(x, env);
        const b = r(x, env);
        return typeof a === 'number' && typeof b === 'number' ? a + b : add(a, b);
      });
    }
    return fromOne((x, env) => f(l(x, env), r(x, env)));
  }
  // The right operand varies slowest.
  return { run: (x, env, emit) => right.run(x, env, (b) => left.run(x, env, (a) => emit(f(a, b)))) };
}

function compileIf(cond: Code, then: Code, otherwise: Code | undefined): Code {
  const other: Code = otherwise ?? { one: (x) => x, run: (x, _e, emit) => emit(x), path: (x, p, _e, emit) => emit(x, p) };
  const path: Code['path'] =
    then.path || other.path
      ? (x, p, env, emit) =>
          cond.run(x, env, (c) => (isTruthy(c) ? pathOf(then) : pathOf(other))(x, p, env, emit))
      : undefined;
  if (cond.one && then.one && other.one) {
    const c = cond.one;
    const t = then.one;
    const o = other.one;
    return fromOne((x, env) => (isTruthy(c(x, env)) ? t(x, env) : o(x, env)), path);
  }
  return {
    run: (x, env, emit) => cond.run(x, env, (c) => (isTruthy(c) ? then : other).run(x, env, emit)),
    ...(path ? { path } : {}),
  };
}

// ── variables, patterns, reduce/foreach ─────────────────────────────────────────────────────────

function compileVar(name: string, scope: Scope, src: string, pos: number): Code {
  const found = lookup(scope, (b) => b.kind === 'var' && b.name === name);
  if (found) {
    const read = frameReader(scope.depth - 1 - found.frameIndex);
    return fromOne((_x, env) => read(env));
  }
  if (name === 'ENV') return fromOne(() => envObject());
  if (name === '__prog_args') throw compileError(src, pos, `$${name} is not defined`);
  return fromOne(() => {
    const vars = currentVars;
    if (vars && Object.prototype.hasOwnProperty.call(vars, name)) {
      const v = vars[name];
      return v === undefined ? null : v;
    }
    return fail(`$${name} is not defined`);
  });
}

/** `$ENV` / `env`: `vars.ENV` when the caller passes it, else an empty object (see the module doc). */
export function envObject(): Value {
  const v = currentVars?.ENV;
  return isObject(v) ? v : {};
}

/** Variable names a pattern binds, in order of first appearance. */
function patternVars(p: Pattern, out: string[] = []): string[] {
  switch (p.kind) {
    case 'PVar':
      if (!out.includes(p.name)) out.push(p.name);
      return out;
    case 'PArray':
      for (const item of p.items) patternVars(item, out);
      return out;
    case 'PObject':
      for (const e of p.entries) {
        if (e.bindVar !== undefined && !out.includes(e.bindVar)) out.push(e.bindVar);
        if (e.pattern) patternVars(e.pattern, out);
      }
      return out;
    default:
      return assertNever(p, 'pattern');
  }
}

/**
 * Compiles a destructuring: calls `f` with the bound values (in `names` order) for each way the
 * pattern matches `value` (object keys given by expressions may have several outputs).
 */
function compilePattern(p: Pattern, names: string[], scope: Scope, src: string): (value: Value, x: Value, env: Env, vals: Value[], f: () => void) => void {
  switch (p.kind) {
    case 'PVar': {
      const slot = names.indexOf(p.name);
      return (value, _x, _env, vals, f) => {
        vals[slot] = value;
        f();
      };
    }
    case 'PArray': {
      const items = p.items.map((it) => compilePattern(it, names, scope, src));
      return (value, x, env, vals, f) => {
        if (value !== null && !Array.isArray(value)) fail(`Cannot index ${typeOf(value)} with number (0)`);
        const step = (i: number): void => {
          if (i === items.length) return f();
          items[i](value === null ? null : index(value, i), x, env, vals, () => step(i + 1));
        };
        step(0);
      };
    }
    case 'PObject': {
      const entries = p.entries.map((e) => ({
        key: compileNode(e.key, scope, src),
        slot: e.bindVar === undefined ? -1 : names.indexOf(e.bindVar),
        sub: e.pattern ? compilePattern(e.pattern, names, scope, src) : undefined,
      }));
      return (value, x, env, vals, f) => {
        const step = (i: number): void => {
          if (i === entries.length) return f();
          const e = entries[i];
          e.key.run(x, env, (k) => {
            if (typeof k !== 'string') fail(`Cannot index ${typeOf(value)} with ${typeOf(k)}`);
            if (value !== null && !isObject(value)) fail(`Cannot index ${typeOf(value)} with "${k}"`);
            const v = value === null ? null : getKey(value as Record<string, Value>, k);
            if (e.slot >= 0) vals[e.slot] = v;
            if (e.sub) e.sub(v, x, env, vals, () => step(i + 1));
            else step(i + 1);
          });
        };
        step(0);
      };
    }
    default:
      return assertNever(p, 'pattern');
  }
}

function bindScope(scope: Scope, names: string[]): Scope {
  let s = scope;
  for (const n of names) s = push(s, { kind: 'var', name: n }, true);
  return s;
}

function bindEnv(env: Env, vals: Value[]): Env {
  let e = env;
  for (const v of vals) e = { v, up: e };
  return e;
}

function compileAs(node: Extract<Node, { kind: 'As' }>, scope: Scope, src: string): Code {
  const source = compileNode(node.source, scope, src);
  const names: string[] = [];
  for (const p of node.patterns) patternVars(p, names);
  const inner = bindScope(scope, names);
  const body = compileNode(node.body, inner, src);
  const matchers = node.patterns.map((p) => compilePattern(p, names, scope, src));
  // Fast path: `E as $x | body`.
  if (node.patterns.length === 1 && node.patterns[0].kind === 'PVar') {
    const bodyPath = body.path;
    const path: Code['path'] = bodyPath
      ? (x, p, env, emit) => source.run(x, env, (v) => bodyPath(x, p, { v, up: env }, emit))
      : undefined;
    if (source.one && body.one) {
      const s = source.one;
      const b = body.one;
      return fromOne((x, env) => b(x, { v: s(x, env), up: env }), path);
    }
    return { run: (x, env, emit) => source.run(x, env, (v) => body.run(x, { v, up: env }, emit)), ...(path ? { path } : {}) };
  }
  const runWith = (x: Value, env: Env, go: (env2: Env) => void): void => {
    source.run(x, env, (v) => {
      if (matchers.length === 1) {
        const vals: Value[] = names.map(() => null);
        matchers[0](v, x, env, vals, () => go(bindEnv(env, vals)));
        return;
      }
      // `?//`: try each alternative; an error (in matching or in the body) moves on to the next.
      for (let i = 0; i < matchers.length; i++) {
        const vals: Value[] = names.map(() => null);
        try {
          matchers[i](v, x, env, vals, () => go(bindEnv(env, vals)));
          return;
        } catch (e) {
          if (!(e instanceof JqError) || i === matchers.length - 1) throw e;
        }
      }
    });
  };
  const bodyPath = body.path;
  return {
    run: (x, env, emit) => runWith(x, env, (env2) => body.run(x, env2, emit)),
    ...(bodyPath ? { path: (x: Value, p: Path, env: Env, emit: PathEmit) => runWith(x, env, (env2) => bodyPath(x, p, env2, emit)) } : {}),
  };
}

function compileReduce(node: Extract<Node, { kind: 'Reduce' }>, scope: Scope, src: string): Code {
  const source = compileNode(node.source, scope, src);
  const names = patternVars(node.pattern);
  const init = compileNode(node.init, scope, src);
  const update = compileNode(node.update, bindScope(scope, names), src);
  const match = compilePattern(node.pattern, names, scope, src);
  const simple = node.pattern.kind === 'PVar';
  const reduceFrom = (x: Value, env: Env, start: Value): Value => {
    let acc = start;
    source.run(x, env, (v) => {
      const step = (env2: Env): void => {
        if (update.one) acc = update.one(acc, env2);
        else {
          let last: Value = null;
          let any = false;
          update.run(acc, env2, (u) => {
            last = u;
            any = true;
          });
          acc = any ? last : null;
        }
      };
      if (simple) step({ v, up: env });
      else {
        const vals: Value[] = names.map(() => null);
        match(v, x, env, vals, () => step(bindEnv(env, vals)));
      }
    });
    return acc;
  };
  if (init.one) {
    const i = init.one;
    return fromOne((x, env) => reduceFrom(x, env, i(x, env)));
  }
  return { run: (x, env, emit) => init.run(x, env, (start) => emit(reduceFrom(x, env, start))) };
}

function compileForeach(node: Extract<Node, { kind: 'Foreach' }>, scope: Scope, src: string): Code {
  const source = compileNode(node.source, scope, src);
  const names = patternVars(node.pattern);
  const init = compileNode(node.init, scope, src);
  const inner = bindScope(scope, names);
  const update = compileNode(node.update, inner, src);
  const extract = node.extract ? compileNode(node.extract, inner, src) : undefined;
  const match = compilePattern(node.pattern, names, scope, src);
  return {
    run: (x, env, emit) =>
      init.run(x, env, (start) => {
        let acc = start;
        source.run(x, env, (v) => {
          const vals: Value[] = names.map(() => null);
          match(v, x, env, vals, () => {
            const env2 = bindEnv(env, vals);
            update.run(acc, env2, (u) => {
              acc = u;
              if (extract) extract.run(u, env2, emit);
              else emit(u);
            });
          });
        });
      }),
  };
}

function compileLabel(node: Extract<Node, { kind: 'Label' }>, scope: Scope, src: string): Code {
  const body = compileNode(node.body, push(scope, { kind: 'label', name: node.name }, true), src);
  const bodyPath = body.path;
  return {
    run: (x, env, emit) => {
      const token = {};
      try {
        body.run(x, { v: token, up: env }, emit);
      } catch (e) {
        if (!(e instanceof BreakSignal) || e.label !== token) throw e;
      }
    },
    ...(bodyPath
      ? {
          path: (x: Value, p: Path, env: Env, emit: PathEmit) => {
            const token = {};
            try {
              bodyPath(x, p, { v: token, up: env }, emit);
            } catch (e) {
              if (!(e instanceof BreakSignal) || e.label !== token) throw e;
            }
          },
        }
      : {}),
  };
}

// ── functions ───────────────────────────────────────────────────────────────────────────────────

function compileFuncDef(node: Extract<Node, { kind: 'FuncDef' }>, scope: Scope, src: string): Code {
  const info: FuncInfo = { name: node.name, arity: node.params.length, params: node.params, body: undefined, depth: scope.depth, global: false };
  const withSelf = push(scope, { kind: 'func', info }, false);
  // Compiled on first call, like jq which never binds the body of an unused def.
  info.compileBody = () => compileFuncBody(info, withSelf, node.body, src);
  return compileNode(node.rest, withSelf, src);
}

/** Compiles a function body: filter params become closure frames; `$p` params also bind `$p`. */
export function compileFuncBody(info: { params: readonly { name: string; isVar: boolean }[] }, scope: Scope, body: Node, src: string): Code {
  let s = scope;
  for (const p of info.params) s = push(s, { kind: 'param', name: p.name }, true);
  const varParams = info.params.filter((p) => p.isVar);
  if (varParams.length === 0) return compileNode(body, s, src);
  // def f($a): body  ≡  def f(a): a as $a | body
  let wrapped: Node = body;
  for (let i = varParams.length - 1; i >= 0; i--) {
    const name = varParams[i].name;
    wrapped = {
      kind: 'As',
      source: { kind: 'Call', name, args: [], pos: body.pos },
      patterns: [{ kind: 'PVar', name, pos: body.pos }],
      body: wrapped,
      pos: body.pos,
    };
  }
  return compileNode(wrapped, s, src);
}

function callFunc(info: FuncInfo, args: Code[], scope: Scope): Code {
  if (!info.body && info.compileBody && !info.compiling) {
    info.compiling = true;
    info.body = info.compileBody();
  }
  const hops = scope.depth - info.depth;
  const isGlobal = info.global;
  const makeEnv = (env: Env): Env => {
    let e = isGlobal ? null : upN(env, hops);
    for (const a of args) e = { v: { code: a, env } satisfies Closure, up: e };
    return e;
  };
  // The body may not be compiled yet (recursion); read it at run time.
  return {
    run: (x, env, emit) => info.body!.run(x, makeEnv(env), emit),
    path: (x, p, env, emit) => pathOf(info.body!)(x, p, makeEnv(env), emit),
  };
}

function compileCall(node: Extract<Node, { kind: 'Call' }>, scope: Scope, src: string): Code {
  const arity = node.args.length;
  const found = lookup(scope, (b) => (b.kind === 'func' && b.info.name === node.name && b.info.arity === arity) || (arity === 0 && b.kind === 'param' && b.name === node.name));
  if (found) {
    if (found.b.kind === 'param') {
      const read = frameReader(scope.depth - 1 - found.frameIndex);
      return {
        run: (x, env, emit) => {
          const c = read(env) as Closure;
          c.code.run(x, c.env, emit);
        },
        path: (x, p, env, emit) => {
          const c = read(env) as Closure;
          pathOf(c.code)(x, p, c.env, emit);
        },
      };
    }
    if (found.b.kind === 'func') return callFunc(found.b.info, node.args.map((a) => compileNode(a, scope, src)), scope);
  }
  const ctx: BuiltinContext = {
    compileArg: (i) => compileNode(node.args[i], scope, src),
    args: node.args,
    scope,
    src,
    pos: node.pos,
  };
  const builtin = lookupBuiltin(node.name, arity);
  if (builtin) return builtin(ctx);
  const global = globalFunction(node.name, arity);
  if (global) return callFunc(global, node.args.map((a) => compileNode(a, scope, src)), scope);
  if (KNOWN_JQ_BUILTINS.has(`${node.name}/${arity}`)) throw new Unsupported(`builtin ${node.name}/${arity}`);
  throw compileError(src, node.pos, `${node.name}/${arity} is not defined`);
}

/** Every builtin jq 1.8.2 defines (from `builtins`); a missing one goes to the fallback, others are errors. */
const KNOWN_JQ_BUILTINS = new Set(
  (
    'IN/1 IN/2 INDEX/1 INDEX/2 JOIN/2 JOIN/3 JOIN/4 abs/0 acos/0 acosh/0 add/0 add/1 all/0 all/1 all/2 any/0 any/1 any/2 arrays/0 ascii_downcase/0 ' +
    'ascii_upcase/0 asin/0 asinh/0 atan/0 atan2/2 atanh/0 booleans/0 bsearch/1 builtins/0 capture/1 capture/2 cbrt/0 ceil/0 combinations/0 ' +
    'combinations/1 contains/1 copysign/2 cos/0 cosh/0 debug/0 debug/1 del/1 delpaths/1 drem/2 empty/0 endswith/1 env/0 erf/0 erfc/0 error/0 ' +
    'error/1 exp/0 exp10/0 exp2/0 explode/0 expm1/0 fabs/0 fdim/2 finites/0 first/0 first/1 flatten/0 flatten/1 floor/0 fma/3 fmax/2 fmin/2 ' +
    'fmod/2 format/1 frexp/0 from_entries/0 fromdate/0 fromdateiso8601/0 fromjson/0 fromstream/1 gamma/0 get_jq_origin/0 get_prog_origin/0 ' +
    'get_search_list/0 getpath/1 gmtime/0 group_by/1 gsub/2 gsub/3 halt/0 halt_error/0 halt_error/1 has/1 have_decnum/0 have_literal_numbers/0 ' +
    'hypot/2 implode/0 in/1 index/1 indices/1 infinite/0 input/0 input_filename/0 input_line_number/0 inputs/0 inside/1 isempty/1 isfinite/0 ' +
    'isinfinite/0 isnan/0 isnormal/0 iterables/0 j0/0 j1/0 jn/2 join/1 keys/0 keys_unsorted/0 last/0 last/1 ldexp/2 length/0 lgamma/0 lgamma_r/0 ' +
    'limit/2 localtime/0 log/0 log10/0 log1p/0 log2/0 logb/0 ltrim/0 ltrimstr/1 map/1 map_values/1 match/1 match/2 max/0 max_by/1 min/0 min_by/1 ' +
    'mktime/0 modf/0 modulemeta/0 nan/0 nearbyint/0 nextafter/2 nexttoward/2 normals/0 not/0 now/0 nth/1 nth/2 nulls/0 numbers/0 objects/0 ' +
    'path/1 paths/0 paths/1 pick/1 pow/2 range/1 range/2 range/3 recurse/0 recurse/1 recurse/2 remainder/2 repeat/1 reverse/0 rindex/1 rint/0 ' +
    'round/0 rtrim/0 rtrimstr/1 scalars/0 scalb/2 scalbln/2 scan/1 scan/2 select/1 setpath/2 significand/0 sin/0 sinh/0 skip/2 sort/0 sort_by/1 ' +
    'split/1 split/2 splits/1 splits/2 sqrt/0 startswith/1 stderr/0 strflocaltime/1 strftime/1 strings/0 strptime/1 sub/2 sub/3 tan/0 tanh/0 ' +
    'test/1 test/2 tgamma/0 to_entries/0 toboolean/0 todate/0 todateiso8601/0 tojson/0 tonumber/0 tostream/0 tostring/0 transpose/0 trim/0 ' +
    'trimstr/1 trunc/0 truncate_stream/1 type/0 unique/0 unique_by/1 until/2 utf8bytelength/0 values/0 walk/1 while/2 with_entries/1 y0/0 y1/0 yn/2 ' +
    'getpath/1 splits/1 ltrimstr/1 input_line_number/0 $__loc__/0 halt_error/1 getpath/1 error/1 not/0 path/1 label/0'
  ).split(' '),
);

const globals = new Map<string, FuncInfo>();

/** The prelude function `name/arity`, compiled once and shared by every program (runs in an empty env). */
function globalFunction(name: string, arity: number): FuncInfo | undefined {
  const key = `${name}/${arity}`;
  const hit = globals.get(key);
  if (hit) return hit;
  const def = preludeDef(name, arity);
  if (!def) return undefined;
  const info: FuncInfo = { name, arity, params: def.params, body: undefined, depth: 0, global: true };
  globals.set(key, info);
  try {
    info.body = compileFuncBody(info, push(ROOT, { kind: 'func', info }, false), def.body, PRELUDE_SRC);
  } catch (e) {
    globals.delete(key);
    throw e;
  }
  return info;
}
