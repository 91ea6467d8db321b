/**
 * @module test/engine/wait-recheck
 * A wait rechecks the store one recheck interval after the last news it heard: a local commit of
 * a status it does not wait for spares a read, but must not push the next one further than that.
 * A change another process made without a notification reaching this one (a lost NOTIFY) is then
 * seen within one interval of the last local news, as before waiters stopped waking for such
 * commits. Virtual time (node:test mock timers): nothing here depends on the machine's speed.
 */

import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import type { StatusListener, ClientHost } from '../../src/engine/client-host.js';
import { waitForStatus } from '../../src/engine/status-wait.js';
import { isTerminalStatus, RuntimeStatus, type InstanceRecord } from '../../src/store/types.js';

const RECHECK_MS = 1000;

/** Lets the wait's promise chain run (setImmediate is not mocked). */
const settle = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
};

/** A host whose store holds one row and whose watch is driven by the test. */
function fakeHost(row: InstanceRecord): { host: ClientHost; reads: () => number; hear: (s: RuntimeStatus) => void } {
  let reads = 0;
  const listeners = new Set<StatusListener>();
  const host = {
    opts: { pollIntervalMs: RECHECK_MS },
    store: () => ({
      getInstance: (id: string) => {
        reads++;
        return Promise.resolve(id === row.instanceId ? { ...row } : undefined);
      },
    }),
    watchChanges: (_id: string, l: StatusListener) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
  } as unknown as ClientHost;
  return { host, reads: () => reads, hear: (s) => listeners.forEach((l) => l(s)) };
}

describe('waitForStatus rechecks', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 }));
  afterEach(() => mock.timers.reset());

  it('a change made elsewhere without a notification is read one interval after the last local news, not two', async () => {
    const row: InstanceRecord = { instanceId: 'i1', executionId: 'e1', name: 'wf', status: RuntimeStatus.RUNNING, createdAt: 0, lastUpdatedAt: 0, historyLength: 3 };
    const { host, reads, hear } = fakeHost(row);
    let answer: string | undefined;
    void waitForStatus(host, 'i1', undefined, isTerminalStatus, 'to finish').then((m) => (answer = m.runtimeStatus));
    await settle();
    assert.equal(reads(), 1, 'the wait opened with one read');

    // t=100: a local turn commits RUNNING (not awaited; no wake-up, no read).
    mock.timers.tick(100);
    hear(RuntimeStatus.RUNNING);
    await settle();
    // Right after it, another node completes the instance; its notification never arrives.
    row.status = RuntimeStatus.COMPLETED;
    row.completedAt = 110;

    mock.timers.tick(900); // t=1000: the recheck the local news spared
    await settle();
    assert.equal(reads(), 1, 'the local news spared this recheck');
    mock.timers.tick(100); // t=1100: one interval after the last news
    await settle();
    assert.equal(answer, 'COMPLETED', 'read again one recheck interval after the last news');
    assert.equal(reads(), 2);
  });

  it('with no news at all, a read every interval', async () => {
    const row: InstanceRecord = { instanceId: 'i2', executionId: 'e1', name: 'wf', status: RuntimeStatus.RUNNING, createdAt: 0, lastUpdatedAt: 0, historyLength: 3 };
    const { host, reads } = fakeHost(row);
    let answer: string | undefined;
    void waitForStatus(host, 'i2', undefined, isTerminalStatus, 'to finish').then((m) => (answer = m.runtimeStatus));
    await settle();
    for (let i = 1; i <= 3; i++) {
      mock.timers.tick(RECHECK_MS);
      await settle();
      assert.equal(reads(), 1 + i);
    }
    row.status = RuntimeStatus.FAILED;
    mock.timers.tick(RECHECK_MS);
    await settle();
    assert.equal(answer, 'FAILED');
  });
});
