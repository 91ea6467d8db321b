/**
 * @module test/store/contract-payloads
 * Claims without payloads on a cache hit (issue 10): a listed claim whose `cached` entry matches
 * the stored execution and history length leaves input and output out, and a turn committed with
 * keepInput / keepOutput leaves the stored ones untouched. The danger pinned here: a turn after
 * such a claim must never lose or overwrite them, and a stale cache (another node ran a turn, a
 * new execution) must get them.
 */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { OrchestrationWorkItem, Store } from '../../src/store/types.js';
import { createRequest, claimOne, turnFor } from './contract-helpers.js';

/** Creates `id` (input `{"id":…}`) and runs one turn of 2 events that also records output `o1`. */
async function runningWithOutput(store: Store, id: string): Promise<void> {
  await store.createInstance(createRequest(id, 1000));
  const item = await claimOne(store, id, 1000);
  const turn = turnFor(item, 'RUNNING', 2);
  turn.state.output = '"o1"';
  await store.commitTurn(turn);
}

/** A claim of `id` alone whose cache entry says `executionId` at `historyLength`. */
async function claimCached(store: Store, id: string, executionId: string, historyLength: number, leaseId = `L-${id}`): Promise<OrchestrationWorkItem> {
  const items = await store.claimOrchestrations({ leaseId, now: 2000, leaseMs: 30_000, limit: 1, instanceIds: [id], cached: [{ instanceId: id, executionId, historyLength }] });
  assert.equal(items.length, 1, `expected '${id}' to be claimed`);
  return items[0];
}

export function payloadContract(current: () => Store): void {
  describe('claims without payloads on a cache hit', () => {
    it('a matching cache entry: input and output left out; a turn keeping them leaves them stored', async () => {
      const store = current();
      await runningWithOutput(store, 'a');
      const item = await claimCached(store, 'a', 'a-exec-1', 2);
      assert.equal(item.payloadsOmitted, true);
      assert.equal(item.instance.input, undefined);
      assert.equal(item.instance.output, undefined);
      assert.equal(item.instance.historyLength, 2, 'everything else is there');
      await store.commitTurn(turnFor(item, 'RUNNING', 1, { keepInput: true, keepOutput: true }));
      const after = await store.getInstance('a');
      assert.equal(after?.input, '{"id":"a"}', 'the input survives the turn');
      assert.equal(after?.output, '"o1"', 'the output survives the turn');
      assert.equal(after?.historyLength, 3);
    });

    it('a final turn after such a claim writes its output and keeps the input', async () => {
      const store = current();
      await runningWithOutput(store, 'a');
      const item = await claimCached(store, 'a', 'a-exec-1', 2);
      const turn = turnFor(item, 'COMPLETED', 1, { keepInput: true, dropPendingWork: true });
      turn.state.output = '"done"';
      await store.commitTurn(turn);
      const after = await store.getInstance('a');
      assert.equal(after?.status, 'COMPLETED');
      assert.equal(after?.input, '{"id":"a"}');
      assert.equal(after?.output, '"done"');
    });

    it('a stale cache entry (another node ran a turn, or another execution) gets the payloads', async () => {
      const store = current();
      await runningWithOutput(store, 'a');
      const behind = await claimCached(store, 'a', 'a-exec-1', 1, 'L1');
      assert.notEqual(behind.payloadsOmitted, true);
      assert.equal(behind.instance.input, '{"id":"a"}');
      assert.equal(behind.instance.output, '"o1"');
      await store.commitTurn(turnFor(behind, 'RUNNING', 1, { state: { ...turnFor(behind, 'RUNNING').state, output: '"o1"' } }));
      const otherExecution = await claimCached(store, 'a', 'a-exec-0', 3, 'L2');
      assert.notEqual(otherExecution.payloadsOmitted, true);
      assert.equal(otherExecution.instance.input, '{"id":"a"}');
      assert.equal(otherExecution.instance.output, '"o1"');
    });

    it('concurrent claims: each gets what its own cache entry says', async () => {
      const store = current();
      await runningWithOutput(store, 'a');
      await runningWithOutput(store, 'b');
      const [a, b] = await Promise.all([claimCached(store, 'a', 'a-exec-1', 2, 'La'), claimCached(store, 'b', 'b-exec-1', 7, 'Lb')]);
      assert.equal(a.payloadsOmitted, true);
      assert.equal(a.instance.input, undefined);
      assert.notEqual(b.payloadsOmitted, true);
      assert.equal(b.instance.input, '{"id":"b"}');
      assert.equal(b.instance.output, '"o1"');
    });

    it('a turn without keepInput / keepOutput writes the state as given (as always)', async () => {
      const store = current();
      await runningWithOutput(store, 'a');
      const item = await claimCached(store, 'a', 'a-exec-1', 1);
      const turn = turnFor(item, 'RUNNING', 1);
      turn.state.input = '"new"';
      delete turn.state.output;
      await store.commitTurn(turn);
      const after = await store.getInstance('a');
      assert.equal(after?.input, '"new"');
      assert.equal(after?.output, undefined);
    });
  });
}
