/**
 * @module interpreter
 * Public entry of the Serverless Workflow 0.8 interpreter: registers a compiled workflow graph on
 * an engine as an orchestration (plus the activities its side effects run in).
 */
import type { WorkflowGraph } from '../graph/types.js';
import type { Engine } from '../engine/engine.js';
import type { OrchestrationContext } from '../engine/replay/context.js';
import type { Logger } from '../engine/logger.js';
import type { ComponentHost } from '../components/types.js';
import type { RestCaller } from '../components/rest/index.js';
import { loadOnUse } from '../optional-module.js';
import { DefinitionError, WorkflowError } from '../errors.js';
import { ACTIVITY_NAMES, registerActivities, type ActivityWorkflow, type SecretsCheck } from './activities.js';
import { CONTINUE_AS_KEY, runWorkflow, type ContinueAsEnvelope } from './program.js';
import { RunContext, type Step } from './run-context.js';
import { SecretTable, type SecretSource } from './secrets.js';

export { mergeData } from './data.js';
export { retryDelay } from './error-handling.js';
export { nextScheduleTimes } from './schedule.js';
export { currentStates, rerunPoints, timelineItems, type CurrentState, type TimelineItem, type Wait } from './timeline-view.js';
export type { TimelineEntry } from './timeline.js';

/** Options of {@link registerWorkflow}. */
export interface InterpreterOptions {
  /** Custom functions (`invoke:`/`binding:`/`publish:`) and produced events; absent → calling one fails with a clear error. */
  components?: ComponentHost;
  /** $SECRETS values. @default components.getSecret (when components are given), then process.env */
  secrets?: SecretSource;
  /** Subflow and continueAs targets by id (and version). */
  workflows?: (id: string, version?: string) => WorkflowGraph | undefined;
  /** Progress: state entered, retries, waits. */
  logger?: Logger;
  /** Directory that relative OpenAPI document URIs are resolved against. @default process.cwd() */
  baseDir?: string;
  /**
   * Why a rest function's OpenAPI document (or a `$ref` in it) may not be read at run time — a
   * host's policy for definitions registered over the API; undefined when it may. @default anything
   */
  reach?: (url: string) => string | undefined;
  /**
   * Whether new instances of the workflow's id start on this definition. `false` registers an
   * older version only for the instances that already run it (e.g. loaded from the store after a
   * restart): they replay it while new instances get the current one. @default true
   */
  current?: boolean;
}

interface Registered extends ActivityWorkflow {
  resolve: (id: string, version?: string) => string | undefined;
  logger?: Logger;
}

/** The workflows registered on one engine. */
interface EngineWorkflows {
  /** Definition hash → workflow: every version registered, current or not. */
  byHash: Map<string, Registered>;
  /** Orchestration name → the current version's workflow. */
  byName: Map<string, Registered>;
  /** Every orchestration name registered (also those with only replay-only versions). */
  names: Set<string>;
}

const engines = new WeakMap<Engine, EngineWorkflows>();

function orchestrationNames(graph: WorkflowGraph): string[] {
  return graph.version !== undefined ? [`${graph.id}@${graph.version}`, graph.id] : [graph.id];
}

/**
 * Resolves when every workflow registered on `engine` so far has its `$SECRETS` values loaded
 * (asynchronous sources are prefetched when the workflow is registered). Hosts await it before
 * `engine.start()`, so instances recovered from the store find their secrets in this process.
 */
export async function secretsReady(engine: Engine): Promise<void> {
  const w = engines.get(engine);
  if (!w) return;
  await Promise.all([...w.byHash.values()].map((x) => x.secrets.settled()));
}

/**
 * Registers the graph as an orchestration named `graph.id` (and `${id}@${version}` when
 * versioned) plus the activities it needs, on an engine. Subflow and continueAs targets found
 * through `options.workflows` are registered too. Returns the orchestration name to start.
 *
 * Definition versions: a graph whose id is registered already with another hash is registered as
 * a new version (by hash). It becomes current (new instances start on it) unless
 * `options.current` is false; instances that started on an earlier version keep replaying that
 * one — each version's orchestration runs its own graph.
 */
