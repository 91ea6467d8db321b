/**
 * @module expressions/values
 * jq 1.8 value semantics over plain JS values (null, boolean, number, string, array, object):
 * type names, the total ordering (null < false < true < numbers < strings < arrays < objects),
 * equality, truthiness, number formatting (`tojson`, `tostring`) and the short value dumps jq puts
 * in error messages. Values are never mutated: jq values are immutable.
 */

/** A jq value as a plain JS value. Objects are plain objects (own enumerable keys only). */
export type Value = unknown;
/** A plain JS object used as a jq object. */
export type JqObject = Record<string, unknown>;

/** jq's `type` of a value. `undefined` (from JS callers) counts as null. */
export function typeOf(v: Value): 'null' | 'boolean' | 'number' | 'string' | 'array' | 'object' {
  if (v === null || v === undefined) return 'null';
  switch (typeof v) {
    case 'boolean':
      return 'boolean';
    case 'number':
      return 'number';
    case 'string':
      return 'string';
    default:
      return Array.isArray(v) ? 'array' : 'object';
  }
}

/** jq truthiness: everything except `false` and `null` is true. */
export function isTruthy(v: Value): boolean {
  return v !== false && v !== null && v !== undefined;
}

/** True for a jq object (a non-null, non-array JS object). */
export function isObject(v: Value): v is JqObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function typeRank(v: Value): number {
  if (v === null || v === undefined) return 0;
  switch (typeof v) {
    case 'boolean':
      return v ? 2 : 1;
    case 'number':
      return 3;
    case 'string':
      return 4;
    default:
      return Array.isArray(v) ? 5 : 6;
  }
}

/** Compares numbers the jq 1.8 way: NaN sorts below every number, itself included. */
function compareNumbers(a: number, b: number): number {
  if (a !== a) return -1;
  if (b !== b) return 1;
  return a < b ? -1 : a === b ? 0 : 1;
}

/** Compares strings by Unicode code point (jq compares UTF-8 bytes, which orders the same way). */
export function compareStrings(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) {
      // A surrogate (astral code point) sorts above every BMP code unit at or above 0xE000.
      const xs = x >= 0xd800 && x <= 0xdfff;
      const ys = y >= 0xd800 && y <= 0xdfff;
      // An astral code point (surrogate pair) sorts above every BMP code point.
      if (xs !== ys) return xs ? 1 : -1;
      return x < y ? -1 : 1;
    }
  }
  return a.length < b.length ? -1 : a.length === b.length ? 0 : 1;
}

/** Sorted own keys of an object, in jq order (by code point). */
export function sortedKeys(o: JqObject): string[] {
  return Object.keys(o).sort(compareStrings);
}

/** jq's total order of values: -1, 0 or 1. */
export function compare(a: Value, b: Value): number {
  const ra = typeRank(a);
  const rb = typeRank(b);
  if (ra !== rb) return ra < rb ? -1 : 1;
  switch (ra) {
    case 3:
      return compareNumbers(a as number, b as number);
    case 4:
      return compareStrings(a as string, b as string);
    case 5: {
      const x = a as Value[];
      const y = b as Value[];
      const n = Math.min(x.length, y.length);
      for (let i = 0; i < n; i++) {
        const c = compare(x[i], y[i]);
        if (c !== 0) return c;
      }
      return x.length < y.length ? -1 : x.length === y.length ? 0 : 1;
    }
    case 6: {
      const ka = sortedKeys(a as JqObject);
      const kb = sortedKeys(b as JqObject);
      const c = compare(ka, kb);
      if (c !== 0) return c;
      for (const k of ka) {
        const d = compare((a as JqObject)[k], (b as JqObject)[k]);
        if (d !== 0) return d;
      }
      return 0;
    }
    default:
      return 0;
  }
}

/** jq `==`. NaN is not equal to itself. */
export function equals(a: Value, b: Value): boolean {
  if (a === b) return typeof a !== 'number' || a === a;
  if (typeof a !== typeof b || typeof a !== 'object') {
    return (a === undefined && b === null) || (a === null && b === undefined);
  }
  return compare(a, b) === 0 && !hasNaN(a);
}

function hasNaN(v: Value): boolean {
  if (typeof v === 'number') return v !== v;
  if (Array.isArray(v)) return v.some(hasNaN);
  if (isObject(v)) return Object.values(v).some(hasNaN);
  return false;
}

/**
 * Formats a number like jq 1.8 prints a computed double: the shortest round-trip digits, in fixed
 * notation unless the exponent is below -4 or beyond the digits + 15 (then `1e+17`, `1e-05`);
 * infinities print as ±DBL_MAX, NaN as `null`.
 */
