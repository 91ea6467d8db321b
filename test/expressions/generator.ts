/**
 * @module test/expressions/generator
 * Seeded random jq programs over random JSON inputs, for the differential tests. Deterministic:
 * one xorshift32 stream per seed, so a failing program is reproduced by its seed alone.
 */

/** Seed of the committed run (SWIRL_JQ_SEED explores others). */
export const DEFAULT_SEED = 20261124;

/** A xorshift32 PRNG: tiny, fast, and the same on every platform. */
export class XorShift32 {
  private state: number;
  constructor(seed: number) {
    // Zero is xorshift's fixed point; any other 32-bit value works.
    this.state = seed >>> 0 || 0x9e3779b9;
  }
  /** Next value in [0, 2^32). */
  next(): number {
    let x = this.state;
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    this.state = x;
    return x;
  }
  /** Integer in [0, n). */
  int(n: number): number {
    return this.next() % n;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }
  chance(p: number): boolean {
    return this.next() / 0x100000000 < p;
  }
}

/** One generated pair; `shape` names the top-level construct (a reporting category). */
export interface GeneratedPair {
  readonly shape: string;
  readonly program: string;
  readonly input: unknown;
}

const KEYS = ['a', 'b', 'c', 'id', 'name', 'items', 'price', 'tags'] as const;
const STRINGS = ['', 'a', 'abc', 'Hello, World', 'héllo', '日本', '😀x', 'a,b;c', '42', '-1.5', 'true', 'null', ' sp ', 'x"y\\z', 'tab\there'];
const NUMBERS = [0, 1, -1, 2, 3, 10, 42, -7, 0.5, 2.5, -0.25, 100, 1e6, 3.14159, 1e-3, 123456789];

/** A random JSON value, at most `depth` levels deep. */
export function randomJson(rng: XorShift32, depth: number): unknown {
  const kind = rng.int(depth > 0 ? 9 : 5);
  switch (kind) {
    case 0:
      return null;
    case 1:
      return rng.chance(0.5);
    case 2:
    case 3:
      return rng.pick(NUMBERS);
    case 4:
      return rng.pick(STRINGS);
    case 5:
    case 6: {
      const out: Record<string, unknown> = {};
      const n = rng.int(5);
      for (let i = 0; i < n; i++) out[rng.pick(KEYS)] = randomJson(rng, depth - 1);
      return out;
    }
    default:
      return Array.from({ length: rng.int(5) }, () => randomJson(rng, depth - 1));
  }
}

/** An input shaped like workflow state data, so that paths hit more often than on pure noise. */
function stateLikeInput(rng: XorShift32): unknown {
  const items = Array.from({ length: rng.int(5) }, (_, i) => ({
    id: i + 1,
    name: rng.pick(STRINGS),
    price: rng.pick(NUMBERS),
    tags: Array.from({ length: rng.int(3) }, () => rng.pick(['x', 'y', 'z', 'é'])),
    ...(rng.chance(0.3) ? { a: randomJson(rng, 1) } : {}),
  }));
  return { a: randomJson(rng, 2), b: randomJson(rng, 1), c: rng.pick(NUMBERS), name: rng.pick(STRINGS), items };
}

/** Generates jq source text; `vars` are the `$names` in scope. */
class ProgramGen {
  constructor(
    private readonly rng: XorShift32,
    private readonly vars: string[] = [],
  ) {}

  private literal(): string {
    const r = this.rng;
    switch (r.int(6)) {
      case 0:
        return 'null';
      case 1:
        return r.pick(['true', 'false']);
      case 2:
      case 3:
        return String(r.pick([0, 1, 2, 3, -1, 10, 0.5, 2.5, 100]));
      default:
        return JSON.stringify(r.pick(STRINGS));
    }
  }

