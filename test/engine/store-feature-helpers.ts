// Helpers of the optional-store-feature tests (store-inline-feature, store-turn-shortcuts): a
// fresh store per test, and a minimal turn commit under a claim.
import { openStore } from '../../src/store/index.js';
import type { OrchestrationWorkItem, Store, TurnCommit } from '../../src/store/types.js';
import { freshStoreUrl } from './harness.js';

/** The clock of the feature tests (ms). */
export const T = 1_000_000;

/** Runs `body` on a fresh store of `kind`, closed after. */
export async function withStore(kind: string, body: (s: Store) => Promise<void>): Promise<void> {
  const store = await openStore(freshStoreUrl(kind));
  try {
    await body(store);
  } finally {
    await store.close();
  }
}

/** A turn of `item` under its claim (lease and epoch) that only records OrchestratorStarted, plus `extra`. */
export function turn(item: OrchestrationWorkItem, extra: Partial<TurnCommit>): TurnCommit {
  return {
    instanceId: item.instance.instanceId,
    leaseId: item.leaseId,
    epoch: item.epoch,
    firstSeq: item.instance.historyLength,
    history: [{ seq: item.instance.historyLength, type: 'OrchestratorStarted', timestamp: T, data: '{}' }],
    state: { executionId: item.instance.executionId, name: item.instance.name, status: 'RUNNING', lastUpdatedAt: T },
    consumedMessageIds: item.messages.map((m) => m.id),
    tasks: [],
    messages: [],
    newInstances: [],
    ...extra,
  };
}
