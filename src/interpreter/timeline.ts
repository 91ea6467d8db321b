/**
 * @module interpreter/timeline
 * The state-level facts a Serverless Workflow user thinks in — state entered/exited with its data,
 * actions started/completed/failed/retried, events waited for and received, transitions and their
 * conditions, compensation, errors handled by onErrors — noted through ctx.note() as the program
 * runs. Notes record nothing in history: an inspection replay collects them (engine/inspect.ts),
 * and interpreter/timeline-view.ts turns them into the timeline and the current states.
 */
import type { EdgeKind } from '../graph/types.js';

/** Where inside a state an action runs: a parallel branch or a foreach iteration. */
export interface ActionPlace {
  branch?: string;
  iteration?: number;
}

/** What an action invokes. */
export type ActionTarget =
  | { function: string; functionType: string; invoke?: 'async' }
  | { subflow: string; instanceId: string; invoke?: 'async' }
  | { triggerEvent: string; resultEvent?: string; invoke?: 'async' };

/** A correlation rule of an awaited event, with the value it must have when one is known. */
export interface CorrelationNote {
  attribute: string;
  value?: string;
}

/** An error as the timeline shows it. */
export interface ErrorNote {
  code: string;
  message: string;
}

/** One state-level fact (discriminated on `kind`). */
export type TimelineEntry =
  | { kind: 'rerunStarted'; fromState: string }
  | { kind: 'stateEntered'; state: string; type: string; input: unknown; compensation?: true }
  | { kind: 'stateExited'; state: string; output: unknown }
  | { kind: 'stateFailed'; state: string; error: ErrorNote }
  | { kind: 'workflowTimedOut'; state: string; timeout: string }
  | { kind: 'transition'; from: string; to?: string; end?: true; via: EdgeKind; condition?: string; compensate?: true }
  | { kind: 'errorHandled'; state: string; error: ErrorNote; to?: string; end?: true }
  | { kind: 'compensationStarted'; state: string; by: string }
  | ({ kind: 'actionStarted'; id: number; state: string; action: string; attempt: number; input: unknown } & ActionPlace & ActionTarget)
  | ({ kind: 'actionCompleted'; id: number; state: string; action: string; attempt: number; result: unknown } & ActionPlace)
  | ({ kind: 'actionFailed'; id: number; state: string; action: string; attempt: number; error: ErrorNote } & ActionPlace)
  | ({ kind: 'actionRetried'; id: number; state: string; action: string; attempt: number; delayMs: number } & ActionPlace)
  | { kind: 'eventWaiting'; id: number; state: string; events: string[]; correlation?: CorrelationNote[] }
  | { kind: 'eventReceived'; id: number; state: string; event: string; data: unknown }
  | { kind: 'eventTimedOut'; id: number; state: string }
  | { kind: 'timerStarted'; id: number; state: string; untilMs: number }
  | { kind: 'timerFired'; id: number; state: string }
  | { kind: 'eventProduced'; state: string; event: string };

/** The kinds of {@link TimelineEntry} (const-object enum for exhaustive switches). */
export type TimelineKind = TimelineEntry['kind'];
