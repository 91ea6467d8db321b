/**
 * @module expressions/scope
 * Compile-time scopes (variables, labels, filter parameters, functions → frame positions), the
 * runtime frame readers, and the `vars` of the running evaluation (`$CONST`, `$SECRETS`, `NOW`, `ENV`).
 */
import type { Code, Env } from './code.js';
import { isObject, type Value } from './values.js';

/** A `def`: its parameters and (once compiled) body. */
export interface FuncInfo {
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

export type Binding =
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

export const ROOT: Scope = { b: undefined, up: undefined, depth: 0 };

/** Global variables for the current evaluation (`vars` of evaluate), read by unbound `$names`. */
let currentVars: Record<string, unknown> | undefined;

/** Installs the `vars` of an evaluation; returns the previous ones (evaluations may nest). */
export function setRuntimeVars(vars: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  const saved = currentVars;
  currentVars = vars;
  return saved;
}

/** The `vars` of the running evaluation (for builtins such as `now` and `$ENV`). */
export function runtimeVars(): Record<string, unknown> | undefined {
  return currentVars;
}

export function push(scope: Scope, b: Binding, frame: boolean): Scope {
  return { b, up: scope, depth: scope.depth + (frame ? 1 : 0) };
}

/** Distance in frames from a scope to a binding introduced at `bindDepth` (its frame index). */
export function lookup(scope: Scope, pred: (b: Binding) => boolean): { b: Binding; frameIndex: number } | undefined {
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
export function frameReader(n: number): (env: Env) => unknown {
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

export function upN(env: Env, n: number): Env {
  let e = env;
  for (let i = 0; i < n; i++) e = e!.up;
  return e;
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

export function compileError(_src: string, pos: number, message: string): CompileError {
  return new CompileError(message, pos);
}
/** `$ENV` / `env`: `vars.ENV` when the caller passes it, else an empty object (see the module doc). */
export function envObject(): Value {
  const v = currentVars?.ENV;
  return isObject(v) ? v : {};
}
