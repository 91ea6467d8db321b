/**
 * Cron schedules: the validator and the scheduler read cron the same way (definition/cron.ts):
 * names, ranges, steps, L, W, #, Quartz seconds/`?`/year, time zones; what cannot run is refused.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cronProblem, parseCron } from '../../src/definition/cron.js';
import { nextScheduleTimes } from '../../src/interpreter/schedule.js';
import type { WorkflowGraph } from '../../src/graph/types.js';

const at = (iso: string) => Date.parse(iso);
const now = at('2026-01-01T00:00:00Z');

test('the forms of the issue run where a user expects (UTC)', () => {
  const first = (expr: string, tz?: string) => new Date(parseCron(expr, tz).next(now, 1)[0]).toISOString();
  assert.equal(first('0 2 * * MON-FRI'), '2026-01-01T02:00:00.000Z'); // a Thursday
  assert.equal(first('0 0 L * *'), '2026-01-31T00:00:00.000Z');
  assert.equal(first('0 9 * * 1#2'), '2026-01-12T09:00:00.000Z'); // second Monday
  assert.equal(first('0 0/15 * * * ?'), '2026-01-01T00:15:00.000Z'); // Quartz, the spec's example
  assert.equal(first('0 0 12 ? JAN WED 2027'), '2027-01-06T12:00:00.000Z');
  assert.equal(first('0 9 * * *', 'Europe/Paris'), '2026-01-01T08:00:00.000Z');
});

test('what cannot run is a problem, named precisely', () => {
  assert.equal(cronProblem('61 * * * *', undefined, now), 'is not valid: invalid value for minute: 61');
  assert.equal(cronProblem('0 0 31 2 *', undefined, now), 'never matches a future time');
  assert.equal(cronProblem('0 0 12 * * ? 2020', undefined, now), 'never matches a future time');
  assert.equal(cronProblem('* * *', undefined, now), 'has 3 fields; expected 5 (crontab) or 6–7 (Quartz: seconds first, optional year)');
  assert.equal(cronProblem('0 9 * * *', 'Mars/Olympus', now), "is given timezone 'Mars/Olympus', which is not an IANA time zone (e.g. 'Europe/Paris', 'UTC')");
  assert.equal(cronProblem('0 9 * * 1#2', undefined, now), undefined);
});

test('the scheduler computes the same times, honouring timezone and validUntil', () => {
  const g = (schedule: WorkflowGraph['schedule']) => ({ schedule }) as WorkflowGraph;
  assert.deepEqual(nextScheduleTimes(g({ cron: '0 9 * * 1#2', timezone: 'America/New_York' }), now, 2), [at('2026-01-12T14:00:00Z'), at('2026-02-09T14:00:00Z')]);
  assert.deepEqual(nextScheduleTimes(g({ cron: '0 0 * * *', validUntil: '2026-01-02T12:00:00Z' }), now, 5), [at('2026-01-02T00:00:00Z')]);
  assert.throws(() => nextScheduleTimes(g({ cron: '61 * * * *' }), now, 1), { code: 'INVALID_SCHEDULE', message: "cron '61 * * * *' is not valid: invalid value for minute: 61" });
});
