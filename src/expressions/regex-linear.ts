/**
 * @module expressions/regex-linear
 * The linear-time side of jq's regexes: a pattern that could backtrack (expressions/regex) and
 * that RE2 can express searches with re2js, an automaton whose work grows linearly with the
 * subject, so it needs no time limit and does the same work on every run. {@link toLinear}
 * translates the jq (Oniguruma) source into RE2 syntax with the meaning the JS RegExp path gives
 * it, or refuses: backreferences, lookaround, `\b`, and the constructs where JS and RE2 capture or
 * match differently (a quantified group that can match empty, a capture inside a quantified group).
 */
import { createRequire } from 'node:module';
import type * as Re2js from 're2js';
import type { RegexMatch } from './fallback-runner.js';

type RE2JS = Re2js.RE2JS;
let lib: typeof Re2js | undefined;

/** re2js (its CommonJS build), required with the first risky pattern (issue 12: not at start-up). */
function re2js(): typeof Re2js.RE2JS {
  lib ??= createRequire(import.meta.url)('re2js') as typeof Re2js;
  return lib.RE2JS;
}

/** How `$` (end, or before a final newline) is spelled for a subject: see {@link linearFor}. */
type Dollar = 'end' | 'line';

/** A pattern translated for RE2; `compiled` per `$` spelling, made on first use. */
export interface Linear {
  readonly usesDollar: boolean;
  readonly translate: (dollar: Dollar) => string;
  readonly ignoreCase: boolean;
  readonly dotAll: boolean;
  readonly compiled: Map<Dollar, RE2JS | null>;
}

/** JS's `\s` (WhiteSpace and LineTerminator), which RE2's `\s` (ASCII) is not. */
const SPACE = '\\t\\n\\x0B\\f\\r \\x{A0}\\x{1680}\\x{2000}-\\x{200A}\\x{2028}\\x{2029}\\x{202F}\\x{205F}\\x{3000}\\x{FEFF}';
const WORD = '\\p{L}\\p{M}\\p{Nd}\\p{Pc}';
/** Escapes outside a class, spelled as expressions/regex translates them for JS. */
const OUTSIDE: Record<string, string> = {
  w: `[${WORD}]`,
  W: `[^${WORD}]`,
  d: '\\p{Nd}',
  D: '\\P{Nd}',
  h: '[0-9a-fA-F]',
  H: '[^0-9a-fA-F]',
  s: `[${SPACE}]`,
  S: `[^${SPACE}]`,
  A: '\\A',
  z: '\\z',
  n: '\\n',
  t: '\\t',
  r: '\\r',
  f: '\\f',
  v: '\\x0B',
};
const INSIDE: Record<string, string> = { w: WORD, d: '\\p{Nd}', D: '\\P{Nd}', h: '0-9a-fA-F', s: SPACE, n: '\\n', t: '\\t', r: '\\r', f: '\\f', v: '\\x0B' };
/** `.` without the s flag: JS excludes every line terminator, RE2 only `\n`. */
const DOT = '[^\\n\\r\\x{2028}\\x{2029}]';
const DOLLAR: Record<Dollar, string> = { end: '\\z', line: '(?m:$)' };

class NotLinear extends Error {}

interface Part {
  /** The RE2 source, with `\u0000` where `$` goes. */
  readonly src: string;
  readonly nullable: boolean;
  readonly captures: boolean;
}

/** A recursive-descent reading of the (JS-valid) source, producing RE2 source. */
class Reader {
  private i = 0;
  usesDollar = false;
  constructor(
    private readonly s: string,
    private readonly dotAll: boolean,
    private readonly ignoreCase: boolean,
  ) {}

  all(): Part {
    const p = this.alternation();
    if (this.i < this.s.length) throw new NotLinear();
    return p;
  }

  private alternation(): Part {
    const alts = [this.sequence()];
    while (this.s[this.i] === '|') {
      this.i++;
      alts.push(this.sequence());
    }
    return { src: alts.map((a) => a.src).join('|'), nullable: alts.some((a) => a.nullable), captures: alts.some((a) => a.captures) };
  }

