/**
 * The multi-node suite (test/host/multi-node.test.ts) on PostgreSQL: the same real `swirl serve`
 * processes, sharing a fresh schema instead of one SQLite file (dropped after the run).
 */
import { pgAvailable, pgSkipReason } from '../store/postgres-fixture.js';
import { test } from 'node:test';

if (pgAvailable) {
  process.env.SWIRL_MULTINODE_STORE = 'postgres';
  await import('./multi-node.test.js');
} else {
  test('multi-node on PostgreSQL', { skip: pgSkipReason }, () => undefined);
}