  private path(): string {
    const r = this.rng;
    const steps = 1 + r.int(3);
    let p = '';
    for (let i = 0; i < steps; i++) {
      const s = r.int(10);
      if (s < 5) p += `.${r.pick(KEYS)}`;
      else if (s < 7) p += `[${r.pick([0, 1, -1, 2])}]`;
      else if (s < 8) p += `[${r.pick(['0:2', '1:', ':-1'])}]`;
      else if (s < 9) p += `.${r.pick(KEYS)}?`;
      else p += `["${r.pick(KEYS)}"]`;
    }
    return p.startsWith('.') ? p : `.${p}`;
  }

  /** A filter of bounded size; depth 0 gives a leaf. */
  expr(depth: number): string {
    const r = this.rng;
    if (depth <= 0) {
      const k = r.int(10);
      if (k < 4) return this.path();
      if (k < 6) return this.literal();
      if (k < 7 && this.vars.length > 0) return `$${r.pick(this.vars)}`;
      if (k < 8) return '.';
      return r.pick(['length', 'type', 'keys?', 'tostring', 'not', 'add?', '(.[]?)', 'tojson', 'ascii_downcase?', 'floor?']);
    }
    const d = depth - 1;
    const e = (): string => this.expr(d);
    switch (r.int(30)) {
      case 0:
        return `(${e()} | ${e()})`;
      case 1:
        return `(${e()}, ${e()})`;
      case 2:
        return `(${e()} ${r.pick(['+', '-', '/', '%'])} ${e()})`;
      case 3:
        return `(${e()} * ${r.pick(['2', '-1', '0.5', '{"a":1}'])})`;
      case 4:
        return `(${e()} ${r.pick(['==', '!=', '<', '<=', '>', '>='])} ${e()})`;
      case 5:
        return `(${e()} ${r.pick(['and', 'or', '//'])} ${e()})`;
      case 6:
        return `[${e()}]`;
      case 7:
        return `{${r.pick(KEYS)}: ${e()}, "${r.pick(KEYS)}": (${e()})}`;
      case 8:
        return `if ${e()} then ${e()} ${r.chance(0.5) ? `elif ${e()} then ${e()} ` : ''}else ${e()} end`;
      case 9:
        return `try (${e()})${r.chance(0.6) ? ' catch .' : ''}`;
      case 10:
        return `(${e()})?`;
      case 11:
        return `[.[]? | ${e()}]`;
      case 12:
        return `map(${e()})?`;
      case 13:
        return `[.[]? | select(${e()})]`;
      case 14:
        return `reduce (.[]?) as $x (${this.literal()}; ${this.withVar('x').expr(d)})`;
      case 15:
        return `[foreach (.[]?) as $x (0; . + 1; ${this.withVar('x').expr(d)})]`;
      case 16: {
        const name = r.pick(['v', 'w']);
        return `(${e()} as $${name} | ${this.withVar(name).expr(d)})`;
      }
      case 17:
        return `"<\\(${e()})>"`;
      case 18:
        return `(${this.path()} ${r.pick(['|=', '+=', '-=', '//=', '='])} ${e()})`;
      case 19:
        return `del(${this.path()})`;
      case 20:
        return `[limit(${r.int(4)}; ${e()})]`;
      case 21:
        return `(first(${e()}), isempty(${e()}))`;
      case 22:
        return `(${e()} | ${r.pick(['sort', 'unique', 'reverse', 'length', 'to_entries', 'keys', 'add', 'min', 'max', 'flatten', 'tojson', 'ascii', '@base64', '@json', '@text', '@html', '@uri', '@csv', '@sh', 'tostring', 'abs', 'type', 'any', 'all', 'utf8bytelength', 'explode', 'trim', 'ltrimstr("a")', 'split(",")', 'join("-")', 'test("a")', 'ascii_upcase', '[paths]', '[tostream]', 'getpath(["a"])', 'has("a")', 'has(0)', 'contains("a")', 'startswith("a")', 'tonumber', 'indices(",")', 'to_entries | from_entries'])})`;
      case 23:
        return `(${e()} | ${r.pick(['sort_by', 'group_by', 'unique_by', 'min_by', 'max_by', 'map_values', 'with_entries', 'walk', 'any', 'all', 'paths'])}(${e()}))`;
      case 24:
        return `(def f(g): [g, ${e()}]; f(${e()}))`;
      case 25:
        return `(def f: if type == "array" and length > 0 then .[1:] | f else . end; ${e()} | f)`;
      case 26:
        return `(label $out | ${e()} | ., break $out)`;
      case 27:
        return `(. as {a: $v, b: [$w]} ?// [$v, $w] | ${this.withVar('v').withVar('w').expr(d)})`;
      case 28:
        return `[.. | numbers?]`;
      default:
        return `(${this.path()} | ${e()})`;
    }
  }

