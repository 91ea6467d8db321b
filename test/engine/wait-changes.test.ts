/**
 * @module test/engine/wait-changes
 * waitForCompletion hears every change another node reports, also two reported in one tick (two
 * nodes' notifications read from the LISTEN socket together: the instance's RUNNING from one node,
 * its COMPLETED from the next). It used to re-subscribe between them and miss the second, then
 * find the completion only on its recheck (bench/README.md, PostgreSQL store: 3-node p99 at the
 * recheck interval).
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createEngine } from '../../src/engine/engine.js';
import { MemoryStore } from '../../src/store/memory.js';
import { RuntimeStatus, type StoreChange } from '../../src/store/types.js';
import { claimOne, createRequest, turnFor } from '../store/contract-helpers.js';

/** A memory store that reports changes the way a shared store does, when the test says so. */
class ReportingStore extends MemoryStore {
  private readonly listeners = new Set<(change: StoreChange) => void>();
  onChange(listener: (change: StoreChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  report(change: StoreChange): void {
    for (const l of this.listeners) l(change);
  }
}

test('two changes reported in one tick: the waiter sees the completion at once, not at its recheck', async () => {
  const store = new ReportingStore();
  const engine = await createEngine({ store }); // a client only: never started, another "node" runs the instance
  try {
    await store.createInstance(createRequest('w'));
    const started = Date.now();
    const waiting = engine.client.waitForCompletion('w', { timeoutMs: 20_000, recheckMs: 60_000 });
    await new Promise((r) => setTimeout(r, 50)); // the waiter has read PENDING and waits
    const item = await claimOne(store, 'w', Date.now());
    await store.commitTurn(turnFor(item, 'COMPLETED', 2));
    store.report({ kind: 'instance', instanceId: 'w', status: RuntimeStatus.RUNNING });
    store.report({ kind: 'instance', instanceId: 'w', status: RuntimeStatus.COMPLETED });
    const result = await waiting;
    assert.equal(result.runtimeStatus, 'COMPLETED');
    assert.ok(Date.now() - started < 10_000, `the waiter returned after ${Date.now() - started} ms (its recheck is 60 s)`);
  } finally {
    await engine.stop();
  }
});