  private sequence(): Part {
    let src = '';
    let nullable = true;
    let captures = false;
    while (this.i < this.s.length && this.s[this.i] !== '|' && this.s[this.i] !== ')') {
      const p = this.quantified();
      src += p.src;
      nullable &&= p.nullable;
      captures ||= p.captures;
    }
    return { src, nullable, captures };
  }

  private quantified(): Part {
    const atom = this.atom();
    const q = /^(?:[*+?]|\{\d+(?:,\d*)?\})\??/.exec(this.s.slice(this.i));
    if (!q) return atom;
    this.i += q[0].length;
    // JS rejects an iteration that matches empty and clears the captures inside each iteration;
    // RE2 does neither, so such patterns would answer differently.
    if (atom.group && (atom.nullable || atom.innerCaptures)) throw new NotLinear();
    const min = q[0][0] === '*' || q[0][0] === '?' ? 0 : q[0][0] === '+' ? 1 : Number(/\d+/.exec(q[0])![0]);
    return { src: atom.src + q[0], nullable: atom.nullable || min === 0, captures: atom.captures };
  }

  private atom(): Part & { group?: boolean; innerCaptures?: boolean } {
    const c = this.s[this.i++];
    switch (c) {
      case '(':
        return this.group();
      case '[':
        return { src: this.klass(), nullable: false, captures: false };
      case '.':
        return { src: this.dotAll ? '.' : DOT, nullable: false, captures: false };
      case '^':
        return { src: '^', nullable: true, captures: false };
      case '$':
        this.usesDollar = true;
        return { src: '\u0000', nullable: true, captures: false };
      case '\\':
        return this.escape();
      default:
        if (c === undefined || c === ')' || '*+?{}'.includes(c)) throw new NotLinear();
        // A character outside the BMP is one atom (two UTF-16 units), as under JS's u flag.
        if (c >= '\ud800' && c <= '\udbff' && this.i < this.s.length) return { src: c + this.s[this.i++], nullable: false, captures: false };
        return { src: c, nullable: false, captures: false };
    }
  }

  private group(): Part & { group: boolean; innerCaptures: boolean } {
    let open = '(';
    let captures = true;
    if (this.s[this.i] === '?') {
      const named = /^\?<([A-Za-z_][A-Za-z0-9_]*)>/.exec(this.s.slice(this.i));
      if (named) {
        open = `(?P<${named[1]}>`;
        this.i += named[0].length;
      } else if (this.s.startsWith('?:', this.i)) {
        open = '(?:';
        captures = false;
        this.i += 2;
      } else throw new NotLinear();
    }
    const body = this.alternation();
    if (this.s[this.i++] !== ')') throw new NotLinear();
    return { src: `${open}${body.src})`, nullable: body.nullable, captures: captures || body.captures, group: true, innerCaptures: body.captures };
  }

  private escape(): Part {
    const e = this.s[this.i++];
    if (e === undefined) throw new NotLinear();
    if (e === 'Z') {
      this.usesDollar = true;
      return { src: '\u0000', nullable: true, captures: false };
    }
    if (e === 'A' || e === 'z') return { src: OUTSIDE[e], nullable: true, captures: false };
    const mapped = OUTSIDE[e] ?? this.common(e);
    return { src: mapped, nullable: false, captures: false };
  }

  /** Escapes spelled the same way in and out of a class; anything else is not linear. */
  private common(e: string): string {
    if (/^[^A-Za-z0-9]$/.test(e) && e.charCodeAt(0) < 0x80) return `\\${e}`;
    if (e === '0' && !/^\d/.test(this.s.slice(this.i))) return '\\x00';
    if (e === 'x') {
      const h = /^[0-9a-fA-F]{2}/.exec(this.s.slice(this.i));
      if (h) {
        this.i += 2;
        return `\\x${h[0]}`;
      }
    }
    if (e === 'u') {
      const h = /^(?:\{([0-9a-fA-F]+)\}|([0-9a-fA-F]{4}))/.exec(this.s.slice(this.i));
      const cp = h ? parseInt(h[1] ?? h[2], 16) : NaN;
      if (h && !(cp >= 0xd800 && cp <= 0xdfff)) {
        this.i += h[0].length;
        return `\\x{${cp.toString(16)}}`;
      }
    }
    // Under i, JS folds the complement `\P{Lu}` (matching every letter), RE2 folds then negates.
    if (e === 'p' || (e === 'P' && !this.ignoreCase)) {
      const name = /^\{([A-Z][a-z]?|Any)\}/.exec(this.s.slice(this.i));
      if (name) {
        this.i += name[0].length;
        return `\\${e}{${name[1]}}`;
      }
    }
    throw new NotLinear();
  }

