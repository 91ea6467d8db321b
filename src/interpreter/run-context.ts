/**
 * @module interpreter/run-context
 * What every state module needs while one instance runs: the engine context, the graph, the
 * expression variables ($CONST, $SECRETS, NOW from history time), replay-safe logging, and waiting
 * on a task under the deadlines (timeouts) that are in force.
 */
import { formatTraceParent } from '../engine/trace-context.js';
import { actionSpanId } from './span-ids.js';
import { ExpressionError, ExpressionErrorCode, type CompiledExpression } from '../expressions/index.js';
import { joinPointer } from '../definition/json-pointer.js';
import type { WorkflowGraph } from '../graph/types.js';
import type { OrchestrationContext } from '../engine/replay/context.js';
import type { Task } from '../engine/replay/task.js';
import type { Logger } from '../engine/logger.js';
import { WorkflowError } from '../errors.js';
import type { CancelPort } from './fibers.js';
import type { TimelineEntry } from './timeline.js';
import { workflowVariable } from './profiles/sonataflow.js';

/** Error code of a runtime expression failure. */
export const EXPRESSION_ERROR = 'EXPRESSION_ERROR';
/** The code of a workflow error raised by an expression that exceeded a limit (steps, sizes, fallback time). */
export const EXPRESSION_LIMIT = 'EXPRESSION_LIMIT';
/** Error code raised when a state/action/branch/result-event timeout expires (catchable by onErrors). */
export const TIMEOUT = 'timeout';

/** A running timeout: a timer task and what it limits. */
export interface Deadline {
  task: Task<void>;
  /** e.g. "stateExecTimeout of state 'X' (PT5S)". */
  label: string;
  /** The workflowExecTimeout: ends the instance, never catchable by onErrors. */
  workflow?: boolean;
  /**
   * stateExecTimeout.single: the window of one attempt of the state. When an action of the state
   * is retried, {@link RunContext.restartAttemptWindows} replaces `task` with a fresh timer of this
   * length (waits already in progress keep the window they started in).
   */
  restartMs?: number;
}

/** Thrown (not a WorkflowError, so onErrors never sees it) when workflowExecTimeout expires. */
export class WorkflowTimeoutSignal extends Error {
  constructor(label: string) {
    super(`${label} expired`);
    this.name = 'WorkflowTimeoutSignal';
  }
}

/** The generator type every interpreter step is written as. */
export type Step<T> = Generator<Task<unknown>, T, unknown>;

/** Names of the activities registerWorkflow registers for one orchestration. */
export interface ActivityNames {
  call: string;
  publish: string;
  terminate: string;
  secrets: string;
}

/** Per-instance context shared by the state modules. */
export class RunContext {
  /** State names already running in this instance's current path (for log context). */
  currentState = '';
  /** The running state's data as of its last merge: what an onErrors target receives (A16). */
  stateData: unknown;
  /** Correlation attribute values fixed by the first correlated event (spec §Correlation Definition). */
  readonly correlation = new Map<string, string>();
  /** True while compensation states run (their timeline entries say so). */
  compensating = false;
  /** Last id handed to a timeline entry that pairs with a later one (action, event wait, timer). */
  private lastNoteId = 0;
  /**
   * `contextAttributeValue`s as computed when the wait for their event started, by
   * `<event name>\n<attribute>`: the value the instance's wait key carries, checked on arrival.
   */
  readonly expectedCorrelation = new Map<string, string>();
  /** The execution's input (after defaults): an unbound correlation attribute may name one of its fields. */
  workflowInput: unknown;

  constructor(
    readonly ctx: OrchestrationContext,
    /** The registered orchestration name of the running workflow (activities look it up by it). */
    readonly workflowName: string,
    readonly graph: WorkflowGraph,
    readonly activities: ActivityNames,
    /** Orchestration name of a subflow/continueAs target, or undefined when unknown. */
    readonly resolveWorkflow: (id: string, version?: string) => string | undefined,
    private readonly logger: Logger | undefined,
    private readonly secrets: Record<string, string>,
    /** Hash of the current definition version of an orchestration name (continueAs records it). */
    readonly definitionOf: (name: string) => string | undefined = () => undefined,
  ) {}

  /** Variables of every expression: $CONST, $SECRETS, and `now` from history time. */
  vars(): Record<string, unknown> {
    const vars: Record<string, unknown> = { CONST: this.graph.constants, SECRETS: this.secrets, NOW: this.ctx.currentTimeMs / 1000 };
    // sonataflow profile: $WORKFLOW (specs/sonataflow-profile.md).
    if (this.graph.profile) vars.WORKFLOW = workflowVariable(this.graph, this.ctx.instanceId);
    return vars;
  }

  /** Progress log (silent during replay). */
  log(level: 'debug' | 'info' | 'warn' | 'error', msg: string, meta: Record<string, unknown> = {}): void {
    if (this.logger && !this.ctx.isReplaying) this.logger[level](msg, { instanceId: this.ctx.instanceId, workflow: this.graph.id, traceId: this.ctx.trace.traceId, ...meta });
  }

  /** Notes a state-level fact for the timeline (records nothing in history; interpreter/timeline.ts). */
  note(entry: TimelineEntry): void {
    this.ctx.note(entry);
  }

  /**
   * The `traceparent` of an action attempt's span: the id a tracer derives from the same
   * actionStarted note (interpreter/span-ids.ts), so the call's outgoing requests are its children.
   */
  actionTraceparent(noteId: number, attempt: number): string {
    const t = this.ctx.trace;
    return formatTraceParent(t.traceId, actionSpanId(this.ctx.instanceId, this.ctx.executionId, noteId, attempt), t.sampled);
  }

