/**
 * @module store/memory-ready-index
 * The memory store's counterpart of the SQL backends' `ready_at` column: the earliest visible-at
 * of each instance's inbox, kept in a min-heap per instance, so a claim, the idle probe,
 * nextWakeAt and queuedWork cost O(instances), not O(queued messages) (issue 9, finding 12).
 */

/** A heap entry: a message's visible-at when it was pushed, and its id. */
type Entry = readonly [visibleAt: number, id: number];

/**
 * Earliest visible-at per instance. Deletions and visible-at changes are lazy: a changed message
 * is pushed again, and entries that no longer describe a live message (deleted, or re-timed) are
 * dropped when they reach the top — the caller says which are live.
 */
export class ReadyIndex {
  private readonly heaps = new Map<string, Entry[]>();

  /** Records message `id` of `instanceId` visible at `visibleAt` (insert, or a new visible-at). */
  push(instanceId: string, id: number, visibleAt: number): void {
    let heap = this.heaps.get(instanceId);
    if (!heap) this.heaps.set(instanceId, (heap = []));
    heap.push([visibleAt, id]);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!less(heap[i]!, heap[parent]!)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }

  /**
   * The earliest visible-at among `instanceId`'s live messages; `live(id, visibleAt)` is true when
   * message `id` still exists with that visible-at. Undefined for an empty inbox.
   */
  earliest(instanceId: string, live: (id: number, visibleAt: number) => boolean): number | undefined {
    const heap = this.heaps.get(instanceId);
    if (!heap) return undefined;
    while (heap.length > 0 && !live(heap[0]![1], heap[0]![0])) pop(heap);
    if (heap.length === 0) {
      this.heaps.delete(instanceId);
      return undefined;
    }
    return heap[0]![0];
  }

  /** Forgets an instance whose inbox is empty (or deleted). */
  clear(instanceId: string): void {
    this.heaps.delete(instanceId);
  }
}

function less(a: Entry, b: Entry): boolean {
  return a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]);
}

function pop(heap: Entry[]): void {
  const last = heap.pop()!;
  if (heap.length === 0) return;
  heap[0] = last;
  let i = 0;
  for (;;) {
    const l = 2 * i + 1;
    const r = l + 1;
    let m = i;
    if (l < heap.length && less(heap[l]!, heap[m]!)) m = l;
    if (r < heap.length && less(heap[r]!, heap[m]!)) m = r;
    if (m === i) return;
    [heap[i], heap[m]] = [heap[m]!, heap[i]!];
    i = m;
  }
}
