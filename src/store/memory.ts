/**
 * @module store/memory
 * The reference backend: every table of the Store contract in plain Maps, for tests and examples.
 * Not durable (a process exit loses everything); otherwise it honours the whole contract, lease
 * semantics included (the instance lease owns its whole inbox; messages carry no lock).
 */

import { InfrastructureError } from '../errors.js';
import { createdRecord } from './created-record.js';
import { checkFirstTurn } from './first-turn.js';
import { MemoryDefinitions } from './memory-definitions.js';
import { MemoryHostState } from './memory-host-state.js';
import { MemoryWaitKeys } from './memory-wait-keys.js';
import { compareText, countRecords, queryRecords } from './memory-query.js';
import { MemoryInbox } from './memory-inbox.js';
import { MemoryTasks } from './memory-tasks.js';
import { leaseInstance } from './memory-lease.js';
import { payloadsToWrite } from './payload-omission.js';
import { copyInstance, taskReadyAt, unlock, type InstanceRow } from './memory-rows.js';
import {
  ReusePolicy,
  StoreErrorCode,
  StoreFaultCode,
  isTerminalStatus,
  storeError,
  type ActivityWorkItem,
  type ClaimActivitiesRequest,
  type ClaimOrchestrationsRequest,
  type CompleteActivityRequest,
  type CreateInstanceRequest,
  type DefinitionRecord,
  type EventClaim,
  type EventClaimRequest,
  type HistoryRecord,
  type InstancePage,
  type InstanceCount,
  type InstanceCountQuery,
  type InstanceQuery,
  type InstanceRecord,
  type NewMessage,
  type OrchestrationWorkItem,
  type PendingWork,
  type QueuedWorkCount,
  type Store,
  type TurnCommit,
} from './types.js';

/** In-memory Store. Single process; all operations complete synchronously behind promises. */
export class MemoryStore implements Store {
  readonly kind = 'memory';
  readonly features = { inlineActivityCompletion: true, fusedStart: true };
  private readonly instances = new Map<string, InstanceRow>();
  private readonly history = new Map<string, HistoryRecord[]>();
  private readonly inbox = new MemoryInbox();
  private readonly tasks = new MemoryTasks();
  private readonly definitions = new MemoryDefinitions();
  private readonly hostState = new MemoryHostState();
  private readonly waitKeys = new MemoryWaitKeys();
  private closed = false;

  async createInstance(request: CreateInstanceRequest): Promise<{ created: boolean }> {
    this.checkOpen();
    const turn = request.firstTurn;
    if (turn === undefined) return { created: this.create(request) };
    // fusedStart: created without its start message (the turn's), locked by the turn's lease, and
    // the turn committed under it at once — the checks cannot fail after the create (checkFirstTurn).
    checkFirstTurn(request, turn);
    if (!this.create(request, false)) return { created: false };
    const row = this.instances.get(request.instanceId)!;
    row.lockedBy = turn.leaseId;
    row.lockExpiresAt = turn.state.lastUpdatedAt;
    this.commitNow(turn);
    return { created: true };
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
    const { now, limit } = request;
    const names = request.names === undefined ? undefined : new Set(request.names);
    const serves = (row: InstanceRow): boolean => names === undefined || names.has(row.record.name);
    const picked: InstanceRow[] = [];
    if (request.instanceIds) {
      for (const id of new Set(request.instanceIds)) {
        const row = this.instances.get(id);
        if (!row || picked.length >= limit || !serves(row)) continue;
        if (row.lockedBy !== undefined && (row.lockExpiresAt ?? 0) > now) continue;
        picked.push(row);
      }
    } else {
      // Oldest-ready first (the same order as the SQL backends' ready_at index): no starvation.
      const ready: Array<{ row: InstanceRow; at: number }> = [];
      for (const row of this.instances.values()) {
        if (!serves(row)) continue;
        const at = this.readyAt(row);
        if (at !== undefined && at <= now) ready.push({ row, at });
      }
      ready.sort((a, b) => a.at - b.at);
      for (const r of ready.slice(0, Math.max(0, limit))) picked.push(r.row);
    }
    return picked.map((row) => leaseInstance(this.inbox, row, request));
  }

  async commitTurn(turn: TurnCommit): Promise<void> {
    this.checkOpen();
    this.commitNow(turn);
  }

