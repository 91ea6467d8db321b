// Pure pieces of the interpreter: merge, retry delays, schedule due times.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mergeData, setPath } from '../../src/interpreter/data.js';
import { retryDelay } from '../../src/interpreter/error-handling.js';
import { nextScheduleTimes } from '../../src/interpreter/schedule.js';
import type { WorkflowGraph } from '../../src/graph/types.js';
import { WorkflowError } from '../../src/errors.js';

describe('mergeData', () => {
  it('merges objects deeply with the incoming value winning (spec l.864-899 example)', () => {
    const existing = { customer: { name: 'John', address: '1234 street', zip: '12345' } };
    const incoming = { customer: { name: 'John', zip: '54321' } };
    assert.deepEqual(mergeData(existing, incoming), { customer: { name: 'John', address: '1234 street', zip: '54321' } });
  });
  it('concatenates arrays keeping unique elements, existing first (deep equality)', () => {
    assert.deepEqual(mergeData([1, { a: 1 }, 2], [{ a: 1 }, 3, 2]), [1, { a: 1 }, 2, 3]);
  });
  it('replaces null and same-typed scalars; rejects mixed types with MERGE_ERROR', () => {
    assert.equal(mergeData(null, 5), 5);
    assert.deepEqual(mergeData({ a: 1 }, null), null);
    assert.equal(mergeData('a', 'b'), 'b');
    for (const [a, b] of [[{}, []], [[], {}], [{}, 'x'], ['x', 1], [true, 'true']] as const) {
      assert.throws(() => mergeData(a, b), (e: unknown) => e instanceof WorkflowError && e.code === 'MERGE_ERROR');
    }
    assert.throws(() => mergeData({ a: { b: 1 } }, { a: [1] }), /state data\.a/);
  });
  it('setPath creates missing objects and arrays', () => {
    assert.deepEqual(setPath({ x: 1 }, ['a', 'b', 0], 'v'), { x: 1, a: { b: ['v'] } });
  });
});

describe('retryDelay', () => {
  const base = { name: 'r', delayMs: 10_000, incrementMs: 0, multiplier: 1, maxAttempts: 5 };
  it('counts every attempt: maxAttempts 3 allows two retries', () => {
    const p = { ...base, maxAttempts: 3 };
    assert.equal(retryDelay(p, 1, 0), 10_000);
    assert.equal(retryDelay(p, 2, 0), 10_000);
    assert.equal(retryDelay(p, 3, 0), undefined);
  });
  it('applies increment (10, 12, 14, 16 s) and multiplier (10, 20, 40, 80 s) as in spec l.4166-4250', () => {
    assert.deepEqual([1, 2, 3, 4].map((n) => retryDelay({ ...base, incrementMs: 2000 }, n, 0)), [10_000, 12_000, 14_000, 16_000]);
    assert.deepEqual([1, 2, 3, 4].map((n) => retryDelay({ ...base, multiplier: 2 }, n, 0)), [10_000, 20_000, 40_000, 80_000]);
  });
  it('jitter adds ±fraction of the delay, maxDelay caps last', () => {
    const p = { ...base, jitter: { fraction: 0.5 }, maxDelayMs: 12_000 };
    assert.equal(retryDelay(p, 1, 0), 5_000);
    assert.equal(retryDelay(p, 1, 0.5), 10_000);
    assert.equal(retryDelay(p, 1, 0.99), 12_000);
    assert.equal(retryDelay({ ...base, jitter: { maxMs: 1000 } }, 1, 1), 11_000);
  });
});

describe('nextScheduleTimes', () => {
  const g = (schedule: WorkflowGraph['schedule']) => ({ schedule }) as WorkflowGraph;
  const at = (iso: string) => Date.parse(iso);
  it('repeating intervals with a start, with an end, and bare', () => {
    assert.deepEqual(nextScheduleTimes(g({ interval: 'R/2026-01-01T00:00:00Z/PT2H' }), at('2026-01-01T03:00:00Z'), 2), [at('2026-01-01T04:00:00Z'), at('2026-01-01T06:00:00Z')]);
    assert.deepEqual(nextScheduleTimes(g({ interval: 'R/PT1H/2026-01-01T02:00:00Z' }), at('2026-01-01T00:30:00Z'), 5), [at('2026-01-01T01:00:00Z'), at('2026-01-01T02:00:00Z')]);
    assert.deepEqual(nextScheduleTimes(g({ interval: 'R/PT15M' }), at('2026-01-01T00:07:00Z'), 1), [at('2026-01-01T00:15:00Z')]);
  });
  it('cron: 5-field and Quartz 6-field with ?, validUntil', () => {
    assert.deepEqual(nextScheduleTimes(g({ cron: '*/15 * * * *' }), at('2026-01-01T00:07:00Z'), 2), [at('2026-01-01T00:15:00Z'), at('2026-01-01T00:30:00Z')]);
    assert.deepEqual(nextScheduleTimes(g({ cron: '0 15,30,45 * ? * *' }), at('2026-01-01T10:50:00Z'), 2), [at('2026-01-01T11:15:00Z'), at('2026-01-01T11:30:00Z')]);
    assert.deepEqual(nextScheduleTimes(g({ cron: '0 9 * * 1', validUntil: '2026-01-10T00:00:00Z' }), at('2026-01-01T00:00:00Z'), 5), [at('2026-01-05T09:00:00Z')]);
  });
  it('no schedule: no due times', () => {
    assert.deepEqual(nextScheduleTimes(g(undefined), 0, 3), []);
  });
});
