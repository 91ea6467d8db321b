/**
 * @module expressions/compile-construct
 * Compilation of array, object and string (interpolation, `@format "…"`) construction. Several
 * outputs combine in jq's order: the first object entry and the last interpolation vary slowest.
 */
import type { Node } from './ast.js';
import { collect, fromOne, type Code } from './code.js';
import { compileNode } from './compiler.js';
import { applyFormat } from './formats.js';
import { fail } from './runtime.js';
import type { Scope } from './scope.js';
import { describe, setKey, toStringValue, type Value } from './values.js';

export function compileArray(body: Code | undefined): Code {
  if (!body) return fromOne(() => []);
  if (body.one) {
    const f = body.one;
    return fromOne((x, env) => [f(x, env)]);
  }
  return fromOne((x, env) => collect(body, x, env));
}

export function compileObject(node: Extract<Node, { kind: 'Object' }>, scope: Scope, src: string): Code {
  const entries = node.entries.map((e) => ({ key: compileNode(e.key, scope, src), value: compileNode(e.value, scope, src) }));
  const checkKey = (k: Value): string => (typeof k === 'string' ? k : fail(`Cannot use ${describe(k)} as object key`));
  const literalKeys = node.entries.map((e) => (e.key.kind === 'Literal' && typeof e.key.value === 'string' && e.key.value !== '__proto__' ? e.key.value : undefined));
  if (entries.every((e) => e.value.one) && literalKeys.every((k) => k !== undefined)) {
    // The common `{a: …, b: …}`: constant keys, one value each.
    const keys = literalKeys as string[];
    const values = entries.map((e) => e.value.one!);
    const n = entries.length;
    return fromOne((x, env) => {
      const out: Record<string, Value> = {};
      for (let i = 0; i < n; i++) out[keys[i]] = values[i](x, env);
      return out;
    });
  }
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

export function compileString(parts: readonly (string | Node)[], format: string | undefined, scope: Scope, src: string): Code {
  if (format !== undefined) applyFormat(format, null, true);
  const fmt = format ?? 'text';
  const codes = parts.map((p) => (typeof p === 'string' ? p : compileNode(p, scope, src)));
  const render = (v: Value): string => (fmt === 'text' ? toStringValue(v) : (applyFormat(fmt, v) as string));
  if (codes.every((c) => typeof c === 'string' || c.one)) {
    // The last interpolation is evaluated first, as in jq.
    return fromOne((x, env) => {
      let s = '';
      for (let i = codes.length - 1; i >= 0; i--) {
        const c = codes[i];
        s = (typeof c === 'string' ? c : render(c.one!(x, env))) + s;
      }
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
