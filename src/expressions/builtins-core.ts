/**
 * @module expressions/builtins-core
 * Native control and path builtins: empty, error, select, recurse, path/getpath/setpath/delpaths,
 * limit/first/last/nth/until/while/repeat/range, map, add, any/all, isempty, input(s), env, now.
 */
import { step } from './budget.js';
import { fromOne, pathOf, type Code, type Emit, type Env } from './code.js';
import { define, define0, defineN, onLoad, valueCall } from './builtins.js';
import { envObject, runtimeVars } from './compiler.js';
import { add, index, iterValues } from './operators.js';
import { delPaths, getPath, INVALID_PATH, invalidPath, setPath, type Path } from './paths.js';
import { BreakSignal, JqError, Unsupported, fail } from './runtime.js';
import { isObject, isTruthy, type Value } from './values.js';

const identityPath: NonNullable<Code['path']> = (x, p, _env, emit) => emit(x, p);

/** Runs `code` and stops after `n` outputs (n ≥ 1). */
function runLimited(code: Code, x: Value, env: Env, n: number, emit: Emit): void {
  const token = new BreakSignal({});
  let count = 0;
  try {
    code.run(x, env, (v) => {
      count++;
      emit(v);
      if (count >= n) throw token;
    });
  } catch (e) {
    if (e !== token) throw e;
  }
}

function pathLimited(code: Code, x: Value, p: Path, env: Env, n: number, emit: (v: Value, p: Path) => void): void {
  const token = new BreakSignal({});
  let count = 0;
  try {
    pathOf(code)(x, p, env, (v, q) => {
      count++;
      emit(v, q);
      if (count >= n) throw token;
    });
  } catch (e) {
    if (e !== token) throw e;
  }
}

function recurseAll(v: Value, emit: Emit): void {
  step();
  emit(v);
  if (Array.isArray(v)) for (const e of v) recurseAll(e, emit);
  else if (isObject(v)) for (const k of Object.keys(v)) recurseAll(v[k], emit);
}

function recursePaths(v: Value, p: Path, emit: (v: Value, p: Path) => void): void {
  step();
  emit(v, p);
  if (p === INVALID_PATH && (Array.isArray(v) || isObject(v))) invalidPath(v);
  if (Array.isArray(v)) for (let i = 0; i < v.length; i++) recursePaths(v[i], [...p, i], emit);
  else if (isObject(v)) for (const k of Object.keys(v)) recursePaths(v[k], [...p, k], emit);
}

function numberArg(v: Value, what: string): number {
  if (typeof v !== 'number') fail(`${what} requires a number`);
  return v as number;
}

