/**
 * @module expressions/compile-functions
 * `def` and calls: user functions (closures over the defining scope, filter parameters as
 * closures of the call site, `$p` parameters bound as variables), native builtins, and the jq
 * prelude (compiled once, shared). A known jq builtin that is not implemented goes to the fallback.
 */
import type { Node } from './ast.js';
import { step } from './budget.js';
import { lookupBuiltin, type BuiltinContext } from './builtins.js';
import { pathOf, type Closure, type Code, type Env } from './code.js';
import { compileNode } from './compiler.js';
import { PRELUDE_SRC, preludeDef } from './prelude.js';
import { Unsupported } from './runtime.js';
import { compileError, frameReader, lookup, push, ROOT, upN, type FuncInfo, type Scope } from './scope.js';

export function compileFuncDef(node: Extract<Node, { kind: 'FuncDef' }>, scope: Scope, src: string): Code {
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
    step();
    let e = isGlobal ? null : upN(env, hops);
    for (const a of args) e = { v: { code: a, env } satisfies Closure, up: e };
    return e;
  };
  const path: Code['path'] = (x, p, env, emit) => pathOf(info.body!)(x, p, makeEnv(env), emit);
  const bodyOne = info.body?.one;
  if (bodyOne) {
    // A single-output body (known once compiled, i.e. not a call inside its own recursion).
    return { one: (x, env) => bodyOne(x, makeEnv(env)), run: (x, env, emit) => emit(bodyOne(x, makeEnv(env))), path };
  }
  // The body may not be compiled yet (recursion); read it at run time.
  return { run: (x, env, emit) => info.body!.run(x, makeEnv(env), emit), path };
}

export function compileCall(node: Extract<Node, { kind: 'Call' }>, scope: Scope, src: string): Code {
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
