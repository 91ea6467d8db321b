/**
 * @module interpreter/states/foreach
 * ForEach state (spec §ForEach State). Each iteration runs the actions on the state data plus
 * `{<iterationParam>: element}` (A7); actions merge into the iteration data one after another (a
 * result that cannot merge at the top level, e.g. a number, is only the iteration's result); the
 * iteration's result is its last executed action's filtered result.
 * outputCollection receives the results in input order whatever the mode; iterations' own merges
 * stay in the iteration, and the iteration parameter does not remain in the state data. Parallel
 * mode runs waves of batchSize iterations (l.2950).
 */
import type { ForeachState } from '../../definition/types.js';
import type { StateNode } from '../../graph/types.js';
import { WorkflowError } from '../../errors.js';
import { getPath, mergeData, setPath, targetPath } from '../data.js';
import { runCancellable } from '../fibers.js';
import type { RunContext, Step } from '../run-context.js';
import { runActions } from './operation.js';
import type { StateOutcome, StateScope } from './state-types.js';

/** Name of the iteration parameter when the state does not give one. */
export const DEFAULT_ITERATION_PARAM = 'item';

function batchSize(rc: RunContext, node: StateNode, def: ForeachState, data: unknown, total: number): number {
  if (def.batchSize === undefined) return Math.max(1, total);
  const raw = typeof def.batchSize === 'string' && rc.graph.expressions.has(`${node.pointer}/batchSize`) ? rc.evaluate(`${node.pointer}/batchSize`, data, 'batchSize') : def.batchSize;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new WorkflowError('INVALID_STATE', `foreach '${node.name}': batchSize must be a positive integer, got ${JSON.stringify(raw)}`);
  return n;
}

/** Runs a foreach state. */
export function* runForeach(rc: RunContext, node: StateNode, data: unknown, scope: StateScope): Step<StateOutcome> {
  const def = node.definition as ForeachState;
  const collection = rc.evaluate(`${node.pointer}/inputCollection`, data, 'inputCollection');
  if (!Array.isArray(collection)) {
    throw new WorkflowError('INVALID_INPUT_COLLECTION', `foreach '${node.name}': inputCollection '${def.inputCollection}' selected ${collection === null ? 'nothing' : `a ${typeof collection}`}, not an array`);
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new WorkflowError('INVALID_STATE_DATA', `foreach '${node.name}': state data must be an object to add the iteration parameter`);
  }
  const param = def.iterationParam ?? DEFAULT_ITERATION_PARAM;
  const scopeOf = { stateName: node.name, deadlines: scope.deadlines, actionExecMs: node.timeouts.actionExecMs, iteration: true };
  const iteration = (el: unknown, index: number, subflows?: string[]) =>
    runActions(rc, def.actions, `${node.pointer}/actions`, 'sequential', { ...structuredClone(data as Record<string, unknown>), [param]: el }, { ...scopeOf, subflows, iterationIndex: index }, scope.children);
  rc.log('info', `state '${node.name}': ${collection.length} iteration(s), ${def.mode ?? 'parallel'}`, { state: node.name });

  const results: unknown[] = [];
  if (def.mode === 'sequential') {
    for (const [i, el] of collection.entries()) results.push((yield* iteration(el, i)).lastResult);
  } else {
    const size = batchSize(rc, node, def, data, collection.length);
    for (let start = 0; start < collection.length; start += size) {
      const wave = collection.slice(start, start + size).map((el, k) => (subflows: string[]) => iteration(el, start + k, subflows));
      // Fail-fast: when an iteration fails, the others of its wave are cancelled (as parallel branches are).
      const reason = `foreach state '${node.name}' failed in another iteration`;
      const { results: r } = yield* runCancellable(rc.cancelPort(), wave, { completed: reason, failed: reason });
      for (const x of r) results.push(x?.lastResult ?? null);
    }
  }
  let out: unknown = data;
  if (def.outputCollection !== undefined) {
    const path = targetPath(rc, `${node.pointer}/outputCollection`, 'outputCollection');
    const existing = getPath(out, path);
    // Like every merge: an existing array gets the results' unique elements appended.
    out = setPath(out, path, existing === undefined ? results : mergeData(existing, results, `outputCollection of state '${node.name}'`));
  }
  return { data: out };
}
