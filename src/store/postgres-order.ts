/**
 * @module store/postgres-order
 * Call order per instance within one node. The pool runs concurrent calls on different
 * connections, so two calls about one instance issued one after the other could commit the other
 * way round; the SQLite and memory stores (one writer) apply them in call order, and callers rely
 * on it (two creates of one id: the first wins; two enqueues: FIFO in call order). Calls sharing
 * an instance id are chained here; unrelated calls still run in parallel.
 */

/** Chains async work by key. */
export class KeyedOrder {
  private readonly tails = new Map<string, Promise<unknown>>();

  /** Runs `body` after every earlier call that shares one of `keys` has settled. */
  run<T>(keys: Iterable<string>, body: () => Promise<T>): Promise<T> {
    const unique = [...new Set(keys)];
    const before = unique.map((k) => this.tails.get(k)).filter((p): p is Promise<unknown> => p !== undefined);
    const result = (before.length === 0 ? body() : Promise.allSettled(before).then(body));
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    for (const k of unique) this.tails.set(k, tail);
    void tail.then(() => {
      for (const k of unique) if (this.tails.get(k) === tail) this.tails.delete(k);
    });
    return result;
  }
}
