/**
 * One bad schedule never blocks another: the scheduler logs the failure under the workflow's
 * name, stops that schedule (an INVALID_SCHEDULE would fail every tick), and keeps the others.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Scheduler } from '../../src/host/scheduler.js';
import type { Engine, WorkflowGraph } from '../../src/index.js';
import { MemoryStore } from '../../src/store/memory.js';

const graph = (id: string, cron: string) => ({ id, start: 'S', nodes: new Map([['S', { type: 'inject' }]]), schedule: { cron } }) as unknown as WorkflowGraph;

test('a schedule that cannot be computed is logged with its workflow and dropped; the next one still runs', async () => {
  const started: string[] = [];
  const engine = {
    client: {
      start: async (name: string, _input: unknown, o: { instanceId: string }) => void started.push(`${name}:${o.instanceId}`),
      list: async () => ({ instances: [] }),
    },
    // Ticks are recorded in (and continued from) the store since several nodes share schedules.
    store: new MemoryStore(),
  } as unknown as Engine;
  const errors: string[] = [];
  const logger = { debug() {}, info() {}, warn() {}, error: (m: string) => void errors.push(m) };
  const now = Date.parse('2026-01-01T00:00:30Z');
  const s = new Scheduler(engine, { logger, now: () => now });
  // Built past the validator (e.g. a graph compiled by an older version, or by hand).
  s.add(graph('broken', '61 * * * *'));
  s.add(graph('hourly', '0 * * * *'));
  await s.tick();
  await s.tick();
  assert.deepEqual(errors, ["schedule of workflow 'broken' failed and is stopped: cron '61 * * * *' is not valid: invalid value for minute: 61"]);
  assert.deepEqual(s.workflows(), ['hourly']);
  assert.deepEqual(started, [`hourly:hourly-sched-${Date.parse('2026-01-01T01:00:00Z')}`]);
});