onLoad(() => {
  define('empty', 0, () => ({ run: () => undefined, path: () => undefined }));
  define('error', 0, () => ({
    run: (x) => {
      throw new JqError(x);
    },
    path: (x) => {
      throw new JqError(x);
    },
  }));
  define('error', 1, (ctx) => {
    const msg = ctx.compileArg(0);
    const raise = (v: Value): never => {
      throw new JqError(v);
    };
    return { run: (x, env) => msg.run(x, env, raise), path: (x, _p, env) => msg.run(x, env, raise) };
  });
  define0('not', (x) => !isTruthy(x));
  define('select', 1, (ctx) => {
    const cond = ctx.compileArg(0);
    const c = cond.one;
    return {
      run: c
        ? (x, env, emit) => {
            if (isTruthy(c(x, env))) emit(x);
          }
        : (x, env, emit) => cond.run(x, env, (v) => (isTruthy(v) ? emit(x) : undefined)),
      path: (x, p, env, emit) => cond.run(x, env, (v) => (isTruthy(v) ? emit(x, p) : undefined)),
    };
  });
  define('recurse', 0, () => ({ run: (x, _env, emit) => recurseAll(x, emit), path: (x, p, _env, emit) => recursePaths(x, p, emit) }));
  define('recurse', 1, (ctx) => {
    const f = ctx.compileArg(0);
    const run = (x: Value, env: Env, emit: Emit): void => {
      step();
      emit(x);
      f.run(x, env, (v) => run(v, env, emit));
    };
    const path = (x: Value, p: Path, env: Env, emit: (v: Value, p: Path) => void): void => {
      step();
      emit(x, p);
      pathOf(f)(x, p, env, (v, q) => path(v, q, env, emit));
    };
    return { run, path };
  });
  define('path', 1, (ctx) => {
    const f = ctx.compileArg(0);
    const fp = pathOf(f);
    return {
      run: (x, env, emit) =>
        fp(x, [], env, (v, p) => {
          if (p === INVALID_PATH) invalidPath(v);
          emit(p.slice());
        }),
    };
  });
  define('getpath', 1, (ctx) => {
    const arg = ctx.compileArg(0);
    const code = valueCall([arg], (x, p) => getPath(x, p));
    return {
      ...code,
      path: (x, p, env, emit) =>
        arg.run(x, env, (q) => {
          if (p === INVALID_PATH) invalidPath(x);
          if (!Array.isArray(q)) fail('Path must be specified as an array');
          emit(getPath(x, q), [...p, ...q]);
        }),
    };
  });
  defineN('setpath', 2, (x, p, v) => setPath(x, p, v));
  defineN('delpaths', 1, (x, ps) => delPaths(x, ps));
  define('limit', 2, (ctx) => {
    const n = ctx.compileArg(0);
    const f = ctx.compileArg(1);
    return {
      run: (x, env, emit) =>
        n.run(x, env, (nv) => {
          const count = numberArg(nv, 'limit');
          if (count < 0) fail("limit doesn't support negative count");
          if (count > 0) runLimited(f, x, env, count, emit);
        }),
      path: (x, p, env, emit) =>
        n.run(x, env, (nv) => {
          const count = numberArg(nv, 'limit');
          if (count < 0) fail("limit doesn't support negative count");
          if (count > 0) pathLimited(f, x, p, env, count, emit);
        }),
    };
  });
  define('skip', 2, (ctx) => {
    const n = ctx.compileArg(0);
    const f = ctx.compileArg(1);
    return {
      run: (x, env, emit) =>
        n.run(x, env, (nv) => {
          const count = numberArg(nv, 'skip');
          if (count < 0) fail("skip doesn't support negative count");
          let seen = 0;
          f.run(x, env, (v) => {
            if (seen++ >= count) emit(v);
          });
        }),
    };
  });
  define('first', 1, (ctx) => {
    const f = ctx.compileArg(0);
    return { run: (x, env, emit) => runLimited(f, x, env, 1, emit), path: (x, p, env, emit) => pathLimited(f, x, p, env, 1, emit) };
  });
  define('last', 1, (ctx) => {
    const f = ctx.compileArg(0);
    return {
      run: (x, env, emit) => {
        let last: Value;
        let any = false;
        f.run(x, env, (v) => {
          last = v;
          any = true;
        });
        if (any) emit(last);
      },
    };
  });
  define('nth', 2, (ctx) => {
    const n = ctx.compileArg(0);
    const f = ctx.compileArg(1);
    return {
      run: (x, env, emit) =>
        n.run(x, env, (nv) => {
          const i = numberArg(nv, 'nth');
          if (i < 0) fail("nth doesn't support negative indices");
          let seen = 0;
          const token = new BreakSignal({});
          try {
            f.run(x, env, (v) => {
              if (seen++ >= i) {
                emit(v);
                throw token;
              }
            });
          } catch (e) {
            if (e !== token) throw e;
          }
        }),
    };
  });
  // jq 1.8.2: label $go | (g | false, break $go), true — a generator, because a `?//` inside g
  // may catch the break and produce again.
  define('isempty', 1, (ctx) => {
    const f = ctx.compileArg(0);
    return {
      run: (x, env, emit) => {
        const token = new BreakSignal({});
        try {
          f.run(x, env, () => {
            emit(false);
            throw token;
          });
        } catch (e) {
          if (e === token) return;
          throw e;
        }
        emit(true);
      },
    };
  });
  define('until', 2, (ctx) => {
    const cond = ctx.compileArg(0);
    const update = ctx.compileArg(1);
    const run = (x: Value, env: Env, emit: Emit): void => {
      step();
      cond.run(x, env, (c) => (isTruthy(c) ? emit(x) : update.run(x, env, (v) => run(v, env, emit))));
    };
    if (cond.one && update.one) {
      const c = cond.one;
      const u = update.one;
      return fromOne((x, env) => {
        let v = x;
        while (!isTruthy(c(v, env))) {
          step();
          v = u(v, env);
        }
        return v;
      });
    }
    return { run };
  });
  define('while', 2, (ctx) => {
    const cond = ctx.compileArg(0);
    const update = ctx.compileArg(1);
    const run = (x: Value, env: Env, emit: Emit): void =>
      cond.run(x, env, (c) => {
        step();
        if (isTruthy(c)) {
          emit(x);
          update.run(x, env, (v) => run(v, env, emit));
        }
      });
    if (cond.one && update.one) {
      // A loop, not a recursion: long `while` chains must not exhaust the JS stack.
      const c = cond.one;
      const u = update.one;
      return {
        run: (x, env, emit) => {
          for (let v = x; isTruthy(c(v, env)); v = u(v, env)) {
            step();
            emit(v);
          }
        },
      };
    }
    return { run };
  });
  define('repeat', 1, (ctx) => {
    const f = ctx.compileArg(0);
    // jq 1.8: the outputs of f on the same input, over and over.
    const run = (x: Value, env: Env, emit: Emit): void => {
      while (true) {
        step();
        f.run(x, env, emit);
      }
    };
    return { run };
  });
  const rangeGen = (from: Value, upto: Value, by: Value, emit: Emit): void => {
    if (typeof from !== 'number' || typeof upto !== 'number' || typeof by !== 'number') fail('Range bounds must be numeric');
    const f = from as number;
    const u = upto as number;
    const b = by as number;
    if (b > 0) {
      for (let i = f; i < u; i += b) {
        step();
        emit(i);
      }
    } else if (b < 0) {
      for (let i = f; i > u; i += b) {
        step();
        emit(i);
      }
    }
  };
  define('range', 1, (ctx) => {
    const n = ctx.compileArg(0);
    return { run: (x, env, emit) => n.run(x, env, (u) => rangeGen(0, u, 1, emit)) };
  });
  define('range', 2, (ctx) => {
    const from = ctx.compileArg(0);
    const upto = ctx.compileArg(1);
    return { run: (x, env, emit) => from.run(x, env, (f) => upto.run(x, env, (u) => rangeGen(f, u, 1, emit))) };
  });
  define('range', 3, (ctx) => {
    const from = ctx.compileArg(0);
    const upto = ctx.compileArg(1);
    const by = ctx.compileArg(2);
    return { run: (x, env, emit) => from.run(x, env, (f) => upto.run(x, env, (u) => by.run(x, env, (b) => rangeGen(f, u, b, emit)))) };
  });
  define('map', 1, (ctx) => {
    const f = ctx.compileArg(0);
    if (f.one) {
      const g = f.one;
      return fromOne((x, env) => {
        if (Array.isArray(x)) {
          const out = new Array(x.length);
          for (let i = 0; i < x.length; i++) out[i] = g(x[i], env);
          return out;
        }
        return iterValues(x).map((v) => g(v, env));
      });
    }
    return fromOne((x, env) => {
      const out: Value[] = [];
      for (const v of iterValues(x)) f.run(v, env, (r) => out.push(r));
      return out;
    });
  });
  define0('add', (x) => {
    const vals = iterValues(x);
    if (vals.length === 0) return null;
    let acc = vals[0];
    for (let i = 1; i < vals.length; i++) {
      const v = vals[i];
      acc = typeof acc === 'number' && typeof v === 'number' ? acc + v : add(acc, v);
    }
    return acc;
  });
  define('add', 1, (ctx) => {
    const f = ctx.compileArg(0);
    return fromOne((x, env) => {
      let acc: Value = null;
      let first = true;
      f.run(x, env, (v) => {
        acc = first ? v : add(acc, v);
        first = false;
      });
      return acc;
    });
  });
  // any/all stop at the first deciding value; `found` is thrown to end the generators early.
  const anyAll = (isAny: boolean, gen: Code | undefined, cond: Code | undefined): Code =>
    fromOne((x, env) => {
      const found = new BreakSignal({});
      const check = (c: Value): void => {
        if (isTruthy(c) === isAny) throw found;
      };
      const test = cond ? (v: Value): void => cond.run(v, env, check) : check;
      try {
        if (gen) gen.run(x, env, test);
        else for (const v of iterValues(x)) test(v);
      } catch (e) {
        if (e !== found) throw e;
        return isAny;
      }
      return !isAny;
    });
  define('any', 0, () => anyAll(true, undefined, undefined));
  define('all', 0, () => anyAll(false, undefined, undefined));
  define('any', 1, (ctx) => anyAll(true, undefined, ctx.compileArg(0)));
  define('all', 1, (ctx) => anyAll(false, undefined, ctx.compileArg(0)));
  define('any', 2, (ctx) => anyAll(true, ctx.compileArg(0), ctx.compileArg(1)));
  define('all', 2, (ctx) => anyAll(false, ctx.compileArg(0), ctx.compileArg(1)));
  define('first', 0, () => ({
    one: (x) => (x === null ? null : indexFirst(x, 0)),
    run: (x, _e, emit) => emit(x === null ? null : indexFirst(x, 0)),
    path: (x, p, _e, emit) => (p === INVALID_PATH ? invalidPath(x) : emit(x === null ? null : indexFirst(x, 0), [...p, 0])),
  }));
  define('last', 0, () => ({
    one: (x) => (x === null ? null : indexFirst(x, -1)),
    run: (x, _e, emit) => emit(x === null ? null : indexFirst(x, -1)),
    path: (x, p, _e, emit) => (p === INVALID_PATH ? invalidPath(x) : emit(x === null ? null : indexFirst(x, -1), [...p, -1])),
  }));
  define('input', 0, () => fromOne(() => fail('No more inputs')));
  define('inputs', 0, () => ({ run: () => undefined }));
  define0('input_filename', () => null);
  define0('input_line_number', () => 0);
  define0('$__loc__', () => null);
  define0('env', () => envObject());
  define0('now', () => {
    const v = runtimeVars()?.NOW;
    return typeof v === 'number' ? v : Date.now() / 1000;
  });
  define('debug', 0, () => ({ one: (x) => x, run: (x, _e, emit) => emit(x), path: identityPath }));
  define('stderr', 0, () => ({ one: (x) => x, run: (x, _e, emit) => emit(x), path: identityPath }));
  define0('have_literal_numbers', () => true);
  define0('have_decnum', () => false);
  // No meaning inside a workflow (halt) or tied to jq's own build: left to jq-wasm.
  define('halt', 0, () => {
    throw new Unsupported('halt');
  });
  define('builtins', 0, () => {
    throw new Unsupported('builtins');
  });
});

function indexFirst(x: Value, i: number): Value {
  return index(x, i);
}
