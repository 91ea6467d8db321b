/**
 * @module expressions/prelude
 * Builtins written in jq itself (compiled by this compiler, once, on first use): the ones whose
 * generic jq definition is both simple and fast enough. Everything hot is native (builtins*.ts).
 */
import type { Node, Param } from './ast.js';
import { parse } from './parser.js';

/** The source of the prelude. Each `def` is compiled lazily and shared by every program. */
export const PRELUDE_SRC = `
def values: select(. != null);
def nulls: select(. == null);
def booleans: select(type == "boolean");
def numbers: select(type == "number");
def strings: select(type == "string");
def arrays: select(type == "array");
def objects: select(type == "object");
def iterables: select(type == "array" or type == "object");
def scalars: select(type != "array" and type != "object");
def finites: select(isinfinite or isnan | not);
def normals: select(isnormal);
def nth($n): .[$n];
def map_values(f): .[] |= f;
def with_entries(f): to_entries | map(f) | from_entries;
def recurse(f; cond): def r: ., (f | select(cond) | r); r;
def in(xs): . as $x | xs | has($x);
def inside(xs): . as $x | xs | contains($x);
def paths: path(..) | select(length > 0);
def paths(node_filter): path(.. | select(node_filter)) | select(length > 0);
def del(f): delpaths([path(f)]);
def todate: strftime("%Y-%m-%dT%H:%M:%SZ");
def todateiso8601: strftime("%Y-%m-%dT%H:%M:%SZ");
def fromdateiso8601: strptime("%Y-%m-%dT%H:%M:%SZ") | mktime;
def fromdate: fromdateiso8601;
def combinations: if length == 0 then [] else .[0][] as $x | (.[1:] | combinations) as $w | [$x] + $w end;
def combinations(n): . as $dot | [range(n)] | map($dot) | combinations;
def walk(f): def w: if type == "object" then map_values(w) elif type == "array" then map(w) else . end | f; w;
def env: $ENV;
def INDEX(stream; idx_expr): reduce stream as $row ({}; .[$row | idx_expr | tostring] |= $row);
def INDEX(idx_expr): INDEX(.[]; idx_expr);
def IN(s): any(s == .; .);
def IN(src; s): any(src == s; .);
def JOIN($idx; idx_expr): [.[] | [., $idx[idx_expr]]];
def JOIN($idx; stream; idx_expr): stream | [., $idx[idx_expr]];
def JOIN($idx; stream; idx_expr; join_expr): stream | [., $idx[idx_expr]] | join_expr;
def tostream: path(def r: (.[]? | r), .; r) as $p | getpath($p) | reduce path(.[]?) as $q ([$p, .]; [$p + $q]);
def fromstream(f): { x: null, e: false } as $init
  | foreach f as $i ($init;
      if .e then $init else . end
      | if $i | length == 2
        then setpath(["e"]; $i[0] | length == 0) | setpath(["x"] + $i[0]; $i[1])
        else setpath(["e"]; $i[0] | length == 1) end;
      if .e then .x else empty end);
def truncate_stream(stream): . as $n | null | stream | . as $input | if (.[0] | length) > $n then setpath([0]; .[0][$n:]) else empty end;
def pick(pathexps): . as $top | reduce path(pathexps) as $p (null; setpath($p; $top | getpath($p)));
def debug(msg): (msg | debug | empty), .;
def halt_error: halt_error(5);
def capture(re): capture(re; null);
def scan(re): scan(re; null);
`;

interface PreludeDef {
  readonly params: readonly Param[];
  readonly body: Node;
}

let defs: Map<string, PreludeDef> | undefined;

function load(): Map<string, PreludeDef> {
  const out = new Map<string, PreludeDef>();
  let node: Node = parse(`${PRELUDE_SRC} .`);
  while (node.kind === 'FuncDef') {
    out.set(`${node.name}/${node.params.length}`, { params: node.params, body: node.body });
    node = node.rest;
  }
  return out;
}

/** The prelude definition of `name/arity`, if the prelude has one. */
export function preludeDef(name: string, arity: number): PreludeDef | undefined {
  defs ??= load();
  return defs.get(`${name}/${arity}`);
}
