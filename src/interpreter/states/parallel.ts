/**
 * @module interpreter/states/parallel
 * Parallel state (spec §Parallel State). Every branch runs its actions on its own copy of the state
 * data; the finished branches' data merge back in definition order (A8). allOf waits for every
 * branch and fails on the first branch failure; atLeast completes when numCompleted branches have
 * finished, abandoning the rest (their data is discarded). branchExecTimeout limits each branch.
 */
import type { ParallelState } from '../../definition/types.js';
import { parseDuration } from '../../definition/duration.js';
import type { StateNode } from '../../graph/types.js';
import { WorkflowError } from '../../errors.js';
import { mergeData } from '../data.js';
import { runCancellable } from '../fibers.js';
import type { RunContext, Step } from '../run-context.js';
import { runActions } from './operation.js';
import type { StateOutcome, StateScope } from './state-types.js';

function numCompleted(rc: RunContext, node: StateNode, def: ParallelState, data: unknown): number {
  const raw = def.numCompleted;
  const value = typeof raw === 'string' ? (rc.graph.expressions.has(`${node.pointer}/numCompleted`) ? rc.evaluate(`${node.pointer}/numCompleted`, data, 'numCompleted') : Number(raw)) : raw;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new WorkflowError('INVALID_STATE', `parallel '${node.name}': numCompleted must be a non-negative integer, got ${JSON.stringify(value)}`);
  return Math.min(n, def.branches.length);
}

/** Runs a parallel state. */
export function* runParallel(rc: RunContext, node: StateNode, data: unknown, scope: StateScope): Step<StateOutcome> {
  const def = node.definition as ParallelState;
  const needed = def.completionType === 'atLeast' ? numCompleted(rc, node, def, data) : def.branches.length;
  const fibers = def.branches.map((b, i) => (subflows: string[]) => {
    const branchMs = b.timeouts?.branchExecTimeout !== undefined ? parseDuration(b.timeouts.branchExecTimeout) : node.timeouts.branchExecMs;
    const actionMs = b.timeouts?.actionExecTimeout !== undefined ? parseDuration(b.timeouts.actionExecTimeout) : node.timeouts.actionExecMs;
    const deadlines = branchMs !== undefined ? [...scope.deadlines, rc.deadline(branchMs, `branchExecTimeout of branch '${b.name}'`)] : scope.deadlines;
    return runActions(rc, b.actions, `${node.pointer}/branches/${i}/actions`, 'sequential', structuredClone(data), { stateName: node.name, deadlines, actionExecMs: actionMs, subflows, branch: b.name }, scope.children);
  });
  rc.log('info', `state '${node.name}': ${def.branches.length} branches (${needed === def.branches.length ? 'allOf' : `atLeast ${needed}`})`, { state: node.name });
  // Unfinished branches are cancelled (specs/semantics.md): event waits withdrawn, not-yet-started
  // work never starts, subflows terminated. Running activities cannot be recalled; results ignored.
  const { results, finished } = yield* runCancellable(
    rc.cancelPort(),
    fibers,
    { completed: `parallel state '${node.name}' completed without this branch`, failed: `parallel state '${node.name}' failed in another branch` },
    needed,
  );
  let out = data;
  results.forEach((r, i) => {
    if (finished[i] && r) out = mergeData(out, r.data, `data of branch '${def.branches[i].name}'`);
  });
  return { data: out };
}
