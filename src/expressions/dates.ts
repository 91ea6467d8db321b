/**
 * @module expressions/dates
 * jq's date builtins in UTC: `gmtime`, `mktime`, `strftime`, `strptime`, `todate`/`fromdate` (in the
 * prelude) and `localtime` (UTC: workflows must not depend on the host's time zone). `strftime` and
 * `strptime` compile natively when the format is a literal made of the common conversions below;
 * any other format (including those jq-wasm's libc rejects, such as %k, %l, %Z) runs on the fallback.
 */
import type { Node } from './ast.js';
import { fromOne } from './code.js';
import { define, define0, onLoad, type BuiltinContext } from './builtins.js';
import { Unsupported, fail } from './runtime.js';
import type { Value } from './values.js';

const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

const FORMAT_OK = new Set('YmdHMSjaAbBeTDFRyIpsuw%zCntcxXr'.split(''));
const PARSE_OK = new Set('YmdeHMSTFzZaAbB%'.split(''));

function utcDate(y: number, m: number, d: number, hh: number, mm: number, ss: number): Date {
  const date = new Date(Date.UTC(2000, 0, 1, 0, 0, 0));
  date.setUTCFullYear(y, m, d);
  date.setUTCHours(hh, mm, ss, 0);
  return date;
}

function dayOfYear(date: Date): number {
  const start = utcDate(date.getUTCFullYear(), 0, 1, 0, 0, 0);
  return Math.floor((date.getTime() - start.getTime()) / 86400000);
}

/** Seconds since the epoch → jq's broken-down time [Y, M(0-11), D, h, m, s(+fraction), wday, yday]. */
export function gmtime(x: Value): Value {
  if (typeof x !== 'number') return fail('gmtime() requires numeric inputs');
  // jq converts to time_t, truncating toward zero.
  const whole = Math.trunc(x);
  const date = new Date(whole * 1000);
  // Beyond JS dates' ±8.64e15 ms jq prints a garbage date; Swirl says so (DEVIATIONS.md 17).
  if (Number.isNaN(date.getTime())) return fail(`gmtime(): time ${x} is out of range`);
  return [
    date.getUTCFullYear(),
    date.getUTCMonth(),
    date.getUTCDate(),
    date.getUTCHours(),
    date.getUTCMinutes(),
    date.getUTCSeconds() + (x - Math.floor(x)),
    date.getUTCDay(),
    dayOfYear(date),
  ];
}

function brokenDown(x: Value, what: string): number[] {
  if (!Array.isArray(x)) return fail(`${what} requires parsed datetime inputs`);
  for (const v of x) if (typeof v !== 'number') return fail(`${what} requires parsed datetime inputs`);
  return x as number[];
}

/** Broken-down time → seconds since the epoch (UTC; fields out of range roll over). */
export function mktime(x: Value): Value {
  if (!Array.isArray(x)) return fail('mktime requires array inputs');
  const t = brokenDown(x, 'mktime');
  const date = utcDate(t[0] ?? 1900, t[1] ?? 0, t[2] ?? 0, t[3] ?? 0, t[4] ?? 0, Math.floor(t[5] ?? 0));
  return Math.floor(date.getTime() / 1000);
}

const pad = (n: number, width: number, fill = '0'): string => String(n).padStart(width, fill);

/** `strftime(fmt)` in UTC for the conversions in FORMAT_OK. */
export function strftime(x: Value, fmt: Value): Value {
  if (typeof fmt !== 'string') return fail('strftime/1 requires a string format');
  const input = typeof x === 'number' ? gmtime(x) : x;
  const t = brokenDown(input, 'strftime/1');
  const date = utcDate(t[0] ?? 1900, t[1] ?? 0, t[2] ?? 0, t[3] ?? 0, t[4] ?? 0, Math.floor(t[5] ?? 0));
  const Y = date.getUTCFullYear();
  const mo = date.getUTCMonth();
  const d = date.getUTCDate();
  const H = date.getUTCHours();
  const M = date.getUTCMinutes();
  const S = date.getUTCSeconds();
  const w = date.getUTCDay();
  let out = '';
  for (let i = 0; i < fmt.length; i++) {
    const c = fmt[i];
    if (c !== '%') {
      out += c;
      continue;
    }
    const f = fmt[++i];
    switch (f) {
      case 'Y': out += String(Y); break;
      case 'm': out += pad(mo + 1, 2); break;
      case 'd': out += pad(d, 2); break;
      case 'e': out += pad(d, 2, ' '); break;
      case 'H': out += pad(H, 2); break;
      case 'I': out += pad(H % 12 === 0 ? 12 : H % 12, 2); break;
      case 'p': out += H < 12 ? 'AM' : 'PM'; break;
      case 'M': out += pad(M, 2); break;
      case 'S': out += pad(S, 2); break;
      case 'j': out += pad(dayOfYear(date) + 1, 3); break;
      case 'a': out += DAYS[w].slice(0, 3); break;
      case 'A': out += DAYS[w]; break;
      case 'b': out += MONTHS[mo].slice(0, 3); break;
      case 'B': out += MONTHS[mo]; break;
      case 'y': out += pad(Y % 100, 2); break;
      case 'T': out += `${pad(H, 2)}:${pad(M, 2)}:${pad(S, 2)}`; break;
      case 'R': out += `${pad(H, 2)}:${pad(M, 2)}`; break;
      case 'D': out += `${pad(mo + 1, 2)}/${pad(d, 2)}/${pad(Y % 100, 2)}`; break;
      case 'F': out += `${Y}-${pad(mo + 1, 2)}-${pad(d, 2)}`; break;
      case 's': out += String(Math.floor(date.getTime() / 1000)); break;
      case 'u': out += String(w === 0 ? 7 : w); break;
      case 'w': out += String(w); break;
      case 'z': out += '+0000'; break;
      case 'C': out += pad(Math.floor(Y / 100), 2); break;
      case 'n': out += '\n'; break;
      case 't': out += '\t'; break;
      case 'c': out += `${DAYS[w].slice(0, 3)} ${MONTHS[mo].slice(0, 3)} ${pad(d, 2, ' ')} ${pad(H, 2)}:${pad(M, 2)}:${pad(S, 2)} ${Y}`; break;
      case 'x': out += `${pad(mo + 1, 2)}/${pad(d, 2)}/${pad(Y % 100, 2)}`; break;
      case 'X': out += `${pad(H, 2)}:${pad(M, 2)}:${pad(S, 2)}`; break;
      case 'r': out += `${pad(H % 12 === 0 ? 12 : H % 12, 2)}:${pad(M, 2)}:${pad(S, 2)} ${H < 12 ? 'AM' : 'PM'}`; break;
      case '%': out += '%'; break;
      default: return fail(`strftime/1: unknown conversion %${f ?? ''}`);
    }
  }
  return out;
}