  private commitNow(turn: TurnCommit): void {
    const row = this.heldInstance(turn.instanceId, turn.leaseId);
    if (turn.epoch !== undefined && turn.epoch !== row.epoch) {
      throw storeError(StoreErrorCode.LEASE_LOST, `lease '${turn.leaseId}' on instance '${turn.instanceId}' is at epoch ${row.epoch}, not ${turn.epoch}`);
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
    const { input: _input, output: _output, ...rest } = turn.state;
    const record: InstanceRecord = {
      ...rest,
      ...payloadsToWrite(turn, row.record),
      instanceId: row.record.instanceId,
      createdAt: row.record.createdAt,
      historyLength: rows.length,
    };
    if (row.record.scheduledStartAt !== undefined) record.scheduledStartAt = row.record.scheduledStartAt;
    if (row.record.parentInstanceId !== undefined) record.parentInstanceId = row.record.parentInstanceId;
    row.record = record;
    if (turn.resetTreeCount) row.treeSize = 0;
    unlock(row);
    for (const id of turn.consumedMessageIds) {
      const m = this.inbox.get(id);
      if (m && m.instanceId === turn.instanceId) this.inbox.delete(id);
    }
    for (const c of turn.completedTasks ?? []) this.tasks.delete(c.taskRowId);
    if (turn.dropPendingWork) this.dropWork(turn.instanceId);
    if (turn.dropPendingWork) this.waitKeys.delete(turn.instanceId);
    else if (turn.waitKeys !== undefined) this.waitKeys.replace(turn.instanceId, turn.waitKeys);
    if (turn.dropWorkOf !== undefined) this.dropWork(turn.instanceId, turn.dropWorkOf);
    // A final turn's own work would outlive the instance: discarded (messages to others still go).
    // A final turn's own tasks would outlive the instance, except fire-and-forget ones (meant to).
    for (const t of turn.tasks) if (!turn.dropPendingWork || t.detached === true) this.tasks.insert(t);
    for (const m of turn.messages) {
      if (turn.dropPendingWork && m.instanceId === turn.instanceId) continue;
      if (this.instances.has(m.instanceId)) this.insertMessage(m);
    }
    for (const child of turn.newInstances) {
      const refusal = this.treeRefusal(row, child);
      if (refusal !== undefined) {
        if (this.instances.has(refusal.instanceId)) this.insertMessage(refusal);
        continue;
      }
      const created = this.createOrConflict(child);
      if (!created && child.onConflict && this.instances.has(child.onConflict.instanceId)) this.insertMessage(child.onConflict);
      const root = child.tree !== undefined ? this.instances.get(child.tree.rootInstanceId) : undefined;
      if (created && root !== undefined) root.treeSize = (root.treeSize ?? 0) + 1;
    }
  }

  async abandonOrchestration(instanceId: string, leaseId: string, visibleAt?: number): Promise<void> {
    this.checkOpen();
    const row = this.heldInstance(instanceId, leaseId);
    if (visibleAt !== undefined && row.claimLastId !== undefined) {
      for (const m of this.inbox.of(instanceId)) {
        if (m.id <= row.claimLastId && m.visibleAt <= (row.claimNow ?? 0)) this.inbox.retime(m, visibleAt);
      }
    }
    unlock(row);
  }

  async renewOrchestrationLease(instanceId: string, leaseId: string, now: number, leaseMs: number): Promise<void> {
    this.checkOpen();
    this.heldInstance(instanceId, leaseId).lockExpiresAt = now + leaseMs;
  }

  async releaseLeases(leasePrefix: string): Promise<{ instances: number; tasks: number }> {
    this.checkOpen();
    let instances = 0;
    let tasks = 0;
    for (const row of this.instances.values()) {
      if (row.lockedBy === undefined || !row.lockedBy.startsWith(leasePrefix)) continue;
      unlock(row);
      instances++;
    }
    for (const t of this.tasks.values()) {
      if (t.lockedBy === undefined || !t.lockedBy.startsWith(leasePrefix)) continue;
      t.lockedBy = undefined;
      t.lockExpiresAt = undefined;
      tasks++;
    }
    return { instances, tasks };
  }

  async claimActivities(request: ClaimActivitiesRequest): Promise<ActivityWorkItem[]> {
    this.checkOpen();
    return this.tasks.claim(request);
  }

  async completeActivity(request: CompleteActivityRequest): Promise<void> {
    this.checkOpen();
    this.tasks.held(request.taskRowId, request.leaseId);
    this.tasks.delete(request.taskRowId);
    if (this.instances.has(request.message.instanceId)) this.insertMessage(request.message);
  }

  async abandonActivity(taskRowId: number, leaseId: string, visibleAt?: number): Promise<void> {
    this.checkOpen();
    const t = this.tasks.held(taskRowId, leaseId);
    t.lockedBy = undefined;
    t.lockExpiresAt = undefined;
    if (visibleAt !== undefined) t.visibleAt = visibleAt;
  }

  async renewActivityLease(taskRowId: number, leaseId: string, now: number, leaseMs: number): Promise<void> {
    this.checkOpen();
    this.tasks.held(taskRowId, leaseId).lockExpiresAt = now + leaseMs;
  }

  async getInstance(instanceId: string): Promise<InstanceRecord | undefined> {
    this.checkOpen();
    const row = this.instances.get(instanceId);
    return row ? copyInstance(row.record) : undefined;
  }

  async pendingWork(instanceId: string, now: number): Promise<PendingWork> {
    this.checkOpen();
    let nextMessageAt: number | undefined;
    for (const { visibleAt: v } of this.inbox.of(instanceId)) {
      if (v > now && (nextMessageAt === undefined || v < nextMessageAt)) nextMessageAt = v;
    }
    const tasks = [...this.tasks.values()]
      .filter((t) => t.instanceId === instanceId)
      .map((t) => ({ taskId: t.taskId, name: t.name, visibleAt: t.visibleAt, leased: t.lockedBy !== undefined && (t.lockExpiresAt ?? 0) > now, dequeueCount: t.dequeueCount }));
    const work: PendingWork = { inboxMessages: this.inbox.count(instanceId), tasks };
    if (nextMessageAt !== undefined) work.nextMessageAt = nextMessageAt;
    return work;
  }

  async queuedWork(now: number): Promise<QueuedWorkCount[]> {
    this.checkOpen();
    const counts = new Map<string, QueuedWorkCount>();
    const count = (kind: QueuedWorkCount['kind'], name: string, at: number): void => {
      const key = `${kind}\u0000${name}`;
      const c = counts.get(key);
      if (c === undefined) counts.set(key, { kind, name, ready: 1, oldestVisibleAt: at });
      else {
        c.ready++;
        if (at < c.oldestVisibleAt) c.oldestVisibleAt = at;
      }
    };
    for (const row of this.instances.values()) {
      const at = this.readyAt(row);
      if (at !== undefined && at <= now) count('orchestration', row.record.name, at);
    }
    for (const t of this.tasks.values()) {
      const at = taskReadyAt(t);
      if (at <= now) count('activity', t.name, at);
    }
    return [...counts.values()].sort((a, b) => (a.kind === b.kind ? compareText(a.name, b.name) : a.kind === 'orchestration' ? -1 : 1));
  }

  async putDefinition(definition: DefinitionRecord): Promise<void> {
    this.checkOpen();
    if ((await this.getDefinition(definition.hash)) === undefined) this.hostState.definitionsVersion += 1;
    this.definitions.put(definition);
  }

  async getDefinition(hash: string): Promise<DefinitionRecord | undefined> {
    this.checkOpen();
    return this.definitions.get(hash);
  }

  async listDefinitions(id?: string): Promise<DefinitionRecord[]> {
    this.checkOpen();
    return this.definitions.list(id);
  }

  async deleteUnusedDefinitions(hashes: string[], registeredBefore?: number): Promise<string[]> {
    this.checkOpen();
    const deleted = this.definitions.deleteUnused(
      hashes,
      (hash) => {
        for (const { record } of this.instances.values()) if (record.definitionHash === hash && !isTerminalStatus(record.status)) return true;
        return false;
      },
      registeredBefore,
    );
    this.hostState.definitionsVersion += deleted.length;
    return deleted;
  }

  // ── several nodes: host state shared through the store (store/memory-host-state) ──────────────

  async claimEvent(request: EventClaimRequest): Promise<EventClaim> {
    this.checkOpen();
    return this.hostState.claimEvent(request);
  }

  async finishEvent(source: string, id: string, outcome: string | undefined): Promise<void> {
    this.checkOpen();
    this.hostState.finishEvent(source, id, outcome);
  }

  async pruneEvents(before: number): Promise<number> {
    this.checkOpen();
    return this.hostState.pruneEvents(before);
  }

  async recordScheduleTick(scheduleId: string, dueAt: number): Promise<boolean> {
    this.checkOpen();
    return this.hostState.recordScheduleTick(scheduleId, dueAt);
  }

  async lastScheduleTick(scheduleId: string): Promise<number | undefined> {
    this.checkOpen();
    return this.hostState.lastScheduleTick(scheduleId);
  }

  async pruneScheduleTicks(before: number): Promise<number> {
    this.checkOpen();
    return this.hostState.pruneScheduleTicks(before);
  }

  async definitionsStamp(): Promise<string> {
    this.checkOpen();
    return String(this.hostState.definitionsVersion);
  }

  async findWaitingInstances(key: string, limit = 1000): Promise<string[]> {
    this.checkOpen();
    return this.waitKeys.find(key, limit);
  }

  async loadHistory(instanceId: string, fromSeq = 0): Promise<HistoryRecord[]> {
    this.checkOpen();
    return (this.history.get(instanceId) ?? []).slice(fromSeq).map((h) => ({ ...h }));
  }

  async queryInstances(query: InstanceQuery): Promise<InstancePage> {
    this.checkOpen();
    return queryRecords([...this.instances.values()].map((row) => row.record), query);
  }

  async countInstances(query: InstanceCountQuery = {}): Promise<InstanceCount[]> {
    this.checkOpen();
    return countRecords([...this.instances.values()].map((row) => row.record), query);
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
    // The instance's ready time, not each message: a message of a leased instance becomes
    // claimable only when the lease ends, and an empty inbox makes nothing claimable.
    for (const row of this.instances.values()) consider(this.readyAt(row));
    for (const t of this.tasks.values()) consider(taskReadyAt(t));
    return next;
  }

  /** The memory store has no fatal faults: the listener is never called. */
  onFatal(listener: (error: Error) => void): () => void {
    void listener;
    return () => undefined;
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  // ── internals ──────────────────────────────────────────────────────────────────────────────

  private checkOpen(): void {
    if (this.closed) throw new InfrastructureError(StoreFaultCode.STORE_CLOSED, 'the memory store is closed');
  }

  /**
   * When the instance next becomes claimable (the SQL backends' `ready_at` column): undefined with
   * an empty inbox; else its earliest message visible-at, and never before the lock expires.
   */
  private readyAt(row: InstanceRow): number | undefined {
    const min = this.inbox.earliest(row.record.instanceId);
    if (min === undefined) return undefined;
    return row.lockedBy !== undefined && row.lockExpiresAt !== undefined ? Math.max(min, row.lockExpiresAt) : min;
  }

  private heldInstance(instanceId: string, leaseId: string): InstanceRow {
    const row = this.instances.get(instanceId);
    if (!row || row.lockedBy !== leaseId) throw storeError(StoreErrorCode.LEASE_LOST, `lease '${leaseId}' on instance '${instanceId}' is no longer held`);
    return row;
  }

  /** Applies the reuse policy; throws INSTANCE_EXISTS when it refuses. */
  private create(request: CreateInstanceRequest, withStartMessage = true): boolean {
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
    const record = createdRecord(request);
    // A replaced id keeps counting epochs, so an old lease's epoch can never match the new row.
    this.instances.set(request.instanceId, { record, epoch: existing?.epoch ?? 0 });
    if (withStartMessage) this.insertMessage({ instanceId: request.instanceId, data: request.startMessage.data, visibleAt: request.startMessage.visibleAt });
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

  /** TreeLimit steps 1 and 2: the message to deliver instead of creating `child`, if refused. */
  private treeRefusal(self: InstanceRow, child: TurnCommit['newInstances'][number]): NewMessage | undefined {
    const tree = child.tree;
    if (tree === undefined) return undefined;
    const root = this.instances.get(tree.rootInstanceId);
    if (self.terminating === true || root?.terminating === true) return tree.onTerminating;
    if (root !== undefined && (root.treeSize ?? 0) >= tree.maxInstances) return tree.onLimit;
    return undefined;
  }

  private insertMessage(m: NewMessage): void {
    if (m.terminates === true) {
      const target = this.instances.get(m.instanceId);
      if (target) target.terminating = true;
    }
    this.inbox.insert(m);
  }

  /**
   * Deletes the instance's inbox messages and tasks; with `executionId`, only those of that
   * execution. Detached (fire-and-forget) tasks stay unless `withDetached` (the instance is deleted).
   */
  private dropWork(instanceId: string, executionId?: string, withDetached = false): void {
    this.inbox.dropOf(instanceId, executionId);
    this.tasks.dropOf(instanceId, executionId, withDetached);
  }

  private deleteInstance(instanceId: string): void {
    this.dropWork(instanceId, undefined, true);
    this.waitKeys.delete(instanceId);
    this.instances.delete(instanceId);
    this.history.delete(instanceId);
  }
}
