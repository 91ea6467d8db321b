/**
 * @module store/memory
 * The reference backend: every table of the Store contract in plain Maps, for tests and examples.
 * Not durable (a process exit loses everything); otherwise it honours the whole contract.
 */

import { InfrastructureError } from '../errors.js';
import {
  ReusePolicy,
  StoreErrorCode,
  isTerminalStatus,
  storeError,
  type ActivityWorkItem,
  type ClaimActivitiesRequest,
  type ClaimOrchestrationsRequest,
  type CompleteActivityRequest,
  type CreateInstanceRequest,
  type HistoryRecord,
  type InboxMessage,
  type InstancePage,
  type InstanceQuery,
  type InstanceRecord,
  type NewActivityTask,
  type NewMessage,
  type OrchestrationWorkItem,
  type Store,
  type TurnCommit,
} from './types.js';

interface InstanceRow {
  record: InstanceRecord;
  lockedBy?: string;
  lockExpiresAt?: number;
}

interface InboxRow extends InboxMessage {
  lockedBy?: string;
}

interface TaskRow extends NewActivityTask {
  id: number;
  dequeueCount: number;
  lockedBy?: string;
  lockExpiresAt?: number;
}

const DEFAULT_PAGE_SIZE = 100;
const MAX_PAGE_SIZE = 1000;

/** Copies a record so callers can never mutate the store's state through it. */
function copyInstance(r: InstanceRecord): InstanceRecord {
  return { ...r };
}

/** In-memory Store. Single process; all operations complete synchronously behind promises. */
export class MemoryStore implements Store {
  readonly kind = 'memory';
  readonly features = { inlineActivityCompletion: true };
  private readonly instances = new Map<string, InstanceRow>();
  private readonly history = new Map<string, HistoryRecord[]>();
  /** Insertion order = id order, which is the FIFO order the contract asks for. */
  private readonly inbox = new Map<number, InboxRow>();
  private readonly inboxByInstance = new Map<string, Set<number>>();
  private readonly tasks = new Map<number, TaskRow>();
  private nextMessageId = 1;
  private nextTaskId = 1;
  private closed = false;

  async createInstance(request: CreateInstanceRequest): Promise<{ created: boolean }> {
    this.checkOpen();
    return { created: this.create(request) };
  }

  async enqueueMessages(messages: NewMessage[]): Promise<void> {
    this.checkOpen();
    for (const m of messages) {
      if (!this.instances.has(m.instanceId)) throw storeError(StoreErrorCode.INSTANCE_NOT_FOUND, `no instance with id '${m.instanceId}'`);
    }
    for (const m of messages) this.insertMessage(m);
  }

  async claimOrchestrations(request: ClaimOrchestrationsRequest): Promise<OrchestrationWorkItem[]> {
    this.checkOpen();
    const { now, leaseId, leaseMs, limit } = request;
    const maxMessages = request.maxMessagesPerInstance ?? 1000;
    const picked: string[] = [];
    const seen = new Set<string>();
    if (request.instanceIds) {
      for (const id of request.instanceIds) {
        const row = this.instances.get(id);
        if (!row || seen.has(id) || picked.length >= limit) continue;
        if (row.lockedBy !== undefined && (row.lockExpiresAt ?? 0) > now) continue;
        seen.add(id);
        picked.push(id);
      }
    }
    // Walking the inbox in id order visits instances by their oldest message: no starvation.
    for (const m of request.instanceIds ? [] : this.inbox.values()) {
      if (picked.length >= limit) break;
      if (m.visibleAt > now || seen.has(m.instanceId)) continue;
      seen.add(m.instanceId);
      const row = this.instances.get(m.instanceId);
      if (!row) continue;
      if (row.lockedBy !== undefined && (row.lockExpiresAt ?? 0) > now) continue;
      picked.push(m.instanceId);
    }
    const items: OrchestrationWorkItem[] = [];
    for (const instanceId of picked) {
      const row = this.instances.get(instanceId)!;
      row.lockedBy = leaseId;
      row.lockExpiresAt = now + leaseMs;
      const messages: InboxMessage[] = [];
      for (const id of this.inboxByInstance.get(instanceId) ?? []) {
        const m = this.inbox.get(id)!;
        if (m.visibleAt > now) continue;
        m.dequeueCount += 1;
        m.lockedBy = leaseId;
        messages.push({ id: m.id, instanceId: m.instanceId, data: m.data, visibleAt: m.visibleAt, dequeueCount: m.dequeueCount });
        if (messages.length >= maxMessages) break;
      }
      messages.sort((a, b) => a.id - b.id);
      items.push({ instance: copyInstance(row.record), messages, leaseId });
    }
    return items;
  }

