/**
 * @module interpreter/program
 * The workflow as a deterministic orchestration program (spec §Workflow Definition, the pipeline
 * of the notes §1.16b): validate the input, walk the states from `start`, apply filters, follow
 * transitions and onErrors, compensate, produce events, end (terminate, continueAs, keepActive),
 * and enforce workflowExecTimeout (interrupt, runBefore).
 */
import { compileUserSchema } from '../definition/json-schema.js';
import type { Edge, StateNode } from '../graph/types.js';
import { WorkflowError, assertNever } from '../errors.js';
import { applyStateFilter } from './data.js';
import { errorCode, errorMessage, findErrorEdge } from './error-handling.js';
import { produceEvents } from './events.js';
import { WorkflowTimeoutSignal, type Deadline, type RunContext, type Step } from './run-context.js';
import type { AsyncChild } from './actions.js';
import { runCallback } from './states/callback.js';
import { runEventState } from './states/event.js';
import { runForeach } from './states/foreach.js';
import { runInject } from './states/inject.js';
import { runOperation } from './states/operation.js';
import { runParallel } from './states/parallel.js';
import { runSleep } from './states/sleep.js';
import { ownEdge, type StateOutcome, type StateScope } from './states/state-types.js';
import { runSwitch } from './states/switch.js';

/** Error code of input that fails dataInputSchema. */
export const VALIDATION_ERROR = 'VALIDATION_ERROR';

/** Input envelope of a continueAs into another workflow (or with a new workflowExecTimeout). */
export const CONTINUE_AS_KEY = '$swirlContinueAs';
export interface ContinueAsEnvelope {
  [CONTINUE_AS_KEY]: {
    workflow: string;
    /**
     * Hash of the target's definition version when the continue was decided (a target other than
     * the workflow itself), so that every replay of the new execution runs that same version.
     */
    definition?: string;
    input: unknown;
    workflowExecTimeoutMs?: number;
  };
}

/** Per-run options of {@link runWorkflow}. */
export interface RunOptions {
  /** Overrides the graph's workflowExecTimeout (continueAs.workflowExecTimeout). */
  workflowExecTimeoutMs?: number;
  /**
   * A rerun (specs/timeline.md): start at this state instead of `start`, with `input` as that
   * state's input (dataInputSchema is not checked: it describes the workflow input).
   */
  fromState?: string;
}

