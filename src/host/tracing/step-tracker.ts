/**
 * @module host/tracing/step-tracker
 * Turns the notes of committed turns (EngineObserver.turnCommitted: the interpreter's timeline
 * entries) into finished steps — an instance, a state visit, an action attempt — each with its
 * deterministic span id, parent, start and end time. A step is finished (and handed on, to the
 * tracer and the duration histograms) only by a note made live in a committed turn: notes
 * replayed into a rebuilt runtime only rebuild the open steps, so a replay or a restart never
 * reports a step twice. Open steps live per runtime (a WeakMap keyed by the observation's
 * session), so they go when the engine drops the runtime.
 */
import type { ObservedNote, TurnObservation } from '../../engine/observer.js';
import { RuntimeStatus } from '../../store/types.js';
import type { TimelineEntry } from '../../interpreter/timeline.js';
import { actionSpanId, stateSpanId } from '../../interpreter/span-ids.js';
import { assertNever } from '../../errors.js';

/** What a finished step was (`activity`, `suborchestration`: a remote orchestration's work, host/tracing/remote-steps.ts). */
export type StepKind = 'instance' | 'state' | 'action' | 'activity' | 'suborchestration';

/** A step that ended in a committed turn. */
export interface FinishedStep {
  kind: StepKind;
  /** `workflow <id>`, `state <name>`, `action <name>`, `activity <name>`, `suborchestration <name>`. */
  name: string;
  traceId: string;
  spanId: string;
  /** The parent span (the caller's for an instance started with a traceparent). */
  parentSpanId?: string;
  /** The parent came from outside this process (the start request). */
  parentRemote: boolean;
  sampled: boolean;
  startMs: number;
  endMs: number;
  /** `ok`, or `error` with a message. */
  outcome: 'ok' | 'error';
  errorMessage?: string;
  workflow: string;
  instanceId: string;
  state?: string;
  /** The function an action called (actions of functionRef). */
  function?: string;
  attributes: Record<string, string | number | boolean>;
}

interface OpenStep {
  kind: 'state' | 'action';
  name: string;
  spanId: string;
  parentSpanId: string;
  startMs: number;
  state: string;
  function?: string;
  attributes: Record<string, string | number | boolean>;
}

interface Session {
  /** Open state visits, in the order entered. */
  states: OpenStep[];
  /** Open action attempts by `${id}/${attempt}`. */
  actions: Map<string, OpenStep>;
}

const ENDED: ReadonlySet<RuntimeStatus> = new Set([RuntimeStatus.COMPLETED, RuntimeStatus.FAILED, RuntimeStatus.TERMINATED, RuntimeStatus.CONTINUED_AS_NEW]);

/** Notes → finished steps; one tracker per host. */
export class StepTracker {
  private readonly sessions = new WeakMap<object, Session>();

  /**
   * `spans: false` (no tracer: the steps only feed the state-duration metrics, which read a state
   * step's workflow, state, outcome and times) finishes state steps only, with no span ids (each a
   * SHA-256 of the instance, execution and position, ~40-80 µs of CPU per workflow of three states)
   * and no attributes: no action or instance steps, which nothing would read.
   */
  constructor(private readonly options: { spans: boolean } = { spans: true }) {}

  /** The steps a committed turn finished (none for a turn that only replayed). */
  turn(o: TurnObservation): FinishedStep[] {
    let s = this.sessions.get(o.session);
    if (!s) {
      s = { states: [], actions: new Map() };
      this.sessions.set(o.session, s);
    }
    const out: FinishedStep[] = [];
    for (const n of o.notes) this.note(o, s, n, out);
    if (ENDED.has(o.status)) {
      // Whatever is still open ends with the execution (a terminate, a timeout, a failure).
      const why = o.status === RuntimeStatus.FAILED ? (o.failure?.message ?? 'failed') : undefined;
      for (const a of s.actions.values()) out.push(this.finish(o, a, o.turnTimeMs, why));
      for (const st of s.states.reverse()) out.push(this.finish(o, st, o.turnTimeMs, why));
      s.actions.clear();
      s.states = [];
      this.sessions.delete(o.session);
      if (this.options.spans) out.push(instanceStep(o));
    }
    return out;
  }