export function registerWorkflow(engine: Engine, graph: WorkflowGraph, options: InterpreterOptions = {}): string {
  let w = engines.get(engine);
  if (!w) {
    const fresh: EngineWorkflows = { byHash: new Map(), byName: new Map(), names: new Set() };
    engines.set(engine, fresh);
    w = fresh;
    registerActivities(engine, (name, definition) => (definition !== undefined ? fresh.byHash.get(definition) : undefined) ?? fresh.byName.get(name));
  }
  const rest: RestCaller = restCallerOnUse();
  return register(engine, w, graph, options, rest, (options.current ?? true) ? 'current' : 'replay');
}

/**
 * A RestCaller that loads components/rest (undici, the OpenAPI parser) with its first call: a
 * server whose workflows call no rest function never loads them (issue 12: start-up CPU).
 */
function restCallerOnUse(): RestCaller {
  let caller: Promise<RestCaller> | undefined;
  return {
    async call(req) {
      caller ??= loadOnUse(() => import('../components/rest/index.js'), '@apidevtools/swagger-parser', 'rest (OpenAPI) functions').then((m) => m.createRestCaller());
      return (await caller).call(req);
    },
  };
}

/**
 * `current`: takes every name of the graph. `replay`: only registers the version. `target` (a
 * subflow/continueAs target registered along): takes the names nobody holds yet.
 */
type Mode = 'current' | 'replay' | 'target';

function register(engine: Engine, w: EngineWorkflows, graph: WorkflowGraph, options: InterpreterOptions, rest: RestCaller, mode: Mode): string {
  const resolve = (id: string, version?: string): string | undefined => {
    const key = version !== undefined ? `${id}@${version}` : id;
    return w.names.has(key) ? key : undefined;
  };
  let entry = w.byHash.get(graph.hash);
  if (!entry) {
    entry = {
      graph,
      components: options.components,
      secrets: SecretTable.create(graph.secrets, options.secrets, options.components),
      rest,
      baseDir: options.baseDir ?? process.cwd(),
      ...(options.reach ? { reach: options.reach } : {}),
      resolve,
      logger: options.logger,
      log: options.logger ? (msg, meta) => options.logger!.info(msg, meta) : undefined,
    };
    w.byHash.set(graph.hash, entry);
  }
  for (const name of orchestrationNames(graph)) {
    const current = mode === 'current' || (mode === 'target' && !w.byName.has(name));
    if (current) w.byName.set(name, entry);
    w.names.add(name);
    engine.registerOrchestration(name, orchestration(w, name, entry), { version: graph.version, definitionHash: graph.hash, current });
  }
  // Subflows and continueAs targets must be startable by name from inside the program.
  for (const { id, version } of targetsOf(graph)) {
    if (resolve(id, version)) continue;
    const target = options.workflows?.(id, version);
    if (target) register(engine, w, target, options, rest, 'target');
  }
  return graph.id;
}

function targetsOf(graph: WorkflowGraph): { id: string; version?: string }[] {
  const out: { id: string; version?: string }[] = [];
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(visit);
    else if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if ('subFlowRef' in o) {
        const s = o.subFlowRef;
        if (typeof s === 'string') out.push({ id: s });
        else if (s && typeof s === 'object') out.push({ id: (s as { workflowId: string }).workflowId, version: (s as { version?: string }).version });
      }
      if ('continueAs' in o) {
        const c = o.continueAs;
        if (typeof c === 'string') out.push({ id: c });
        else if (c && typeof c === 'object') out.push({ id: (c as { workflowId: string }).workflowId, version: (c as { version?: string }).version });
      }
      for (const x of Object.values(o)) visit(x);
    }
  };
  visit(graph.definition.states);
  return out;
}

/** Input envelope of a rerun: start at `fromState` with `input` as its input (specs/timeline.md). */
export const RERUN_KEY = '$swirlRerun';
export interface RerunEnvelope {
  [RERUN_KEY]: {
    fromState: string;
    input: unknown;
    /** The instance rerun (for people reading the new instance's input). */
    source: string;
  };
}

/** The input that starts a rerun of `source` at `fromState`. */
export function rerunEnvelope(source: string, fromState: string, input: unknown): RerunEnvelope {
  return { [RERUN_KEY]: { fromState, input, source } };
}

