// A wait left behind by an abandoned branch must not swallow a later event of the same name.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { exprFn, run } from './harness.js';

describe('abandoned event waits', () => {
  it('parallel atLeast: the event a cancelled branch waited for reaches the next event state', async () => {
    const r = await run(
      {
        id: 'abandon',
        events: [
          { name: 'Ask', type: 'ask', kind: 'produced' },
          { name: 'Approval', type: 'approval', source: 'manager' },
        ],
        functions: [exprFn('quick', '{quick: true}')],
        states: [
          {
            name: 'Race',
            type: 'parallel',
            completionType: 'atLeast',
            numCompleted: 1,
            branches: [
              // 'fast' finishes after 'waiting' is already waiting for Approval.
              { name: 'fast', actions: [{ functionRef: 'quick', sleep: { before: 'PT0.3S' } }] },
              { name: 'waiting', actions: [{ eventRef: { triggerEventRef: 'Ask', resultEventRef: 'Approval' } }] },
            ],
            transition: 'Wait',
          },
          {
            name: 'Wait',
            type: 'event',
            onEvents: [{ eventRefs: ['Approval'], eventDataFilter: { toStateData: '${ .approval }' } }],
            end: true,
          },
        ],
      },
      {},
      { events: [{ name: 'Approval', data: { by: 'ada' }, delayMs: 800 }], timeoutMs: 10_000 },
    );
    assert.equal(r.runtimeStatus, 'COMPLETED', JSON.stringify(r.failure));
    assert.deepEqual(r.output, { quick: true, approval: { by: 'ada' } });
  });
});
