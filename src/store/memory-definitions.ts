/**
 * @module store/memory-definitions
 * The `definitions` table of the memory store: definition versions by hash, in registration
 * order, so that a running instance always finds the definition it started on.
 */

import type { DefinitionRecord } from './types.js';

/** Definition versions by hash; Map insertion order is registration order. */
export class MemoryDefinitions {
  private readonly byHash = new Map<string, DefinitionRecord>();

  /** Idempotent by hash for the content (text, source …); a later registeredAt moves the time forward. */
  put(definition: DefinitionRecord): void {
    const existing = this.byHash.get(definition.hash);
    if (existing === undefined) this.byHash.set(definition.hash, { ...definition });
    else if (definition.registeredAt > existing.registeredAt) existing.registeredAt = definition.registeredAt;
  }

  get(hash: string): DefinitionRecord | undefined {
    const d = this.byHash.get(hash);
    return d === undefined ? undefined : { ...d };
  }

  /** Oldest registration first (registeredAt, then insertion order for equal times). */
  list(id?: string): DefinitionRecord[] {
    const out = [...this.byHash.values()].filter((d) => id === undefined || d.id === id).map((d) => ({ ...d }));
    // Array.prototype.sort is stable: equal times keep insertion order.
    return out.sort((a, b) => a.registeredAt - b.registeredAt);
  }

  /** Deletes each listed hash for which `inUse` is false (registered before `registeredBefore`, if given); returns the hashes deleted. */
  deleteUnused(hashes: readonly string[], inUse: (hash: string) => boolean, registeredBefore?: number): string[] {
    const deleted: string[] = [];
    for (const hash of new Set(hashes)) {
      const d = this.byHash.get(hash);
      if (d === undefined || inUse(hash)) continue;
      if (registeredBefore !== undefined && d.registeredAt >= registeredBefore) continue;
      this.byHash.delete(hash);
      deleted.push(hash);
    }
    return deleted;
  }
}
