/**
 * @module expressions/regex
 * jq's Oniguruma regex builtins on JS RegExp: `test`, `match`, `capture`, `scan`, `split/2`,
 * `splits`, `sub`, `gsub`. Flags: g (all matches), i, x (extended: whitespace and # comments
 * ignored), s (dot matches newline), n (drop empty matches), p (= s), l (accepted, no effect).
 * Offsets and lengths are in code points, as in jq.
 */
import { LimitExceeded, checkLength, expressionLimits } from './budget.js';
import { fromOne, type Code } from './code.js';
import { regexBounded, startFallbackWorker, type RegexMatch } from './fallback-runner.js';
import { linearFor, searchLinear, toLinear, type Linear } from './regex-linear.js';
import { define, defineN, onLoad } from './builtins.js';
import { Unsupported, fail } from './runtime.js';
import { codePointLength, describe, setKey, typeOf, type Value } from './values.js';

interface Compiled {
  readonly re: RegExp;
  readonly global: boolean;
  readonly dropEmpty: boolean;
  readonly risk: BacktrackRisk;
  /** The RE2 form, for a risky pattern RE2 can express (expressions/regex-linear). */
  readonly linear: Linear | undefined;
}

/** What decides whether a search may run on the main thread (see {@link searchesHere}). */
interface BacktrackRisk {
  /** Unbounded quantifiers (`*`, `+`, `{n,}`) outside classes. */
  readonly quantifiers: number;
  /** A group followed by a quantifier (`(a+)+`, `(a|b)*`): backtracking can be exponential. */
  readonly quantifiedGroup: boolean;
}

/** Scans a JS regex source for quantifiers (escapes and classes skipped). */
function backtrackRisk(src: string): BacktrackRisk {
  let quantifiers = 0;
  let quantifiedGroup = false;
  let afterGroup = false;
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    const groupBefore = afterGroup;
    afterGroup = false;
    if (c === '\\') {
      i++;
    } else if (c === '[') {
      while (i < src.length && src[i] !== ']') {
        if (src[i] === '\\') i++;
        i++;
      }
    } else if (c === ')') {
      afterGroup = true;
    } else if (c === '*' || c === '+' || (c === '{' && /^\{\d+,\}/.test(src.slice(i)))) {
      quantifiers++;
      if (groupBefore) quantifiedGroup = true;
    } else if (c === '{' && groupBefore && /^\{\d+(,\d+)?\}/.test(src.slice(i))) {
      // `(…){n,m}` repeats a group: as risky as `(…)*` for the backtracking it allows.
      quantifiedGroup = true;
    }
  }
  return { quantifiers, quantifiedGroup };
}

/**
 * True when a search cannot backtrack beyond about a million steps, so it runs on the main thread:
 * no quantified group, and few enough quantifiers for the subject's length (k quantifiers cost up
 * to n^(k+1)). Anything else runs in the worker, bounded by the `regexTimeMs` limit.
 */
function searchesHere(risk: BacktrackRisk, length: number): boolean {
  if (risk.quantifiedGroup) return false;
  if (risk.quantifiers === 0) return true;
  if (risk.quantifiers === 1) return length <= 1024;
  if (risk.quantifiers === 2) return length <= 100;
  return length <= 20;
}

let linearOn = true;

/**
 * @internal Turns the RE2 path off (risky patterns then all search in the worker, as before it):
 * the differential test compares the two paths on the same patterns.
 */
export function useLinearRegexes(on: boolean): void {
  linearOn = on;
}

/**
 * Every match of `regexp` in `str` (only the first unless `all`): with JS RegExp when it cannot
 * backtrack far, else in linear time with RE2 when RE2 can express it, else bounded in the worker.
 */
