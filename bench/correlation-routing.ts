/**
 * @module bench/correlation-routing
 * Issue 18, "route by the value each waiting instance computed … not a scan": the cost of routing
 * a correlated CloudEvent (`contextAttributeValue: '${ .orderId }'`) while 20 API-started
 * instances with 2 MB inputs wait for it, against the same routing with none waiting — same host,
 * same run, as ratios. Before the wait-key index the router read every waiting instance's input for
 * each event (measured then: 129 ms and +359 MB per event with 20 such instances); with the index
 * each event is one lookup of its key in the store, whatever waits and however big its input.
 *
 * Rows: events whose orderId no instance holds (refused, the lookup alone), then one event per
 * waiting instance (delivered: lookup, raise — and, in the same process, that instance's next turn,
 * which loads its own input), for small and for 2 MB inputs. Sequential, wall time per event; the RSS growth over
 * the 20-instance row shows no input is loaded.
 *
 * Run: `node --import tsx --expose-gc bench/correlation-routing.ts`
 */
import { join } from 'node:path';
import { createHost } from '../src/index.js';
import { collectGarbage, fmt, median, percentile, tempDir } from './engine-common.js';

const N = 300;
const WAITING = 20;
const INPUT_BYTES = 2 * 1024 * 1024;

const ORDER = `
id: order
specVersion: '0.8'
events:
  - name: Paid
    type: order.paid
    source: /payments
    correlation: [{ contextAttributeName: orderid, contextAttributeValue: '\${ .orderId }' }]
start: Begin
states:
  - { name: Begin, type: inject, data: { begun: true }, transition: Wait }
  - name: Wait
    type: event
    onEvents: [{ eventRefs: [Paid] }]
    end: true
`;

const tmp = tempDir('swirl-bench-correlation-');
const host = await createHost({ store: `sqlite:${join(tmp.dir, 'swirl.db')}`, engine: { pollIntervalMs: 20 } });
await host.catalog.register(ORDER);
await host.start();

const paid = (id: string, orderid: string) => ({ specversion: '1.0', id, source: '/payments', type: 'order.paid', orderid, data: {} });

async function time(n: number, fn: (i: number) => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = process.hrtime.bigint();
    await fn(i);
    out.push(Number(process.hrtime.bigint() - t) / 1000);
  }
  return out;
}

const none = await time(N, (i) => host.ingest([paid(`none-${i}`, `nobody-${i}`)]));

// 20 instances started over the API, each with a 2 MB input, waiting at Wait with their orderId.
const blob = 'x'.repeat(INPUT_BYTES);
for (let i = 0; i < WAITING; i++) await host.engine.client.start('order', { orderId: `o-${i}`, blob }, { instanceId: `order-${i}` });
// And 20 with small inputs: what delivering costs without the 2 MB (the instance's own turn included).
for (let i = 0; i < WAITING; i++) await host.engine.client.start('order', { orderId: `s-${i}` }, { instanceId: `small-${i}` });
for (const id of Array.from({ length: WAITING }, (_, i) => [`order-${i}`, `small-${i}`]).flat()) {
  for (;;) {
    const h = await host.engine.client.history(id);
    // Its first turn committed: the wait (and its key) is in the store.
    if (h.some((e) => e.type === 'OrchestratorCompleted')) break;
    await new Promise((r) => setTimeout(r, 20));
  }
}
collectGarbage();
const rssBefore = process.memoryUsage().rss;
const busy = await time(N, (i) => host.ingest([paid(`busy-${i}`, `nobody-${i}`)]));
const rssAfter = process.memoryUsage().rss;
const deliveredSmall = await time(WAITING, (i) => host.ingest([paid(`small-hit-${i}`, `s-${i}`)]));
const delivered = await time(WAITING, (i) => host.ingest([paid(`hit-${i}`, `o-${i}`)]));
await host.stop();
tmp.remove();

const ref = median(none);
// The rows of 40 waiting instances: 20 with 2 MB inputs, 20 small ones.
console.log(`Correlated CloudEvent routing on SQLite (µs per event; ${WAITING} waiting instances with ${INPUT_BYTES / 1024 / 1024} MB inputs)`);
console.log('| case | events | p50 µs | p99 µs | p50 vs none waiting |');
console.log('|---|---|---|---|---|');
for (const [name, us] of [
  ['no instance holds the key, none waiting', none],
  [`no instance holds the key, ${2 * WAITING} waiting (${WAITING} with 2 MB inputs)`, busy],
  ['delivered to one waiting instance with a small input', deliveredSmall],
  ['delivered to one waiting instance with a 2 MB input', delivered],
] as const) {
  console.log(`| ${name} | ${us.length} | ${fmt(median(us))} | ${fmt(percentile(us, 99))} | ${(median(us) / ref).toFixed(2)}× |`);
}
console.log(`RSS over the ${N} events with ${2 * WAITING} waiting: ${fmt((rssAfter - rssBefore) / 1024 / 1024)} MB`);
