/**
 * @module engine/client
 * Instance management: start, get, list/query, history, raise event, suspend, resume, terminate,
 * purge and wait. Every call validates its input first (ids, names, payload sizes) and turns into
 * store operations; it never runs orchestration code itself.
 */

import { parseTraceParent } from './trace-context.js';
import { randomUUID } from 'node:crypto';
import { SwirlError } from '../errors.js';
import {
  ReusePolicy,
  RuntimeStatus,
  StoreErrorCode,
  TERMINAL_STATUSES,
  isTerminalStatus,
  type CreateInstanceRequest,
  type InstanceRecord,
  type OrchestrationWorkItem,
  type Store,
} from '../store/types.js';
import { EngineErrorCode } from './error-codes.js';
import { EventType, fromPayload, type FailureDetails, type HistoryEvent } from './history.js';
import { encodeMessage, fromHistoryRecord, newMessage } from './messages.js';
import type { CompiledEngineOptions } from './options.js';
import type { Registry } from './registry.js';
import { newInstanceId } from './instance-id.js';
import { inspectInstance, type InstanceInspection } from './inspect.js';
import { executionStarted } from './turn.js';
import { rethrowWrite } from './store-errors.js';
import { checkInstanceId, checkName, checkPayloadSize, serializePayload } from './validation.js';

/** Options of {@link EngineClient.start}. */
export interface StartOptions {
  /** The instance id. @default a new UUIDv7 (time-ordered, 74 random bits; see instance-id.ts) */
  instanceId?: string;
  /** Start at this time instead of now (scheduled start; the instance stays PENDING until then). */
  startAt?: Date | number;
  /** What to do when the id is taken. @default ReusePolicy.REPLACE_TERMINAL (refuse a running duplicate, replace a finished one) */
  reusePolicy?: ReusePolicy;
  /**
   * Start on this registered definition version (a rerun keeps the version of the instance it
   * reruns) instead of the current one. @default the current version
   */
  definitionHash?: string;
  /**
   * The caller's W3C `traceparent` (a start request's header, a CloudEvent's extension): recorded
   * in ExecutionStarted, the parent of the instance's span. An invalid value is ignored (a new
   * trace starts), as W3C Trace Context asks.
   */
  traceparent?: string;
}

/** An instance as clients see it. */
export interface InstanceMetadata {
  instanceId: string;
  name: string;
  runtimeStatus: RuntimeStatus;
  executionId: string;
  createdAt: Date;
  lastUpdatedAt: Date;
  completedAt?: Date;
  scheduledStartAt?: Date;
  parentInstanceId?: string;
  input: unknown;
  output: unknown;
  customStatus: unknown;
  failure?: FailureDetails;
  /** Hash of the definition version the current execution runs (absent for unversioned registrations). */
  definitionHash?: string;
  /** Version tag of that definition. */
  definitionVersion?: string;
  /** The payloads as stored (JSON text), for callers that pass them through unparsed. */
  serializedInput?: string;
  serializedOutput?: string;
  serializedCustomStatus?: string;
  /** Work of this instance that no worker of this engine is registered for (it waits for one). */
  unserved?: UnservedWork[];
  /** Why the instance is not progressing, e.g. "no worker registered for 'charge' (activity, on this node)". */
  waitingFor?: string;
}

/** An orchestration or activity name with work waiting that this engine cannot run. */
export interface UnservedWork {
  kind: 'orchestration' | 'activity';
  name: string;
  /** For an orchestration whose name is registered but not the definition version the instance runs. */
  definitionHash?: string;
}

/** Filter of {@link EngineClient.list} and {@link EngineClient.purgeInstances}. */
export interface InstanceFilter {
  name?: string;
  statuses?: RuntimeStatus[];
  /** createdAt >= createdFrom. */
  createdFrom?: Date | number;
  /** createdAt < createdTo. */
  createdTo?: Date | number;
  /** Only children of this instance. */
  parentInstanceId?: string;
  /** Only instances whose id starts with this (a range scan of the store's key). */
  instanceIdPrefix?: string;
}

/** Page options of {@link EngineClient.list}. */
export interface ListPage {
  pageSize?: number;
  pageToken?: string;
  /** By creation time: `asc` (oldest first, the default) or `desc` (newest first). */
  order?: 'asc' | 'desc';
}

/** One group of {@link EngineClient.count}. */
export interface InstanceCountRow {
  name: string;
  runtimeStatus: RuntimeStatus;
  count: number;
}