  async commitTurn(turn: TurnCommit): Promise<void> {
    this.checkOpen();
    const row = this.instances.get(turn.instanceId);
    if (!row || row.lockedBy !== turn.leaseId) {
      throw storeError(StoreErrorCode.LEASE_LOST, `lease '${turn.leaseId}' on instance '${turn.instanceId}' is no longer held`);
    }
    const expected = turn.resetHistory ? 0 : row.record.historyLength;
    if (turn.firstSeq !== expected) {
      throw storeError(StoreErrorCode.HISTORY_CONFLICT, `instance '${turn.instanceId}': turn starts at seq ${turn.firstSeq}, history length is ${expected}`);
    }
    turn.history.forEach((h, i) => {
      if (h.seq !== turn.firstSeq + i) {
        throw storeError(StoreErrorCode.HISTORY_CONFLICT, `instance '${turn.instanceId}': history seq ${h.seq} is not contiguous`);
      }
    });
    for (const c of turn.completedTasks ?? []) {
      const t = this.tasks.get(c.taskRowId);
      if (!t || t.lockedBy !== c.leaseId) throw storeError(StoreErrorCode.LEASE_LOST, `lease '${c.leaseId}' on task ${c.taskRowId} is no longer held`);
    }
    // All checks passed: from here on nothing throws, so the turn is all-or-nothing.
    const rows = turn.resetHistory ? [] : this.history.get(turn.instanceId) ?? [];
    for (const h of turn.history) rows.push({ ...h });
    this.history.set(turn.instanceId, rows);
    row.record = {
      ...turn.state,
      instanceId: row.record.instanceId,
      createdAt: row.record.createdAt,
      scheduledStartAt: row.record.scheduledStartAt,
      parentInstanceId: row.record.parentInstanceId,
      historyLength: rows.length,
    };
    row.lockedBy = undefined;
    row.lockExpiresAt = undefined;
    for (const id of turn.consumedMessageIds) {
      const m = this.inbox.get(id);
      if (m && m.instanceId === turn.instanceId) this.deleteMessage(id);
    }
    for (const c of turn.completedTasks ?? []) this.tasks.delete(c.taskRowId);
    if (turn.dropPendingWork) this.dropWork(turn.instanceId);
    for (const t of turn.tasks) this.insertTask(t);
    for (const m of turn.messages) {
      if (this.instances.has(m.instanceId)) this.insertMessage(m);
    }
    for (const child of turn.newInstances) {
      const created = this.createOrConflict(child);
      if (!created && child.onConflict && this.instances.has(child.onConflict.instanceId)) this.insertMessage(child.onConflict);
    }
  }

  async abandonOrchestration(instanceId: string, leaseId: string, visibleAt?: number): Promise<void> {
    this.checkOpen();
    const row = this.instances.get(instanceId);
    if (!row || row.lockedBy !== leaseId) throw storeError(StoreErrorCode.LEASE_LOST, `lease '${leaseId}' on instance '${instanceId}' is no longer held`);
    row.lockedBy = undefined;
    row.lockExpiresAt = undefined;
    for (const id of this.inboxByInstance.get(instanceId) ?? []) {
      const m = this.inbox.get(id)!;
      if (m.lockedBy === leaseId) {
        m.lockedBy = undefined;
        if (visibleAt !== undefined) m.visibleAt = visibleAt;
      }
    }
  }

  async renewOrchestrationLease(instanceId: string, leaseId: string, now: number, leaseMs: number): Promise<void> {
    this.checkOpen();
    const row = this.instances.get(instanceId);
    if (!row || row.lockedBy !== leaseId) throw storeError(StoreErrorCode.LEASE_LOST, `lease '${leaseId}' on instance '${instanceId}' is no longer held`);
    row.lockExpiresAt = now + leaseMs;
  }

