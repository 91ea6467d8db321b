/**
 * @module store/memory-wait-keys
 * The memory store's wait-key index (migration 5 in the SQL stores): the keys each instance's
 * open event waits carry, written by its turns, looked up by key for event routing (issue 18).
 */

/** Wait keys by key and by instance, kept in step. */
export class MemoryWaitKeys {
  private readonly byKey = new Map<string, Set<string>>();
  private readonly byInstance = new Map<string, Set<string>>();

  /** Replaces the instance's keys with `keys` (empty: deletes them). */
  replace(instanceId: string, keys: readonly string[]): void {
    this.delete(instanceId);
    if (keys.length === 0) return;
    const own = new Set(keys);
    this.byInstance.set(instanceId, own);
    for (const k of own) {
      let ids = this.byKey.get(k);
      if (!ids) this.byKey.set(k, (ids = new Set()));
      ids.add(instanceId);
    }
  }

  /** Deletes every key of the instance. */
  delete(instanceId: string): void {
    const own = this.byInstance.get(instanceId);
    if (!own) return;
    this.byInstance.delete(instanceId);
    for (const k of own) {
      const ids = this.byKey.get(k);
      ids?.delete(instanceId);
      if (ids && ids.size === 0) this.byKey.delete(k);
    }
  }

  /** Instance ids holding `key`, in id order, at most `limit`. */
  find(key: string, limit: number): string[] {
    return [...(this.byKey.get(key) ?? [])].sort().slice(0, limit);
  }
}
