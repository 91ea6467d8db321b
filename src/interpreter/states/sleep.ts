/**
 * @module interpreter/states/sleep
 * Sleep state (spec §Sleep State): a durable timer for `duration`, then the transition.
 */
import type { StateNode } from '../../graph/types.js';
import type { RunContext, Step } from '../run-context.js';
import type { StateOutcome, StateScope } from './state-types.js';

/** Runs a sleep state. */
export function* runSleep(rc: RunContext, node: StateNode, data: unknown, scope: StateScope): Step<StateOutcome> {
  const ms = node.sleepMs ?? 0;
  rc.log('info', `state '${node.name}': sleeping ${ms} ms`, { state: node.name, ms });
  const id = rc.noteId();
  rc.note({ kind: 'timerStarted', id, state: node.name, untilMs: rc.ctx.currentTimeMs + ms });
  yield* rc.wait(rc.ctx.createTimer(ms), scope.deadlines);
  rc.note({ kind: 'timerFired', id, state: node.name });
  return { data };
}
