/**
 * @module expressions/compiler
 * AST → closures. Single-output nodes become plain `(input, env) => value` functions (`Code.one`);
 * only generators of several outputs use `emit` callbacks. Output order follows jq 1.8 exactly
 * (e.g. for `a + b` the right operand varies slowest). Anything this compiler does not handle throws
 * `Unsupported`, and the expression runs on jq-wasm instead. The node families live in compile-*.ts.
 */
import { assertNever } from '../errors.js';
import type { Node } from './ast.js';
import { endBudget, startBudget } from './budget.js';
import { collect, fromOne, pathOf, type Code, type Emit, type Env, type PathEmit } from './code.js';
import { compileIndex, compileIterate, compileSlice } from './compile-access.js';
import { collectFreeVariables, compileAs, compileForeach, compileLabel, compileReduce, compileVar, type FreeVariable } from './compile-bindings.js';
import { compileArray, compileObject, compileString } from './compile-construct.js';
import { compileCall, compileFuncDef } from './compile-functions.js';
import { compileAssign } from './assign.js';
import { applyFormat } from './formats.js';
import { add, divide, modulo, multiply, negate, subtract } from './operators.js';
import { INVALID_PATH, type Path } from './paths.js';
import { BreakSignal, JqError, Passthrough, StopSignal } from './runtime.js';
import { compileError, frameReader, lookup, ROOT, setRuntimeVars, type Scope } from './scope.js';
import { compare, equals, isTruthy, type Value } from './values.js';
import './builtins-core.js';
import './builtins-data.js';
import './builtins-strings.js';
import './regex.js';
import './dates.js';

export { CompileError, envObject, runtimeVars, type Scope } from './scope.js';

/** A compiled program: first output (or null), and all outputs. */
export interface Program {
  first(input: Value, vars: Record<string, unknown> | undefined): Value;
  all(input: Value, vars: Record<string, unknown> | undefined): Value[];
  /** `$names` no construct binds: they must come from the `vars` of an evaluation. */
  readonly freeVariables: readonly FreeVariable[];
}

const STOP = new StopSignal();

/** Compiles a parsed program. Throws Unsupported (→ fallback) or JqError-free compile errors. */
export function compileProgram(ast: Node, src: string): Program {
  const { result: code, free } = collectFreeVariables(() => compileNode(ast, ROOT, src));
  return {
    freeVariables: free,
    first(input, vars) {
      const saved = setRuntimeVars(vars);
      const budget = startBudget();
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
        endBudget(budget);
        setRuntimeVars(saved);
      }
    },
    all(input, vars) {
      const saved = setRuntimeVars(vars);
      const budget = startBudget();
      try {
        return collect(code, input, null);
      } catch (e) {
        throw unwrap(e);
      } finally {
        endBudget(budget);
        setRuntimeVars(saved);
      }
    },
  };
}

function unwrap(e: unknown): unknown {
  while (e instanceof Passthrough) e = e.error;
  if (e instanceof BreakSignal) return new JqError('break');
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
    // jq evaluates the right operand first (it is the outer loop).
    if (op === '+') {
      return fromOne((x, env) => {
        const b = r(x, env);
        const a = l(x, env);
        return typeof a === 'number' && typeof b === 'number' ? a + b : add(a, b);
      });
    }
    return fromOne((x, env) => {
      const b = r(x, env);
      return f(l(x, env), b);
    });
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
  if (cond.one) {
    // Fewer JS frames per level keeps deep jq recursion (`def f: if … then … | f else … end`) viable.
    const c = cond.one;
    return { run: (x, env, emit) => (isTruthy(c(x, env)) ? then : other).run(x, env, emit), ...(path ? { path } : {}) };
  }
  return {
    run: (x, env, emit) => cond.run(x, env, (c) => (isTruthy(c) ? then : other).run(x, env, emit)),
    ...(path ? { path } : {}),
  };
}
