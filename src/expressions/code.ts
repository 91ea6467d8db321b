/**
 * @module expressions/code
 * The shape of compiled jq: every node becomes a {@link Code} with `run` (push every output to
 * `emit`), optionally `one` (the node provably yields exactly one output: a plain function, no
 * callbacks) and optionally `path` (path mode, for `path(…)`, `|=`, `del` …). Variables and filter
 * parameters live in a linked list of frames whose positions are resolved at compile time.
 */
import { checkLength } from './budget.js';
import { INVALID_PATH, type Path } from './paths.js';
import type { Value } from './values.js';

/** Runtime environment: the frames of bound variables, closures and labels, innermost first. */
export type Env = { readonly v: unknown; readonly up: Env } | null;
/** Receives one output. */
export type Emit = (v: Value) => void;
/** Receives one output of a path expression: the value and where it sits in the root input. */
export type PathEmit = (v: Value, p: Path) => void;

/** A compiled jq node. */
export interface Code {
  readonly run: (x: Value, env: Env, emit: Emit) => void;
  readonly one?: (x: Value, env: Env) => Value;
  readonly path?: (x: Value, p: Path, env: Env, emit: PathEmit) => void;
}

/** A filter argument bound to a `def` parameter: the code and the environment of the call site. */
export interface Closure {
  readonly code: Code;
  readonly env: Env;
}

/** Builds a Code from a single-output function. */
export function fromOne(one: (x: Value, env: Env) => Value, path?: Code['path']): Code {
  return { one, run: (x, env, emit) => emit(one(x, env)), ...(path ? { path } : {}) };
}

/** Path mode of a node that is not a path expression: its outputs are invalid paths. */
export function valuePath(code: Code): NonNullable<Code['path']> {
  return (x, _p, env, emit) => code.run(x, env, (v) => emit(v, INVALID_PATH));
}

/** Path mode of any code (native or value-only). */
export function pathOf(code: Code): NonNullable<Code['path']> {
  return code.path ?? valuePath(code);
}

/** Collects every output of `code` on `x`. */
export function collect(code: Code, x: Value, env: Env): Value[] {
  if (code.one) return [code.one(x, env)];
  const out: Value[] = [];
  code.run(x, env, (v) => {
    checkLength(out.push(v));
  });
  return out;
}

/** Calls `f` with every combination of the outputs of `args` (first argument outermost), like jq's `$` params. */
export function cartesian(args: readonly Code[], x: Value, env: Env, f: (vals: Value[]) => void): void {
  const vals: Value[] = new Array(args.length);
  const step = (i: number): void => {
    if (i === args.length) {
      f(vals.slice());
      return;
    }
    const a = args[i];
    if (a.one) {
      vals[i] = a.one(x, env);
      step(i + 1);
    } else {
      a.run(x, env, (v) => {
        vals[i] = v;
        step(i + 1);
      });
    }
  };
  step(0);
}