/** `strptime(fmt)` for the conversions in PARSE_OK; the result is a broken-down time in UTC. */
export function strptime(x: Value, fmt: Value): Value {
  if (typeof x !== 'string' || typeof fmt !== 'string') return fail('strptime/1 requires string inputs and arguments');
  const s = x;
  const mismatch = (): never => fail(`date ${JSON.stringify(s)} does not match format ${JSON.stringify(fmt)}`);
  let Y = 1970;
  let mo = 0;
  let d = 1;
  let H = 0;
  let M = 0;
  let S = 0;
  let i = 0;
  const num = (maxDigits: number, signed = false, min = -Infinity, max = Infinity): number => {
    let j = i;
    if (signed && (s[j] === '+' || s[j] === '-')) j++;
    const start = j;
    while (j < s.length && j - start < maxDigits && s[j] >= '0' && s[j] <= '9') j++;
    if (j === start) mismatch();
    const n = Number(s.slice(i, j));
    if (n < min || n > max) mismatch();
    i = j;
    return n;
  };
  const word = (names: string[]): number => {
    for (let k = 0; k < names.length; k++) {
      for (const cand of [names[k], names[k].slice(0, 3)]) {
        if (s.slice(i, i + cand.length).toLowerCase() === cand.toLowerCase()) {
          i += cand.length;
          return k;
        }
      }
    }
    return mismatch();
  };
  for (let k = 0; k < fmt.length; k++) {
    const c = fmt[k];
    if (c === ' ') {
      while (i < s.length && /\s/.test(s[i])) i++;
      continue;
    }
    if (c !== '%') {
      if (s[i] !== c) mismatch();
      i++;
      continue;
    }
    const f = fmt[++k];
    switch (f) {
      case 'Y': Y = num(4, true, 1000); break;
      case 'm': mo = num(2, false, 1, 12) - 1; break;
      case 'd': d = num(2, false, 1, 31); break;
      case 'e':
        while (s[i] === ' ') i++;
        d = num(2);
        break;
      case 'H': H = num(2, false, 0, 23); break;
      case 'M': M = num(2, false, 0, 59); break;
      case 'S': S = num(2, false, 0, 60); break;
      case 'T': H = num(2, false, 0, 23); if (s[i++] !== ':') mismatch(); M = num(2, false, 0, 59); if (s[i++] !== ':') mismatch(); S = num(2, false, 0, 60); break;
      case 'F': Y = num(4, true); if (s[i++] !== '-') mismatch(); mo = num(2, false, 1, 12) - 1; if (s[i++] !== '-') mismatch(); d = num(2, false, 1, 31); break;
      case 'z':
        if (s[i] === 'Z') i++;
        else num(4, true);
        break;
      case 'Z': while (i < s.length && /[A-Za-z]/.test(s[i])) i++; break;
      case 'a':
      case 'A':
        word(DAYS);
        break;
      case 'b':
      case 'B':
        mo = word(MONTHS);
        break;
      case '%': if (s[i++] !== '%') mismatch(); break;
      default: return fail(`strptime/1: unknown conversion %${f ?? ''}`);
    }
  }
  if (i !== s.length) mismatch();
  // Like jq (timegm), an impossible day such as Feb 29 of a common year rolls over.
  const date = utcDate(Y, mo, d, H, M, S);
  return [date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate(), H, M, S, date.getUTCDay(), dayOfYear(date)];
}

/** The literal format of a date builtin call, or Unsupported (→ fallback) when it is not one we handle. */
function literalFormat(ctx: BuiltinContext, ok: Set<string>, name: string): string {
  const node: Node = ctx.args[0];
  if (node.kind !== 'Literal' || typeof node.value !== 'string') throw new Unsupported(`${name} with a computed format`);
  const fmt = node.value;
  for (let i = 0; i < fmt.length; i++) {
    if (fmt[i] === '%' && !ok.has(fmt[++i] ?? '')) throw new Unsupported(`${name} conversion %${fmt[i] ?? ''}`);
  }
  return fmt;
}

onLoad(() => {
  define0('gmtime', gmtime);
  define0('localtime', gmtime);
  define0('mktime', mktime);
  define('strftime', 1, (ctx) => {
    const fmt = literalFormat(ctx, FORMAT_OK, 'strftime');
    return fromOne((x) => strftime(x, fmt));
  });
  define('strptime', 1, (ctx) => {
    const fmt = literalFormat(ctx, PARSE_OK, 'strptime');
    return fromOne((x) => strptime(x, fmt));
  });
});