function search(compiled: Compiled, str: string, all: boolean): RegexMatch[] {
  const limits = expressionLimits();
  const here = searchesHere(compiled.risk, str.length);
  const linear = !here && linearOn && compiled.linear ? linearFor(compiled.linear, str) : undefined;
  if (linear) return searchLinear(linear, str, all, checkLength);
  if (here) {
    const regexp = compiled.re;
    const out: RegexMatch[] = [];
    regexp.lastIndex = 0;
    while (true) {
      const m = regexp.exec(str);
      if (!m) break;
      if (m[0] === '') regexp.lastIndex = m.index + (str.codePointAt(m.index)! > 0xffff ? 2 : 1);
      out.push({ index: m.index, groups: Array.from(m), starts: m.indices!.map((at) => (at ? at[0] : -1)) });
      checkLength(out.length);
      if (!all || m.index >= str.length) break;
    }
    return out;
  }
  const found = regexBounded(compiled.re.source, compiled.re.flags, str, all, limits.collectionLength, limits.regexTimeMs);
  if (found === 'timeout') throw new LimitExceeded('regexTimeMs', limits.regexTimeMs);
  if ('trap' in found) return fail(`regex search failed: ${found.trap}`);
  checkLength(found.length);
  return found;
}

const cache = new Map<string, Compiled>();

function stripExtended(src: string): string {
  let out = '';
  let inClass = false;
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (c === '\\') {
      out += c + (src[i + 1] ?? '');
      i++;
    } else if (inClass) {
      if (c === ']') inClass = false;
      out += c;
    } else if (c === '[') {
      inClass = true;
      out += c;
    } else if (c === '#') {
      while (i < src.length && src[i] !== '\n') i++;
    } else if (!/\s/.test(c)) out += c;
  }
  return out;
}

/** Compiles a jq regex with flags (null = none). */
export function compileRegex(re: Value, flags: Value): Compiled {
  if (typeof re !== 'string') fail(`${describe(re)} is not a string`);
  if (flags !== null && typeof flags !== 'string') fail(`${describe(flags)} is not a string`);
  const key = `${flags ?? ''}/${re as string}`;
  const hit = cache.get(key);
  if (hit) return hit;
  let js = 'u';
  let global = false;
  let dropEmpty = false;
  let source = re as string;
  for (const f of (flags as string | null) ?? '') {
    switch (f) {
      case 'g':
        global = true;
        break;
      case 'i':
        js += 'i';
        break;
      case 'x':
        source = stripExtended(source);
        break;
      case 's':
      case 'p':
        if (!js.includes('s')) js += 's';
        break;
      case 'n':
        dropEmpty = true;
        break;
      case 'l':
        break;
      default:
        fail(`${flags as string} is not a valid modifier string`);
    }
  }
  if (source.startsWith('(?i)')) {
    source = source.slice(4);
    if (!js.includes('i')) js += 'i';
  }
  const onig = source;
  source = translate(source);
  let regexp: RegExp;
  try {
    regexp = new RegExp(source, `${js}gd`);
  } catch (e) {
    return fail(`${re as string} (at offset 0) is not a valid regex: ${(e as Error).message}`);
  }
  const risk = backtrackRisk(source);
  const risky = risk.quantifiedGroup || risk.quantifiers > 0;
  const linear = risky ? toLinear(onig, js.includes('i'), js.includes('s')) : undefined;
  const compiled = { re: regexp, global, dropEmpty, risk, linear };
  // A regex that may search in the worker (searchesHere) starts it now, ahead of its first search.
  if (risky && (!linear || linear.usesDollar)) startFallbackWorker();
  if (cache.size > 1000) cache.clear();
  cache.set(key, compiled);
  return compiled;
}

const WORD = '\\p{L}\\p{M}\\p{Nd}\\p{Pc}';
const ESCAPES_OUTSIDE: Record<string, string> = {
  w: `[${WORD}]`,
  W: `[^${WORD}]`,
  d: '\\p{Nd}',
  D: '\\P{Nd}',
  h: '[0-9a-fA-F]',
  H: '[^0-9a-fA-F]',
  b: `(?:(?<=[${WORD}])(?![${WORD}])|(?<![${WORD}])(?=[${WORD}]))`,
  B: `(?:(?<=[${WORD}])(?=[${WORD}])|(?<![${WORD}])(?![${WORD}]))`,
  A: '^',
  z: '$',
  Z: '(?=\\n?$)',
};
const ESCAPES_INSIDE: Record<string, string> = { w: WORD, d: '\\p{Nd}', D: '\\P{Nd}', h: '0-9a-fA-F' };