  private withVar(name: string): ProgramGen {
    return new ProgramGen(this.rng, this.vars.includes(name) ? this.vars : [...this.vars, name]);
  }
}

/**
 * Value-semantics programs (ordering, equality, containment, printing) to run on random JSON: these
 * find comparison and formatting bugs that hand-picked inputs miss.
 */
const VALUE_PROGRAMS = [
  'sort', 'unique', 'keys?', 'tojson', 'tostring', '[.[]?] | sort', 'add?', 'min?, max?', 'group_by(type)?', 'unique_by(tojson)?',
  'sort_by(type, .)?', '[paths]', '[tostream]', 'fromstream(tostream)', '[leaf_paths?]', 'flatten?', 'to_entries?', 'length?',
  '[.. | scalars]', '[.. | strings] | sort', '[.. | numbers] | add', '[.[]? | . == $x]', '. == (tojson | fromjson)', 'contains(.)?',
  'inside(.)?', '[.[]?] | contains([.[0]?])?', '. < $x, . > $x', '[., $x] | sort', '[., $x] | unique | length', 'walk(if type == "array" then sort else . end)',
  '[.. | tostring?] | join(",")', '@json', '@text', '[.. | strings | @base64]', '[.. | strings | explode | implode]', '[.. | strings | ascii_downcase]',
  '[.. | strings | utf8bytelength]', '[.. | strings | length]', 'del(..|nulls?)', '[.. | select(type == "object") | keys_unsorted]', 'map_values(type)?',
  'with_entries(.key |= ascii_upcase)?', '[splits(",")?]', 'any, all', '[.[]? | numbers] | [min, max, add]', 'tojson | length', '[getpath(["a"], ["items", 0])?]',
  'to_entries? | from_entries', 'indices(1)?', '[.[]? | type] | unique', 'map(tostring)? | sort', '[.. | numbers | floor]', '[.. | numbers | tostring]',
  // Computed numbers print in jq's own format (17 significant digits, e-07 style exponents).
  '[.. | numbers | . * 1.1 | tostring]', '[.. | numbers | . / 7 | tojson]', '[.. | numbers | . * 1e-9, . * 1e25] | tostring',
  '[.. | numbers | pow(.; 3)] | tostring', '[.. | numbers | sqrt?] | tostring', '[.. | numbers | -. % 3]', '[.. | numbers | log?] | tostring',
] as const;

/** Path expressions usable on the left of an update (`|=`, `+=`, `del`, `path`). */
const UPDATE_PATHS = [
  '.a', '.a.b', '.[0]', '.[-1]', '.items[0].price', '.items[].price', '.items[]?.tags[0]', '(.a, .b)', '.[1:3]', '.items[1:]',
  '(.. | numbers)', '(.. | strings)', '(.[]? | select(type == "number"))', '.a?', '.items | first', '(.c // .a)', 'getpath(["a", "b"])',
  '.items[] | select(.price > 1) | .name', '.missing.deep[2]', '.["tags"]',
] as const;

/** Right-hand sides and arguments for updates and string programs. */
const UPDATE_VALUES = ['1', '. + 1', 'tostring', 'null', 'empty', '(1, 2)', '[.]', '{x: .}', 'length', '. * 2', '"s"', 'not', 'type', 'error("u")', '.[0]?'] as const;