/** One page of {@link EngineClient.list}. */
export interface InstanceList {
  instances: InstanceMetadata[];
  /** Pass it back as `pageToken` for the next page; absent on the last page. */
  nextPageToken?: string;
}

/** Things the client needs from the engine. */
export interface ClientHost {
  store(): Store;
  registry: Registry;
  opts: CompiledEngineOptions;
  /**
   * Calls `listener` with every committed status of `instanceId` (undefined: the engine stopped)
   * until the returned function is called. Watch before reading the status, so a change between
   * the read and the wait is not missed; the watch stays for the whole wait, so two changes
   * reported in one tick (two nodes' notifications in one read of the LISTEN socket) are both seen.
   */
  watchChanges(instanceId: string, listener: (status?: RuntimeStatus) => void): () => void;
  /** Work was enqueued. */
  notify(): void;
  /**
   * The local orchestration worker's reservation for a start due now (store feature
   * `turnShortcuts`): the create claims it in the same transaction and `settle` hands the claimed
   * item to the worker (or gives the capacity back). Undefined: start the ordinary way.
   */
  reserveStart?(name: string, now: number): StartReservation | undefined;
}

/** See {@link ClientHost.reserveStart}. */
export interface StartReservation {
  claim: NonNullable<CreateInstanceRequest['claim']>;
  settle(claimed: OrchestrationWorkItem | undefined): void;
}

const toMs = (t: Date | number): number => (typeof t === 'number' ? t : t.getTime());

function toMetadata(r: InstanceRecord): InstanceMetadata {
  const m: InstanceMetadata = {
    instanceId: r.instanceId,
    name: r.name,
    runtimeStatus: r.status,
    executionId: r.executionId,
    createdAt: new Date(r.createdAt),
    lastUpdatedAt: new Date(r.lastUpdatedAt),
    input: fromPayload(r.input),
    output: fromPayload(r.output),
    customStatus: fromPayload(r.customStatus),
  };
  if (r.completedAt !== undefined) m.completedAt = new Date(r.completedAt);
  if (r.scheduledStartAt !== undefined) m.scheduledStartAt = new Date(r.scheduledStartAt);
  if (r.parentInstanceId !== undefined) m.parentInstanceId = r.parentInstanceId;
  if (r.failure !== undefined) m.failure = JSON.parse(r.failure) as FailureDetails;
  if (r.input !== undefined) m.serializedInput = r.input;
  if (r.output !== undefined) m.serializedOutput = r.output;
  if (r.customStatus !== undefined) m.serializedCustomStatus = r.customStatus;
  if (r.definitionHash !== undefined) m.definitionHash = r.definitionHash;
  if (r.definitionVersion !== undefined) m.definitionVersion = r.definitionVersion;
  return m;
}

/** The management API of an engine (`engine.client`). */
export class EngineClient {
  constructor(private readonly host: ClientHost) {}

  private get store(): Store {
    return this.host.store();
  }
  private get max(): number {
    return this.host.opts.maxPayloadBytes;
  }
  private now(): number {
    return this.host.opts.clock.now();
  }

