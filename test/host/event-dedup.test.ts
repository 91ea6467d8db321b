/**
 * CloudEvent de-duplication by (source, id) (host/event-dedup, specs/multi-node.md), on a memory
 * store: a copy arriving while the original is routed waits for its outcome or, past the wait,
 * is refused with EVENT_IN_PROGRESS; a failed routing forgets the key; a claim left by a node
 * that died is taken over after staleClaimMs; keys older than the retention window are pruned.
 * (Across processes and restarts: test/host/multi-node.test.ts.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from '../../src/store/memory.js';
import { EventDedup } from '../../src/host/event-dedup.js';
import type { EventOutcome } from '../../src/index.js';

const event = { specversion: '1.0', id: 'e-1', source: '/s', type: 't' };
const outcome = (delivered: string[]): EventOutcome => ({ id: 'e-1', type: 't', source: '/s', started: [], delivered, kept: [] });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('a copy arriving while the original is routed waits and answers its outcome as a duplicate', async () => {
  const dedup = new EventDedup(new MemoryStore());
  let routed = 0;
  const route = async () => {
    routed += 1;
    await sleep(200);
    return outcome(['i-1']);
  };
  const [first, copy] = await Promise.all([dedup.once(event, route), sleep(20).then(() => dedup.once(event, route))]);
  assert.deepEqual(first, outcome(['i-1']));
  assert.deepEqual(copy, { ...outcome(['i-1']), duplicate: true });
  assert.equal(routed, 1);
});

test('past the wait, a copy is refused with EVENT_IN_PROGRESS naming the event', async () => {
  const dedup = new EventDedup(new MemoryStore(), { waitForOriginalMs: 100 });
  const slow = dedup.once(event, async () => {
    await sleep(400);
    return outcome([]);
  });
  await sleep(10);
  await assert.rejects(dedup.once(event, async () => outcome(['never'])), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'EVENT_IN_PROGRESS');
    assert.match(err.message, /^event 'e-1' from '\/s' is being routed by an earlier request \(received .*\); retry to learn its outcome$/);
    return true;
  });
  await slow;
});

test('routing that fails forgets the key: the retry routes the event', async () => {
  const dedup = new EventDedup(new MemoryStore());
  await assert.rejects(
    dedup.once(event, async () => {
      throw new Error('backlog full');
    }),
    /backlog full/,
  );
  assert.deepEqual(await dedup.once(event, async () => outcome(['i-2'])), outcome(['i-2']));
});

test('a claim a dead node never finished is taken over after staleClaimMs; keys past retention are pruned', async () => {
  const store = new MemoryStore();
  const dedup = new EventDedup(store, { staleClaimMs: 50, retentionMs: 1000 });
  await store.claimEvent({ source: '/s', id: 'e-1', now: Date.now(), staleBefore: 0 }); // a node that then died
  await sleep(80);
  assert.deepEqual(await dedup.once(event, async () => outcome(['i-3'])), outcome(['i-3']));
  assert.equal(await dedup.prune(Date.now() + 2000), 1);
  assert.deepEqual(await dedup.once(event, async () => outcome(['i-4'])), outcome(['i-4']), 'forgotten after the window: routed again');
});
