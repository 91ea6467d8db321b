/**
 * @module interpreter/timeline-view
 * The views derived from an inspection replay's notes (interpreter/timeline.ts): the state-level
 * timeline (each fact with its time, durations filled in) and the current states with what each
 * waits for. Pure functions of the notes, so the same history always gives the same view.
 */
import { assertNever } from '../errors.js';
import type { InspectionNote } from '../engine/inspect.js';
import type { TimelineEntry } from './timeline.js';

/** One timeline item: the entry's fields plus its position, time and (for ends) duration. */
export type TimelineItem = { seq: number; time: string; durationMs?: number; until?: string } & Omit<TimelineEntry, 'untilMs'> & Record<string, unknown>;

/** What a current state waits for. */
export type Wait =
  | { kind: 'activity'; function: string; attempt: number; since: string }
  | { kind: 'subflow'; workflow: string; instanceId: string; since: string }
  | { kind: 'event'; events: string[]; correlation?: { attribute: string; value?: string }[]; since: string }
  | { kind: 'timer'; until: string }
  | { kind: 'retry'; function: string; attempt: number; until: string };

/** A state the instance is in now (several entries of one parallel/foreach state: one per branch or iteration). */
export interface CurrentState {
  state: string;
  type: string;
  enteredAt: string;
  branch?: string;
  iteration?: number;
  waitingFor?: Wait;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** Entries are JSON-safe objects: the note as the timeline entry it was made as. */
function entryOf(n: InspectionNote): TimelineEntry {
  return n.entry as TimelineEntry;
}

/** The timeline: every note in order, with durations of state exits and action ends. */
export function timelineItems(notes: readonly InspectionNote[]): TimelineItem[] {
  const entered = new Map<string, number>();
  const started = new Map<string, number>();
  return notes.map((n, seq) => {
    const e = entryOf(n);
    const item: Record<string, unknown> = { seq, time: iso(n.timeMs), ...e };
    switch (e.kind) {
      case 'stateEntered':
        entered.set(e.state, n.timeMs);
        break;
      case 'stateExited':
      case 'stateFailed':
      case 'workflowTimedOut': {
        const t = entered.get(e.state);
        if (t !== undefined) item.durationMs = n.timeMs - t;
        break;
      }
      case 'actionStarted':
        started.set(`${e.id}/${e.attempt}`, n.timeMs);
        break;
      case 'actionCompleted':
      case 'actionFailed': {
        const t = started.get(`${e.id}/${e.attempt}`);
        if (t !== undefined) item.durationMs = n.timeMs - t;
        break;
      }
      case 'timerStarted':
        delete item.untilMs;
        item.until = iso(e.untilMs);
        break;
      case 'rerunStarted':
      case 'transition':
      case 'errorHandled':
      case 'compensationStarted':
      case 'actionRetried':
      case 'eventWaiting':
      case 'eventReceived':
      case 'eventTimedOut':
      case 'timerFired':
      case 'eventProduced':
        break;
      default:
        assertNever(e, 'timeline entry');
    }
    return item as TimelineItem;
  });
}

/**
 * The states the instance is in at the end of the notes (a running instance; a finished one is
 * in none), each with what it waits for. An action or wait still open gives one entry each
 * (branches and iterations side by side); a state with nothing open gives one entry without a wait.
 */
export function currentStates(notes: readonly InspectionNote[]): CurrentState[] {
  let state: { name: string; type: string; at: number } | undefined;
  // Open waits of the current state, keyed by note id, in the order they opened.
  const open = new Map<string, { place: { branch?: string; iteration?: number }; wait: Wait }>();
  // The function each action (note id) calls: a retry wait names it, as the activity wait does.
  const functionOf = new Map<number, string>();
  for (const n of notes) {
    const e = entryOf(n);
    switch (e.kind) {
      case 'stateEntered':
        state = { name: e.state, type: e.type, at: n.timeMs };
        open.clear();
        break;
      case 'stateExited':
      case 'stateFailed':
      case 'workflowTimedOut':
        state = undefined;
        open.clear();
        break;
      case 'actionStarted': {
        const place = { ...(e.branch !== undefined ? { branch: e.branch } : {}), ...(e.iteration !== undefined ? { iteration: e.iteration } : {}) };
        const since = iso(n.timeMs);
        let wait: Wait | undefined;
        if ('function' in e) {
          functionOf.set(e.id, e.function);
          wait = e.invoke === 'async' || e.functionType === 'expression' ? undefined : { kind: 'activity', function: e.function, attempt: e.attempt, since };
        } else if ('subflow' in e) wait = e.invoke === 'async' ? undefined : { kind: 'subflow', workflow: e.subflow, instanceId: e.instanceId, since };
        // An eventRef action's wait for its result event is noted as an eventWaiting of its own.
        if (wait) open.set(`a${e.id}`, { place, wait });
        break;
      }
      case 'actionCompleted':
      case 'actionFailed':
        open.delete(`a${e.id}`);
        break;
      case 'actionRetried': {
        const place = { ...(e.branch !== undefined ? { branch: e.branch } : {}), ...(e.iteration !== undefined ? { iteration: e.iteration } : {}) };
        open.set(`a${e.id}`, { place, wait: { kind: 'retry', function: functionOf.get(e.id) ?? e.action, attempt: e.attempt + 1, until: iso(n.timeMs + e.delayMs) } });
        break;
      }
      case 'eventWaiting':
        open.set(`w${e.id}`, { place: {}, wait: { kind: 'event', events: e.events, ...(e.correlation ? { correlation: e.correlation } : {}), since: iso(n.timeMs) } });
        break;
      case 'eventReceived':
      case 'eventTimedOut':
        open.delete(`w${e.id}`);
        break;
      case 'timerStarted':
        open.set(`t${e.id}`, { place: {}, wait: { kind: 'timer', until: iso(e.untilMs) } });
        break;
      case 'timerFired':
        open.delete(`t${e.id}`);
        break;
      case 'rerunStarted':
      case 'transition':
      case 'errorHandled':
      case 'compensationStarted':
      case 'eventProduced':
        break;
      default:
        assertNever(e, 'timeline entry');
    }
  }
  if (!state) return [];
  const base = { state: state.name, type: state.type, enteredAt: iso(state.at) };
  if (open.size === 0) return [base];
  return [...open.values()].map((o) => ({ ...base, ...o.place, waitingFor: o.wait }));
}

/** The top-level states an instance entered (not compensation states), latest input of each: the points a rerun may start from. */
export function rerunPoints(notes: readonly InspectionNote[]): Map<string, unknown> {
  const points = new Map<string, unknown>();
  for (const n of notes) {
    const e = entryOf(n);
    if (e.kind === 'stateEntered' && !e.compensation) points.set(e.state, e.input);
  }
  return points;
}
