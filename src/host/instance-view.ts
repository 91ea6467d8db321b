/**
 * @module host/instance-view
 * The state-level view of one instance (specs/timeline.md): its current states and what each
 * waits for, its timeline, its definition and family — all derived by an inspection replay of its
 * history (engine/inspect.ts), nothing stored beside it — and rerun: a new instance that starts
 * at a state the old one entered, with that state's recorded input or a new one.
 */
import type { Engine } from '../engine/engine.js';
import type { InstanceMetadata } from '../engine/client.js';
import { SwirlError } from '../errors.js';
import { isTerminalStatus, type RuntimeStatus } from '../store/types.js';
import { EventType, fromPayload } from '../engine/history.js';
import { currentStates, rerunEnvelope, rerunPoints, rerunTarget, timelineItems, type CurrentState, type TimelineItem } from '../interpreter/index.js';

/** Error codes of this module. */
export const InstanceViewErrorCode = {
  /** The rerun's fromState is not a state the instance entered on its main path. */
  RERUN_POINT_INVALID: 'RERUN_POINT_INVALID',
  /** Only a finished instance (completed, failed, terminated) can be rerun. */
  RERUN_SOURCE_RUNNING: 'RERUN_SOURCE_RUNNING',
} as const;

/** Extra fields of GET /api/v1/instances/{id}. */
export interface InstanceState {
  definition: { id: string; version?: string; hash?: string };
  /** Empty once the instance finished. */
  currentStates: CurrentState[];
  /** Set when the view could not be derived here (e.g. the definition version is not loaded). */
  currentStatesError?: string;
  children: { instanceID: string; workflowName: string; runtimeStatus: RuntimeStatus }[];
}

/** The id of the definition an orchestration name runs (`id@version` names carry the version). */
function definitionId(m: InstanceMetadata): string {
  const at = m.name.lastIndexOf('@');
  return at > 0 && m.definitionVersion !== undefined && m.name.slice(at + 1) === m.definitionVersion ? m.name.slice(0, at) : m.name;
}

/** Most children listed by {@link instanceState}. */
const MAX_CHILDREN = 100;

/** Current states (running instances only: a finished one is in none), definition and children of `m`. */
export async function instanceState(engine: Engine, m: InstanceMetadata): Promise<InstanceState> {
  const out: InstanceState = {
    definition: { id: definitionId(m), ...(m.definitionVersion !== undefined ? { version: m.definitionVersion } : {}), ...(m.definitionHash !== undefined ? { hash: m.definitionHash } : {}) },
    currentStates: [],
    children: [],
  };
  if (!isTerminalStatus(m.runtimeStatus)) {
    try {
      out.currentStates = currentStates((await engine.client.inspect(m.instanceId)).notes);
    } catch (err) {
      out.currentStatesError = (err as Error).message;
    }
  }
  const kids = await engine.client.list({ parentInstanceId: m.instanceId }, { pageSize: MAX_CHILDREN });
  out.children = kids.instances.map((c) => ({ instanceID: c.instanceId, workflowName: c.name, runtimeStatus: c.runtimeStatus }));
  return out;
}

/** A page of the timeline. */
export interface TimelinePage {
  items: TimelineItem[];
  nextPageToken?: string;
}

/**
 * One page of the timeline of `instanceId`. The page token is the position of the next item: the
 * timeline of a history only grows at its end (replay is deterministic), so positions are stable.
 */
export async function instanceTimeline(engine: Engine, instanceId: string, page: { limit: number; from: number }): Promise<TimelinePage> {
  const all = timelineItems((await engine.client.inspect(instanceId)).notes);
  const items = all.slice(page.from, page.from + page.limit);
  const next = page.from + items.length;
  return { items, ...(next < all.length ? { nextPageToken: String(next) } : {}) };
}

/** What POST /api/v1/instances/{id}/rerun asks for. */
export interface RerunRequest {
  fromState: string;
  /** The state's input; absent: the input it was entered with last time. */
  input?: unknown;
  instanceId?: string;
  /** The rerun request's W3C `traceparent`: the new instance's span continues that trace. */
  traceparent?: string;
}

/**
 * Starts a new instance of the same workflow and definition version as `sourceId`, at
 * `fromState`, with the recorded or given input. Returns the new instance id.
 * @throws SwirlError INSTANCE_NOT_FOUND, RERUN_SOURCE_RUNNING, RERUN_POINT_INVALID (and start's errors)
 */
export async function rerun(engine: Engine, sourceId: string, req: RerunRequest): Promise<string> {
  const m = await engine.client.get(sourceId);
  if (!m) throw new SwirlError('INSTANCE_NOT_FOUND', `no instance with id '${sourceId}'`);
  if (!isTerminalStatus(m.runtimeStatus)) {
    throw new SwirlError(InstanceViewErrorCode.RERUN_SOURCE_RUNNING, `instance '${sourceId}' is ${m.runtimeStatus}: only a completed, failed or terminated instance can be rerun (terminate it first)`);
  }
  if (req.instanceId === sourceId) throw new SwirlError('INVALID_ARGUMENT', `a rerun is a new instance: instanceID must differ from the instance rerun ('${sourceId}')`);
  const inspection = await engine.client.inspect(sourceId);
  const points = rerunPoints(inspection.notes);
  if (!points.has(req.fromState)) {
    const allowed = [...points.keys()];
    throw new SwirlError(
      InstanceViewErrorCode.RERUN_POINT_INVALID,
      `instance '${sourceId}' never entered state '${req.fromState}': a rerun starts at a state the instance entered` + (allowed.length > 0 ? ` (one of ${allowed.map((s) => `'${s}'`).join(', ')})` : ' (it entered none)'),
    );
  }
  const input = req.input !== undefined ? req.input : points.get(req.fromState);
  const started = inspection.events.find((e) => e.type === EventType.ExecutionStarted);
  const target = rerunTarget(started?.type === EventType.ExecutionStarted ? fromPayload(started.input) : undefined, m.name, m.definitionHash);
  return engine.client.start(target.name, rerunEnvelope(sourceId, req.fromState, input), {
    ...(req.instanceId !== undefined ? { instanceId: req.instanceId } : {}),
    ...(target.definitionHash !== undefined ? { definitionHash: target.definitionHash } : {}),
    ...(req.traceparent !== undefined ? { traceparent: req.traceparent } : {}),
  });
}
