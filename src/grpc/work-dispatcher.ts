/**
 * @module grpc/work-dispatcher
 * Connected app workers (`GetWorkItems` streams) and the work handed to them. It implements the
 * engine's RemoteOrchestrator (one orchestrator work item per turn, answered by
 * CompleteOrchestratorTask) and runs remote activities (one activity work item per attempt,
 * answered by CompleteActivityTask). Nothing durable lives here: a turn or activity whose worker
 * disconnects is answered "unavailable"/re-sent, so the engine's lease machinery redelivers it and
 * nothing is committed twice (a late completion finds no pending item: NOT_FOUND).
 *
 * Routing (specs/grpc.md): the Dapr SDKs declare no names, so a worker is offered any remote work
 * until it shows it lacks the name (it answers an orchestrator work item with
 * OrchestratorNotRegisteredError, or an activity with ActivityNotRegisteredError); it is then not
 * offered that name again while connected.
 */
import { randomUUID } from 'node:crypto';
import { status, type ServerWritableStream } from '@grpc/grpc-js';
import type { ActivityContext } from '../engine/registry.js';
import { ActivityUnavailableError, type RemoteOrchestrator, type RemoteTurnAnswer, type RemoteTurnRequest } from '../engine/remote.js';
import type { Logger } from '../engine/logger.js';
import { fromProtoActions, fromProtoFailure, sentExecution } from './history-map.js';
import { orchestratorWorkItem } from './work-item-encoding.js';
import type { StringValue, TaskFailureDetails } from './proto.js';
import { GrpcRequestError } from './request-error.js';

/** Most work items outstanding on one stream (the @dapr/dapr 3.18 worker drops items beyond 10 running + 100 queued). */
const MAX_OUTSTANDING_PER_STREAM = 100;
/** How often a remote activity with no capable worker looks again. */
const ACTIVITY_WAIT_POLL_MS = 200;

interface Worker {
  id: string;
  call: ServerWritableStream<unknown, unknown>;
  outstanding: number;
  /** Names this worker showed it does not serve ('o:name' / 'a:name'). */
  lacks: Set<string>;
  pending: Set<string>;
}

interface PendingTurn {
  worker: Worker;
  name: string;
  resolve(answer: RemoteTurnAnswer): void;
}

interface PendingActivity {
  worker: Worker;
  name: string;
  resolve(r: { result?: string; failure?: TaskFailureDetails } | { lost: true } | { lacks: true }): void;
}

/**
 * An activity failure reported by the app (its TaskFailureDetails). Its `code` (the failure's
 * code in history) is the app's error type — the JS error's `name` — so a Serverless Workflow's
 * `onErrors` can match an app activity's error by code (specs/custom-operations.md).
 */
export class RemoteActivityError extends Error {
  readonly code: string;
  constructor(
    readonly errorType: string,
    message: string,
    readonly remoteStack?: string,
  ) {
    super(message);
    this.name = errorType;
    this.code = errorType;
  }
}

export interface DispatcherHooks {
  /** An orchestration or activity name the app uses (from its actions): register it as remote. */
  learned(kind: 'orchestration' | 'activity', name: string): void;
}

export class WorkDispatcher implements RemoteOrchestrator {
  private readonly workers = new Map<string, Worker>();
  private readonly turns = new Map<string, PendingTurn>();
  private readonly activities = new Map<string, PendingActivity>();
  private next = 0;
  private readonly capableWaiters = new Set<() => void>();
  readonly stats = { workItemsSent: 0, turnsWaiting: 0, activitiesWaiting: 0, redeliveries: 0 };

  constructor(
    private readonly hooks: DispatcherHooks,
    private readonly logger: Logger,
  ) {}

  get connectedWorkers(): number {
    return this.workers.size;
  }

  /** A GetWorkItems stream opened: it receives work until it ends. */
  attach(call: ServerWritableStream<unknown, unknown>): void {
    const w: Worker = { id: randomUUID(), call, outstanding: 0, lacks: new Set(), pending: new Set() };
    this.workers.set(w.id, w);
    const detach = () => this.detach(w);
    call.on('cancelled', detach);
    call.on('close', detach);
    call.on('error', detach);
    this.logger.info(`app worker ${w.id} connected (GetWorkItems)`);
    for (const wake of [...this.capableWaiters]) wake();
  }