/**
 * Rewrites Oniguruma (Perl_NT syntax, Unicode) constructs that JS spells differently: Unicode
 * `\w \d \b`, `\A \z \Z \h`, and `$`, which also matches before a final newline.
 */
function translate(src: string): string {
  let out = '';
  let inClass = false;
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (c === '\\' && i + 1 < src.length) {
      const e = src[i + 1];
      const rep = inClass ? ESCAPES_INSIDE[e] : ESCAPES_OUTSIDE[e];
      out += rep ?? c + e;
      i++;
    } else if (inClass) {
      if (c === ']') inClass = false;
      out += c;
    } else if (c === '[') {
      inClass = true;
      out += c;
      if (src[i + 1] === '^') out += src[++i];
      if (src[i + 1] === ']') out += `\\${src[++i]}`;
    } else if (c === '$') {
      out += '(?=\\n?$)';
    } else out += c;
  }
  return out;
}

interface MatchObject {
  offset: number;
  length: number;
  string: string;
  captures: { offset: number; length: number; string: string | null; name: string | null }[];
}

/** Every match of `re` in `s` (only the first without the g flag), as jq match objects. */
export function matches(s: Value, re: Value, flags: Value, forceGlobal = false): MatchObject[] {
  if (typeof s !== 'string') fail(`${describe(s)} cannot be matched, as it is not a string`);
  const str = s as string;
  const compiled = compileRegex(re, flags);
  const { re: regexp, global, dropEmpty } = compiled;
  const names = groupNames(regexp);
  const out: MatchObject[] = [];
  // Code point offsets, counted on from the previous match (matches come in order) rather than
  // from the start of the subject each time, which made a global match quadratic.
  let at = 0;
  let atCp = 0;
  const cp = (i: number): number => {
    if (i >= at) atCp += codePointLength(str.slice(at, i));
    else atCp -= codePointLength(str.slice(i, at));
    at = i;
    return atCp;
  };
  for (const m of search(compiled, str, global || forceGlobal)) {
    const whole = m.groups[0]!;
    if (dropEmpty && whole === '') continue;
    const captures: MatchObject['captures'] = [];
    const indices = m.starts;
    const offset = cp(m.index);
    // A group starts inside its match (or before it, behind a lookbehind): count from the match.
    const cpAt = (i: number): number =>
      i >= m.index ? offset + codePointLength(str.slice(m.index, i)) : offset - codePointLength(str.slice(i, m.index));
    for (let g = 1; g < m.groups.length; g++) {
      const text = m.groups[g];
      captures.push(
        text === undefined
          ? { offset: -1, length: 0, string: null, name: names[g] ?? null }
          : { offset: cpAt(indices[g]), length: codePointLength(text), string: text, name: names[g] ?? null },
      );
    }
    out.push({ offset, length: codePointLength(whole), string: whole, captures });
  }
  return out;
}

const namesCache = new WeakMap<RegExp, (string | undefined)[]>();

function groupNames(re: RegExp): (string | undefined)[] {
  const hit = namesCache.get(re);
  if (hit) return hit;
  const names: (string | undefined)[] = [undefined];
  const src = re.source;
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (c === '[') {
      while (i < src.length && src[i] !== ']') {
        if (src[i] === '\\') i++;
        i++;
      }
      continue;
    }
    if (c !== '(') continue;
    if (src[i + 1] !== '?') names.push(undefined);
    else {
      const m = /^\(\?<([A-Za-z_][A-Za-z0-9_]*)>/.exec(src.slice(i));
      if (m) names.push(m[1]);
    }
  }
  namesCache.set(re, names);
  return names;
}

/** The one-argument forms (`test`, `match`, `capture`) also take `[regex, flags]`. */
function regexArg(re: Value): [Value, Value] {
  if (typeof re === 'string') return [re, null];
  if (!Array.isArray(re)) return fail(`${typeOf(re)} not a string or array`);
  if (re.length > 1) return [re[0], re[1]];
  if (re.length === 1) return [re[0], null];
  return fail('array not a string or array');
}