function validateInput(rc: RunContext, input: unknown): void {
  const dis = rc.graph.dataInputSchema;
  if (!dis) return;
  // The same draft and $ref files as at validation (definition/json-schema.ts), cached per schema.
  const validate = compileUserSchema(dis);
  if (validate(input)) return;
  const problems = (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`).join('; ');
  if (!dis.failOnValidationErrors) {
    rc.log('warn', `workflow input does not match dataInputSchema (continuing): ${problems}`);
    return;
  }
  throw new WorkflowError(VALIDATION_ERROR, `workflow input does not match dataInputSchema: ${problems}`, { details: validate.errors });
}

/** Runs one state: input filter, body, output filter. */
function* runState(rc: RunContext, node: StateNode, input: unknown, deadlines: readonly Deadline[], children: AsyncChild[], isStart: boolean): Step<StateOutcome> {
  rc.currentState = node.name;
  rc.log('info', `state '${node.name}' (${node.type})`, { state: node.name, type: node.type });
  rc.note({ kind: 'stateEntered', state: node.name, type: node.type, input, ...(rc.compensating ? { compensation: true as const } : {}) });
  const t = node.timeouts;
  const stateDeadlines = [...deadlines];
  // stateExecTimeout: `total` limits the whole state including retries, `single` one attempt.
  if (t.stateExecMs !== undefined) stateDeadlines.push(rc.deadline(t.stateExecMs, `stateExecTimeout of state '${node.name}'`));
  if (t.stateExecSingleMs !== undefined) {
    stateDeadlines.push({ ...rc.deadline(t.stateExecSingleMs, `stateExecTimeout.single of state '${node.name}'`), restartMs: t.stateExecSingleMs });
  }
  const scope: StateScope = { deadlines: stateDeadlines, children, isStart };
  rc.stateData = input;
  const data = applyStateFilter(rc, node.pointer, 'input', input, node.definition.stateDataFilter?.input !== undefined);
  rc.stateData = data;
  let out: StateOutcome;
  switch (node.type) {
    case 'operation':
      out = yield* runOperation(rc, node, data, scope);
      break;
    case 'event':
      out = yield* runEventState(rc, node, data, scope);
      break;
    case 'switch':
      out = yield* runSwitch(rc, node, data, scope);
      break;
    case 'sleep':
      out = yield* runSleep(rc, node, data, scope);
      break;
    case 'parallel':
      out = yield* runParallel(rc, node, data, scope);
      break;
    case 'inject':
      out = yield* runInject(rc, node, data, scope);
      break;
    case 'foreach':
      out = yield* runForeach(rc, node, data, scope);
      break;
    case 'callback':
      out = yield* runCallback(rc, node, data, scope);
      break;
    default:
      assertNever(node.type, 'state type');
  }
  rc.checkDeadlines(stateDeadlines);
  const output = applyStateFilter(rc, node.pointer, 'output', out.data, node.definition.stateDataFilter?.output !== undefined);
  rc.note({ kind: 'stateExited', state: node.name, output });
  return { data: output, edge: out.edge };
}

function nodeOf(rc: RunContext, name: string): StateNode {
  const node = rc.graph.nodes.get(name);
  if (!node) throw new WorkflowError('UNKNOWN_STATE', `state '${name}' does not exist`);
  return node;
}

/** Runs the compensation states of completed states in reverse completion order (spec §Workflow Compensation). */
function* compensate(rc: RunContext, completed: string[], data: unknown, children: AsyncChild[]): Step<unknown> {
  const list = completed.splice(0).reverse();
  for (const name of list) {
    let next: string | undefined = nodeOf(rc, name).compensatedBy;
    rc.log('info', `compensating state '${name}'`, { state: name });
    if (next !== undefined) rc.note({ kind: 'compensationStarted', state: name, by: next });
    while (next !== undefined) {
      const node = nodeOf(rc, next);
      rc.compensating = true;
      let r: StateOutcome;
      try {
        r = yield* runState(rc, node, data, [], children, false);
      } finally {
        rc.compensating = false;
      }
      data = r.data;
      const edge = r.edge ?? ownEdge(node);
      // A compensation chain follows transitions to other compensation states; its end is ignored.
      next = edge?.to !== undefined && rc.graph.nodes.get(edge.to)?.usedForCompensation ? edge.to : undefined;
    }
  }
  return data;
}

/** Wraps an unhandled error so the instance failure names the state, the action and the cause, keeping the code. */
function failure(state: string, err: unknown): WorkflowError {
  const code = errorCode(err) ?? 'INTERNAL_ERROR';
  const details = err instanceof WorkflowError ? err.details : undefined;
  return new WorkflowError(code, `state '${state}': ${errorMessage(err)} (code ${code})`, { cause: err, details, nonRetryable: true });
}

/**
 * Transitions a walk takes before it hands the thread back to the engine (issue 18). States that
 * need no durable step (inject, switch on data, expression functions) run inside one turn, on the
 * server's event loop: a loop of them (`Work → Again → Work …`) would never end its turn, so the
 * server stopped answering and the instance could not be terminated. Every this many transitions
 * the walk waits on a timer due at once: the turn commits, other work and requests run, a
 * terminate is seen, and the next turn continues. Counted along the walk's own path, so a replay
 * yields at the same places (the timers are in the history).
 */
export const TRANSITIONS_PER_YIELD = 100;

/** What ended the walk. */
type WalkEnd = { kind: 'end'; data: unknown; edge: Edge } | { kind: 'timeout'; data: unknown; label: string };

/** Walks the states from `from` until an end, or until the workflow deadline fires. */
function* walk(rc: RunContext, from: string, input: unknown, deadlines: readonly Deadline[], softDeadline: Deadline | undefined, children: AsyncChild[], completed: string[], first: boolean): Step<WalkEnd> {
  let name = from;
  let data = input;
  let isStart = first;
  let transitions = 0;
  for (;;) {
    const node = nodeOf(rc, name);
    let out: StateOutcome;
    try {
      if (transitions > 0 && transitions % TRANSITIONS_PER_YIELD === 0) yield* rc.wait(rc.ctx.createTimer(0), deadlines);
      out = yield* runState(rc, node, data, deadlines, children, isStart);
      if (node.compensatedBy) completed.push(node.name);
    } catch (err) {
      if (err instanceof WorkflowTimeoutSignal) {
        rc.note({ kind: 'workflowTimedOut', state: node.name, timeout: err.message });
        return { kind: 'timeout', data, label: err.message };
      }
      const handler = findErrorEdge(rc.graph, node, err);
      const error = { code: errorCode(err) ?? 'INTERNAL_ERROR', message: errorMessage(err) };
      if (!handler) {
        rc.note({ kind: 'stateFailed', state: node.name, error });
        throw failure(node.name, err);
      }
      rc.log('warn', `state '${node.name}' failed with ${errorCode(err)}: handled by onErrors`, { state: node.name, code: errorCode(err) });
      rc.note({ kind: 'errorHandled', state: node.name, error, ...(handler.to !== undefined ? { to: handler.to } : { end: true as const }) });
      // A16: the handler's target receives the state data at the time of failure (no output filter).
      out = { data: rc.stateData, edge: handler };
    }
    isStart = false;
    const edge = out.edge ?? ownEdge(node);
    if (!edge) throw failure(node.name, new WorkflowError('NO_TRANSITION', 'the state has neither a transition nor an end'));
    rc.note({
      kind: 'transition',
      from: node.name,
      ...(edge.to !== undefined ? { to: edge.to } : { end: true as const }),
      via: edge.kind,
      ...(edge.label !== undefined && edge.label !== '' ? { condition: edge.label } : {}),
      ...(edge.compensate || edge.end?.compensate ? { compensate: true as const } : {}),
    });
    let next = out.data;
    if (edge.compensate) next = yield* compensate(rc, completed, next, children);
    if (edge.to !== undefined) {
      yield* produceEvents(rc, edge.produceEvents, edge.pointer, next);
      // interrupt: false — the running state finished; the timeout takes effect at the boundary.
      if (softDeadline?.task.isComplete) return { kind: 'timeout', data: next, label: `${softDeadline.label} expired` };
      name = edge.to;
      data = next;
      transitions++;
      continue;
    }
    return { kind: 'end', data: next, edge };
  }
}

/** Ends async subflows whose onParentComplete is terminate (through an activity; the engine terminates them). */
function* endChildren(rc: RunContext, children: AsyncChild[]): Step<void> {
  const ids = children.filter((c) => c.terminate).map((c) => c.instanceId);
  if (ids.length > 0) yield rc.ctx.callActivity(rc.activities.terminate, { instanceIds: ids, reason: 'parent workflow completed' });
}

/** Terminates this instance (workflowExecTimeout), after the runBefore state when there is one. */
function* terminateSelf(rc: RunContext, label: string, data: unknown, children: AsyncChild[]): Step<unknown> {
  rc.log('warn', `${label}: ending the instance`);
  const runBefore = rc.graph.timeouts.runBefore;
  if (runBefore) {
    const r = yield* walk(rc, runBefore, data, [], undefined, children, [], false);
    data = r.data;
  }
  yield* endChildren(rc, children);
  yield rc.ctx.callActivity(rc.activities.terminate, { instanceIds: [rc.ctx.instanceId], reason: label, output: data });
  // The engine ends the execution as TERMINATED; nothing to do until then.
  yield rc.ctx.waitForExternalEvent('$swirl.never');
  return data;
}

/** The whole instance: returns the workflow output. */
export function* runWorkflow(rc: RunContext, input: unknown, options: RunOptions = {}): Step<unknown> {
  const data0 = input === undefined || input === null ? {} : input;
  if (options.fromState === undefined) validateInput(rc, data0);
  else rc.note({ kind: 'rerunStarted', fromState: options.fromState });
  rc.workflowInput = data0;
  const t = rc.graph.timeouts;
  const wfMs = options.workflowExecTimeoutMs ?? t.workflowExecMs;
  const wfDeadline: Deadline | undefined = wfMs !== undefined ? { ...rc.deadline(wfMs, `workflowExecTimeout (${wfMs} ms)`), workflow: true } : undefined;
  const hard = wfDeadline && t.interrupt ? [wfDeadline] : [];
  const soft = wfDeadline && !t.interrupt ? wfDeadline : undefined;
  const children: AsyncChild[] = [];
  const completed: string[] = [];
  let from = options.fromState ?? rc.graph.start;
  let data: unknown = data0;
  let first = from === rc.graph.start;
  for (;;) {
    const r = yield* walk(rc, from, data, hard, soft, children, completed, first);
    if (r.kind === 'timeout') return yield* terminateSelf(rc, r.label, r.data, children);
    const end = r.edge.end!;
    data = r.data;
    if (end.compensate) data = yield* compensate(rc, completed, data, children);
    yield* produceEvents(rc, end.produceEvents, r.edge.pointer, data);
    if (end.continueAs) {
      const c = end.continueAs;
      const target = rc.resolveWorkflow(c.workflowId, c.version);
      if (!target) throw failure(rc.currentState, new WorkflowError('SUBFLOW_NOT_FOUND', `continueAs target '${c.workflowId}' is not known`));
      const next = c.data === undefined ? data : rc.resolveValue(c.data, `${r.edge.pointer}/continueAs/data`, data, 'continueAs data');
      yield* endChildren(rc, children);
      rc.log('info', `continuing as a new execution of '${target}'`);
      const definition = target === rc.workflowName ? undefined : rc.definitionOf(target);
      const envelope: ContinueAsEnvelope = { [CONTINUE_AS_KEY]: { workflow: target, ...(definition !== undefined ? { definition } : {}), input: next, workflowExecTimeoutMs: c.workflowExecTimeoutMs } };
      rc.ctx.continueAsNew(envelope);
      return data;
    }
    if (rc.graph.keepActive && !end.terminate) {
      // A22: a keepActive instance does not complete when its path ends. When it starts with an
      // event state it goes back there for the next events; otherwise it waits for the deadline.
      const startNode = nodeOf(rc, rc.graph.start);
      if (startNode.type === 'event') {
        from = startNode.name;
        first = false;
        continue;
      }
      if (wfDeadline) {
        yield wfDeadline.task;
        return yield* terminateSelf(rc, `${wfDeadline.label} expired`, data, children);
      }
      rc.log('info', 'keepActive: the path ended; the instance stays active');
      yield rc.ctx.waitForExternalEvent('$swirl.never');
    }
    yield* endChildren(rc, children);
    return data;
  }
}