const STRING_PROGRAMS = [
  'split(",")', 'split(", *"; null)', '[splits("[;,]")]', 'join(",")', 'ascii_downcase', 'ascii_upcase', 'ltrimstr("a")', 'rtrimstr("c")',
  'trimstr("x")', 'trim', 'ltrim', 'rtrim', 'explode', 'explode | implode', '@csv', '@tsv', '@sh', '@html', '@uri', '@base64', '@base64 | @base64d',
  '@json', '@text', 'test("a"; "i")', '[match("[a-z]+"; "g") | .string]', 'capture("(?<x>\\\\d+)")', '[scan("\\\\w")]', 'sub("a"; "<\\(.)>")',
  'gsub("(?<c>[aeiou])"; "\\(.c | ascii_upcase)")', 'indices(",")', 'index("b"), rindex("b")', 'startswith("a"), endswith("c")', 'utf8bytelength',
  'length', '.[1:]', '.[:-1]', '.[2:4]', 'tojson | fromjson', 'tonumber', '. * 2', '. / ","', '. + "!"', 'contains("b")', 'inside("abc,d")',
  '"<\\(.)>"', '@json "v=\\(.)"', '@sh "echo \\(.)"', 'ascii_downcase | test("é")', 'fromjson', 'todate', 'fromdate',
] as const;

/** Top-level shapes: a category per construct family, so the report says where disagreements cluster. */
const SHAPES: readonly { shape: string; make: (g: ProgramGen, r: XorShift32) => string }[] = [
  { shape: 'values', make: (_g, r) => r.pick(VALUE_PROGRAMS) },
  {
    shape: 'updates',
    make: (_g, r) => {
      const path = r.pick(UPDATE_PATHS);
      switch (r.int(6)) {
        case 0:
          return `${path} |= ${r.pick(UPDATE_VALUES)}`;
        case 1:
          return `${path} ${r.pick(['+=', '-=', '*=', '/=', '%=', '//='])} ${r.pick(['1', '"x"', '[1]', '{"k": 1}', 'null', '.a'])}`;
        case 2:
          return `${path} = ${r.pick(UPDATE_VALUES)}`;
        case 3:
          return `del(${path})`;
        case 4:
          return `[path(${path})]`;
        default:
          return `[paths] as $p | getpath($p[${r.int(4)}]? // []) | ${path} |= ${r.pick(UPDATE_VALUES)}`;
      }
    },
  },
  // Errors become a constant: error/no-error per element is compared, not the message (DEVIATIONS.md 14).
  { shape: 'strings', make: (_g, r) => `[.. | strings] | map(try (${r.pick(STRING_PROGRAMS)}) catch "E")` },
  { shape: 'strings', make: (_g, r) => `.name | ${r.pick(STRING_PROGRAMS)}` },
  { shape: 'path', make: (g, r) => (r.chance(0.5) ? g.expr(0) : `${g.expr(0)} | ${g.expr(0)}`) },
  { shape: 'small', make: (g) => g.expr(1) },
  { shape: 'medium', make: (g) => g.expr(2) },
  { shape: 'large', make: (g) => g.expr(3) },
];

/** `count` programs with their inputs, deterministically from `seed`. */
export function generatePairs(seed: number, count: number): GeneratedPair[] {
  const rng = new XorShift32(seed);
  const out: GeneratedPair[] = [];
  for (let i = 0; i < count; i++) {
    const { shape, make } = SHAPES[i % SHAPES.length];
    const program = make(new ProgramGen(rng), rng);
    const input = shape !== 'values' && rng.chance(0.6) ? stateLikeInput(rng) : randomJson(rng, 3);
    // `$x`, a second random value, is bound for the value programs (and harmless elsewhere).
    const x = randomJson(rng, 2);
    out.push({ shape, program: program.includes('$x') ? `${JSON.stringify(x)} as $x | ${program}` : program, input });
  }
  return out;
}