function captureObject(m: MatchObject): Record<string, Value> {
  const out: Record<string, Value> = {};
  for (const c of m.captures) if (c.name !== null) setKey(out, c.name, c.string);
  return out;
}

function splitByRegex(s: Value, re: Value, flags: Value): string[] {
  const str = s as string;
  const ms = matches(s, re, flags, true);
  const cps = Array.from(str);
  const out: string[] = [];
  let prev = 0;
  for (const m of ms) {
    out.push(cps.slice(prev, m.offset).join(''));
    prev = m.offset + m.length;
  }
  out.push(cps.slice(prev).join(''));
  return out;
}

function defineSub(name: string, arity: number, global: boolean): void {
  define(name, arity, (ctx) => {
    const re = ctx.compileArg(0);
    const repl = ctx.compileArg(1);
    const flags: Code = arity === 3 ? ctx.compileArg(2) : fromOne(() => null);
    if (!re.one || !repl.one || !flags.one) throw new Unsupported(`${name} with several regexes or replacements`);
    const reOne = re.one;
    const replOne = repl.one;
    const flagsOne = flags.one;
    return fromOne((x, env) => {
      const f = flagsOne(x, env);
      const fl = global ? `${typeof f === 'string' ? f : ''}g` : f;
      if (typeof x !== 'string') fail(`${describe(x)} cannot be matched, as it is not a string`);
      const ms = matches(x, reOne(x, env), fl);
      const cps = Array.from(x as string);
      let out = '';
      let prev = 0;
      for (const m of ms) {
        out += cps.slice(prev, m.offset).join('');
        const r = replOne(captureObject(m), env);
        if (typeof r !== 'string') fail(`${describe(out)} and ${describe(r)} cannot be added`);
        out += r as string;
        prev = m.offset + m.length;
      }
      return out + cps.slice(prev).join('');
    });
  });
}

onLoad(() => {
  defineN('test', 1, (x, re) => matches(x, ...regexArg(re)).length > 0);
  defineN('test', 2, (x, re, flags) => matches(x, re, flags).length > 0);
  /**
   * Defines `name/arity` as a generator over every output of its arguments: arity 1 takes `re`
   * (or, with `pairArg`, jq's `[re, flags]` form), arity 2 takes `re; flags`.
   */
  const regexGenerator = (name: string, arity: number, pairArg: boolean, each: (x: Value, re: Value, flags: Value, emit: (v: Value) => void) => void): void =>
    define(name, arity, (ctx) => {
      const re = ctx.compileArg(0);
      const flags: Code = arity === 2 ? ctx.compileArg(1) : fromOne(() => null);
      return {
        run: (x, env, emit) =>
          flags.run(x, env, (f) =>
            re.run(x, env, (r) => {
              const [pattern, fl] = arity === 1 && pairArg ? regexArg(r) : [r, f];
              each(x, pattern, fl, emit);
            }),
          ),
      };
    });
  for (const arity of [1, 2]) {
    regexGenerator('match', arity, true, (x, re, flags, emit) => {
      for (const m of matches(x, re, flags)) emit(m);
    });
    regexGenerator('capture', arity, true, (x, re, flags, emit) => {
      for (const m of matches(x, re, flags)) emit(captureObject(m));
    });
    regexGenerator('scan', arity, false, (x, re, flags, emit) => {
      for (const m of matches(x, re, flags, true)) emit(m.captures.length ? m.captures.map((c) => c.string) : m.string);
    });
    regexGenerator('splits', arity, false, (x, re, flags, emit) => {
      for (const part of splitByRegex(x, re, flags)) emit(part);
    });
  }
  defineN('split', 2, (x, re, flags) => splitByRegex(x, re, flags));
  defineSub('sub', 2, false);
  defineSub('sub', 3, false);
  defineSub('gsub', 2, true);
  defineSub('gsub', 3, true);
});
