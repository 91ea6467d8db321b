/**
 * @module expressions/operators
 * jq 1.8 arithmetic (`+ - * / %`), indexing (`.[k]`, slices, `.[]`) and `length`, with jq's error
 * messages. Every operation returns a new value; inputs are never mutated.
 */
import { checkLength, checkStringLength } from './budget.js';
import { fail } from './runtime.js';
import { codePointLength, copyObject, describe, equals, getKey, hasKey, isObject, setKey, typeOf, type JqObject, type Value } from './values.js';

/** jq `a + b`. */
export function add(a: Value, b: Value): Value {
  if (typeof a === 'number' && typeof b === 'number') return a + b;
  if (a === null) return b;
  if (b === null) return a;
  if (typeof a === 'string' && typeof b === 'string') {
    checkStringLength(a.length + b.length);
    return a + b;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    checkLength(a.length + b.length);
    return a.concat(b);
  }
  if (isObject(a) && isObject(b)) {
    const out = copyObject(a);
    for (const k of Object.keys(b)) setKey(out, k, b[k]);
    return out;
  }
  return fail(`${describe(a)} and ${describe(b)} cannot be added`);
}

/** jq `a - b`. */
export function subtract(a: Value, b: Value): Value {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (Array.isArray(a) && Array.isArray(b)) return a.filter((x) => !b.some((y) => equals(x, y)));
  return fail(`${describe(a)} and ${describe(b)} cannot be subtracted`);
}

/** Deep merge of objects, as jq's object `*`. */
export function deepMerge(a: JqObject, b: JqObject): JqObject {
  const out = copyObject(a);
  for (const k of Object.keys(b)) {
    const x = getKey(out, k);
    const y = b[k];
    setKey(out, k, isObject(x) && isObject(y) ? deepMerge(x, y) : y);
  }
  return out;
}

function repeatString(s: string, n: number): Value {
  if (n !== n || n < 0) return null;
  const count = n > 2147483647 ? 2147483647 : Math.trunc(n);
  checkStringLength(s.length * count);
  return s.repeat(count);
}

/** jq `a * b`. */
export function multiply(a: Value, b: Value): Value {
  if (typeof a === 'number' && typeof b === 'number') return a * b;
  if (typeof a === 'string' && typeof b === 'number') return repeatString(a, b);
  if (typeof a === 'number' && typeof b === 'string') return repeatString(b, a);
  if (isObject(a) && isObject(b)) return deepMerge(a, b);
  return fail(`${describe(a)} and ${describe(b)} cannot be multiplied`);
}

/** jq `a / b`; on strings it splits. */
export function divide(a: Value, b: Value): Value {
  if (typeof a === 'number' && typeof b === 'number') {
    if (b === 0) fail(`${describe(a)} and ${describe(b)} cannot be divided because the divisor is zero`);
    return a / b;
  }
  if (typeof a === 'string' && typeof b === 'string') return splitString(a, b);
  return fail(`${describe(a)} and ${describe(b)} cannot be divided`);
}

/** jq's string split (`/` and `split/1`): an empty input gives `[]`. */
export function splitString(a: string, sep: string): string[] {
  if (a === '') return [];
  if (sep === '') return Array.from(a);
  return a.split(sep);
}

const INT64_MAX = 9223372036854775807n;
const INT64_MIN = -9223372036854775808n;

/** C's conversion of a double to intmax_t as jq's wasm build does it (saturating). */
function toInt64(x: number): bigint {
  if (x >= 2 ** 63) return INT64_MAX;
  if (x <= -(2 ** 63)) return INT64_MIN;
  return BigInt(Math.trunc(x));
}

/** jq `a % b`: both truncated to integers; the sign follows the dividend. */
export function modulo(a: Value, b: Value): Value {
  if (typeof a === 'number' && typeof b === 'number') {
    if (a !== a || b !== b) return NaN;
    if (Math.abs(a) < 9007199254740992 && Math.abs(b) < 9007199254740992) {
      const bi = Math.trunc(b);
      if (bi === 0) fail(`${describe(a)} and ${describe(b)} cannot be divided (remainder) because the divisor is zero`);
      return (Math.trunc(a) % Math.abs(bi)) + 0;
    }
    const bi = toInt64(b);
    if (bi === 0n) fail(`${describe(a)} and ${describe(b)} cannot be divided (remainder) because the divisor is zero`);
    const r = toInt64(a) % (bi < 0n ? -bi : bi);
    return Number(r);
  }
  return fail(`${describe(a)} and ${describe(b)} cannot be divided (remainder)`);
}