export function formatNumber(n: number): string {
  if (n !== n) return 'null';
  if (n === Infinity) return '1.7976931348623157e+308';
  if (n === -Infinity) return '-1.7976931348623157e+308';
  if (n === 0) return Object.is(n, -0) ? '-0' : '0';
  if (Number.isInteger(n) && Math.abs(n) < 1e16) return String(n);
  const exp = n.toExponential();
  const neg = exp.charCodeAt(0) === 45;
  const ePos = exp.indexOf('e');
  const mantissa = exp.slice(neg ? 1 : 0, ePos);
  const digits = mantissa.replace('.', '');
  const e = Number(exp.slice(ePos + 1));
  const decpt = e + 1;
  let out: string;
  if (decpt <= -4 || decpt > digits.length + 15) {
    const ee = Math.abs(e);
    out = `${digits[0]}${digits.length > 1 ? `.${digits.slice(1)}` : ''}e${e < 0 ? '-' : '+'}${ee < 10 ? `0${ee}` : ee}`;
  } else if (decpt <= 0) {
    out = `0.${'0'.repeat(-decpt)}${digits}`;
  } else if (decpt >= digits.length) {
    out = digits + '0'.repeat(decpt - digits.length);
  } else {
    out = `${digits.slice(0, decpt)}.${digits.slice(decpt)}`;
  }
  return neg ? `-${out}` : out;
}

const NEEDS_ESCAPE = /[\u007f\u2028\u2029]/;

/** JSON text of a string, escaped like jq (which also escapes DEL as \u007f). */
export function quoteString(s: string): string {
  const q = JSON.stringify(s);
  if (!NEEDS_ESCAPE.test(q)) return q;
  return q.replace(/\u007f/g, '\\u007f');
}

/** Compact JSON text of a value, exactly as jq's `tojson` prints it. */
export function toJson(v: Value): string {
  if (v === null || v === undefined) return 'null';
  switch (typeof v) {
    case 'boolean':
      return v ? 'true' : 'false';
    case 'number':
      return formatNumber(v);
    case 'string':
      return quoteString(v);
    default:
      break;
  }
  if (Array.isArray(v)) {
    let s = '[';
    for (let i = 0; i < v.length; i++) s += (i ? ',' : '') + toJson(v[i]);
    return `${s}]`;
  }
  let s = '{';
  let first = true;
  for (const k of Object.keys(v as JqObject)) {
    s += `${first ? '' : ','}${quoteString(k)}:${toJson((v as JqObject)[k])}`;
    first = false;
  }
  return `${s}}`;
}

/** jq `tostring`: strings unchanged, everything else as JSON text. */
export function toStringValue(v: Value): string {
  return typeof v === 'string' ? v : toJson(v);
}

/**
 * The short dump jq puts in error messages: JSON cut to 25 characters plus `...`, then the closing
 * quote or bracket of the value (jq 1.8's jv_dump_string_trunc).
 */
export function dumpShort(v: Value): string {
  const s = toJson(v);
  if (s.length <= 28) return s;
  const close = typeof v === 'string' ? '"' : Array.isArray(v) ? ']' : isObject(v) ? '}' : '';
  return `${s.slice(0, 25)}...${close}`;
}

/** `type (dump)` as jq writes a value into error messages. */
export function describe(v: Value): string {
  return `${typeOf(v)} (${dumpShort(v)})`;
}

/**
 * Output normalisation at the API boundary: jq prints NaN as null and ±Infinity as ±DBL_MAX, so
 * top-level outputs follow; nested ones stay JS numbers (JSON.stringify turns them into null).
 */
export function normalizeOutput(v: Value): Value {
  if (typeof v === 'number') {
    if (v !== v) return null;
    if (v === Infinity) return Number.MAX_VALUE;
    if (v === -Infinity) return -Number.MAX_VALUE;
  }
  return v === undefined ? null : v;
}

/** Length of a string in code points (jq counts code points, JS counts UTF-16 units). */
export function codePointLength(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n--;
        i++;
      }
    }
  }
  return n;
}

/** Own-property read that never sees Object.prototype members; missing keys give null. */
export function getKey(o: JqObject, k: string): Value {
  const v = o[k];
  if (v === undefined) return null;
  if ((typeof v === 'function' || k === '__proto__') && !Object.prototype.hasOwnProperty.call(o, k)) return null;
  return v;
}

/** True when `o` has own key `k`. */
export function hasKey(o: JqObject, k: string): boolean {
  return Object.prototype.hasOwnProperty.call(o, k);
}

/** Sets an own key on a fresh object, safe for `__proto__`. */
export function setKey(o: JqObject, k: string, v: Value): void {
  if (k === '__proto__') Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  else o[k] = v;
}

/** Shallow copy of an object, safe for `__proto__` keys. */
export function copyObject(o: JqObject): JqObject {
  if (!hasKey(o, '__proto__')) return { ...o };
  const out: JqObject = {};
  for (const k of Object.keys(o)) setKey(out, k, o[k]);
  return out;
}
