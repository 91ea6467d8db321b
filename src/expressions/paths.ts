/**
 * @module expressions/paths
 * jq paths: `getpath`, `setpath`, `delpaths` and the update machinery behind `|=`, `=`, `+=` …
 * All updates copy on write along the path only (O(path length) allocations, never O(data)).
 */
import { index, sliceBounds } from './operators.js';
import { fail } from './runtime.js';
import { compare, copyObject, describe, dumpShort, equals, getKey, hasKey, isObject, setKey, typeOf, type Value } from './values.js';

/** A path: object keys, array indices and slice objects `{start, end}`. */
export type Path = readonly Value[];

/** Marks a "path" produced by a non-path expression (e.g. a literal) inside `path(…)`. */
export const INVALID_PATH: Path = Object.freeze(['<invalid>']);

/** The error jq raises when a value that is not a path is used as one. */
export function invalidPath(v: Value): never {
  return fail(`Invalid path expression with result ${dumpShort(v)}`);
}

/** `getpath(p)`: null anywhere along the way gives null. */
export function getPath(v: Value, p: Value): Value {
  if (!Array.isArray(p)) return fail('Path must be specified as an array');
  let cur = v;
  for (const k of p) {
    if (cur === null || cur === undefined) return null;
    cur = index(cur, k);
  }
  return cur;
}

function isSliceKey(k: Value): k is Record<string, Value> {
  return isObject(k);
}

/** `setpath(p; x)`, copying only the containers along `p`. */
export function setPath(v: Value, p: Value, x: Value): Value {
  if (!Array.isArray(p)) return fail('Path must be specified as an array');
  return setAt(v, p, 0, x);
}

function setAt(v: Value, p: Value[], i: number, x: Value): Value {
  if (i === p.length) return x;
  const k = p[i];
  if (typeof k === 'string') {
    if (v === null || v === undefined) {
      const out: Record<string, Value> = {};
      setKey(out, k, setAt(null, p, i + 1, x));
      return out;
    }
    if (isObject(v)) {
      const out = copyObject(v);
      setKey(out, k, setAt(getKey(v, k), p, i + 1, x));
      return out;
    }
    return fail(`Cannot index ${typeOf(v)} with ${describe(k)}`);
  }
  if (typeof k === 'number') {
    if (v === null || v === undefined || Array.isArray(v)) {
      const arr = (v ?? []) as Value[];
      if (k !== k) return fail('Cannot set array element at NaN index');
      let n = Math.floor(k);
      if (n < 0) {
        n += arr.length;
        if (n < 0) return fail('Out of bounds negative array index');
      }
      const out = arr.slice();
      while (out.length < n) out.push(null);
      out[n] = setAt(n < arr.length ? arr[n] : null, p, i + 1, x);
      return out;
    }
    return fail(`Cannot index ${typeOf(v)} with ${describe(k)}`);
  }
  if (isSliceKey(k)) {
    if (v === null || v === undefined || Array.isArray(v)) {
      const arr = (v ?? []) as Value[];
      const [s, e] = sliceBounds(arr.length, getKey(k, 'start'), getKey(k, 'end'));
      // Like jq's jv_get: a slice of null is null (so `.[:-1].a = 1` on null fails as in jq).
      const current = v === null || v === undefined ? null : arr.slice(s, e);
      const replacement = setAt(current, p, i + 1, x);
      if (!Array.isArray(replacement)) return fail('A slice of an array can only be assigned another array');
      return arr.slice(0, s).concat(replacement, arr.slice(e));
    }
    return fail(`Cannot update field at object index of ${typeOf(v)}`);
  }
  return fail(`Cannot index ${typeOf(v)} with ${describe(k)}`);
}

/** `delpaths(ps)`: deletes the paths from the last (in jq order) to the first, duplicates once. */
export function delPaths(v: Value, ps: Value): Value {
  if (!Array.isArray(ps)) return fail('Paths must be specified as an array');
  const sorted = ps.slice().sort(compare);
  let out = v;
  for (let i = sorted.length - 1; i >= 0; i--) {
    if (i + 1 < sorted.length && equals(sorted[i], sorted[i + 1])) continue;
    const p = sorted[i];
    if (!Array.isArray(p)) return fail('Path must be specified as an array');
    out = delAt(out, p, 0);
  }
  return out;
}

function delAt(v: Value, p: Value[], i: number): Value {
  if (i === p.length) return null;
  if (v === null || v === undefined) return null;
  const k = p[i];
  if (i === p.length - 1) return deleteKey(v, k);
  const child = index(v, k);
  if (child === null) return v;
  const updated = delAt(child, p, i + 1);
  return setAt(v, [k], 0, updated);
}

function deleteKey(v: Value, k: Value): Value {
  if (typeof k === 'string') {
    if (isObject(v)) {
      if (!hasKey(v, k)) return v;
      const out = copyObject(v);
      delete out[k];
      return out;
    }
    if (Array.isArray(v)) return fail(`Cannot delete ${typeOf(k)} element of array`);
    return fail(`Cannot delete fields from ${typeOf(v)}`);
  }
  if (typeof k === 'number') {
    if (Array.isArray(v)) {
      let n = Math.floor(k);
      if (n < 0) n += v.length;
      if (n < 0 || n >= v.length) return v;
      return v.slice(0, n).concat(v.slice(n + 1));
    }
    if (isObject(v)) return fail(`Cannot delete ${typeOf(k)} field of object`);
    return fail(`Cannot delete fields from ${typeOf(v)}`);
  }
  if (isSliceKey(k)) {
    if (Array.isArray(v)) {
      const [s, e] = sliceBounds(v.length, getKey(k, 'start'), getKey(k, 'end'));
      return v.slice(0, s).concat(v.slice(e));
    }
    return fail(`Cannot delete slice of ${typeOf(v)}`);
  }
  return fail(`Cannot delete field at index of ${typeOf(v)}`);
}
