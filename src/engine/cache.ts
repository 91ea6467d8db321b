/**
 * @module engine/cache
 * The live-orchestration cache: a size-capped LRU of runtimes between turns, so a step applies
 * only its new events instead of replaying the whole history. An entry is trusted only if the
 * store's history length and execution id still match what the runtime has seen.
 */

import type { InstanceRecord } from '../store/types.js';
import type { OrchestrationRuntime } from './replay/runtime.js';

/** A cached runtime and the history length it corresponds to. */
export interface CachedOrchestration {
  runtime: OrchestrationRuntime;
  executionId: string;
  historyLength: number;
  /**
   * The instance record as the turn that cached the runtime left it (engine/turn.ts
   * committedRecord). A claim-free turn (store feature `turnShortcuts`) starts from it instead of
   * reading the row: only turn commits change a record's fields, and the store refuses a
   * claim-free commit once another turn has committed (history length), a claim holds the row or a
   * message is visible — so a record that is no longer the row's never reaches the store.
   */
  instance?: InstanceRecord;
}

/** LRU map (a Map keeps insertion order; a hit re-inserts the key at the end). */
export class OrchestrationCache {
  private readonly map = new Map<string, CachedOrchestration>();
  constructor(private readonly capacity: number) {}

  /** The entry if it matches the store's view of the instance; a stale entry is dropped. */
  take(instanceId: string, executionId: string, historyLength: number): CachedOrchestration | undefined {
    const e = this.map.get(instanceId);
    if (!e) return undefined;
    this.map.delete(instanceId);
    if (e.executionId !== executionId || e.historyLength !== historyLength) return undefined;
    return e;
  }

  /** The entry, if any, without taking it or touching its LRU place. */
  peek(instanceId: string): CachedOrchestration | undefined {
    return this.map.get(instanceId);
  }

  put(instanceId: string, entry: CachedOrchestration): void {
    if (this.capacity <= 0) return;
    this.map.delete(instanceId);
    this.map.set(instanceId, entry);
    while (this.map.size > this.capacity) {
      const oldest = this.map.keys().next().value as string;
      this.map.delete(oldest);
    }
  }

  delete(instanceId: string): void {
    this.map.delete(instanceId);
  }

  get size(): number {
    return this.map.size;
  }

  clear(): void {
    this.map.clear();
  }
}