  /**
   * Starts an orchestration; returns its instance id.
   * @throws SwirlError ORCHESTRATION_NOT_REGISTERED, INVALID_INSTANCE_ID, PAYLOAD_TOO_LARGE,
   *   INSTANCE_EXISTS (the id belongs to an instance that has not finished); InfrastructureError
   *   WRITE_OUTCOME_UNKNOWN (the start may have been recorded: retry with the same instance id,
   *   which the error carries as `instanceId`, and a REPLACE_TERMINAL/IGNORE policy).
   */
  async start(name: string, input?: unknown, options: StartOptions = {}): Promise<string> {
    checkName(name, 'orchestration name');
    // The current version: an orchestration registered only for replay starts no new instances.
    const lookup = options.definitionHash !== undefined ? this.host.registry.forInstance(name, options.definitionHash) : undefined;
    const reg = lookup ? ('registration' in lookup ? lookup.registration : undefined) : this.host.registry.current(name);
    if (!reg) {
      const known = this.host.registry.orchestrationNames();
      throw new SwirlError(
        EngineErrorCode.ORCHESTRATION_NOT_REGISTERED,
        `no orchestration named '${name}' is registered` + (known.length > 0 ? ` (registered: ${known.slice(0, 10).join(', ')})` : ''),
      );
    }
    const instanceId = options.instanceId ?? newInstanceId();
    checkInstanceId(instanceId);
    const text = serializePayload(input, `input of '${name}'`, this.max);
    const now = this.now();
    const startAt = options.startAt !== undefined ? toMs(options.startAt) : undefined;
    if (startAt !== undefined && !Number.isFinite(startAt)) throw new SwirlError(EngineErrorCode.INVALID_ARGUMENT, `invalid startAt ${String(options.startAt)}`);
    const executionId = randomUUID();
    const start = executionStarted({
      instanceId,
      executionId,
      name,
      input: text,
      timestamp: now,
      ...(startAt !== undefined ? { scheduledStartTime: startAt } : {}),
      ...(reg.version !== undefined ? { version: reg.version } : {}),
      ...(reg.definitionHash !== undefined ? { definitionHash: reg.definitionHash } : {}),
      ...(parseTraceParent(options.traceparent) !== undefined ? { traceparent: (options.traceparent as string).trim() } : {}),
    });
    const visibleAt = Math.max(now, startAt ?? now);
    const reservation = visibleAt <= now ? this.host.reserveStart?.(name, now) : undefined;
    const created = this.store.createInstance({
      instanceId,
      executionId,
      name,
      ...(reg.definitionHash !== undefined ? { definitionHash: reg.definitionHash } : {}),
      ...(reg.version !== undefined ? { definitionVersion: reg.version } : {}),
      createdAt: now,
      ...(startAt !== undefined ? { scheduledStartAt: startAt } : {}),
      ...(text !== undefined ? { input: text } : {}),
      startMessage: { data: encodeMessage({ executionId, event: start }), visibleAt },
      reusePolicy: options.reusePolicy ?? ReusePolicy.REPLACE_TERMINAL,
      ...(reservation !== undefined ? { claim: reservation.claim } : {}),
    });
    let claimed: OrchestrationWorkItem | undefined;
    try {
      ({ claimed } = await created.catch((e: unknown) =>
        rethrowWrite(e, `the start of instance '${instanceId}'`, `retry with the same instance id '${instanceId}'`, instanceId),
      ));
    } finally {
      // Claimed with the create: the worker runs its first turn at once, no claim of its own.
      reservation?.settle(claimed);
    }
    if (claimed === undefined) this.host.notify();
    return instanceId;
  }

  /**
   * The instance, or undefined if it does not exist. A running instance with work that no worker
   * here can run reports it in `unserved` and `waitingFor` (it waits; it is never failed for it).
   */
  async get(instanceId: string): Promise<InstanceMetadata | undefined> {
    checkInstanceId(instanceId);
    const r = await this.store.getInstance(instanceId);
    if (!r) return undefined;
    const m = toMetadata(r);
    if (!isTerminalStatus(r.status)) {
      const unserved = await this.unserved(r);
      if (unserved.length > 0) {
        m.unserved = unserved;
        m.waitingFor = unserved
          .map((u) => `no worker registered for '${u.name}' (${u.kind}${u.definitionHash !== undefined ? `, definition ${u.definitionHash.slice(0, 12)}` : ''}, on this node)`)
          .join('; ');
      }
    }
    return m;
  }

  /** One page of instances matching `filter`, oldest first (newest first with `order: 'desc'`). */
  async list(filter: InstanceFilter = {}, page: ListPage = {}): Promise<InstanceList> {
    const res = await this.store.queryInstances({
      ...(filter.name !== undefined ? { name: filter.name } : {}),
      ...(filter.statuses !== undefined ? { statuses: filter.statuses } : {}),
      ...(filter.createdFrom !== undefined ? { createdFrom: toMs(filter.createdFrom) } : {}),
      ...(filter.createdTo !== undefined ? { createdTo: toMs(filter.createdTo) } : {}),
      ...(filter.parentInstanceId !== undefined ? { parentInstanceId: filter.parentInstanceId } : {}),
      ...(filter.instanceIdPrefix !== undefined ? { instanceIdPrefix: filter.instanceIdPrefix } : {}),
      ...(page.order !== undefined ? { order: page.order } : {}),
      ...(page.pageSize !== undefined ? { pageSize: page.pageSize } : {}),
      ...(page.pageToken !== undefined ? { pageToken: page.pageToken } : {}),
    });
    const out: InstanceList = { instances: res.instances.map(toMetadata) };
    if (res.nextPageToken !== undefined) out.nextPageToken = res.nextPageToken;
    return out;
  }

