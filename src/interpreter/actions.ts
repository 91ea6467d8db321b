/**
 * @module interpreter/actions
 * One action (spec §Action Definition): condition, sleep before/after, fromStateData, the invocation
 * (functionRef, eventRef or subFlowRef) with retries and actionExecTimeout, then results/toStateData
 * merged into the state data (§1.16b of the notes). Side effects run in activities.
 */
import type { Action, FunctionRef, SubFlowRef } from '../definition/types.js';
import { parseDuration } from '../definition/duration.js';
import { activityOperation } from '../definition/checks/functions.js';
import { SwirlError, WorkflowError } from '../errors.js';
import { canMerge, mergeInto } from './data.js';
import { errorCode, errorMessage, randomFromGuid, retryDelay, retryPolicyFor } from './error-handling.js';
import { buildCloudEvent, listen, produceEvent, waitForEvents } from './events.js';
import { TIMEOUT, WorkflowTimeoutSignal, type Deadline, type RunContext, type Step } from './run-context.js';
import { EngineFlag } from '../engine/flags.js';
import type { ActionPlace, ActionTarget } from './timeline.js';
import { protocolCallExtras } from './selection-set.js';
import { loggerLevel, sysoutLevel, sysoutMessage } from './profiles/sonataflow.js';

/** Where an action runs: its state, the deadlines in force, and the action timeout. */
export interface ActionScope {
  stateName: string;
  deadlines: readonly Deadline[];
  actionExecMs?: number;
  /** foreach iterations: a result that cannot merge at the top level is only the iteration's result. */
  iteration?: boolean;
  /** Told the state data after each merge (what an onErrors target receives on a later failure). */
  onData?: (data: unknown) => void;
  /** Collects the instance ids of subflows started here (a parallel branch, to cancel it). */
  subflows?: string[];
  /** The parallel branch the action runs in (for the timeline). */
  branch?: string;
  /** The foreach iteration (0-based) the action runs in (for the timeline). */
  iterationIndex?: number;
}

/** The timeline's place of an action: branch or iteration. */
function placeOf(scope: ActionScope): ActionPlace {
  return { ...(scope.branch !== undefined ? { branch: scope.branch } : {}), ...(scope.iterationIndex !== undefined ? { iteration: scope.iterationIndex } : {}) };
}

/** Which attempt of which noted action an invocation is. */
interface Attempt {
  id: number;
  attempt: number;
  label: string;
}

/** Result of one action: the new state data and the (filtered) result, `ran` false when skipped. */
export interface ActionOutcome {
  data: unknown;
  result: unknown;
  ran: boolean;
  /** A sonataflow `sysout` call: it ran but has no result, so an iteration's result stays the previous action's. */
  logOnly?: boolean;
}

/** What an async subflow must do when the parent completes. */
export interface AsyncChild {
  instanceId: string;
  terminate: boolean;
}

/** Human name of an action for messages. */
export function actionLabel(action: Action, pointer: string): string {
  if (action.name) return action.name;
  if (action.functionRef) return typeof action.functionRef === 'string' ? action.functionRef : action.functionRef.refName;
  if (action.subFlowRef) return typeof action.subFlowRef === 'string' ? action.subFlowRef : action.subFlowRef.workflowId;
  if (action.eventRef) return action.eventRef.triggerEventRef;
  return pointer;
}

/** Wraps a failure so its message names the action, keeping the code that onErrors matches. */
function annotate(err: unknown, label: string): unknown {
  if (err instanceof WorkflowTimeoutSignal) return err;
  const code = errorCode(err) ?? 'INTERNAL_ERROR';
  const details = err instanceof WorkflowError ? err.details : (err as { failure?: { details?: unknown } }).failure?.details;
  return new WorkflowError(code, `action '${label}': ${errorMessage(err)}`, { cause: err, details });
}

function ms(duration: string | undefined): number | undefined {
  return duration === undefined ? undefined : parseDuration(duration);
}

