// engine/turn.ts committedRecord: the instance record a claim-free turn starts from (the cached
// runtime's, engine/cache.ts) must be exactly what the store's getInstance returns after the turn
// that cached it — on every backend, with every optional column set and unset.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { keepOmittedPayloads } from '../../src/engine/turn-commit.js';
import { cacheableRecord, committedRecord } from '../../src/engine/turn.js';
import { STORE_KINDS } from './harness.js';
import { T, turn, withStore } from './store-feature-helpers.js';

for (const kind of STORE_KINDS) {
  describe(`committedRecord (${kind})`, () => {
    it('is the row getInstance reads after the commit', async () => {
      await withStore(kind, async (store) => {
        await store.createInstance({
          instanceId: 'p',
          executionId: 'p-e',
          name: 'wf',
          createdAt: T - 5,
          scheduledStartAt: T,
          input: '{"a":1}',
          parentInstanceId: 'root',
          definitionHash: 'h1',
          definitionVersion: 'v1',
          startMessage: { data: '{}', visibleAt: T },
        });
        await store.createInstance({ instanceId: 'q', executionId: 'q-e', name: 'wf', createdAt: T, startMessage: { data: '{}', visibleAt: T } });
        const items = await store.claimOrchestrations({ leaseId: 'l1', now: T, leaseMs: 1000, limit: 10 });
        assert.equal(items.length, 2);
        for (const item of items) {
          const full = item.instance.instanceId === 'p';
          const commit = turn(item, {
            state: {
              executionId: item.instance.executionId,
              name: item.instance.name,
              status: full ? 'COMPLETED' : 'RUNNING',
              lastUpdatedAt: T + 7,
              ...(full ? { completedAt: T + 7, input: '{"a":1}', output: '{"b":2}', customStatus: '"s"', failure: '{"f":1}', definitionHash: 'h2', definitionVersion: 'v2' } : {}),
            },
          });
          await store.commitTurn(commit);
          assert.deepEqual(committedRecord(item.instance, commit), await store.getInstance(item.instance.instanceId));
        }
      });
    });

    it('after a claim without payloads, is the row with the kept input and output, or nothing without the record cached before', async () => {
      await withStore(kind, async (store) => {
        await store.createInstance({ instanceId: 'k', executionId: 'k-e', name: 'wf', createdAt: T, input: '{"in":1}', startMessage: { data: '{}', visibleAt: T } });
        const [first] = await store.claimOrchestrations({ leaseId: 'l1', now: T, leaseMs: 1000, limit: 1 });
        assert.ok(first);
        const c1 = turn(first, { state: { executionId: 'k-e', name: 'wf', status: 'RUNNING', lastUpdatedAt: T + 1, input: '{"in":1}', output: '"partial"' } });
        await store.commitTurn(c1);
        const previous = committedRecord(first.instance, c1);
        await store.enqueueMessages([{ instanceId: 'k', data: '{}', visibleAt: T + 1 }]);
        const [second] = await store.claimOrchestrations({ leaseId: 'l2', now: T + 2, leaseMs: 1000, limit: 1, instanceIds: ['k'], cached: [{ instanceId: 'k', executionId: 'k-e', historyLength: previous.historyLength }] });
        assert.ok(second);
        assert.equal(second.payloadsOmitted, true, 'the claim left the payloads out');
        assert.equal(second.instance.input, undefined);
        const c2 = turn(second, { state: { executionId: 'k-e', name: 'wf', status: 'RUNNING', lastUpdatedAt: T + 3 } });
        keepOmittedPayloads(second, c2);
        await store.commitTurn(c2);
        const row = await store.getInstance('k');
        assert.equal(row?.input, '{"in":1}');
        assert.deepEqual(cacheableRecord(second.instance, c2, true, previous), row);
        assert.equal(cacheableRecord(second.instance, c2, true, undefined), undefined, 'no record to take the payloads from');
      });
    });
  });
}
