/**
 * @module bench/event-ingress
 * What the durable CloudEvent de-duplication (specs/multi-node.md) costs per event on SQLite:
 * `host.ingest` (claim the (source, id) key, route, record the outcome) against routing the same
 * kind of event without it (`host.events.route`), same host, same run, reported as ratios.
 *
 * Two event kinds: one that matches no workflow (routing does nothing: the pure cost of the two
 * key writes), and one that starts an instance (a start event state: the routing writes a start
 * and a raise). A third row measures duplicates: copies of events already routed (one claim, no
 * routing). Sequential calls, wall time per event.
 *
 * Run: `node --import tsx bench/event-ingress.ts`
 */
import { join } from 'node:path';
import { createHost } from '../src/index.js';
import { fmt, median, percentile, tempDir } from './engine-common.js';

const N = 400;

const STARTER = `
id: starter
specVersion: '0.8'
events: [{ name: Hello, type: hello, source: /bench }]
states:
  - name: Greet
    type: event
    onEvents: [{ eventRefs: [Hello] }]
    end: true
`;

const tmp = tempDir('swirl-bench-ingress-');
const host = await createHost({ store: `sqlite:${join(tmp.dir, 'swirl.db')}` });
await host.catalog.register(STARTER);
await host.start();

const event = (kind: string, type: string, i: number) => ({ specversion: '1.0', id: `${kind}-${i}`, source: '/bench', type, data: { i } });

async function time(fn: (i: number) => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < N; i++) {
    const t = process.hrtime.bigint();
    await fn(i);
    out.push(Number(process.hrtime.bigint() - t) / 1000);
  }
  return out;
}

const rows: [string, number[]][] = [
  ['no match, route only', await time((i) => host.events.route(event('r', 'nomatch', i)))],
  ['no match, ingest (dedup)', await time((i) => host.ingest([event('d', 'nomatch', i)]))],
  ['starts an instance, route only', await time((i) => host.events.route(event('sr', 'hello', i)))],
  ['starts an instance, ingest (dedup)', await time((i) => host.ingest([event('sd', 'hello', i)]))],
  ['duplicate of a routed event, ingest', await time((i) => host.ingest([event('sd', 'hello', i)]))],
];
await host.stop();
tmp.remove();

const base = (name: string) => median(rows.find(([n]) => n === name)![1]);
console.log(`CloudEvent ingress on SQLite, ${N} sequential events per row (µs per event)`);
console.log('| case | p50 µs | p99 µs | p50 vs route only |');
console.log('|---|---|---|---|');
for (const [name, us] of rows) {
  const ref = name.startsWith('no match') ? base('no match, route only') : base('starts an instance, route only');
  console.log(`| ${name} | ${fmt(median(us))} | ${fmt(percentile(us, 99))} | ${(median(us) / ref).toFixed(2)}× |`);
}
