/**
 * @module engine/inspect
 * Inspection replay: an instance's stored history replayed through its orchestration code on the
 * definition version it runs, committing nothing, to collect what the code noted (ctx.note) and
 * what it waits for now. The view is derived from history, so it costs no history bytes; its price
 * is one replay per request (specs/timeline.md).
 */

import { SwirlError } from '../errors.js';
import { isTerminalStatus, type Store } from '../store/types.js';
import { EngineErrorCode } from './error-codes.js';
import { EventType, type HistoryEvent } from './history.js';
import { fromHistoryRecord } from './messages.js';
import { noopLogger } from './logger.js';
import type { CompiledEngineOptions } from './options.js';
import type { Registry } from './registry.js';
import { runtimeForInstance } from './turn-runtime.js';

/** One ctx.note() of the replayed code, with the time of the turn that made it. */
export interface InspectionNote {
  timeMs: number;
  entry: unknown;
}

/** Something the execution waits for now, in engine terms. */
export type EngineWait =
  | { kind: 'activity'; name: string; taskId: number }
  | { kind: 'timer'; fireAt: number; taskId: number }
  | { kind: 'subOrchestration'; name: string; instanceId: string; taskId: number }
  | { kind: 'event'; name: string };

/** What {@link inspectInstance} found. */
export interface InstanceInspection {
  instanceId: string;
  /** The notes, in the order the code made them. */
  notes: InspectionNote[];
  /** Open waits of a running execution (empty once it ended). */
  waits: EngineWait[];
  /** The history replayed (the current execution's). */
  events: HistoryEvent[];
}

/**
 * Replays the current execution of `instanceId` and returns its notes and open waits.
 * @throws SwirlError INSTANCE_NOT_FOUND; ORCHESTRATION_NOT_REGISTERED when this engine has not got
 * the instance's orchestration (or its definition version) to replay.
 */
export async function inspectInstance(
  store: Store,
  registry: Registry,
  opts: Pick<CompiledEngineOptions, 'maxPayloadBytes'>,
  instanceId: string,
): Promise<InstanceInspection> {
  const instance = await store.getInstance(instanceId);
  if (!instance) throw new SwirlError(EngineErrorCode.INSTANCE_NOT_FOUND, `no instance with id '${instanceId}'`);
  const events = (await store.loadHistory(instanceId)).map(fromHistoryRecord);
  const notes: InspectionNote[] = [];
  // A remote orchestration's code runs in a connected app, not here: nothing to replay.
  if (registry.orchestration(instance.name)?.remote) return { instanceId, notes, waits: [], events };
  // A plain replay without the logger: nothing it does reaches the outside.
  const found = await runtimeForInstance(instance, events, async () => events, registry, { logger: noopLogger, maxPayloadBytes: opts.maxPayloadBytes, onNote: (entry, timeMs) => void notes.push({ timeMs, entry: structuredClone(entry) }) });
  if (!('runtime' in found)) {
    const why = 'waiting' in found ? found.waiting : found.failure.message;
    throw new SwirlError(EngineErrorCode.ORCHESTRATION_NOT_REGISTERED, `cannot replay instance '${instanceId}' here: ${why}`);
  }
  const inspecting = found.runtime;
  // A start that has not run yet is not in the history: nothing to replay.
  if (events.some((e) => e.type === EventType.ExecutionStarted)) inspecting.apply(events, true);
  const waits: EngineWait[] = [];
  if (!isTerminalStatus(instance.status) && !inspecting.outcome) {
    for (const [taskId, o] of inspecting.open) {
      if (inspecting.pending.has(taskId)) continue;
      switch (o.kind) {
        case 'activity':
          waits.push({ kind: 'activity', name: o.name, taskId });
          break;
        case 'timer':
          waits.push({ kind: 'timer', fireAt: o.fireAt ?? 0, taskId });
          break;
        case 'sub':
          waits.push({ kind: 'subOrchestration', name: o.name, instanceId: o.childInstanceId ?? '', taskId });
          break;
        default:
          o.kind satisfies never;
      }
    }
    for (const name of inspecting.events.waitingNames()) waits.push({ kind: 'event', name });
  }
  return { instanceId, notes, waits, events };
}
