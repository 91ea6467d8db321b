/**
 * @module expressions/builtins-data
 * Native builtins over values: length, type, keys, has, contains, sorting and grouping, entries,
 * flatten, JSON text, search (`indices`), numbers and math.
 */
import { fromOne, type Code } from './code.js';
import { define, define0, defineN, onLoad } from './builtins.js';
import { add, index, indicesOf, iterValues, length } from './operators.js';
import { fail } from './runtime.js';
import { codePointLength, compare, formatNumber, describe, equals, hasKey, isObject, setKey, sortedKeys, toJson, toStringValue, typeOf, type Value } from './values.js';
import { parseJsonText } from './json-text.js';

function keysOf(x: Value, sorted: boolean): Value {
  if (isObject(x)) return sorted ? sortedKeys(x) : Object.keys(x);
  if (Array.isArray(x)) return x.map((_, i) => i);
  return fail(`${describe(x)} has no keys`);
}

/** jq `contains`: substring for strings, recursive containment for arrays and objects. */
export function contains(a: Value, b: Value): boolean {
  if (typeOf(a) !== typeOf(b)) return fail(`${describe(a)} and ${describe(b)} cannot have their containment checked`);
  return containsNested(a, b);
}

function containsNested(a: Value, b: Value): boolean {
  const ta = typeOf(a);
  const tb = typeOf(b);
  if (ta !== tb) return false;
  if (ta === 'object' && tb === 'object') {
    const ao = a as Record<string, Value>;
    const bo = b as Record<string, Value>;
    return Object.keys(bo).every((k) => hasKey(ao, k) && containsNested(ao[k], bo[k]));
  }
  if (ta === 'array' && tb === 'array') {
    return (b as Value[]).every((y) => (a as Value[]).some((x) => containsNested(x, y)));
  }
  if (ta === 'string' && tb === 'string') return (a as string).includes(b as string);
  if (ta === tb) return equals(a, b);
  return fail(`${describe(a)} and ${describe(b)} cannot have their containment checked`);
}

function requireArray(x: Value, what: string): Value[] {
  if (!Array.isArray(x)) fail(`${describe(x)} cannot be ${what}, as it is not an array`);
  return x as Value[];
}

/** Stable sort of values by precomputed keys, in jq order. */
function sortByKeys(items: Value[], keys: Value[]): Value[] {
  const idx = items.map((_, i) => i);
  idx.sort((i, j) => compare(keys[i], keys[j]) || i - j);
  return idx.map((i) => items[i]);
}

/** The `[f]` key of each element (jq's `_sort_by_impl` keys are arrays of all outputs). */
function keysBy(items: Value[], f: Code, env: Parameters<NonNullable<Code['one']>>[1]): Value[] {
  return items.map((v) => {
    if (f.one) return [f.one(v, env)];
    const out: Value[] = [];
    f.run(v, env, (k) => out.push(k));
    return out;
  });
}

function byFamily(name: string, impl: (items: Value[], keys: Value[]) => Value, verb = 'sorted, as they are not both arrays'): void {
  define(name, 1, (ctx) => {
    const f = ctx.compileArg(0);
    // jq computes `map([f])` first (so non-iterables fail to iterate), then sorts (objects fail).
    return fromOne((x, env) => {
      const keys = keysBy(iterValues(x), f, env);
      if (!Array.isArray(x)) return fail(`${describe(x)} and ${describe(keys)} cannot be ${verb}`);
      return impl(x, keys);
    });
  });
}

function groupSorted(items: Value[], keys: Value[]): Value[][] {
  const idx = items.map((_, i) => i).sort((i, j) => compare(keys[i], keys[j]) || i - j);
  const groups: Value[][] = [];
  let prev: Value;
  for (let n = 0; n < idx.length; n++) {
    const i = idx[n];
    if (n === 0 || compare(prev, keys[i]) !== 0) groups.push([]);
    groups[groups.length - 1].push(items[i]);
    prev = keys[i];
  }
  return groups;
}

function flatten(x: Value[], depth: number): Value[] {
  const out: Value[] = [];
  for (const v of x) {
    if (Array.isArray(v) && depth > 0) out.push(...flatten(v, depth - 1));
    else out.push(v);
  }
  return out;
}

function toNumber(x: Value): Value {
  if (typeof x === 'number') return x;
  if (typeof x === 'string') {
    const s = x;
    if (/^-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/.test(s)) return Number(s);
    if (s === 'nan' || s === '-nan') return NaN;
    return fail(`${describe(x)} cannot be parsed as a number`);
  }
  return fail(`${describe(x)} cannot be parsed as a number`);
}

/** jq 1.8.2's `from_entries`: key from `key`, `Key`, `name` or `Name`; value from `value` or `Value`. */
function fromEntries(x: Value): Value {
  const out: Record<string, Value> = {};
  for (const e of iterValues(x)) {
    let k: Value = null;
    for (const name of ['key', 'Key', 'name', 'Name']) {
      k = index(e, name);
      if (k !== null && k !== false) break;
    }
    const v = isObject(e) && hasKey(e, 'value') ? e.value : index(e, 'Value');
    if (typeof k !== 'string') return fail(`Cannot use ${describe(k)} as object key`);
    setKey(out, k, v);
  }
  return out;
}