/** Runs one action against the state data; async children are appended to `children`. */
export function* runAction(rc: RunContext, action: Action, pointer: string, data: unknown, scope: ActionScope, children: AsyncChild[]): Step<ActionOutcome> {
  const label = actionLabel(action, pointer);
  try {
    if (action.condition !== undefined) {
      // A15: the condition sees the state data; only `true` runs the action.
      if (rc.evaluate(`${pointer}/condition`, data, 'action condition') !== true) {
        rc.log('debug', `action '${label}' skipped: condition is not true`, { state: scope.stateName, action: label });
        return { data, result: undefined, ran: false };
      }
    }
    const before = ms(action.sleep?.before);
    if (before) yield* rc.wait(rc.ctx.createTimer(before), scope.deadlines);
    const filter = action.actionDataFilter;
    const input = filter?.fromStateData !== undefined ? rc.evaluate(`${pointer}/actionDataFilter/fromStateData`, data, 'fromStateData') : data;
    rc.log('info', `action '${label}'`, { state: scope.stateName, action: label });
    const { result, async } = yield* invokeWithRetries(rc, action, pointer, input, scope, children, label);
    const after = ms(action.sleep?.after);
    if (after) yield* rc.wait(rc.ctx.createTimer(after), scope.deadlines);
    if (isSysout(rc, action)) return { data, result: undefined, ran: true, logOnly: true };
    if (async || filter?.useResults === false) return { data, result: undefined, ran: true };
    const selected = filter?.results !== undefined ? rc.evaluate(`${pointer}/actionDataFilter/results`, result, 'actionDataFilter.results') : result;
    const toState = filter?.toStateData !== undefined ? `${pointer}/actionDataFilter/toStateData` : undefined;
    // A3: a result that is nothing (an empty response, a filter selecting nothing) merges nothing
    // into the state data as a whole; with toStateData it is stored as null.
    if (selected === undefined || (selected === null && toState === undefined)) return { data, result: selected ?? null, ran: true };
    if (toState === undefined && scope.iteration && !canMerge(data, selected)) return { data, result: selected, ran: true };
    const merged = mergeInto(rc, data, selected, toState, `result of action '${label}'`);
    scope.onData?.(merged);
    return { data: merged, result: selected, ran: true };
  } catch (err) {
    throw annotate(err, label);
  }
}

/** Whether the action calls a sysout function (sonataflow profile): a log line, no result. */
function isSysout(rc: RunContext, action: Action): boolean {
  if (action.functionRef === undefined) return false;
  return sysoutLevel(rc.graph.profile, typeof action.functionRef === 'string' ? action.functionRef : action.functionRef.refName) !== undefined;
}

function* invokeWithRetries(
  rc: RunContext,
  action: Action,
  pointer: string,
  input: unknown,
  scope: ActionScope,
  children: AsyncChild[],
  label: string,
): Step<{ result: unknown; async: boolean }> {
  const id = rc.noteId();
  const place = placeOf(scope);
  for (let attempt = 1; ; attempt++) {
    try {
      const r = yield* invokeOnce(rc, action, pointer, input, scope, children, { id, attempt, label });
      rc.note({ kind: 'actionCompleted', id, state: scope.stateName, action: label, attempt, result: r.result, ...place });
      return r;
    } catch (err) {
      if (!(err instanceof WorkflowTimeoutSignal)) rc.note({ kind: 'actionFailed', id, state: scope.stateName, action: label, attempt, error: { code: errorCode(err) ?? 'INTERNAL_ERROR', message: errorMessage(err) }, ...place });
      if (err instanceof WorkflowTimeoutSignal || !(err instanceof SwirlError)) throw err;
      // A deadline of the state (not this action's own timeout) ends the retries too.
      rc.checkDeadlines(scope.deadlines);
      const policy = retryPolicyFor(rc.graph, action, err);
      const delay = policy ? retryDelay(policy, attempt, policy.jitter ? randomFromGuid(rc.ctx.newGuid()) : 0) : undefined;
      if (delay === undefined) {
        if (policy) throw new WorkflowError(errorCode(err) ?? 'INTERNAL_ERROR', `failed after ${attempt} attempt(s): ${errorMessage(err)}`, { cause: err });
        throw err;
      }
      rc.log('warn', `action '${label}' failed (attempt ${attempt}): ${errorMessage(err)}; retrying in ${delay} ms`, { state: scope.stateName, action: label, attempt, code: errorCode(err) });
      rc.note({ kind: 'actionRetried', id, state: scope.stateName, action: label, attempt, delayMs: delay, ...place });
      yield* rc.wait(rc.ctx.createTimer(delay), scope.deadlines);
      // stateExecTimeout: `single` bounds each attempt (a fresh window now), `total` all of them.
      rc.restartAttemptWindows(scope.deadlines);
    }
  }
}

