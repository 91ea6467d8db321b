/**
 * @module interpreter/data
 * State data: the merge of results into state data (spec §Data Merging) and the data filters
 * (spec §State data filters, §Action data filters, §Event data filters). Decisions are written in
 * specs/semantics.md ("Runtime"): deep object merge, unique array concatenation, type mismatch is an
 * error, state filters that select nothing (null) leave the data unchanged (A3).
 */
import { compileExpression } from '../expressions/index.js';
import { WorkflowError } from '../errors.js';
import type { RunContext } from './run-context.js';

/** Error code of a merge of incompatible values (object into array, string into object …). */
export const MERGE_ERROR = 'MERGE_ERROR';

type Json = unknown;

function kindOf(v: Json): 'object' | 'array' | 'scalar' | 'null' {
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v === 'object' ? 'object' : 'scalar';
}

/** Structural equality of JSON values (array uniqueness in merges). */
export function jsonEqual(a: Json, b: Json): boolean {
  if (a === b) return true;
  const ka = kindOf(a);
  if (ka !== kindOf(b)) return false;
  if (ka === 'array') {
    const x = a as Json[];
    const y = b as Json[];
    return x.length === y.length && x.every((v, i) => jsonEqual(v, y[i]));
  }
  if (ka === 'object') {
    const x = a as Record<string, Json>;
    const y = b as Record<string, Json>;
    const keys = Object.keys(x);
    return keys.length === Object.keys(y).length && keys.every((k) => k in y && jsonEqual(x[k], y[k]));
  }
  return false;
}

/**
 * Merges `incoming` into `existing` (spec §Data Merging) and returns the result without changing
 * either: objects merge deeply (incoming wins per key), arrays concatenate keeping unique elements
 * (existing first), scalars of the same type and null are replaced. Any other mix of types (object,
 * array, string, number, boolean) throws MERGE_ERROR.
 */
export function mergeData(existing: Json, incoming: Json, where = 'state data'): Json {
  const ke = kindOf(existing);
  const ki = kindOf(incoming);
  if (ke === 'null' || ki === 'null') return incoming === undefined ? existing : incoming;
  if (ke === 'scalar' && ki === 'scalar' && typeof existing === typeof incoming) return incoming;
  if (ke !== ki || ke === 'scalar') {
    throw new WorkflowError(MERGE_ERROR, `cannot merge ${describeKind(incoming)} into ${describeKind(existing)} (${where}): merging values of different types is an error`, {
      details: { existing: ke, incoming: ki },
    });
  }
  if (ke === 'array') {
    const out = [...(existing as Json[])];
    for (const v of incoming as Json[]) if (!out.some((e) => jsonEqual(e, v))) out.push(v);
    return out;
  }
  const out: Record<string, Json> = { ...(existing as Record<string, Json>) };
  for (const [k, v] of Object.entries(incoming as Record<string, Json>)) {
    out[k] = k in out ? mergeData(out[k], v, `${where}.${k}`) : v;
  }
  return out;
}

/** True when {@link mergeData} would accept the two values at the top level. */
export function canMerge(existing: Json, incoming: Json): boolean {
  const ke = kindOf(existing);
  const ki = kindOf(incoming);
  if (ke === 'null' || ki === 'null') return true;
  return ke === ki && (ke !== 'scalar' || typeof existing === typeof incoming);
}

function describeKind(v: Json): string {
  const k = kindOf(v);
  return k === 'scalar' ? `a ${typeof v}` : k === 'array' ? 'an array' : k === 'object' ? 'an object' : 'null';
}

type PathSeg = string | number;

/** The path a `toStateData`/`outputCollection` expression designates (jq `path(expr)`). */
export function targetPath(rc: RunContext, pointer: string, what: string): PathSeg[] {
  const expr = rc.expression(pointer);
  let compiled;
  try {
    compiled = compileExpression(`path(${expr.source})`);
  } catch (err) {
    throw new WorkflowError('EXPRESSION_ERROR', `${what} '${expr.source}' is not a path expression: ${(err as Error).message}`, { cause: err });
  }
  const path = rc.evaluateCompiled(compiled, null, pointer, what);
  if (!Array.isArray(path)) throw new WorkflowError('EXPRESSION_ERROR', `${what} '${expr.source}' does not designate a path`);
  return path as PathSeg[];
}

/** Reads the value at a path (undefined when absent). */
export function getPath(root: Json, path: readonly PathSeg[]): Json {
  let v: Json = root;
  for (const seg of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, Json>)[seg as string];
  }
  return v;
}

/** Returns a copy of `root` with `value` at `path`, creating objects/arrays on the way (spec l.857). */
export function setPath(root: Json, path: readonly PathSeg[], value: Json): Json {
  if (path.length === 0) return value;
  const [head, ...rest] = path;
  if (typeof head === 'number') {
    const arr = Array.isArray(root) ? [...root] : [];
    arr[head] = setPath(arr[head], rest, value);
    return arr;
  }
  const obj: Record<string, Json> = root !== null && typeof root === 'object' && !Array.isArray(root) ? { ...(root as Record<string, Json>) } : {};
  obj[head] = setPath(obj[head], rest, value);
  return obj;
}

/** Merges `value` into state data at `toStateData` (when given) or at the top level. */
export function mergeInto(rc: RunContext, data: Json, value: Json, toStateDataPointer: string | undefined, where: string): Json {
  if (toStateDataPointer === undefined) return mergeData(data, value, where);
  const path = targetPath(rc, toStateDataPointer, 'toStateData');
  const existing = getPath(data, path);
  return setPath(data, path, existing === undefined ? value : mergeData(existing, value, `${where} at ${path.join('.')}`));
}

/** stateDataFilter.input / .output: the filtered data, or the data itself when the filter selects nothing (A3). */
export function applyStateFilter(rc: RunContext, statePointer: string, which: 'input' | 'output', data: Json, has: boolean): Json {
  if (!has) return data;
  const out = rc.evaluate(`${statePointer}/stateDataFilter/${which}`, data, `stateDataFilter.${which}`);
  return out === null || out === undefined ? data : out;
}

/** Reads an event's payload as states see it: the CloudEvent `data` when `dataOnly` (default), else the whole event. */
export function eventPayload(raw: Json, dataOnly: boolean): Json {
  const isCloudEvent = raw !== null && typeof raw === 'object' && !Array.isArray(raw) && 'specversion' in raw && 'type' in raw;
  if (!isCloudEvent) return raw;
  return dataOnly ? ((raw as Record<string, Json>).data ?? null) : raw;
}

/** eventDataFilter (spec §Event data filters): merges the selected event data into state data. */
export function applyEventDataFilter(
  rc: RunContext,
  filterPointer: string,
  filter: { useData?: boolean; data?: string; toStateData?: string } | undefined,
  data: Json,
  payload: Json,
): Json {
  if (filter?.useData === false) return data;
  const selected = filter?.data !== undefined ? rc.evaluate(`${filterPointer}/data`, payload, 'eventDataFilter.data') : payload;
  if (selected === undefined || (selected === null && filter?.toStateData === undefined)) return data;
  return mergeInto(rc, data, selected, filter?.toStateData !== undefined ? `${filterPointer}/toStateData` : undefined, 'event data');
}