/**
 * What a rerun of an execution that started with `startInput` must start: after a continueAs into
 * another workflow, the execution runs that workflow (at the version the envelope names) under
 * the original orchestration name, so a rerun starts the target; otherwise the same `name`.
 */
export function rerunTarget(startInput: unknown, name: string, definitionHash: string | undefined): { name: string; definitionHash?: string } {
  if (isEnvelope(startInput) && startInput[CONTINUE_AS_KEY].workflow !== name) {
    const e = startInput[CONTINUE_AS_KEY];
    return { name: e.workflow, ...(e.definition !== undefined ? { definitionHash: e.definition } : {}) };
  }
  return { name, ...(definitionHash !== undefined ? { definitionHash } : {}) };
}

function isRerun(input: unknown): input is RerunEnvelope {
  return input !== null && typeof input === 'object' && RERUN_KEY in input;
}

function isEnvelope(input: unknown): input is ContinueAsEnvelope {
  return input !== null && typeof input === 'object' && CONTINUE_AS_KEY in input;
}

/**
 * The orchestration of one definition version under one name. It runs its own graph (the engine
 * picks the version by the hash the instance recorded), except after a continueAs into another
 * workflow: then the envelope names that target and the version it was continued on.
 */
function orchestration(w: EngineWorkflows, name: string, own: Registered) {
  return function* swirlWorkflow(ctx: OrchestrationContext, input: unknown): Step<unknown> {
    let target = name;
    let entry: Registered | undefined = own;
    let data = input;
    let timeoutMs: number | undefined;
    let fromState: string | undefined;
    if (isRerun(input)) {
      fromState = input[RERUN_KEY].fromState;
      data = input[RERUN_KEY].input;
    } else if (isEnvelope(input)) {
      const e = input[CONTINUE_AS_KEY];
      target = e.workflow;
      data = e.input;
      timeoutMs = e.workflowExecTimeoutMs;
      if (target !== name) entry = (e.definition !== undefined ? w.byHash.get(e.definition) : undefined) ?? (e.definition === undefined ? w.byName.get(target) : undefined);
    }
    if (!entry) throw new DefinitionError('UNKNOWN_WORKFLOW', `workflow '${target}' is not registered in this process`);
    let secrets: Record<string, string> = {};
    if (entry.graph.secrets.length > 0) {
      // The activity waits for this process's secret table and records only the missing names.
      const check = (yield ctx.callActivity(ACTIVITY_NAMES.secrets, { workflow: target, definition: entry.graph.hash })) as SecretsCheck;
      if (!entry.secrets.isLoaded) {
        // Only when replaying in a process whose prefetch has not finished: the host did not await
        // secretsReady before engine.start(). An orchestration cannot wait outside history, and
        // running on without the values could take another path than the one recorded. (Failing
        // during a replay surfaces as NON_DETERMINISM; the log line says why.)
        entry.logger?.error(`secrets of workflow '${target}' were not loaded when instance '${ctx.instanceId}' resumed: await secretsReady(engine) before engine.start()`, {
          instanceId: ctx.instanceId,
        });
        throw new WorkflowError(
          'SECRETS_NOT_LOADED',
          `secrets of workflow '${target}' were not loaded in this process when the instance resumed: the host must await secretsReady(engine) before engine.start()`,
          { nonRetryable: true },
        );
      }
      secrets = entry.secrets.record();
      // A declared secret nobody supplies is a configuration error, never an empty string.
      const missing = Array.isArray(check?.missing) ? check.missing : [];
      if (missing.length > 0) {
        throw new WorkflowError('SECRET_NOT_FOUND', `workflow '${entry.graph.id}' declares secret(s) ${missing.map((n) => `'${n}'`).join(', ')} that no secret source provides`, { nonRetryable: true });
      }
    }
    const rc = new RunContext(ctx, target, entry.graph, ACTIVITY_NAMES, entry.resolve, entry.logger, secrets, (n) => w.byName.get(n)?.graph.hash);
    return yield* runWorkflow(rc, data, { workflowExecTimeoutMs: timeoutMs, ...(fromState !== undefined ? { fromState } : {}) });
  };
}