  /** Ends every stream with status OK (the SDKs reconnect; an error status would stop @dapr/dapr 3.18's worker for good). */
  closeAll(): void {
    for (const w of [...this.workers.values()]) {
      this.detach(w);
      w.call.end();
    }
  }

  private detach(w: Worker): void {
    if (!this.workers.delete(w.id)) return;
    this.logger.info(`app worker ${w.id} disconnected: its ${w.pending.size} work item(s) go back to the queue`);
    for (const key of w.pending) {
      const t = this.turns.get(key);
      if (t && t.worker === w) {
        this.turns.delete(key);
        this.stats.redeliveries += 1;
        t.resolve({ unavailable: `the worker running its turn disconnected` });
      }
      const a = this.activities.get(key);
      if (a && a.worker === w) {
        this.activities.delete(key);
        this.stats.redeliveries += 1;
        a.resolve({ lost: true });
      }
    }
  }

  /** Whether a connected worker has not shown it lacks the name (RemoteOrchestrator.canRun: else the work counts as unserved). */
  canRun(kind: 'orchestration' | 'activity', name: string): boolean {
    const key = `${kind === 'orchestration' ? 'o' : 'a'}:${name}`;
    for (const w of this.workers.values()) if (!w.lacks.has(key)) return true;
    return false;
  }

  /** A connected worker that has not shown it lacks `key`, with room, round-robin. */
  private pick(key: string): Worker | undefined {
    const list = [...this.workers.values()].filter((w) => !w.lacks.has(key) && w.outstanding < MAX_OUTSTANDING_PER_STREAM);
    if (list.length === 0) return undefined;
    this.next = (this.next + 1) % list.length;
    return list[this.next];
  }

  /** Writes a work item: an object (encoded by the method's serializer) or an encoded WorkItem (work-item-encoding.ts). */
  private send(w: Worker, item: object | Buffer, key: string): void {
    w.outstanding += 1;
    w.pending.add(key);
    this.stats.workItemsSent += 1;
    w.call.write(item);
  }

  private done(w: Worker, key: string): void {
    w.outstanding -= 1;
    w.pending.delete(key);
  }

  // ── orchestrations ────────────────────────────────────────────────────────────────────────────

  executeTurn(req: RemoteTurnRequest): Promise<RemoteTurnAnswer> {
    const w = this.pick(`o:${req.name}`);
    if (!w) return Promise.resolve({ unavailable: this.workers.size === 0 ? 'no app worker is connected' : `no connected app worker serves orchestration '${req.name}'` });
    if (this.turns.has(req.instanceId)) return Promise.resolve({ unavailable: `a turn of '${req.instanceId}' is already with a worker` });
    // The engine's trace of the execution when it has one (what sentExecution would derive again from the events).
    const sent = req.trace !== undefined ? { instanceId: req.instanceId, executionId: req.executionId, trace: req.trace } : sentExecution([...req.pastEvents, ...req.newEvents]);
    return new Promise((resolve) => {
      this.turns.set(req.instanceId, { worker: w, name: req.name, resolve });
      this.send(w, orchestratorWorkItem(req.instanceId, req.executionId, req.pastEvents, req.newEvents, sent), req.instanceId);
    });
  }

  /** CompleteOrchestratorTask: the pending turn of that instance gets its answer. */
  completeTurn(res: { instanceId?: string; actions?: unknown[]; customStatus?: StringValue }): void {
    const id = res.instanceId;
    if (!id) throw new GrpcRequestError(status.INVALID_ARGUMENT, 'CompleteOrchestratorTask: instanceId is required');
    const t = this.turns.get(id);
    if (!t) throw new GrpcRequestError(status.NOT_FOUND, `CompleteOrchestratorTask: no orchestrator work item of instance '${id}' is pending (late or duplicate completion: dropped)`);
    const decoded = fromProtoActions(id, (res.actions ?? []) as never[]);
    this.turns.delete(id);
    this.done(t.worker, id);
    const f = decoded.outcome?.failure;
    if (decoded.outcome?.status === 'FAILED' && f && /OrchestratorNotRegistered/.test(f.errorType)) {
      // This worker lacks the orchestration: offer it to another (or wait for one).
      t.worker.lacks.add(`o:${t.name}`);
      t.resolve({ unavailable: `no connected app worker serves orchestration '${t.name}'` });
      return;
    }
    for (const n of decoded.activityNames) this.hooks.learned('activity', n);
    for (const n of decoded.orchestrationNames) this.hooks.learned('orchestration', n);
    // The JS SDKs send the user's custom status raw (not JSON-encoded): store it as a JSON string then.
    const cs = res.customStatus?.value;
    const customStatus = cs === undefined || cs === '' ? undefined : isJson(cs) ? cs : JSON.stringify(cs);
    t.resolve({ actions: decoded.actions, ...(decoded.outcome ? { outcome: decoded.outcome } : {}), ...(customStatus !== undefined ? { customStatus } : {}) });
  }