function* invokeOnce(rc: RunContext, action: Action, pointer: string, input: unknown, scope: ActionScope, children: AsyncChild[], at: Attempt): Step<{ result: unknown; async: boolean }> {
  const label = at.label;
  const started = (target: ActionTarget) => rc.note({ kind: 'actionStarted', id: at.id, state: scope.stateName, action: label, attempt: at.attempt, input, ...placeOf(scope), ...target });
  const deadlines = scope.actionExecMs !== undefined ? [...scope.deadlines, rc.deadline(scope.actionExecMs, `actionExecTimeout of action '${label}'`)] : scope.deadlines;
  if (action.functionRef !== undefined) {
    const ref: FunctionRef = typeof action.functionRef === 'string' ? { refName: action.functionRef } : action.functionRef;
    const fn = rc.graph.functions.get(ref.refName);
    if (!fn) throw new WorkflowError('UNKNOWN_FUNCTION', `function '${ref.refName}' is not defined`);
    const args = ref.arguments !== undefined ? rc.resolveValue(ref.arguments, `${pointer}/functionRef/arguments`, input, 'argument') : undefined;
    started({ function: fn.name, functionType: fn.type ?? 'rest', ...(ref.invoke === 'async' ? { invoke: 'async' as const } : {}) });
    // sonataflow profile: sysout logs in the orchestration (replay-safe) and returns nothing.
    const sysout = sysoutLevel(rc.graph.profile, fn.name);
    if (sysout !== undefined) {
      rc.log(loggerLevel(sysout), sysoutMessage(args, input), { state: scope.stateName, action: label, function: fn.name });
      return { result: undefined, async: ref.invoke === 'async' };
    }
    if (fn.type === 'expression') {
      const index = (rc.graph.definition.functions as { name: string }[]).findIndex((f) => f.name === fn.name);
      // Decision: an expression function's input is its arguments object when given, else the action data.
      return { result: rc.evaluate(`/functions/${index}/operation`, args ?? input, `function '${fn.name}'`), async: false };
    }
    // `activity:<name>` (specs/custom-operations.md): the activity itself is scheduled — an app's
    // (Dapr SDK worker over gRPC) or one registered in process — so the history names it. Its
    // input is the arguments object when given, else the action data (as expression functions).
    const appActivity = fn.type === 'custom' ? activityOperation(fn.operation) : undefined;
    if (appActivity !== undefined) {
      const traceparent = rc.actionTraceparent(at.id, at.attempt);
      if (ref.invoke === 'async') {
        rc.ctx.callActivity(appActivity, args ?? input, { detached: true, traceparent });
        return { result: undefined, async: true };
      }
      return { result: yield* rc.wait(rc.ctx.callActivity(appActivity, args ?? input, { traceparent }), deadlines), async: false };
    }
    const call = { workflow: rc.workflowName, definition: rc.graph.hash, function: fn.name, arguments: args, input: args === undefined ? input : undefined, state: scope.stateName, action: label, ...protocolCallExtras(rc, fn, ref, pointer, input, scope.actionExecMs) };
    // invoke: async is fire-and-forget: the call is made even if the workflow ends first (a
    // detached task outlives its instance) and the workflow never waits for it (spec §FunctionRef).
    const traceparent = rc.actionTraceparent(at.id, at.attempt);
    if (ref.invoke === 'async') {
      rc.ctx.callActivity(rc.activities.call, call, { detached: true, traceparent });
      return { result: undefined, async: true };
    }
    const task = rc.ctx.callActivity(rc.activities.call, call, { traceparent });
    return { result: yield* rc.wait(task, deadlines), async: false };
  }
  if (action.eventRef !== undefined) {
    const ref = action.eventRef;
    const isAsync = ref.invoke === 'async';
    // Subscribe before triggering, so a fast reply is not missed.
    const waits = isAsync ? [] : listen(rc, ref.resultEventRef);
    started({ triggerEvent: ref.triggerEventRef, ...(isAsync ? { invoke: 'async' as const } : { resultEvent: ref.resultEventRef }) });
    const data = ref.data === undefined ? input : rc.resolveValue(ref.data, `${pointer}/eventRef/data`, input, 'eventRef data');
    const attrs = ref.contextAttributes ? (rc.resolveValue(ref.contextAttributes, `${pointer}/eventRef/contextAttributes`, input, 'contextAttributes') as Record<string, unknown>) : undefined;
    yield* produceEvent(rc, ref.triggerEventRef, buildCloudEvent(rc, ref.triggerEventRef, data, attrs), rc.actionTraceparent(at.id, at.attempt));
    if (isAsync) return { result: undefined, async: true };
    const timeoutMs = ms(ref.resultEventTimeout) ?? scope.actionExecMs;
    const evDeadlines = timeoutMs !== undefined ? [...scope.deadlines, rc.deadline(timeoutMs, `resultEventTimeout of action '${label}' (waiting for '${ref.resultEventRef}')`)] : scope.deadlines;
    const arrival = yield* waitForEvents(rc, [{ name: ref.resultEventRef, waits }], undefined, evDeadlines);
    if ('timedOut' in arrival) throw new WorkflowError(TIMEOUT, `no '${ref.resultEventRef}' event in time`);
    return { result: arrival.payload, async: false };
  }
  if (action.subFlowRef !== undefined) {
    const ref: SubFlowRef = typeof action.subFlowRef === 'string' ? { workflowId: action.subFlowRef } : action.subFlowRef;
    const target = rc.resolveWorkflow(ref.workflowId, ref.version);
    if (!target) {
      throw new WorkflowError('SUBFLOW_NOT_FOUND', `subflow '${ref.workflowId}'${ref.version ? ` version '${ref.version}'` : ''} is not known: put its definition in the folder given to --workflows (swirl run, swirl serve), or pass it to registerWorkflow's workflows option`, { nonRetryable: true });
    }
    const instanceId = subflowInstanceId(rc.ctx.instanceId, rc.ctx.newGuid(), rc.ctx.hasFlag(EngineFlag.UniqueSubflowIds));
    started({ subflow: target, instanceId, ...(ref.invoke === 'async' ? { invoke: 'async' as const } : {}) });
    const task = rc.ctx.callSubOrchestrator(target, input, { instanceId, traceparent: rc.actionTraceparent(at.id, at.attempt) });
    scope.subflows?.push(instanceId);
    if (ref.invoke === 'async') {
      children.push({ instanceId, terminate: (ref.onParentComplete ?? 'terminate') === 'terminate' });
      return { result: undefined, async: true };
    }
    return { result: yield* rc.wait(task, deadlines), async: false };
  }
  throw new WorkflowError('INVALID_ACTION', 'the action has no functionRef, eventRef or subFlowRef');
}

/** Longest instance id the engine accepts (engine/validation.ts). */
const MAX_INSTANCE_ID = 200;

/**
 * The id of a subflow's child instance: the parent's id, ':' and a tag derived from `guid` (a
 * ctx.newGuid(): UUIDv5 over parent id, execution id and a counter, so deterministic on replay).
 * `unique` (flag UniqueSubflowIds): the tag is all 128 bits of the UUID in base64url (22 chars,
 * 122 bits from the hash), so ids do not collide; the parent prefix is cut from the left when the
 * id would exceed 200 characters (deep nesting) — the tag alone is unique. Without the flag (old
 * histories): the first 8 hex digits, as those histories recorded them.
 */
export function subflowInstanceId(parentId: string, guid: string, unique: boolean): string {
  if (!unique) return `${parentId}:${guid.slice(0, 8)}`;
  const tag = Buffer.from(guid.replace(/-/g, ''), 'hex').toString('base64url');
  const room = MAX_INSTANCE_ID - tag.length - 1;
  return `${parentId.length > room ? parentId.slice(parentId.length - room) : parentId}:${tag}`;
}
