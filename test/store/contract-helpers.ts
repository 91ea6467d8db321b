/**
 * @module test/store/contract-helpers
 * Small builders shared by the store contract suite: requests with sensible defaults and a helper
 * that drives an instance through one claimed turn, so each test states only what it is about.
 */

import assert from 'node:assert/strict';
import type {
  CreateInstanceRequest,
  HistoryRecord,
  NewActivityTask,
  OrchestrationWorkItem,
  RuntimeStatus,
  Store,
  TurnCommit,
} from '../../src/store/types.js';

/** How a backend under test is made; see storeContract. */
export interface ContractBackend {
  /** A fresh, empty store. Called once per test. */
  create(): Promise<Store>;
  /** Opens the same data again after `store.close()` (durable backends only; omit for memory). */
  reopen?(closed: Store): Promise<Store>;
  /** Runs once after the whole suite (delete temp files …). */
  dispose?(): Promise<void>;
}

/** A createInstance request for `id` whose start message is visible at `at`. */
export function createRequest(id: string, at = 1000, extra: Partial<CreateInstanceRequest> = {}): CreateInstanceRequest {
  return {
    instanceId: id,
    executionId: `${id}-exec-1`,
    name: 'wf',
    createdAt: at,
    input: JSON.stringify({ id }),
    startMessage: { data: JSON.stringify({ kind: 'ExecutionStarted', id }), visibleAt: at },
    ...extra,
  };
}

/** `count` history rows starting at `firstSeq`, each with a recognisable payload. */
export function events(firstSeq: number, count: number, at = 1000): HistoryRecord[] {
  return Array.from({ length: count }, (_, i) => ({
    seq: firstSeq + i,
    type: i === 0 ? 'OrchestratorStarted' : 'TaskScheduled',
    timestamp: at + i,
    data: JSON.stringify({ seq: firstSeq + i }),
  }));
}

/** An activity task of `instanceId` visible at `at`. */
export function task(instanceId: string, taskId: number, at = 1000): NewActivityTask {
  return { instanceId, executionId: `${instanceId}-exec-1`, taskId, name: 'act', data: JSON.stringify({ taskId }), visibleAt: at };
}

/** A turn that consumes every message of `item`, appends `count` events and sets `status`. */
export function turnFor(item: OrchestrationWorkItem, status: RuntimeStatus, count = 1, extra: Partial<TurnCommit> = {}): TurnCommit {
  const at = item.instance.lastUpdatedAt + 1;
  return {
    instanceId: item.instance.instanceId,
    leaseId: item.leaseId,
    firstSeq: item.instance.historyLength,
    history: events(item.instance.historyLength, count, at),
    state: {
      executionId: item.instance.executionId,
      name: item.instance.name,
      status,
      lastUpdatedAt: at,
      ...(status === 'COMPLETED' || status === 'FAILED' || status === 'TERMINATED' ? { completedAt: at } : {}),
      ...(item.instance.input !== undefined ? { input: item.instance.input } : {}),
    },
    consumedMessageIds: item.messages.map((m) => m.id),
    tasks: [],
    messages: [],
    newInstances: [],
    ...extra,
  };
}

/** Claims exactly the one instance `id` (failing the test otherwise). */
export async function claimOne(store: Store, id: string, now: number, leaseId = `lease-${id}-${now}`, leaseMs = 30_000): Promise<OrchestrationWorkItem> {
  const items = await store.claimOrchestrations({ leaseId, now, leaseMs, limit: 100 });
  const item = items.find((i) => i.instance.instanceId === id);
  assert.ok(item, `expected instance '${id}' to be claimable at ${now}; got [${items.map((i) => i.instance.instanceId).join(', ')}]`);
  return item;
}

/** Creates `id` and runs its first turn to `status` (appending `count` events). */
export async function createAndRun(store: Store, id: string, status: RuntimeStatus, at = 1000, count = 2): Promise<void> {
  await store.createInstance(createRequest(id, at));
  const item = await claimOne(store, id, at);
  await store.commitTurn(turnFor(item, status, count));
}

/** Asserts that `promise` rejects with a SwirlError carrying `code`. */
export async function rejectsWithCode(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (e: unknown) => {
    assert.equal((e as { code?: string }).code, code, `expected code ${code}, got ${String((e as Error).message)}`);
    return true;
  });
}
