/**
 * @module expressions/compile-bindings
 * Compilation of variables and everything that binds them: `E as $x | …` with destructuring and
 * `?//` alternatives, `reduce`, `foreach` and `label $name | …`.
 */
import { assertNever } from '../errors.js';
import type { Node, Pattern } from './ast.js';
import { fromOne, type Code, type Env, type PathEmit } from './code.js';
import { compileNode } from './compiler.js';
import { index } from './operators.js';
import type { Path } from './paths.js';
import { BreakSignal, JqError, Passthrough, fail } from './runtime.js';
import { compileError, envObject, frameReader, lookup, push, runtimeVars, type Scope } from './scope.js';
import { typeOf, type Value } from './values.js';

/** A `$name` that no construct of the program binds (it is read from the evaluation's `vars`). */
export interface FreeVariable {
  readonly name: string;
  /** Offset of the `$` in the source. */
  readonly offset: number;
}

/** Where compileVar records free variables while {@link collectFreeVariables} runs. */
let freeSink: FreeVariable[] | undefined;

/** Runs `compile` and returns, with its result, the free variables it met (each use once). */
export function collectFreeVariables<T>(compile: () => T): { result: T; free: FreeVariable[] } {
  const saved = freeSink;
  const free: FreeVariable[] = [];
  freeSink = free;
  try {
    return { result: compile(), free };
  } finally {
    freeSink = saved;
  }
}

export function compileVar(name: string, scope: Scope, src: string, pos: number): Code {
  const found = lookup(scope, (b) => b.kind === 'var' && b.name === name);
  if (found) {
    const read = frameReader(scope.depth - 1 - found.frameIndex);
    return fromOne((_x, env) => read(env));
  }
  if (name === 'ENV') return fromOne(() => envObject());
  if (name === '__prog_args') throw compileError(src, pos, `$${name} is not defined`);
  freeSink?.push({ name, offset: pos });
  return fromOne(() => {
    const vars = runtimeVars();
    if (vars && Object.prototype.hasOwnProperty.call(vars, name)) {
      const v = vars[name];
      return v === undefined ? null : v;
    }
    return fail(`$${name} is not defined`);
  });
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
      // jq destructures array patterns from the last element to the first.
      return (value, x, env, vals, f) => {
        const step = (i: number): void => {
          if (i < 0) return f();
          items[i](index(value, i), x, env, vals, () => step(i - 1));
        };
        step(items.length - 1);
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
            const v = index(value, k);
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

export function compileAs(node: Extract<Node, { kind: 'As' }>, scope: Scope, src: string): Code {
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
          // Like jq, any error after the binding (in the body, downstream, even a `break`) moves on
          // to the next alternative; the last alternative's errors propagate.
          let inner = e;
          while (inner instanceof Passthrough) inner = inner.error;
          if (!(inner instanceof JqError || inner instanceof BreakSignal) || i === matchers.length - 1) throw e;
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

export function compileReduce(node: Extract<Node, { kind: 'Reduce' }>, scope: Scope, src: string): Code {
  const source = compileNode(node.source, scope, src);
  const names = patternVars(node.pattern);
  const init = compileNode(node.init, scope, src);
  const update = compileNode(node.update, bindScope(scope, names), src);
  const match = compilePattern(node.pattern, names, scope, src);
  const simple = node.pattern.kind === 'PVar';
  const reduceFrom = (x: Value, env: Env, start: Value): Value => {
    let acc = start;
    if (simple && update.one) {
      // The common `reduce .[] as $x (init; single-output update)`: no closure per element.
      const u = update.one;
      source.run(x, env, (v) => {
        acc = u(acc, { v, up: env });
      });
      return acc;
    }
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

export function compileForeach(node: Extract<Node, { kind: 'Foreach' }>, scope: Scope, src: string): Code {
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

export function compileLabel(node: Extract<Node, { kind: 'Label' }>, scope: Scope, src: string): Code {
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
