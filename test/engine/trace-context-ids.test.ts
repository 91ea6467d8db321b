/**
 * Trace and span ids derived from an execution are the same on every replay and in every version:
 * a history written by an earlier Swirl replays to the same ids (the outgoing `traceparent` of a
 * call, the span ids a tracer exports). Pinned values, computed by the original part-by-part
 * SHA-256 derivation.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deriveSpanId, executionTrace } from '../../src/engine/trace-context.js';

test('span and trace ids keep their derivation', () => {
  assert.equal(deriveSpanId('order-7', 'exec-1', 'action', 3, 2), '7b4715f830abd6a1');
  assert.deepEqual(executionTrace('order-7', 'exec-1', undefined), { traceId: 'e551b051a6bdda181a42d407e4fb751e', spanId: 'aea3023da90443d4', sampled: true });
});
