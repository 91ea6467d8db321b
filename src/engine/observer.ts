/**
 * @module engine/observer
 * Typed inspection events of the engine (STYLE guideline 10: xstate's `inspect` as the model) for
 * metrics: called once per committed fact on the node that committed it, never during replay, so
 * a counter fed from here counts what this node did exactly once (a crash between the commit and
 * the call loses at most that one count; nothing is counted twice).
 */
import type { RuntimeStatus } from '../store/types.js';
import type { FailureDetails } from './history.js';

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