  async claimActivities(request: ClaimActivitiesRequest): Promise<ActivityWorkItem[]> {
    this.checkOpen();
    const out: ActivityWorkItem[] = [];
    for (const t of this.tasks.values()) {
      if (out.length >= request.limit) break;
      if (t.visibleAt > request.now) continue;
      if (t.lockedBy !== undefined && (t.lockExpiresAt ?? 0) > request.now) continue;
      t.lockedBy = request.leaseId;
      t.lockExpiresAt = request.now + request.leaseMs;
      t.dequeueCount += 1;
      out.push({
        id: t.id,
        instanceId: t.instanceId,
        executionId: t.executionId,
        taskId: t.taskId,
        name: t.name,
        data: t.data,
        visibleAt: t.visibleAt,
        leaseId: request.leaseId,
        dequeueCount: t.dequeueCount,
      });
    }
    return out;
  }

  async completeActivity(request: CompleteActivityRequest): Promise<void> {
    this.checkOpen();
    const t = this.tasks.get(request.taskRowId);
    if (!t || t.lockedBy !== request.leaseId) throw storeError(StoreErrorCode.LEASE_LOST, `lease '${request.leaseId}' on task ${request.taskRowId} is no longer held`);
    this.tasks.delete(request.taskRowId);
    if (this.instances.has(request.message.instanceId)) this.insertMessage(request.message);
  }

  async abandonActivity(taskRowId: number, leaseId: string, visibleAt?: number): Promise<void> {
    this.checkOpen();
    const t = this.tasks.get(taskRowId);
    if (!t || t.lockedBy !== leaseId) throw storeError(StoreErrorCode.LEASE_LOST, `lease '${leaseId}' on task ${taskRowId} is no longer held`);
    t.lockedBy = undefined;
    t.lockExpiresAt = undefined;
    if (visibleAt !== undefined) t.visibleAt = visibleAt;
  }

  async renewActivityLease(taskRowId: number, leaseId: string, now: number, leaseMs: number): Promise<void> {
    this.checkOpen();
    const t = this.tasks.get(taskRowId);
    if (!t || t.lockedBy !== leaseId) throw storeError(StoreErrorCode.LEASE_LOST, `lease '${leaseId}' on task ${taskRowId} is no longer held`);
    t.lockExpiresAt = now + leaseMs;
  }

  async getInstance(instanceId: string): Promise<InstanceRecord | undefined> {
    this.checkOpen();
    const row = this.instances.get(instanceId);
    return row ? copyInstance(row.record) : undefined;
  }

  async loadHistory(instanceId: string, fromSeq = 0): Promise<HistoryRecord[]> {
    this.checkOpen();
    return (this.history.get(instanceId) ?? []).slice(fromSeq).map((h) => ({ ...h }));
  }

  async queryInstances(query: InstanceQuery): Promise<InstancePage> {
    this.checkOpen();
    const pageSize = Math.min(Math.max(1, query.pageSize ?? DEFAULT_PAGE_SIZE), MAX_PAGE_SIZE);
    const after = query.pageToken !== undefined ? decodePageToken(query.pageToken) : undefined;
    const statuses = query.statuses && query.statuses.length > 0 ? new Set(query.statuses) : undefined;
    const matches: InstanceRecord[] = [];
    for (const { record: r } of this.instances.values()) {
      if (query.name !== undefined && r.name !== query.name) continue;
      if (statuses && !statuses.has(r.status)) continue;
      if (query.createdFrom !== undefined && r.createdAt < query.createdFrom) continue;
      if (query.createdTo !== undefined && r.createdAt >= query.createdTo) continue;
      if (query.parentInstanceId !== undefined && r.parentInstanceId !== query.parentInstanceId) continue;
      if (after && compareKey(r.createdAt, r.instanceId, after.createdAt, after.instanceId) <= 0) continue;
      matches.push(r);
    }
    matches.sort((a, b) => compareKey(a.createdAt, a.instanceId, b.createdAt, b.instanceId));
    const page = matches.slice(0, pageSize).map(copyInstance);
    const last = page[page.length - 1];
    return matches.length > pageSize && last ? { instances: page, nextPageToken: encodePageToken(last.createdAt, last.instanceId) } : { instances: page };
  }

  async purgeInstances(instanceIds: string[]): Promise<string[]> {
    this.checkOpen();
    const deleted: string[] = [];
    for (const id of instanceIds) {
      const row = this.instances.get(id);
      if (!row || !isTerminalStatus(row.record.status)) continue;
      this.deleteInstance(id);
      deleted.push(id);
    }
    return deleted;
  }