  /** How many instances there are by workflow name and status (groups with none are absent). */
  async count(filter: { name?: string; instanceIdPrefix?: string } = {}): Promise<InstanceCountRow[]> {
    const rows = await this.store.countInstances(filter);
    return rows.map((r) => ({ name: r.name, runtimeStatus: r.status, count: r.count }));
  }

  /**
   * Replays the current execution (committing nothing) to collect the code's ctx.note() entries
   * and its open waits (engine/inspect.ts).
   * @throws SwirlError INSTANCE_NOT_FOUND, ORCHESTRATION_NOT_REGISTERED
   */
  async inspect(instanceId: string): Promise<InstanceInspection> {
    checkInstanceId(instanceId);
    return inspectInstance(this.store, this.host.registry, this.host.opts, instanceId);
  }

  /** The current execution's history. @throws SwirlError INSTANCE_NOT_FOUND */
  async history(instanceId: string): Promise<HistoryEvent[]> {
    await this.require(instanceId);
    return (await this.store.loadHistory(instanceId)).map(fromHistoryRecord);
  }

  /**
   * Delivers an external event. Buffered by the instance if it is not waiting for it yet.
   * @throws SwirlError INSTANCE_NOT_FOUND, INVALID_INSTANCE_ID, PAYLOAD_TOO_LARGE
   */
  async raiseEvent(instanceId: string, eventName: string, data?: unknown): Promise<void> {
    checkInstanceId(instanceId);
    checkName(eventName, 'event name');
    const text = serializePayload(data, `data of event '${eventName}'`, this.max);
    const event: HistoryEvent = { type: EventType.EventRaised, eventId: -1, timestamp: this.now(), name: eventName };
    if (text !== undefined) event.input = text;
    await this.send(instanceId, event);
  }

  /** Suspends the instance: it records but does not act on new events until resumed. */
  async suspend(instanceId: string, reason?: string): Promise<void> {
    checkInstanceId(instanceId);
    const event: HistoryEvent = { type: EventType.ExecutionSuspended, eventId: -1, timestamp: this.now() };
    if (reason !== undefined) {
      checkPayloadSize(reason, 'reason', this.max);
      event.reason = reason;
    }
    await this.send(instanceId, event);
  }

  /** Resumes a suspended instance. */
  async resume(instanceId: string, reason?: string): Promise<void> {
    checkInstanceId(instanceId);
    const event: HistoryEvent = { type: EventType.ExecutionResumed, eventId: -1, timestamp: this.now() };
    if (reason !== undefined) {
      checkPayloadSize(reason, 'reason', this.max);
      event.reason = reason;
    }
    await this.send(instanceId, event);
  }

  /**
   * Terminates the instance (status TERMINATED, `output` as its output) and, unless
   * `recursive: false`, its running sub-orchestrations. A finished instance is left as it is.
   */
  async terminate(
    instanceId: string,
    options: { output?: unknown; reason?: string; recursive?: boolean; asParent?: { instanceId: string; executionId: string } } = {},
  ): Promise<void> {
    const r = await this.require(instanceId);
    if (isTerminalStatus(r.status)) return;
    // A parent terminating its child (asParent) reaches only an instance it really is the parent
    // of: the id may belong to an unrelated instance (the child's start was refused) or have been
    // reused since. Checked here and again by the receiving turn (the event names its sender).
    if (options.asParent !== undefined && r.parentInstanceId !== options.asParent.instanceId) {
      throw new SwirlError(EngineErrorCode.NOT_A_CHILD, `instance '${instanceId}' is not a child of '${options.asParent.instanceId}': not terminated`);
    }
    const text = serializePayload(options.output, 'termination output', this.max);
    const event: HistoryEvent = { type: EventType.ExecutionTerminated, eventId: -1, timestamp: this.now(), recurse: options.recursive ?? true };
    if (options.asParent !== undefined) event.sender = { instanceId: options.asParent.instanceId, executionId: options.asParent.executionId };
    if (text !== undefined) event.input = text;
    if (options.reason !== undefined) {
      checkPayloadSize(options.reason, 'termination reason', this.max);
      event.reason = options.reason;
    }
    await this.send(instanceId, event);
  }