  // ── activities ────────────────────────────────────────────────────────────────────────────────

  /** Runs activity `name` in a connected worker (waits for one; re-sent if its worker disconnects). */
  async runActivity(name: string, input: unknown, ctx: ActivityContext): Promise<unknown> {
    const key = `${ctx.instanceId}/${ctx.taskId}`;
    for (;;) {
      if (ctx.signal.aborted) throw new Error(`activity '${name}' of '${ctx.instanceId}' abandoned: the engine is stopping`);
      const w = this.pick(`a:${name}`);
      // No worker may run it: give the task back to the queue (visible as unserved work) rather than hold a slot.
      if (!this.canRun('activity', name)) throw new ActivityUnavailableError(`no connected app worker serves activity '${name}'`);
      if (!w || this.activities.has(key)) {
        this.stats.activitiesWaiting += 1;
        await this.waitForWorker(ctx.signal);
        this.stats.activitiesWaiting -= 1;
        continue;
      }
      const r = await new Promise<{ result?: string; failure?: TaskFailureDetails } | { lost: true } | { lacks: true }>((resolve) => {
        this.activities.set(key, { worker: w, name, resolve });
        const inputText = input === undefined ? undefined : JSON.stringify(input);
        this.send(
          w,
          {
            activityRequest: {
              name,
              ...(inputText !== undefined ? { input: { value: inputText } } : {}),
              orchestrationInstance: { instanceId: ctx.instanceId, executionId: { value: ctx.executionId } },
              taskId: ctx.taskId,
            },
          },
          key,
        );
      });
      if ('lost' in r) continue;
      if ('lacks' in r) {
        w.lacks.add(`a:${name}`);
        continue;
      }
      if (r.failure) {
        const f = fromProtoFailure(r.failure, `activity '${name}' failed`);
        throw new RemoteActivityError(f.errorType, f.message, f.stackTrace);
      }
      const text = r.result;
      return text === undefined || text === '' ? undefined : JSON.parse(text);
    }
  }

  /** CompleteActivityTask: matched by instance id + task id. */
  completeActivity(res: { instanceId?: string; taskId?: number; result?: StringValue; failureDetails?: TaskFailureDetails }): void {
    const key = `${res.instanceId}/${res.taskId ?? 0}`;
    const a = this.activities.get(key);
    if (!a) throw new GrpcRequestError(status.NOT_FOUND, `CompleteActivityTask: no activity work item ${key} is pending (unknown instance ID/task ID combo: late or duplicate completion, dropped)`);
    const text = res.result?.value;
    if (text !== undefined && text !== '' && !isJson(text)) throw new GrpcRequestError(status.INVALID_ARGUMENT, `CompleteActivityTask ${key}: result is not JSON text`);
    this.activities.delete(key);
    this.done(a.worker, key);
    if (res.failureDetails && /ActivityNotRegistered/.test(res.failureDetails.errorType ?? '')) return a.resolve({ lacks: true });
    a.resolve(res.failureDetails ? { failure: res.failureDetails } : text !== undefined ? { result: text } : {});
  }

  private waitForWorker(signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.capableWaiters.delete(wake);
        signal.removeEventListener('abort', wake);
        resolve();
      };
      const timer = setTimeout(wake, ACTIVITY_WAIT_POLL_MS);
      this.capableWaiters.add(wake);
      signal.addEventListener('abort', wake);
    });
  }
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