/** jq unary minus. */
export function negate(v: Value): Value {
  // jq computes unary minus as 0 - v (so -0 stays 0).
  if (typeof v === 'number') return 0 - v;
  return fail(`${describe(v)} cannot be negated`);
}

/** `.[k]` — field, array element, array-of-indices lookup, or slice object. */
export function index(v: Value, k: Value): Value {
  if (typeof k === 'string') {
    if (isObject(v)) return getKey(v, k);
    if (v === null || v === undefined) return null;
  } else if (typeof k === 'number') {
    if (Array.isArray(v)) {
      if (k !== k) return null;
      let i = Math.floor(k);
      if (i < 0) i += v.length;
      const x = v[i];
      return x === undefined ? null : x;
    }
    if (v === null || v === undefined) return null;
  } else if (isObject(k) && !Array.isArray(k)) {
    if (v === null || v === undefined) return null;
    if (Array.isArray(v) || typeof v === 'string') {
      if (!hasKey(k, 'start') || !hasKey(k, 'end')) fail('Array/string slice indices must be integers');
      return slice(v, getKey(k, 'start'), getKey(k, 'end'));
    }
  } else if (Array.isArray(k) && Array.isArray(v)) {
    return indicesOf(v, k);
  } else if (v === null || v === undefined) {
    if (k === null) return null;
  }
  return fail(`Cannot index ${typeOf(v)} with ${describe(k)}`);
}

/** Positions where array `sub` occurs in array `v` (jq's `.[array]` and `indices`). */
export function indicesOf(v: Value[], sub: Value[]): Value {
  if (sub.length === 0) return null;
  const out: number[] = [];
  for (let i = 0; i + sub.length <= v.length; i++) {
    let ok = true;
    for (let j = 0; j < sub.length; j++) {
      if (!equals(v[i + j], sub[j])) {
        ok = false;
        break;
      }
    }
    if (ok) out.push(i);
  }
  return out;
}

/** Resolves slice bounds against a length like jq: floor(start), ceil(end), negatives from the end. */
export function sliceBounds(len: number, from: Value, to: Value): [number, number] {
  if ((from !== null && typeof from !== 'number') || (to !== null && typeof to !== 'number')) {
    fail('Start and end indices of an array slice must be numbers');
  }
  let s = from === null ? 0 : (from as number);
  let e = to === null ? len : (to as number);
  if (s < 0) s += len;
  if (e < 0) e += len;
  s = Math.floor(s);
  e = Math.ceil(e);
  if (s < 0) s = 0;
  if (s > len) s = len;
  if (e > len) e = len;
  if (e < s) e = s;
  return [s, e];
}

function hasSurrogates(s: string): boolean {
  return codePointLength(s) !== s.length;
}

/** `.[from:to]` on arrays, strings (by code point) and null. */
export function slice(v: Value, from: Value, to: Value): Value {
  if (v === null || v === undefined) return null;
  if ((from !== null && typeof from !== 'number') || (to !== null && typeof to !== 'number')) {
    fail('Array/string slice indices must be integers');
  }
  if (Array.isArray(v)) {
    const [s, e] = sliceBounds(v.length, from, to);
    return v.slice(s, e);
  }
  if (typeof v === 'string') {
    if (!hasSurrogates(v)) {
      const [s, e] = sliceBounds(v.length, from, to);
      return v.slice(s, e);
    }
    const cps = Array.from(v);
    const [s, e] = sliceBounds(cps.length, from, to);
    return cps.slice(s, e).join('');
  }
  return fail(`Cannot index ${typeOf(v)} with ${describe({ start: from, end: to })}`);
}

/** The values `.[]` iterates: array elements or object values. */
export function iterValues(v: Value): Value[] {
  if (Array.isArray(v)) return v;
  if (isObject(v)) return Object.values(v);
  return fail(`Cannot iterate over ${describe(v)}`);
}

/** jq `length`. */
export function length(v: Value): Value {
  if (v === null || v === undefined) return 0;
  switch (typeof v) {
    case 'number':
      return Math.abs(v);
    case 'string':
      return codePointLength(v);
    case 'boolean':
      return fail(`${describe(v)} has no length`);
    default:
      return Array.isArray(v) ? v.length : Object.keys(v as JqObject).length;
  }
}