  /**
   * Deletes a finished instance (and, unless `recursive: false`, its sub-orchestrations).
   * @throws SwirlError INSTANCE_NOT_FOUND, INSTANCE_NOT_TERMINAL (it or a child is still running; nothing is deleted)
   */
  async purge(instanceId: string, options: { recursive?: boolean } = {}): Promise<{ deletedInstanceCount: number }> {
    const root = await this.require(instanceId);
    const ids = options.recursive === false ? [root] : await this.subtree(root);
    const running = ids.find((r) => !isTerminalStatus(r.status));
    if (running) {
      throw new SwirlError(
        EngineErrorCode.INSTANCE_NOT_TERMINAL,
        running.instanceId === instanceId
          ? `cannot purge instance '${instanceId}': it is ${running.status}; only COMPLETED, FAILED or TERMINATED instances can be purged`
          : `cannot purge instance '${instanceId}': its sub-orchestration '${running.instanceId}' is ${running.status}`,
      );
    }
    const deleted = await this.store.purgeInstances(ids.map((r) => r.instanceId));
    return { deletedInstanceCount: deleted.length };
  }

  /**
   * Deletes every finished instance matching `filter` (statuses default to all terminal ones),
   * with their sub-orchestrations. Instances with a running child are skipped.
   * @throws SwirlError INVALID_ARGUMENT if the filter names a non-terminal status
   */
  async purgeInstances(filter: Omit<InstanceFilter, 'parentInstanceId'> & { recursive?: boolean }): Promise<{ deletedInstanceCount: number }> {
    const statuses = filter.statuses && filter.statuses.length > 0 ? filter.statuses : [...TERMINAL_STATUSES];
    const bad = statuses.find((s) => !isTerminalStatus(s));
    if (bad) throw new SwirlError(EngineErrorCode.INVALID_ARGUMENT, `purge filter status ${bad} is not terminal: only COMPLETED, FAILED and TERMINATED instances can be purged`);
    let deleted = 0;
    let pageToken: string | undefined;
    do {
      const page = await this.list({ ...filter, statuses }, { pageSize: 500, ...(pageToken !== undefined ? { pageToken } : {}) });
      pageToken = page.nextPageToken;
      for (const m of page.instances) {
        const r = await this.store.getInstance(m.instanceId);
        if (!r) continue; // already deleted as someone's child
        const ids = filter.recursive === false ? [r] : await this.subtree(r);
        if (ids.some((x) => !isTerminalStatus(x.status))) continue;
        deleted += (await this.store.purgeInstances(ids.map((x) => x.instanceId))).length;
      }
    } while (pageToken !== undefined);
    return { deletedInstanceCount: deleted };
  }

  /**
   * Waits until the instance is COMPLETED, FAILED or TERMINATED and returns it.
   * `signal` ends the wait early (a caller that went away, a server shutting down): the promise
   * rejects with the signal's reason and the subscription is freed at once. `recheckMs`: how
   * long to go without hearing a change before reading the store anyway (the safety net for a
   * change no notification reported) @default pollIntervalMs.
   * @throws SwirlError WAIT_TIMEOUT after `timeoutMs` (wall-clock), INSTANCE_NOT_FOUND
   */
  async waitForCompletion(instanceId: string, options: { timeoutMs?: number; signal?: AbortSignal; recheckMs?: number } = {}): Promise<InstanceMetadata> {
    return this.waitFor(instanceId, options.timeoutMs, (s) => isTerminalStatus(s), 'to complete', options.signal, options.recheckMs);
  }

  /** Waits until the instance has left PENDING and returns it. @throws SwirlError WAIT_TIMEOUT, INSTANCE_NOT_FOUND */
  async waitForStart(instanceId: string, options: { timeoutMs?: number } = {}): Promise<InstanceMetadata> {
    return this.waitFor(instanceId, options.timeoutMs, (s) => s !== RuntimeStatus.PENDING, 'to start');
  }

  // ── internals ───────────────────────────────────────────────────────────────────────────────