  private note(o: TurnObservation, s: Session, n: ObservedNote, out: FinishedStep[]): void {
    const e = n.entry as TimelineEntry;
    if (typeof e !== 'object' || e === null || typeof e.kind !== 'string') return;
    switch (e.kind) {
      case 'stateEntered':
        s.states.push({
          kind: 'state',
          name: `state ${e.state}`,
          spanId: this.options.spans ? stateSpanId(o.instanceId, o.executionId, n.index) : '',
          parentSpanId: o.trace.spanId,
          startMs: n.timeMs,
          state: e.state,
          attributes: this.options.spans ? { 'swirl.state.name': e.state, 'swirl.state.type': e.type, ...(e.compensation ? { 'swirl.state.compensation': true } : {}) } : {},
        });
        return;
      case 'stateExited':
      case 'stateFailed':
      case 'workflowTimedOut': {
        const i = lastIndex(s.states, (st) => st.state === e.state);
        if (i < 0) return;
        const [st] = s.states.splice(i, 1) as [OpenStep];
        if (n.replayed) return;
        const why = e.kind === 'stateFailed' ? `[${e.error.code}] ${e.error.message}` : e.kind === 'workflowTimedOut' ? `workflowExecTimeout ${e.timeout}` : undefined;
        out.push(this.finish(o, st, n.timeMs, why));
        return;
      }
      case 'actionStarted': {
        if (!this.options.spans) return; // an action step only becomes a span
        const parent = s.states[lastIndex(s.states, (st) => st.state === e.state)];
        const target: Record<string, string> =
          'function' in e ? { 'swirl.function.name': e.function, 'swirl.function.type': e.functionType } : 'subflow' in e ? { 'swirl.subflow.id': e.subflow, 'swirl.subflow.instance.id': e.instanceId } : { 'swirl.event.trigger': e.triggerEvent };
        s.actions.set(`${e.id}/${e.attempt}`, {
          kind: 'action',
          name: `action ${e.action}`,
          spanId: actionSpanId(o.instanceId, o.executionId, e.id, e.attempt),
          parentSpanId: parent !== undefined ? parent.spanId : o.trace.spanId,
          startMs: n.timeMs,
          state: e.state,
          ...('function' in e ? { function: e.function } : {}),
          attributes: {
            'swirl.state.name': e.state,
            'swirl.action.name': e.action,
            'swirl.action.attempt': e.attempt,
            ...target,
            ...(e.branch !== undefined ? { 'swirl.branch': e.branch } : {}),
            ...(e.iteration !== undefined ? { 'swirl.iteration': e.iteration } : {}),
            ...(e.invoke === 'async' ? { 'swirl.action.async': true } : {}),
          },
        });
        return;
      }
      case 'actionCompleted':
      case 'actionFailed': {
        const key = `${e.id}/${e.attempt}`;
        const a = s.actions.get(key);
        if (!a) return;
        s.actions.delete(key);
        if (n.replayed) return;
        out.push(this.finish(o, a, n.timeMs, e.kind === 'actionFailed' ? `[${e.error.code}] ${e.error.message}` : undefined));
        return;
      }
      case 'rerunStarted':
      case 'transition':
      case 'errorHandled':
      case 'compensationStarted':
      case 'actionRetried':
      case 'eventWaiting':
      case 'eventReceived':
      case 'eventTimedOut':
      case 'timerStarted':
      case 'timerFired':
      case 'eventProduced':
        return;
      default:
        return assertNever(e, 'timeline entry');
    }
  }

  private finish(o: TurnObservation, st: OpenStep, endMs: number, error: string | undefined): FinishedStep {
    return {
      kind: st.kind,
      name: st.name,
      traceId: o.trace.traceId,
      spanId: st.spanId,
      parentSpanId: st.parentSpanId,
      parentRemote: false,
      sampled: o.trace.sampled,
      startMs: st.startMs,
      endMs,
      outcome: error === undefined ? 'ok' : 'error',
      ...(error !== undefined ? { errorMessage: error } : {}),
      workflow: o.name,
      instanceId: o.instanceId,
      state: st.state,
      ...(st.function !== undefined ? { function: st.function } : {}),
      attributes: this.options.spans ? { ...base(o), ...st.attributes } : {},
    };
  }
}

/** What an instance span is made of: a turn in process or one of a remote worker. */
type InstanceSpanSource = Pick<TurnObservation, 'name' | 'instanceId' | 'executionId' | 'trace' | 'status' | 'failure' | 'startedAtMs' | 'turnTimeMs'>;

/** The instance's span, ended at the turn that ended its execution; `extra` attributes added. */
export function instanceStep(o: InstanceSpanSource, extra: Record<string, string | boolean> = {}): FinishedStep {
  const failed = o.status === RuntimeStatus.FAILED;
  return {
    kind: 'instance',
    name: `workflow ${o.name}`,
    traceId: o.trace.traceId,
    spanId: o.trace.spanId,
    ...(o.trace.parentSpanId !== undefined ? { parentSpanId: o.trace.parentSpanId } : {}),
    parentRemote: o.trace.parentSpanId !== undefined,
    sampled: o.trace.sampled,
    startMs: o.startedAtMs,
    endMs: o.turnTimeMs,
    outcome: failed ? 'error' : 'ok',
    ...(failed ? { errorMessage: `${o.failure?.code !== undefined ? `[${o.failure.code}] ` : ''}${o.failure?.message ?? 'failed'}` } : {}),
    workflow: o.name,
    instanceId: o.instanceId,
    attributes: { ...base(o), 'swirl.instance.status': o.status, ...extra },
  };
}

/** The attributes every span of an instance carries. */
export function base(o: Pick<TurnObservation, 'name' | 'instanceId' | 'executionId'>): Record<string, string> {
  return { 'swirl.workflow.id': o.name, 'swirl.instance.id': o.instanceId, 'swirl.execution.id': o.executionId };
}

function lastIndex<T>(list: readonly T[], pred: (t: T) => boolean): number {
  for (let i = list.length - 1; i >= 0; i--) if (pred(list[i]!)) return i;
  return -1;
}