const frexp = (x: number): [number, number] => {
  if (x === 0 || !Number.isFinite(x)) return [x, 0];
  let e = Math.max(-1073, Math.floor(Math.log2(Math.abs(x))) + 1);
  let m = x * Math.pow(2, -e);
  while (Math.abs(m) < 0.5) {
    m *= 2;
    e--;
  }
  while (Math.abs(m) >= 1) {
    m /= 2;
    e++;
  }
  return [m, e];
};

function num(x: Value, name: string): number {
  if (typeof x !== 'number') fail(`${describe(x)} number required`);
  void name;
  return x as number;
}

const MATH0: Record<string, (x: number) => number> = {
  floor: Math.floor,
  ceil: Math.ceil,
  sqrt: Math.sqrt,
  fabs: Math.abs,
  round: (x) => (x < 0 ? -Math.round(-x) : Math.round(x)),
  trunc: Math.trunc,
  exp: Math.exp,
  exp2: (x) => Math.pow(2, x),
  exp10: (x) => Math.pow(10, x),
  expm1: Math.expm1,
  log: Math.log,
  log2: Math.log2,
  log10: Math.log10,
  log1p: Math.log1p,
  sin: Math.sin,
  cos: Math.cos,
  tan: Math.tan,
  asin: Math.asin,
  acos: Math.acos,
  atan: Math.atan,
  sinh: Math.sinh,
  cosh: Math.cosh,
  tanh: Math.tanh,
  asinh: Math.asinh,
  acosh: Math.acosh,
  atanh: Math.atanh,
  cbrt: Math.cbrt,
  rint: roundHalfEven,
  nearbyint: roundHalfEven,
  significand: (x) => (x === 0 || !Number.isFinite(x) ? x : frexp(x)[0] * 2),
  logb: (x) => (x === 0 ? -Infinity : !Number.isFinite(x) ? Math.abs(x) : frexp(x)[1] - 1),
};

function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

const MATH2: Record<string, (a: number, b: number) => number> = {
  pow: Math.pow,
  atan2: Math.atan2,
  fmin: Math.min,
  fmax: Math.max,
  fmod: (a, b) => a % b,
  hypot: Math.hypot,
  copysign: (a, b) => (Math.sign(b) < 0 || Object.is(b, -0) ? -Math.abs(a) : Math.abs(a)),
  fdim: (a, b) => (a - b > 0 ? a - b : 0),
  ldexp: (a, b) => a * Math.pow(2, Math.trunc(b)),
  scalbln: (a, b) => a * Math.pow(2, Math.trunc(b)),
};

