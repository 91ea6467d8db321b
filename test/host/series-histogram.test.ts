/**
 * The cheaper histogram of the hot paths renders exactly what prom-client's Histogram renders for
 * the same observations: text exposition and JSON, several series, values on and past the bounds.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Histogram, Registry } from 'prom-client';
import { SeriesHistogram } from '../../src/host/series-histogram.js';

const BUCKETS = [0.001, 0.01, 0.1, 1];
const OBSERVATIONS: [Record<'workflow' | 'state', string>, number][] = [
  [{ workflow: 'orders', state: 'Charge' }, 0.0004],
  [{ workflow: 'orders', state: 'Charge' }, 0.001],
  [{ workflow: 'say "hi"\\\n', state: 'Ship' }, 0.05],
  [{ workflow: 'orders', state: 'Charge' }, 7],
  [{ workflow: 'orders', state: 'Ship' }, 0.2],
  // Two label sets that a plain join of the values with a separator would merge into one series.
  [{ workflow: 'w', state: 'a\u0000b' }, 0.003],
  [{ workflow: 'w\u0000a', state: 'b' }, 0.3],
];

test('a SeriesHistogram renders as prom-client’s Histogram does, in text and in JSON', async () => {
  const theirs = new Registry();
  const ours = new Registry();
  const h = new Histogram({ name: 'swirl_x_seconds', help: 'Help text.', labelNames: ['workflow', 'state'] as const, buckets: BUCKETS, registers: [theirs] });
  const s = new SeriesHistogram('swirl_x_seconds', 'Help text.', ['workflow', 'state'], BUCKETS, ours);
  for (const [labels, value] of OBSERVATIONS) {
    h.observe(labels, value);
    s.observe(s.seriesOf(labels), value);
  }
  assert.equal(await ours.metrics(), await theirs.metrics());
  assert.deepEqual(await ours.getMetricsAsJSON(), await theirs.getMetricsAsJSON());
  assert.match(await ours.metrics(), /^swirl_x_seconds_bucket\{le="0.001",workflow="orders",state="Charge"\} 2$/m);
});

test('one label, and an empty histogram, render alike too', async () => {
  const theirs = new Registry();
  const ours = new Registry();
  const h = new Histogram({ name: 'swirl_store_seconds', help: 'Store.', labelNames: ['operation'] as const, buckets: BUCKETS, registers: [theirs] });
  const s = new SeriesHistogram('swirl_store_seconds', 'Store.', ['operation'], BUCKETS, ours);
  assert.equal(await ours.metrics(), await theirs.metrics());
  for (const [op, v] of [['commitTurn', 0.002], ['claim', 0.0001], ['commitTurn', 0.3]] as const) {
    h.observe({ operation: op }, v);
    s.observe(s.seriesOf({ operation: op }), v);
  }
  assert.equal(await ours.metrics(), await theirs.metrics());
  assert.throws(() => s.observe(s.seriesOf({ operation: 'x' }), Number.NaN), /not a valid number/);
});