  /** The `traceparent` of the instance's own span (produced events, calls outside an action). */
  instanceTraceparent(): string {
    const t = this.ctx.trace;
    return formatTraceParent(t.traceId, t.spanId, t.sampled);
  }

  /** A fresh id pairing a timeline entry with its completion (deterministic: a counter). */
  noteId(): number {
    this.lastNoteId += 1;
    return this.lastNoteId;
  }

  /** The compiled expression at a pointer (compiled by graph/compile). */
  expression(pointer: string): CompiledExpression {
    const e = this.graph.expressions.get(pointer);
    if (!e) throw new WorkflowError(EXPRESSION_ERROR, `internal: no compiled expression at ${pointer}`);
    return e;
  }

  /** Evaluates the expression at `pointer`; failures become EXPRESSION_ERROR naming the expression. */
  evaluate(pointer: string, input: unknown, what: string): unknown {
    return this.evaluateCompiled(this.expression(pointer), input, pointer, what);
  }

  /** Evaluates a compiled expression with the workflow variables. */
  evaluateCompiled(expr: CompiledExpression, input: unknown, pointer: string, what: string): unknown {
    try {
      return expr.evaluate(input, this.vars());
    } catch (err) {
      if (err instanceof ExpressionError && err.code === ExpressionErrorCode.Limit) {
        // A runaway expression: its own code, so onErrors can tell it from an ordinary failure.
        const state = this.stateAt(pointer);
        throw new WorkflowError(EXPRESSION_LIMIT, `${what} expression '${expr.source.trim()}' (${pointer}${state ? `, state '${state}'` : ''}) exceeded a limit: ${err.message}`, {
          cause: err,
          details: { pointer, expression: expr.source, ...(state ? { state } : {}), ...(err.value as Record<string, unknown>) },
        });
      }
      throw new WorkflowError(EXPRESSION_ERROR, `${what} expression '${expr.source.trim()}' (${pointer}) failed: ${(err as Error).message}`, {
        cause: err,
        details: { pointer, expression: expr.source },
      });
    }
  }

  /** The name of the state whose definition holds `pointer`, if any. */
  private stateAt(pointer: string): string | undefined {
    for (const node of this.graph.nodes.values()) {
      if (pointer === node.pointer || pointer.startsWith(`${node.pointer}/`)) return node.name;
    }
    return undefined;
  }

  /**
   * Resolves a value field (arguments, inject data, event data objects, contextAttributes): strings
   * that are a whole `${ … }` were compiled at their pointer and are evaluated; the rest is literal.
   */
  resolveValue(value: unknown, pointer: string, input: unknown, what: string): unknown {
    if (typeof value === 'string') return this.graph.expressions.has(pointer) ? this.evaluate(pointer, input, what) : value;
    if (Array.isArray(value)) return value.map((v, i) => this.resolveValue(v, joinPointer(pointer, i), input, what));
    if (value !== null && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[k] = this.resolveValue(v, joinPointer(pointer, k), input, what);
      return out;
    }
    return value;
  }

  /** A timer `ms` from now, as a deadline. */
  deadline(ms: number, label: string): Deadline {
    return { task: this.ctx.createTimer(ms), label };
  }

  /**
   * Waits for `task` unless a deadline fires first: then throws WorkflowError code "timeout" (or the
   * WorkflowTimeoutSignal for the workflow deadline). Losing external-event waits are withdrawn.
   */
  *wait<T>(task: Task<T>, deadlines: readonly Deadline[]): Step<T> {
    if (deadlines.length === 0 || task.isComplete) return (yield task as Task<unknown>) as T;
    // The timers as armed now: a window restarted meanwhile still bounds this wait.
    const armed = deadlines.map((d) => d.task);
    const winner = (yield this.ctx.whenAny<unknown>([task as Task<unknown>, ...(armed as Task<unknown>[])])) as Task<unknown>;
    if (winner === task) return task.getResult();
    const d = deadlines[armed.indexOf(winner as Task<void>)];
    if (d.workflow) throw new WorkflowTimeoutSignal(d.label);
    throw new WorkflowError(TIMEOUT, `${d.label} expired`, { details: { timeout: d.label } });
  }

  /** Abandoning and terminating for groups of fibers that get cancelled (fibers.ts runCancellable). */
  cancelPort(): CancelPort {
    const terminate = this.activities.terminate;
    const ctx = this.ctx;
    return {
      abandon: (tasks) => ctx.abandon(tasks),
      *terminate(instanceIds, reason) {
        yield ctx.callActivity(terminate, { instanceIds, reason });
      },
    };
  }

  /** A new attempt of the state begins (an action retries): stateExecTimeout.single windows start over. */
  restartAttemptWindows(deadlines: readonly Deadline[]): void {
    for (const d of deadlines) if (d.restartMs !== undefined) d.task = this.ctx.createTimer(d.restartMs);
  }

  /** Throws if a deadline already fired (checked between steps that do not wait). */
  checkDeadlines(deadlines: readonly Deadline[]): void {
    for (const d of deadlines) {
      if (d.task.isComplete) {
        if (d.workflow) throw new WorkflowTimeoutSignal(d.label);
        throw new WorkflowError(TIMEOUT, `${d.label} expired`, { details: { timeout: d.label } });
      }
    }
  }
}
