/**
 * @module graph/compile
 * Valid definition → immutable WorkflowGraph, once per definition version. Applies the spec's
 * defaults here (and only here), resolves references, parses durations to milliseconds and compiles
 * every expression (`fn:name` calls inlined as the named expression function's jq).
 */
import { createHash } from 'node:crypto';
import { compileExpression, compileJsonPath, type CompiledExpression } from '../expressions/index.js';
import { parseDuration } from '../definition/duration.js';
import { expressionSites, FUNCTION_CALL, alwaysExpression } from '../definition/expression-sites.js';
import { joinPointer } from '../definition/json-pointer.js';
import type {
  End,
  ErrorDef,
  EventDef,
  FunctionDef,
  ProduceEventDef,
  RetryDef,
  State,
  Timeouts,
  Transition,
  Workflow,
} from '../definition/types.js';
import type { ProfileRuntime } from '../definition/profiles/sonataflow/runtime.js';
import { DefinitionError } from '../errors.js';
import { EdgeKind, type CompiledEnd, type Edge, type RetryPolicy, type StateNode, type StateTimeouts, type WorkflowGraph, type WorkflowTimeouts } from './types.js';

/**
 * Compiles a workflow that passed validation (definition/validate with no errors, external sections
 * inlined). Throws DefinitionError when given something validation would have rejected.
 */
export function compileWorkflow(workflow: Workflow, profile?: ProfileRuntime): WorkflowGraph {
  const id = workflow.id ?? workflow.key;
  if (!id) throw new DefinitionError('INVALID_DEFINITION', "the workflow has neither 'id' nor 'key'");
  if (!Array.isArray(workflow.states) || workflow.states.length === 0) throw new DefinitionError('INVALID_DEFINITION', `workflow '${id}' has no states`);
  for (const section of ['functions', 'events', 'retries', 'errors', 'auth'] as const) {
    if (typeof workflow[section] === 'string') throw new DefinitionError('INVALID_DEFINITION', `workflow '${id}': external ${section} were not loaded; compile what validate returned`);
  }
  const functions = byName((workflow.functions as FunctionDef[] | undefined) ?? []);
  const events = byName((workflow.events as EventDef[] | undefined) ?? []);
  const errors = byName((workflow.errors as ErrorDef[] | undefined) ?? []);
  const retries = new Map(((workflow.retries as RetryDef[] | undefined) ?? []).map((r) => [r.name, compileRetry(r)]));
  const timeouts = compileWorkflowTimeouts(workflow.timeouts);

  const nodes = new Map<string, StateNode>();
  const edges: Edge[] = [];
  workflow.states.forEach((state, index) => {
    const pointer = `/states/${index}`;
    const node = compileState(state, pointer, timeouts);
    nodes.set(state.name, node);
    edges.push(...node.edges);
  });

  const start = typeof workflow.start === 'string' ? workflow.start : (workflow.start?.stateName ?? workflow.states[0].name);
  const schedule = compileSchedule(workflow);
  const dis = workflow.dataInputSchema;
  const graph: WorkflowGraph = {
    id,
    version: workflow.version,
    name: workflow.name,
    // A profile changes what the document means, so it is part of the version's identity.
    hash: profile ? createHash('sha256').update(canonicalJson({ workflow, profile })).digest('hex') : definitionHash(workflow),
    start,
    nodes,
    edges,
    functions,
    events,
    retries,
    errors,
    timeouts,
    keepActive: workflow.keepActive ?? false,
    autoRetries: workflow.autoRetries ?? false,
    constants: typeof workflow.constants === 'object' && workflow.constants !== null ? workflow.constants : {},
    secrets: Array.isArray(workflow.secrets) ? workflow.secrets : [],
    dataInputSchema:
      typeof dis === 'object' && dis !== null && typeof dis.schema === 'object'
        ? { schema: dis.schema as Record<string, unknown>, failOnValidationErrors: dis.failOnValidationErrors ?? true, refs: dis.refs, baseUri: dis.baseUri }
        : undefined,
    schedule,
    // sonataflow profile: `expressionLang: jsonpath` (specs/sonataflow-profile.md).
    expressions: profile && typeof workflow.expressionLang === 'string' && workflow.expressionLang.trim().toLowerCase() === 'jsonpath' ? compileJsonPathExpressions(workflow) : compileExpressions(workflow, functions),
    definition: workflow,
    ...(profile ? { profile } : {}),
  };
  return Object.freeze(graph);
}

