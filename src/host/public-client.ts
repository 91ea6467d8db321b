/**
 * @module host/public-client
 * The engine client as the public APIs (HTTP, gRPC) see it. Swirl's own instances — the
 * held-event mailboxes `swirl.mailbox:<target>` (host/event-mailbox.ts) — do not exist there: an
 * id in the reserved `swirl.` namespace is not found for get, history, raise, suspend, resume,
 * terminate and purge, cannot be started (`INVALID_INSTANCE_ID`), internal orchestration names
 * cannot be started (`ORCHESTRATION_NOT_REGISTERED`), and lists and counts leave them out. Terminating a
 * mailbox through the API would lose the events it holds (issue 18); the host itself keeps using
 * the engine client.
 */
import type { EngineClient, InstanceCountRow, InstanceFilter, InstanceList, InstanceMetadata, ListPage, StartOptions } from '../engine/client.js';
import { EngineErrorCode } from '../engine/error-codes.js';
import type { HistoryEvent } from '../engine/history.js';
import { SwirlError } from '../errors.js';

/** The reserved namespace of Swirl's own workflow names and instance ids. */
const RESERVED = 'swirl.';

/** Whether `id` (an instance id or an orchestration name) is Swirl's own, hidden from the APIs. */
export function isInternal(id: string): boolean {
  return id.toLowerCase().startsWith(RESERVED);
}

function notFound(instanceId: string): SwirlError {
  return new SwirlError(EngineErrorCode.INSTANCE_NOT_FOUND, `no instance with id '${instanceId}'`);
}

/** The client of the public APIs (see the module doc). */
export class PublicClient {
  constructor(private readonly client: EngineClient) {}

  /** Throws INSTANCE_NOT_FOUND for an internal id (the check of every by-id call). */
  visible(instanceId: string): string {
    if (isInternal(instanceId)) throw notFound(instanceId);
    return instanceId;
  }

  start(name: string, input?: unknown, options: StartOptions = {}): Promise<string> {
    if (isInternal(name)) return Promise.reject(new SwirlError(EngineErrorCode.ORCHESTRATION_NOT_REGISTERED, `no workflow named '${name}' is registered`));
    if (options.instanceId !== undefined && isInternal(options.instanceId)) {
      return Promise.reject(new SwirlError(EngineErrorCode.INVALID_INSTANCE_ID, `instance id '${options.instanceId}' is in Swirl's reserved namespace '${RESERVED}'`));
    }
    return this.client.start(name, input, options);
  }

  async get(instanceId: string): Promise<InstanceMetadata | undefined> {
    return isInternal(instanceId) ? undefined : this.client.get(instanceId);
  }

  /** A page of instances without the internal ones (a page may hold fewer than pageSize). */
  async list(filter: InstanceFilter = {}, page: ListPage = {}): Promise<InstanceList> {
    const list = await this.client.list(filter, page);
    return { ...list, instances: list.instances.filter((m) => !isInternal(m.instanceId)) };
  }

  /** Counts by workflow name and status, without Swirl's own workflows (a `name` naming one: none). */
  async count(filter: { name?: string; instanceIdPrefix?: string } = {}): Promise<InstanceCountRow[]> {
    if (filter.name !== undefined && isInternal(filter.name)) return [];
    return (await this.client.count(filter)).filter((r) => !isInternal(r.name));
  }

  history(instanceId: string): Promise<HistoryEvent[]> {
    return this.client.history(this.visible(instanceId));
  }

  suspend(instanceId: string, reason?: string): Promise<void> {
    return this.client.suspend(this.visible(instanceId), reason);
  }

  resume(instanceId: string, reason?: string): Promise<void> {
    return this.client.resume(this.visible(instanceId), reason);
  }

  terminate(...args: Parameters<EngineClient['terminate']>): ReturnType<EngineClient['terminate']> {
    this.visible(args[0]);
    return this.client.terminate(...args);
  }

  purge(instanceId: string, options: { recursive?: boolean } = {}): Promise<{ deletedInstanceCount: number }> {
    return this.client.purge(this.visible(instanceId), options);
  }

  /** Bulk purge; never of internal workflows (a `name` filter naming one matches nothing). */
  purgeInstances(filter: Parameters<EngineClient['purgeInstances']>[0]): Promise<{ deletedInstanceCount: number }> {
    if (filter.name !== undefined && isInternal(filter.name)) return Promise.resolve({ deletedInstanceCount: 0 });
    return this.client.purgeInstances(filter);
  }

  raiseEvent(instanceId: string, eventName: string, data?: unknown): Promise<void> {
    return this.client.raiseEvent(this.visible(instanceId), eventName, data);
  }

  waitForCompletion(instanceId: string, options: Parameters<EngineClient['waitForCompletion']>[1] = {}): Promise<InstanceMetadata> {
    return this.client.waitForCompletion(this.visible(instanceId), options);
  }

  waitForStart(instanceId: string, options: { timeoutMs?: number } = {}): Promise<InstanceMetadata> {
    return this.client.waitForStart(this.visible(instanceId), options);
  }
}
