/**
 * @module expressions/builtins
 * The registry of natively implemented jq builtins (`name/arity` → code factory) and the helpers
 * that build them. The families live in builtins-*.ts; builtins written in jq are in prelude.ts.
 */
import type { Node } from './ast.js';
import { fromOne, type Code } from './code.js';
import type { Scope } from './compiler.js';
import type { Value } from './values.js';

/** What a builtin factory gets: its argument nodes and a way to compile them in the caller's scope. */
export interface BuiltinContext {
  compileArg(i: number): Code;
  readonly args: readonly Node[];
  readonly scope: Scope;
  readonly src: string;
  readonly pos: number;
}

/** Builds the compiled code of one call. */
export type BuiltinFactory = (ctx: BuiltinContext) => Code;

const registry = new Map<string, BuiltinFactory>();

/** Registers a builtin factory under `name/arity`. */
export function define(name: string, arity: number, factory: BuiltinFactory): void {
  registry.set(`${name}/${arity}`, factory);
}

/** Registers a single-output builtin of the input only. */
export function define0(name: string, f: (x: Value) => Value): void {
  const code = fromOne((x) => f(x));
  registry.set(`${name}/0`, () => code);
}

/**
 * Registers a builtin whose arguments are values (jq's C functions): every combination of the
 * arguments' outputs, the last argument varying slowest, like jq 1.8.
 */
export function defineN(name: string, arity: number, f: (x: Value, ...args: Value[]) => Value): void {
  registry.set(`${name}/${arity}`, (ctx) => {
    const args: Code[] = [];
    for (let i = 0; i < arity; i++) args.push(ctx.compileArg(i));
    return valueCall(args, f);
  });
}

/** Code for `f(x, args…)` with C-function argument order (last argument outermost). */
export function valueCall(args: Code[], f: (x: Value, ...args: Value[]) => Value): Code {
  if (args.every((a) => a.one)) {
    const ones = args.map((a) => a.one!);
    if (ones.length === 1) {
      const a0 = ones[0];
      return fromOne((x, env) => f(x, a0(x, env)));
    }
    if (ones.length === 2) {
      const [a0, a1] = ones;
      return fromOne((x, env) => {
        const v1 = a1(x, env);
        return f(x, a0(x, env), v1);
      });
    }
    return fromOne((x, env) => {
      const vals: Value[] = new Array(ones.length);
      for (let i = ones.length - 1; i >= 0; i--) vals[i] = ones[i](x, env);
      return f(x, ...vals);
    });
  }
  return {
    run: (x, env, emit) => {
      const vals: Value[] = new Array(args.length);
      const step = (i: number): void => {
        if (i < 0) {
          emit(f(x, ...vals));
          return;
        }
        args[i].run(x, env, (v) => {
          vals[i] = v;
          step(i - 1);
        });
      };
      step(args.length - 1);
    },
  };
}

/** The factory of `name/arity`, if it is a native builtin. */
export function lookupBuiltin(name: string, arity: number): BuiltinFactory | undefined {
  ensureLoaded();
  return registry.get(`${name}/${arity}`);
}

let loaded = false;
const loaders: (() => void)[] = [];

/** Families register a loader; it runs on first lookup (keeps import cycles harmless). */
export function onLoad(f: () => void): void {
  loaders.push(f);
}

function ensureLoaded(): void {
  if (loaded) return;
  loaded = true;
  for (const f of loaders) f();
}