function byName<T extends { name: string }>(items: T[]): Map<string, T> {
  return new Map(items.map((i) => [i.name, i]));
}

/** sha256 over the canonical JSON (keys sorted), so formatting changes do not change the hash. */
export function definitionHash(workflow: Workflow): string {
  return createHash('sha256').update(canonicalJson(workflow)).digest('hex');
}

function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const entries = Object.keys(v as object)
      .sort()
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(v);
}

function ms(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const v = parseDuration(text);
  if (v === undefined) throw new DefinitionError('INVALID_DURATION', `'${text}' is not an ISO-8601 duration`);
  return v;
}

function compileRetry(r: RetryDef): RetryPolicy {
  const jitter =
    r.jitter === undefined ? undefined : typeof r.jitter === 'number' ? { fraction: r.jitter } : { maxMs: ms(r.jitter) ?? 0 };
  const policy: RetryPolicy = {
    name: r.name,
    delayMs: ms(r.delay) ?? 0,
    incrementMs: ms(r.increment) ?? 0,
    multiplier: r.multiplier === undefined ? 1 : Number(r.multiplier),
    maxAttempts: Number(r.maxAttempts),
  };
  const maxDelayMs = ms(r.maxDelay);
  if (maxDelayMs !== undefined) policy.maxDelayMs = maxDelayMs;
  if (jitter) policy.jitter = jitter;
  return policy;
}

function compileStateTimeouts(t: Timeouts | undefined, defaults: StateTimeouts): StateTimeouts {
  const out: StateTimeouts = { ...defaults };
  if (!t) return out;
  const st = t.stateExecTimeout;
  if (typeof st === 'string') out.stateExecMs = ms(st);
  else if (st) {
    out.stateExecMs = ms(st.total);
    if (st.single !== undefined) out.stateExecSingleMs = ms(st.single);
  }
  if (t.actionExecTimeout !== undefined) out.actionExecMs = ms(t.actionExecTimeout);
  if (t.branchExecTimeout !== undefined) out.branchExecMs = ms(t.branchExecTimeout);
  if (t.eventTimeout !== undefined) out.eventMs = ms(t.eventTimeout);
  return out;
}

function compileWorkflowTimeouts(t: Workflow['timeouts']): WorkflowTimeouts {
  const timeouts = typeof t === 'object' ? t : undefined;
  const out: WorkflowTimeouts = { ...compileStateTimeouts(timeouts, {}), interrupt: true };
  const wf = timeouts?.workflowExecTimeout;
  if (typeof wf === 'string') out.workflowExecMs = ms(wf);
  else if (wf) {
    out.workflowExecMs = ms(wf.duration);
    out.interrupt = wf.interrupt ?? true;
    if (wf.runBefore) out.runBefore = wf.runBefore;
  }
  return out;
}

function compileEnd(end: End): CompiledEnd | undefined {
  if (end === false) return undefined;
  if (end === true) return { terminate: false, compensate: false, produceEvents: [] };
  const out: CompiledEnd = {
    terminate: end.terminate ?? false,
    compensate: end.compensate ?? false,
    produceEvents: compileProduce(end.produceEvents),
  };
  const c = end.continueAs;
  if (typeof c === 'string') out.continueAs = { workflowId: c };
  else if (c) {
    const wf = c.workflowExecTimeout;
    out.continueAs = {
      workflowId: c.workflowId,
      version: c.version,
      data: c.data,
      workflowExecTimeoutMs: typeof wf === 'string' ? ms(wf) : wf ? ms(wf.duration) : undefined,
    };
  }
  return out;
}

function compileProduce(list: ProduceEventDef[] | undefined): CompiledEnd['produceEvents'] {
  return (list ?? []).map((p) => ({ eventRef: p.eventRef, data: p.data, contextAttributes: p.contextAttributes }));
}