  private async waitFor(
    instanceId: string,
    timeoutMs: number | undefined,
    done: (s: RuntimeStatus) => boolean,
    what: string,
    signal?: AbortSignal,
    recheckMs: number = this.host.opts.pollIntervalMs,
  ): Promise<InstanceMetadata> {
    checkInstanceId(instanceId);
    signal?.throwIfAborted();
    // Changes heard since the last look: `heard` any, `wanted` one we wait for (or the engine stopped).
    let heard = false;
    let wanted = false;
    let wake: (() => void) | undefined;
    const unwatch = this.host.watchChanges(instanceId, (status) => {
      heard = true;
      if (status === undefined || done(status)) wanted = true;
      wake?.();
    });
    const onAbort = (): void => wake?.();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const deadline = timeoutMs !== undefined ? Date.now() + timeoutMs : Number.POSITIVE_INFINITY;
      let read = true;
      let last: InstanceRecord | undefined;
      for (;;) {
        const left = deadline - Date.now();
        if (read) {
          last = await this.store.getInstance(instanceId);
          if (!last) throw new SwirlError(EngineErrorCode.INSTANCE_NOT_FOUND, `no instance with id '${instanceId}'`);
          if (done(last.status)) return toMetadata(last);
        }
        if (left <= 0) {
          throw new SwirlError(EngineErrorCode.WAIT_TIMEOUT, `instance '${instanceId}' did not finish waiting ${what} within ${timeoutMs} ms (status ${last?.status})`);
        }
        signal?.throwIfAborted();
        if (!heard) {
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, Math.max(0, Math.min(left, recheckMs)));
            wake = () => {
              clearTimeout(timer);
              resolve();
            };
          });
          wake = undefined;
        }
        signal?.throwIfAborted();
        // A local commit tells us the new status: read the store only when it is the one we wait
        // for, or when nothing was heard (the change may have come from another process).
        read = !heard || wanted;
        heard = wanted = false;
      }
    } finally {
      unwatch();
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /** The orchestration and ready activity names of `r` that this engine has no registration for. */
  private async unserved(r: InstanceRecord): Promise<UnservedWork[]> {
    const out: UnservedWork[] = [];
    const registry = this.host.registry;
    const found = isTerminalStatus(r.status) ? undefined : registry.forInstance(r.name, r.definitionHash);
    if (found && 'missing' in found) {
      // The name, or (after a redeploy elsewhere) the definition version the instance runs.
      out.push(found.missing === 'definition' && r.definitionHash !== undefined ? { kind: 'orchestration', name: r.name, definitionHash: r.definitionHash } : { kind: 'orchestration', name: r.name });
    }
    let tasks: { name: string; visibleAt: number; leased: boolean }[] = [];
    try {
      tasks = (await this.store.pendingWork(r.instanceId, this.now())).tasks;
    } catch {
      // Inspection only: a get must not fail because this extra read did.
    }
    const now = this.now();
    const names = new Set(tasks.filter((t) => !t.leased && t.visibleAt <= now && !registry.activity(t.name)).map((t) => t.name));
    for (const name of names) out.push({ kind: 'activity', name });
    return out;
  }

  private async require(instanceId: string): Promise<InstanceRecord> {
    checkInstanceId(instanceId);
    const r = await this.store.getInstance(instanceId);
    if (!r) throw new SwirlError(EngineErrorCode.INSTANCE_NOT_FOUND, `no instance with id '${instanceId}'`);
    return r;
  }

  private async send(instanceId: string, event: HistoryEvent): Promise<void> {
    try {
      await this.store.enqueueMessages([newMessage(instanceId, { event }, this.now())]);
    } catch (e) {
      if ((e as SwirlError).code === StoreErrorCode.INSTANCE_NOT_FOUND) {
        throw new SwirlError(EngineErrorCode.INSTANCE_NOT_FOUND, `no instance with id '${instanceId}'`, { cause: e });
      }
      rethrowWrite(e, `the ${event.type} for instance '${instanceId}'`, 'check the instance (get, history) before sending it again', instanceId);
    }
    this.host.notify();
  }

  /** The instance and all its descendants (children first is not required: purge is one transaction). */
  private async subtree(root: InstanceRecord): Promise<InstanceRecord[]> {
    const out: InstanceRecord[] = [root];
    const seen = new Set([root.instanceId]);
    for (let i = 0; i < out.length; i++) {
      let pageToken: string | undefined;
      do {
        const page = await this.store.queryInstances({ parentInstanceId: out[i]!.instanceId, pageSize: 1000, ...(pageToken !== undefined ? { pageToken } : {}) });
        for (const c of page.instances) {
          if (seen.has(c.instanceId)) continue;
          seen.add(c.instanceId);
          out.push(c);
        }
        pageToken = page.nextPageToken;
      } while (pageToken !== undefined);
    }
    return out;
  }
}
