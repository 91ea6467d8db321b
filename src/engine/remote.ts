/**
 * @module engine/remote
 * Remote orchestrations: code that runs outside this process (an app connected over the Durable
 * Task gRPC protocol). The engine still owns everything durable — history, inbox, timers,
 * activity tasks, sub-orchestrations, leases, the one-transaction commit — and only asks the
 * remote side, once per turn, for the actions that follow from the past and new events (the
 * Durable Task executor contract). The answer is checked against the history before it is
 * committed (action ids must be new: a reused id means the code did not replay the same way).
 */
import { NonDeterminismError } from '../errors.js';
import { EventType, type HistoryEvent, type ParentInstance } from './history.js';
import type { InstanceRecord } from '../store/types.js';
import type { OrchestratorAction } from './replay/actions.js';
import type { ExecutionTrace } from './trace-context.js';
import type { ExecutionOutcome } from './replay/runtime.js';

/** One turn handed to the remote side. */
export interface RemoteTurnRequest {
  instanceId: string;
  executionId: string;
  name: string;
  /** The history committed so far. */
  pastEvents: HistoryEvent[];
  /** This turn's events: OrchestratorStarted, then the inbox events. */
  newEvents: HistoryEvent[];
  /** The execution's trace (trace-context.ts executionTrace of its ExecutionStarted); absent when the history has none. */
  trace?: ExecutionTrace;
}

/** What the remote code decided. */
export interface RemoteTurnResult {
  /** ScheduleTask / CreateTimer / CreateSubOrchestration / SendEvent, and CompleteOrchestration when it ended (not for TERMINATED). */
  actions: OrchestratorAction[];
  /** How the execution ended this turn, if it did. */
  outcome?: ExecutionOutcome;
  /** The custom status as JSON text; undefined leaves it unchanged. */
  customStatus?: string;
}

/** `unavailable`: no connected worker could take the turn now; the instance waits (nothing is committed). */
export type RemoteTurnAnswer = RemoteTurnResult | { unavailable: string };

/**
 * Thrown by an activity function that cannot run now (a remote activity with no capable worker
 * connected): the activity worker puts the task back, ready again after its poll interval, and
 * records no failure; while it waits it counts as unserved work.
 */
export class ActivityUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ActivityUnavailableError';
  }
}

/** Runs turns of remote orchestrations (implemented by the gRPC shell's work dispatcher). */
export interface RemoteOrchestrator {
  executeTurn(request: RemoteTurnRequest): Promise<RemoteTurnAnswer>;
  /**
   * Whether a worker that may run `name` is connected now. While not, the name's ready work counts
   * as unserved ({@link Engine.queuedWork}, `swirl_unserved_work`). Absent: always.
   */
  canRun?(kind: 'orchestration' | 'activity', name: string): boolean;
}

/** What the turn builder needs that an in-process runtime would know: derived from the history. */
export interface RemoteTurnFacts {
  suspended: boolean;
  parent: ParentInstance | undefined;
  openChildren: string[];
}

/** Suspension, parent and running children from the whole history of the execution. */
export function remoteTurnFacts(events: readonly HistoryEvent[]): RemoteTurnFacts {
  let suspended = false;
  let parent: ParentInstance | undefined;
  const children = new Map<number, string>();
  for (const e of events) {
    switch (e.type) {
      case EventType.ExecutionStarted:
        parent = e.parent;
        break;
      case EventType.ExecutionSuspended:
        suspended = true;
        break;
      case EventType.ExecutionResumed:
        suspended = false;
        break;
      case EventType.SubOrchestrationInstanceCreated:
        children.set(e.eventId, e.instanceId);
        break;
      case EventType.SubOrchestrationInstanceCompleted:
      case EventType.SubOrchestrationInstanceFailed:
        children.delete(e.taskScheduledId);
        break;
      default:
        break;
    }
  }
  return { suspended, parent, openChildren: [...children.values()] };
}

/**
 * Refuses actions whose ids are already in the history or repeat within the turn (the remote code
 * did not replay to the same decisions): NonDeterminismError naming the id.
 */
export function checkRemoteActions(instanceId: string, past: readonly HistoryEvent[], actions: readonly OrchestratorAction[]): void {
  const used = new Set<number>();
  for (const e of past) {
    if (e.eventId > 0 && (e.type === EventType.TaskScheduled || e.type === EventType.TimerCreated || e.type === EventType.SubOrchestrationInstanceCreated || e.type === EventType.EventSent)) used.add(e.eventId);
  }
  for (const a of actions) {
    if (used.has(a.id)) {
      throw new NonDeterminismError(`instance '${instanceId}': the remote orchestration returned action ${a.type} with id ${a.id}, which the history already records (its code did not replay to the same decisions)`);
    }
    used.add(a.id);
  }
}

interface CachedPast {
  executionId: string;
  historyLength: number;
  events: HistoryEvent[];
  /**
   * The instance record as the turn that cached the past left it (engine/turn.ts cacheableRecord):
   * a claim-free turn starts from it instead of reading the row, as for a cached runtime
   * (engine/cache.ts CachedOrchestration.instance says why a stale one never reaches the store).
   */
  instance?: InstanceRecord;
}

/**
 * The committed history of remote orchestrations between their turns (an LRU of at most
 * `capacity` instances, the engine's `cacheSize`), so a turn reads and parses the store's history
 * only on a miss — as the live-orchestration cache does for in-process code (engine/cache.ts). An
 * entry is trusted only while the store's execution id and history length still match it; the
 * arrays are never mutated (a turn's past is a new array).
 */
export class RemoteHistoryCache {
  private readonly map = new Map<string, CachedPast>();
  constructor(private readonly capacity: number) {}

  /** The cached past (and record) if it matches the store's view of the instance; a stale entry is dropped. */
  take(instanceId: string, executionId: string, historyLength: number): { events: HistoryEvent[]; instance?: InstanceRecord } | undefined {
    const e = this.map.get(instanceId);
    if (!e) return undefined;
    this.map.delete(instanceId);
    if (e.executionId !== executionId || e.historyLength !== historyLength) return undefined;
    return e;
  }

  /** The entry cached for the instance, without taking it (a claim-free turn's precondition and record). */
  peek(instanceId: string): { executionId: string; instance?: InstanceRecord } | undefined {
    return this.map.get(instanceId);
  }

  put(instanceId: string, executionId: string, events: HistoryEvent[], instance?: InstanceRecord): void {
    if (this.capacity <= 0) return;
    this.map.delete(instanceId);
    this.map.set(instanceId, { executionId, historyLength: events.length, events, ...(instance !== undefined ? { instance } : {}) });
    while (this.map.size > this.capacity) this.map.delete(this.map.keys().next().value as string);
  }

  delete(instanceId: string): void {
    this.map.delete(instanceId);
  }

  clear(): void {
    this.map.clear();
  }
}
