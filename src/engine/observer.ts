/**
 * @module engine/observer
 * Typed inspection events of the engine (STYLE guideline 10: xstate's `inspect` as the model) for
 * metrics: called once per committed fact on the node that committed it, never during replay, so
 * a counter fed from here counts what this node did exactly once (a crash between the commit and
 * the call loses at most that one count; nothing is counted twice).
 */
import type { RuntimeStatus } from '../store/types.js';
import type { FailureDetails, HistoryEvent } from './history.js';
import type { ExecutionTrace } from './trace-context.js';

/** One ctx.note() of the orchestration code, as a turn observer sees it. */
export interface ObservedNote {
  /** Position among the execution's notes (0-based; the same on every replay). */
  index: number;
  /** The opaque note (the interpreter's timeline entry). */
  entry: unknown;
  /** History time of the turn that made it. */
  timeMs: number;
  /** Made while replaying history already committed (a runtime rebuilt after a restart or eviction). */
  replayed: boolean;
}

/** What one committed turn of an in-process orchestration did, for tracers and duration metrics. */
export interface TurnObservation extends InstanceObservation {
  executionId: string;
  /**
   * The live runtime the turn ran on: the same object for every turn while it stays cached, a new
   * one after a rebuild (whose replayed notes come first in `notes`). Key per-instance state by it
   * (a WeakMap) and it goes when the engine drops the runtime.
   */
  session: object;
  trace: ExecutionTrace;
  /** ExecutionStarted's time (ms). */
  startedAtMs: number;
  /** The turn's history time (ms): when an execution that ended here ended. */
  turnTimeMs: number;
  /** The notes made during the turn: replayed ones (a rebuilt runtime) first, then the new ones. */
  notes: ObservedNote[];
  /** The status after the commit. */
  status: RuntimeStatus;
  failure?: FailureDetails;
}

/**
 * What one committed turn of a remote orchestration (engine/remote.ts) did. Its code runs in the
 * app, so there are no notes: the history says what it scheduled and what came back.
 */
export interface RemoteTurnObservation extends InstanceObservation {
  executionId: string;
  trace: ExecutionTrace;
  /** ExecutionStarted's time (ms). */
  startedAtMs: number;
  /** The turn's history time (ms). */
  turnTimeMs: number;
  /** The execution's history before the turn. */
  past: HistoryEvent[];
  /** The events the turn committed (its new events, the actions it recorded, the ending). */
  history: HistoryEvent[];
  /** The status after the commit. */
  status: RuntimeStatus;
  failure?: FailureDetails;
}

/** What an instance turn committed that a metric counts. */
export interface InstanceObservation {
  instanceId: string;
  /** The orchestration name (a Serverless Workflow's id). */
  name: string;
}

/** Receives the engine's inspection events. Every member is optional; none may throw. */
export interface EngineObserver {
  /** The first turn of an instance committed here (it left PENDING). */
  instanceStarted?(o: InstanceObservation): void;
  /** A turn committed here ended the instance (COMPLETED, FAILED, TERMINATED) or continued it as new. */
  instanceEnded?(o: InstanceObservation & { status: RuntimeStatus; failure?: FailureDetails }): void;
  /**
   * A turn of an in-process orchestration committed here, with the notes its code made. Setting
   * this member makes the runtimes collect notes (otherwise ctx.note() stays a no-op).
   */
  turnCommitted?(o: TurnObservation): void;
  /** A turn of a remote orchestration committed here (called once per committed turn, like turnCommitted). */
  remoteTurnCommitted?(o: RemoteTurnObservation): void;
  /** A turn's commit was refused because its lease had passed to another worker (LEASE_LOST, HISTORY_CONFLICT). */
  leaseLost?(o: InstanceObservation): void;
}

/** Calls an observer member, so that a faulty observer never breaks a turn. */
export function notifyObserver<K extends keyof EngineObserver>(observer: EngineObserver | undefined, key: K, ...args: Parameters<NonNullable<EngineObserver[K]>>): void {
  const fn = observer?.[key] as ((...a: unknown[]) => void) | undefined;
  if (!fn) return;
  try {
    fn.apply(observer, args);
  } catch {
    // An observer is a side channel (metrics): its faults must not fail the engine's work.
  }
}
