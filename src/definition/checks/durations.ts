/**
 * @module definition/checks/durations
 * Every ISO-8601 duration parses: sleep states and action sleeps, all timeouts, retry delays,
 * resultEventTimeout, and continueAs timeouts.
 */
import { DiagnosticCode } from '../diagnostic.js';
import { explainDuration, parseDuration } from '../duration.js';
import { joinPointer } from '../json-pointer.js';
import { actionsOf, arrayOrEmpty, endsOf, isObject, states } from '../walk.js';
import type { CheckContext } from './context.js';
import type { Reporter } from '../report.js';

type Obj = Record<string, unknown>;

/** A check that reports a string at `pointer` that is not an ISO-8601 duration. */
function durationCheck(r: Reporter): Check {
  return (value, pointer, what) => {
    if (typeof value !== 'string') return;
    if (parseDuration(value) === undefined) {
      r.error(DiagnosticCode.InvalidDuration, pointer, `${r.ownerOf(pointer)}: ${what} '${value}' is not an ISO-8601 duration`, {
        hint: explainDuration(value),
      });
    }
  };
}

export function checkDurations(ctx: CheckContext): void {
  const { doc } = ctx;
  const check = durationCheck(ctx.r);
  checkTimeouts(doc.timeouts, '/timeouts', check);
  for (const { state, pointer } of states(doc)) {
    if (state.type === 'sleep') check(state.duration, joinPointer(pointer, 'duration'), 'duration');
    checkTimeouts(state.timeouts, joinPointer(pointer, 'timeouts'), check);
    arrayOrEmpty(state.branches).forEach((b, i) => isObject(b) && checkTimeouts(b.timeouts, joinPointer(pointer, 'branches', i, 'timeouts'), check));
    for (const { action, pointer: ap } of actionsOf(state, pointer)) {
      if (isObject(action.sleep)) {
        check(action.sleep.before, joinPointer(ap, 'sleep', 'before'), 'sleep.before');
        check(action.sleep.after, joinPointer(ap, 'sleep', 'after'), 'sleep.after');
      }
      if (isObject(action.eventRef)) check(action.eventRef.resultEventTimeout, joinPointer(ap, 'eventRef', 'resultEventTimeout'), 'resultEventTimeout');
    }
    for (const { end, pointer: ep } of endsOf(state, pointer)) {
      if (isObject(end) && isObject(end.continueAs)) {
        checkTimeouts({ workflowExecTimeout: end.continueAs.workflowExecTimeout }, joinPointer(ep, 'continueAs'), check);
      }
    }
  }
  if (Array.isArray(doc.retries)) checkRetryDurations(doc.retries, ctx.r);
}

/** The durations of a retries list (inline, or the array of an external file), reported into `r`. */
export function checkRetryDurations(retries: unknown[], r: Reporter, base = '/retries'): void {
  const check = durationCheck(r);
  retries.forEach((retry, i) => checkRetry(retry, `${base}/${i}`, check));
}

type Check = (value: unknown, pointer: string, what: string) => void;

/** Retry delays; `jitter` may be a fraction (number) or a duration (string). */
function checkRetry(retry: unknown, pointer: string, check: Check): void {
  if (!isObject(retry)) return;
  for (const key of ['delay', 'maxDelay', 'increment', 'jitter'] as const) check(retry[key], joinPointer(pointer, key), key);
}

function checkTimeouts(timeouts: unknown, pointer: string, check: Check): void {
  if (!isObject(timeouts)) return;
  const t = timeouts as Obj;
  const wf = t.workflowExecTimeout;
  if (typeof wf === 'string') check(wf, joinPointer(pointer, 'workflowExecTimeout'), 'workflowExecTimeout');
  else if (isObject(wf)) check(wf.duration, joinPointer(pointer, 'workflowExecTimeout', 'duration'), 'workflowExecTimeout.duration');
  const st = t.stateExecTimeout;
  if (typeof st === 'string') check(st, joinPointer(pointer, 'stateExecTimeout'), 'stateExecTimeout');
  else if (isObject(st)) {
    check(st.single, joinPointer(pointer, 'stateExecTimeout', 'single'), 'stateExecTimeout.single');
    check(st.total, joinPointer(pointer, 'stateExecTimeout', 'total'), 'stateExecTimeout.total');
  }
  for (const key of ['actionExecTimeout', 'branchExecTimeout', 'eventTimeout'] as const) check(t[key], joinPointer(pointer, key), key);
}
