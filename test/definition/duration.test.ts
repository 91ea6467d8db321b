/** ISO-8601 durations → milliseconds (decisions in specs/semantics.md). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDuration } from '../../src/index.js';

test('valid durations', () => {
  const cases: [string, number][] = [
    ['PT5S', 5_000],
    ['PT0.5S', 500],
    ['PT1M30S', 90_000],
    ['PT2H', 7_200_000],
    ['P1D', 86_400_000],
    ['P2W', 14 * 86_400_000],
    ['P1DT12H', 129_600_000],
    ['P1M', 30 * 86_400_000], // a month is 30 days
    ['P1Y', 365 * 86_400_000], // a year is 365 days
    ['PT1,5S', 1_500], // ISO allows a comma
    ['PT0S', 0],
  ];
  for (const [text, ms] of cases) assert.equal(parseDuration(text), ms, text);
});

test('invalid durations', () => {
  for (const text of ['', 'P', 'PT', 'P1DT', 'PT30D', 'PT2W', '5s', 'five seconds', 'P1.5DT1H', 'PT-1S', 'p1d', '1 minute', 'R/PT1H']) {
    assert.equal(parseDuration(text), undefined, text);
  }
});
