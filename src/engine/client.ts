/**
 * @module engine/client
 * Instance management: start, get, list/query, history, raise event, suspend, resume, terminate,
 * purge and wait. Every call validates its input first (ids, names, payload sizes) and turns into
 * store operations; it never runs orchestration code itself. The larger parts live in their own
 * modules: instance-start.ts, instance-query.ts, instance-metadata.ts, instance-purge.ts and
 * status-wait.ts; what the client needs from the engine is ClientHost (client-host.ts).
 */

import { SwirlError } from '../errors.js';
import { RuntimeStatus, StoreErrorCode, isTerminalStatus, type Store } from '../store/types.js';
import type { ClientHost } from './client-host.js';
import { EngineErrorCode } from './error-codes.js';
import { EventType, type HistoryEvent } from './history.js';
import { toMetadata, unservedWork, type InstanceMetadata } from './instance-metadata.js';
import { listInstances, requireInstance, type InstanceCountRow, type InstanceFilter, type InstanceList, type ListPage } from './instance-query.js';
import { purgeInstance, purgeMatching } from './instance-purge.js';
import { startInstance, type StartOptions } from './instance-start.js';
import { inspectInstance, type InstanceInspection } from './inspect.js';
import { fromHistoryRecord, newMessage } from './messages.js';
import { waitForStatus, type WaitSignal } from './status-wait.js';
import { rethrowWrite } from './store-errors.js';
import { checkInstanceId, checkName, checkPayloadSize, serializePayload } from './validation.js';

export type { ClientHost, StartReservation } from './client-host.js';
export type { InstanceMetadata, UnservedWork } from './instance-metadata.js';
export type { InstanceCountRow, InstanceFilter, InstanceList, ListPage } from './instance-query.js';
export type { StartOptions } from './instance-start.js';

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
    return startInstance(this.host, name, input, options);
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
      const unserved = await unservedWork(this.host, r);
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
    return listInstances(this.host, filter, page);
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
    await requireInstance(this.host, instanceId);
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
    const r = await requireInstance(this.host, instanceId);
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
    return purgeInstance(this.host, instanceId, options);
  }

  /**
   * Deletes every finished instance matching `filter` (statuses default to all terminal ones),
   * with their sub-orchestrations. Instances with a running child are skipped.
   * @throws SwirlError INVALID_ARGUMENT if the filter names a non-terminal status
   */
  async purgeInstances(filter: Omit<InstanceFilter, 'parentInstanceId'> & { recursive?: boolean }): Promise<{ deletedInstanceCount: number }> {
    return purgeMatching(this.host, filter);
  }

  /**
   * Waits until the instance is COMPLETED, FAILED or TERMINATED and returns it.
   * `signal` ends the wait early (a caller that went away, a server shutting down): the promise
   * rejects with the signal's reason and the subscription is freed at once. `recheckMs`: how
   * long to go without hearing a change before reading the store anyway (the safety net for a
   * change no notification reported) @default pollIntervalMs.
   * @throws SwirlError WAIT_TIMEOUT after `timeoutMs` (wall-clock), INSTANCE_NOT_FOUND
   */
  async waitForCompletion(instanceId: string, options: { timeoutMs?: number; signal?: WaitSignal; recheckMs?: number } = {}): Promise<InstanceMetadata> {
    return waitForStatus(this.host, instanceId, options.timeoutMs, (s) => isTerminalStatus(s), 'to complete', options.signal, options.recheckMs);
  }

  /** Waits until the instance has left PENDING and returns it. @throws SwirlError WAIT_TIMEOUT, INSTANCE_NOT_FOUND */
  async waitForStart(instanceId: string, options: { timeoutMs?: number } = {}): Promise<InstanceMetadata> {
    return waitForStatus(this.host, instanceId, options.timeoutMs, (s) => s !== RuntimeStatus.PENDING, 'to start');
  }

  // ── internals ───────────────────────────────────────────────────────────────────────────────

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
}