onLoad(() => {
  define0('length', length);
  define0('utf8bytelength', (x) => (typeof x === 'string' ? Buffer.byteLength(x, 'utf8') : fail(`${describe(x)} only strings have UTF-8 byte length`)));
  define0('type', typeOf);
  define0('keys', (x) => keysOf(x, true));
  define0('keys_unsorted', (x) => keysOf(x, false));
  defineN('has', 1, (x, k) => {
    if (isObject(x)) {
      if (typeof k === 'string') return hasKey(x, k);
      return fail(`Cannot check whether object has a ${typeOf(k)} key`);
    }
    if (Array.isArray(x)) {
      if (typeof k === 'number') return k >= 0 && k < x.length;
      return fail(`Cannot check whether array has a ${typeOf(k)} key`);
    }
    if (x === null) return false;
    return fail(`Cannot check whether ${typeOf(x)} has a ${typeOf(k)} key`);
  });
  defineN('contains', 1, (x, b) => contains(x, b));
  define0('sort', (x) => requireArray(x, 'sorted').slice().sort(compare));
  byFamily('sort_by', sortByKeys);
  byFamily('group_by', groupSorted);
  byFamily('unique_by', (items, keys) => groupSorted(items, keys).map((g) => g[0]));
  define0('unique', (x) => {
    const sorted = requireArray(x, 'sorted').slice().sort(compare);
    return sorted.filter((v, i) => i === 0 || compare(sorted[i - 1], v) !== 0);
  });
  const minMax = (items: Value[], keys: Value[], isMax: boolean): Value => {
    if (items.length === 0) return null;
    let best = 0;
    for (let i = 1; i < items.length; i++) {
      const c = compare(keys[i], keys[best]);
      if (isMax ? c >= 0 : c < 0) best = i;
    }
    return items[best];
  };
  const minMaxInput = (x: Value): Value[] => (Array.isArray(x) ? x : fail(`${describe(x)} and ${describe(x)} cannot be iterated over`));
  define0('min', (x) => minMax(minMaxInput(x), x as Value[], false));
  define0('max', (x) => minMax(minMaxInput(x), x as Value[], true));
  byFamily('min_by', (items, keys) => minMax(items, keys, false), 'iterated over');
  byFamily('max_by', (items, keys) => minMax(items, keys, true), 'iterated over');
  // jq 1.8.2: [.[length - 1 - range(0; length)]], so only arrays (and empty values) reverse.
  define0('reverse', (x) => {
    if (Array.isArray(x)) return x.slice().reverse();
    const n = length(x) as number;
    if (n <= 0) return [];
    return fail(`Cannot index ${typeOf(x)} with number (${formatNumber(n - 1)})`);
  });
  define0('to_entries', (x) => {
    const ks = keysOf(x, false) as Value[];
    return ks.map((k) => ({ key: k, value: isObject(x) ? x[k as string] : (x as Value[])[k as number] }));
  });
  define0('from_entries', fromEntries);
  define0('flatten', (x) => flatten(iterValues(x), Infinity));
  defineN('flatten', 1, (x, d) => {
    if (typeof d !== 'number') return fail('flatten depth must not be negative');
    if (d < 0) return fail('flatten depth must not be negative');
    return flatten(iterValues(x), d);
  });
  define0('tostring', toStringValue);
  define0('tojson', toJson);
  define0('tonumber', toNumber);
  define0('fromjson', (x) => (typeof x === 'string' ? parseJsonText(x) : fail(`${describe(x)} only strings can be parsed`)));
  define0('toboolean', (x) => {
    if (typeof x === 'boolean') return x;
    if (x === 'true') return true;
    if (x === 'false') return false;
    return fail(`${describe(x)} cannot be parsed as a boolean`);
  });
  const search = (x: Value, t: Value): Value => {
    if (x === null) return null;
    if (typeof x === 'string' && typeof t === 'string') {
      if (t === '') return [];
      const out: number[] = [];
      for (let i = x.indexOf(t); i >= 0; i = x.indexOf(t, i + 1)) out.push(codePointLength(x.slice(0, i)));
      return out;
    }
    if (Array.isArray(x) && Array.isArray(t)) return t.length === 0 ? [] : indicesOf(x, t);
    if (Array.isArray(x)) return indicesOf(x, [t]);
    return index(x, t);
  };
  defineN('indices', 1, search);
  defineN('index', 1, (x, t) => {
    const r = search(x, t);
    return Array.isArray(r) ? (r.length ? r[0] : null) : null;
  });
  defineN('rindex', 1, (x, t) => {
    const r = search(x, t);
    return Array.isArray(r) ? (r.length ? r[r.length - 1] : null) : null;
  });
  define0('transpose', (x) => {
    const rows = iterValues(x);
    const n = rows.reduce((m: number, r) => Math.max(m, length(r) as number), 0);
    const out: Value[][] = [];
    for (let i = 0; i < n; i++) out.push(rows.map((r) => index(r, i)));
    return out;
  });
  define0('infinite', () => Infinity);
  define0('nan', () => NaN);
  define0('isinfinite', (x) => x === Infinity || x === -Infinity);
  define0('isfinite', (x) => typeof x === 'number' && x !== Infinity && x !== -Infinity);
  define0('isnan', (x) => typeof x === 'number' && Number.isNaN(x));
  define0('isnormal', (x) => typeof x === 'number' && Number.isFinite(x) && x !== 0 && Math.abs(x) >= 2.2250738585072014e-308);
  define0('abs', (x) => {
    if (typeof x === 'number') return x < 0 ? -x : x + 0;
    if (x === null || typeof x === 'boolean') return fail(`${describe(x)} cannot be negated`);
    return x;
  });
  for (const [name, f] of Object.entries(MATH0)) define0(name, (x) => f(num(x, name)));
  for (const [name, f] of Object.entries(MATH2)) defineN(name, 2, (_x, a, b) => f(num(a, name), num(b, name)));
  define0('frexp', (x) => frexp(num(x, 'frexp')));
  define0('modf', (x) => {
    const n = num(x, 'modf');
    if (!Number.isFinite(n)) return [Number.isNaN(n) ? n : 0 * Math.sign(n), n];
    const i = Math.trunc(n);
    return [n - i, i];
  });
  // jq 1.8.2: reduce .[] as $i (null; (if . == null then "" else . + $sep end) + ($i | scalars as text)) // "".
  defineN('join', 1, (x, sep) => {
    let acc: Value = null;
    for (const v of iterValues(x)) {
      const prefix = acc === null ? '' : add(acc, sep);
      const s = v === null ? '' : typeof v === 'number' || typeof v === 'boolean' ? toJson(v) : v;
      acc = add(prefix, s);
    }
    return acc === null || acc === false ? '' : acc;
  });
  defineN('bsearch', 1, (x, t) => {
    const arr = requireArray(x, 'searched from');
    let lo = 0;
    let hi = arr.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const c = compare(arr[mid], t);
      if (c === 0) return mid;
      if (c < 0) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1 - lo;
  });
});
