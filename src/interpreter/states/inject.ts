/**
 * @module interpreter/states/inject
 * Inject state (spec §Inject State): `data` is merged into the state data (l.2760). Strings that
 * are a whole `${ … }` are evaluated against the state data (value-field rule); the rest is static.
 */
import type { InjectState } from '../../definition/types.js';
import type { StateNode } from '../../graph/types.js';
import { mergeData } from '../data.js';
import type { RunContext, Step } from '../run-context.js';
import type { StateOutcome, StateScope } from './state-types.js';

/** Runs an inject state. */
// eslint-disable-next-line require-yield
export function* runInject(rc: RunContext, node: StateNode, data: unknown, _scope: StateScope): Step<StateOutcome> {
  const def = node.definition as InjectState;
  const injected = rc.resolveValue(def.data, `${node.pointer}/data`, data, 'inject data');
  return { data: mergeData(data, injected, `inject data of state '${node.name}'`) };
}