  /** A class, after its `[`; JS's translation makes a leading `]` literal. */
  private klass(): string {
    let out = '[';
    if (this.s[this.i] === '^') out += this.s[this.i++];
    if (this.s[this.i] === ']') {
      out += '\\]';
      this.i++;
    }
    while (this.i < this.s.length && this.s[this.i] !== ']') {
      const c = this.s[this.i++];
      if (c === '[' || (c === '&' && this.s[this.i] === '&')) throw new NotLinear();
      if (c !== '\\') out += c;
      else {
        const e = this.s[this.i++];
        if (e === undefined) throw new NotLinear();
        out += INSIDE[e] ?? (e === '-' ? '\\-' : this.common(e));
      }
    }
    if (this.s[this.i++] !== ']') throw new NotLinear();
    return `${out}]`;
  }
}

/**
 * The RE2 form of a jq regex source (after the x flag and a leading `(?i)` are applied), with
 * flags i and s; undefined when RE2 cannot give it the meaning the JS RegExp path does.
 */
export function toLinear(source: string, ignoreCase: boolean, dotAll: boolean): Linear | undefined {
  const reader = new Reader(source, dotAll, ignoreCase);
  let part: Part;
  try {
    part = reader.all();
  } catch (err) {
    if (err instanceof NotLinear) return undefined;
    throw err;
  }
  const src = part.src;
  const linear: Linear = { usesDollar: reader.usesDollar, translate: (d) => src.replaceAll('\u0000', DOLLAR[d]), ignoreCase, dotAll, compiled: new Map() };
  return linearFor(linear, '') ? linear : undefined;
}

/**
 * The compiled RE2 pattern for `subject`, or undefined when this subject needs the JS meaning of
 * `$` that RE2 lacks. `$` matches at the end and before a final newline: with no final newline
 * that is `\z`; with exactly one newline, at the end, it is RE2's multi-line `$`; otherwise the
 * search is not linear.
 */
export function linearFor(linear: Linear, subject: string): RE2JS | undefined {
  let dollar: Dollar = 'end';
  if (linear.usesDollar && subject.endsWith('\n')) {
    if (subject.indexOf('\n') !== subject.length - 1) return undefined;
    dollar = 'line';
  }
  let re = linear.compiled.get(dollar);
  if (re === undefined) {
    try {
      const RE2 = re2js();
      re = RE2.compile(linear.translate(dollar), (linear.ignoreCase ? RE2.CASE_INSENSITIVE : 0) | (linear.dotAll ? RE2.DOTALL : 0));
    } catch {
      // RE2's own limits (a repeat count over 1,000, an unknown property name): not linear.
      re = null;
    }
    linear.compiled.set(dollar, re);
  }
  return re ?? undefined;
}

/**
 * Every match of `re` in `str` (only the first unless `all`), the way the JS path steps: after an
 * empty match the next search starts one code point on, after any other at its end. `onMatch`
 * sees each match as it is found (it enforces the collection limit).
 */
export function searchLinear(re: RE2JS, str: string, all: boolean, onMatch: (count: number) => void): RegexMatch[] {
  const out: RegexMatch[] = [];
  const m = re.matcher(str);
  const groups = m.groupCount();
  let from = 0;
  while (from <= str.length && m.find(from)) {
    const index = m.start(0);
    const end = m.end(0);
    const texts: (string | undefined)[] = [];
    const starts: number[] = [];
    for (let g = 0; g <= groups; g++) {
      const at = m.start(g);
      texts.push(at < 0 ? undefined : str.slice(at, m.end(g)));
      starts.push(at);
    }
    out.push({ index, groups: texts, starts });
    onMatch(out.length);
    if (!all || index >= str.length) break;
    from = end > index ? end : index + (str.codePointAt(index)! > 0xffff ? 2 : 1);
  }
  return out;
}