  async nextWakeAt(now: number): Promise<number | undefined> {
    this.checkOpen();
    let next: number | undefined;
    const consider = (t: number | undefined): void => {
      if (t !== undefined && t > now && (next === undefined || t < next)) next = t;
    };
    for (const m of this.inbox.values()) consider(m.visibleAt);
    for (const t of this.tasks.values()) consider(t.lockedBy !== undefined ? t.lockExpiresAt : t.visibleAt);
    for (const row of this.instances.values()) if (row.lockedBy !== undefined) consider(row.lockExpiresAt);
    return next;
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  // ── internals ──────────────────────────────────────────────────────────────────────────────

  private checkOpen(): void {
    if (this.closed) throw new InfrastructureError('STORE_CLOSED', 'the memory store is closed');
  }

  /** Applies the reuse policy; throws INSTANCE_EXISTS when it refuses. */
  private create(request: CreateInstanceRequest): boolean {
    const existing = this.instances.get(request.instanceId);
    const policy = request.reusePolicy ?? ReusePolicy.REPLACE_TERMINAL;
    if (existing) {
      if (policy === ReusePolicy.IGNORE) return false;
      if (policy === ReusePolicy.REJECT || !isTerminalStatus(existing.record.status)) {
        throw storeError(
          StoreErrorCode.INSTANCE_EXISTS,
          `an instance with id '${request.instanceId}' already exists (status ${existing.record.status})`,
        );
      }
      this.deleteInstance(request.instanceId);
    }
    const record: InstanceRecord = {
      instanceId: request.instanceId,
      executionId: request.executionId,
      name: request.name,
      status: 'PENDING',
      createdAt: request.createdAt,
      lastUpdatedAt: request.createdAt,
      historyLength: 0,
    };
    if (request.scheduledStartAt !== undefined) record.scheduledStartAt = request.scheduledStartAt;
    if (request.input !== undefined) record.input = request.input;
    if (request.parentInstanceId !== undefined) record.parentInstanceId = request.parentInstanceId;
    this.instances.set(request.instanceId, { record });
    this.insertMessage({ instanceId: request.instanceId, data: request.startMessage.data, visibleAt: request.startMessage.visibleAt });
    return true;
  }

  /** create() for a turn's children: a refusal is reported, not thrown. */
  private createOrConflict(request: CreateInstanceRequest): boolean {
    try {
      return this.create(request);
    } catch (e) {
      if ((e as { code?: string }).code === StoreErrorCode.INSTANCE_EXISTS) return false;
      throw e;
    }
  }

  private insertMessage(m: NewMessage): void {
    const id = this.nextMessageId++;
    this.inbox.set(id, { id, instanceId: m.instanceId, data: m.data, visibleAt: m.visibleAt, dequeueCount: 0 });
    let set = this.inboxByInstance.get(m.instanceId);
    if (!set) this.inboxByInstance.set(m.instanceId, (set = new Set()));
    set.add(id);
  }

  private deleteMessage(id: number): void {
    const m = this.inbox.get(id);
    if (!m) return;
    this.inbox.delete(id);
    const set = this.inboxByInstance.get(m.instanceId);
    set?.delete(id);
    if (set && set.size === 0) this.inboxByInstance.delete(m.instanceId);
  }

  private insertTask(t: NewActivityTask): void {
    const id = this.nextTaskId++;
    this.tasks.set(id, { ...t, id, dequeueCount: 0 });
  }

  private dropWork(instanceId: string): void {
    for (const id of [...(this.inboxByInstance.get(instanceId) ?? [])]) this.deleteMessage(id);
    for (const [id, t] of this.tasks) if (t.instanceId === instanceId) this.tasks.delete(id);
  }

  private deleteInstance(instanceId: string): void {
    this.dropWork(instanceId);
    this.instances.delete(instanceId);
    this.history.delete(instanceId);
  }
}

/** Keyset order of queryInstances: (createdAt, instanceId). */
function compareKey(aAt: number, aId: string, bAt: number, bId: string): number {
  if (aAt !== bAt) return aAt - bAt;
  return aId < bId ? -1 : aId > bId ? 1 : 0;
}

function encodePageToken(createdAt: number, instanceId: string): string {
  return Buffer.from(JSON.stringify([createdAt, instanceId])).toString('base64url');
}

function decodePageToken(token: string): { createdAt: number; instanceId: string } {
  try {
    const [createdAt, instanceId] = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as [number, string];
    if (typeof createdAt === 'number' && typeof instanceId === 'string') return { createdAt, instanceId };
  } catch {
    // fall through to the error below
  }
  throw storeError(StoreErrorCode.INVALID_PAGE_TOKEN, `invalid page token '${token}'`);
}