function edgeOf(from: string, kind: EdgeKind, pointer: string, t: Transition | undefined, end: End | undefined, label?: string): Edge | undefined {
  if (t !== undefined) {
    const edge: Edge = { from, kind, pointer: joinPointer(pointer, 'transition'), label };
    if (typeof t === 'string') edge.to = t;
    else {
      edge.to = t.nextState;
      if (t.compensate) edge.compensate = true;
      if (t.produceEvents?.length) edge.produceEvents = compileProduce(t.produceEvents);
    }
    return edge;
  }
  if (end !== undefined) {
    const compiled = compileEnd(end);
    if (compiled) return { from, kind, pointer: joinPointer(pointer, 'end'), end: compiled, label };
  }
  return undefined;
}

function compileState(state: State, pointer: string, defaults: StateTimeouts): StateNode {
  const edges: Edge[] = [];
  const push = (e: Edge | undefined) => e && edges.push(e);
  if (state.type === 'switch') {
    (state.dataConditions ?? []).forEach((c, i) =>
      push(edgeOf(state.name, EdgeKind.Condition, joinPointer(pointer, 'dataConditions', i), c.transition, c.end, c.name ?? alwaysExpression(c.condition).jq.trim())),
    );
    (state.eventConditions ?? []).forEach((c, i) =>
      push(edgeOf(state.name, EdgeKind.Condition, joinPointer(pointer, 'eventConditions', i), c.transition, c.end, c.name ?? `on ${c.eventRef}`)),
    );
    push(edgeOf(state.name, EdgeKind.Default, joinPointer(pointer, 'defaultCondition'), state.defaultCondition?.transition, state.defaultCondition?.end, 'default'));
  } else {
    push(edgeOf(state.name, EdgeKind.Transition, pointer, state.transition, state.end));
  }
  (state.onErrors ?? []).forEach((o, i) => {
    const label = o.errorRef ?? (o.errorRefs ?? []).join(', ');
    push(edgeOf(state.name, EdgeKind.Error, joinPointer(pointer, 'onErrors', i), o.transition, o.end, label));
  });
  if (state.compensatedBy) {
    edges.push({ from: state.name, kind: EdgeKind.Compensation, to: state.compensatedBy, pointer: joinPointer(pointer, 'compensatedBy'), label: 'compensatedBy' });
  }
  const node: StateNode = {
    name: state.name,
    type: state.type,
    definition: state,
    pointer,
    edges,
    timeouts: compileStateTimeouts(state.timeouts, defaults),
    usedForCompensation: state.usedForCompensation ?? false,
  };
  if (state.compensatedBy) node.compensatedBy = state.compensatedBy;
  if (state.type === 'sleep') node.sleepMs = ms(state.duration);
  return node;
}

function compileSchedule(workflow: Workflow): WorkflowGraph['schedule'] {
  const s = typeof workflow.start === 'object' ? workflow.start.schedule : undefined;
  if (s === undefined) return undefined;
  if (typeof s === 'string') return { interval: s };
  const cron = typeof s.cron === 'string' ? s.cron : s.cron?.expression;
  const validUntil = typeof s.cron === 'object' ? s.cron.validUntil : undefined;
  return { interval: s.interval, cron, validUntil, timezone: s.timezone };
}

/** Compiles every expression site, inlining `fn:name` calls as `(<function jq>)`. */
/** Every expression site as JSONPath; conditions read their value as a boolean. */
function compileJsonPathExpressions(workflow: Workflow): Map<string, CompiledExpression> {
  const out = new Map<string, CompiledExpression>();
  for (const site of expressionSites(workflow as unknown as Record<string, unknown>)) out.set(site.pointer, compileJsonPath(site.jq, { condition: /\/condition$/.test(site.pointer) }));
  return out;
}

function compileExpressions(workflow: Workflow, functions: ReadonlyMap<string, FunctionDef>): Map<string, CompiledExpression> {
  const out = new Map<string, CompiledExpression>();
  for (const site of expressionSites(workflow as unknown as Record<string, unknown>)) {
    const jq = site.jq.replace(FUNCTION_CALL, (_call, name: string) => {
      const fn = functions.get(name);
      if (!fn || fn.type !== 'expression') throw new DefinitionError('UNKNOWN_FUNCTION', `'fn:${name}' at ${site.pointer} calls no expression function`);
      return `(${alwaysExpression(fn.operation).jq})`;
    });
    out.set(site.pointer, compileExpression(jq));
  }
  return out;
}
