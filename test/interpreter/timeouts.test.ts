// stateExecTimeout: `single` bounds each attempt of the state (restarting when an action retries), `total` all attempts.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { WorkflowError } from '../../src/errors.js';
import { exprFn, fakeHost, invokeFn, run } from './harness.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A service that takes 150 ms per call and fails its first two calls with 503. */
function slowFlaky() {
  return fakeHost({
    work: async (_d, n) => {
      await sleep(150);
      if (n < 3) throw new WorkflowError('503', 'busy');
      return { attempts: n };
    },
  });
}

function retried(timeouts: Record<string, unknown>) {
  return {
    id: 'single-retried',
    errors: [{ name: 'Busy', code: '503' }],
    retries: [{ name: 'thrice', maxAttempts: 3, delay: 'PT0.05S' }],
    functions: [invokeFn('work')],
    states: [{ name: 'Call', type: 'operation', timeouts, actions: [{ functionRef: 'work', retryRef: 'thrice', retryableErrors: ['Busy'] }], end: true }],
  };
}

describe('stateExecTimeout single and total', () => {
  it('single expires on one slow attempt even when total is far away', async () => {
    const r = await run(
      { id: 'single', functions: [exprFn('f', '{}')], states: [{ name: 'Slow', type: 'operation', timeouts: { stateExecTimeout: { single: 'PT0.1S', total: 'PT30S' } }, actions: [{ functionRef: 'f', sleep: { after: 'PT20S' } }], end: true }] },
      {},
    );
    assert.equal(r.runtimeStatus, 'FAILED');
    assert.equal(r.failure?.code, 'timeout');
    assert.match(r.failure!.message, /stateExecTimeout\.single of state 'Slow' expired/);
  });

  it('single starts over with each retry: attempts each under single complete although together they exceed it', async () => {
    const host = slowFlaky();
    const r = await run(retried({ stateExecTimeout: { single: 'PT0.4S', total: 'PT5S' } }), {}, { components: host as never });
    assert.equal(r.runtimeStatus, 'COMPLETED', JSON.stringify(r.failure));
    assert.deepEqual(r.output, { attempts: 3 });
  });

  it('total includes the retries', async () => {
    const host = slowFlaky();
    const r = await run(retried({ stateExecTimeout: { single: 'PT0.4S', total: 'PT0.3S' } }), {}, { components: host as never });
    assert.equal(r.failure?.code, 'timeout');
    assert.match(r.failure!.message, /stateExecTimeout of state 'Call' expired/);
  });

  it('an expired single is caught by onErrors like any timeout', async () => {
    const r = await run(
      {
        id: 'single-handled',
        errors: [{ name: 'Timeout', code: 'timeout' }],
        functions: [exprFn('f', '{}')],
        states: [
          { name: 'Slow', type: 'operation', timeouts: { stateExecTimeout: { single: 'PT0.1S', total: 'PT30S' } }, actions: [{ functionRef: 'f', sleep: { after: 'PT20S' } }], onErrors: [{ errorRef: 'Timeout', transition: 'Late' }], end: true },
          { name: 'Late', type: 'inject', data: { late: true }, end: true },
        ],
      },
      {},
    );
    assert.equal(r.runtimeStatus, 'COMPLETED', JSON.stringify(r.failure));
    assert.deepEqual(r.output, { late: true });
  });
});
