/**
 * @module bench/declarative-http-ab
 * Server CPU per workflow of two builds side by side: the declarative 3-step chain of
 * bench/declarative-http.ts over `swirl serve` HTTP at concurrency 100 (`?wait=`), on a serve child
 * of this checkout and one of `--before <checkout>` (e.g. main unpacked with `git archive main | tar
 * -x -C /tmp/base`, node_modules linked), both alive for the whole run, measured in alternating
 * blocks so that the machine's load drifts over both alike. Prints the CPU per workflow and the
 * throughput of each block, and the per-round ratio this / before.
 *
 * Run: `npx tsx bench/declarative-http-ab.ts --before <checkout> [rounds=6] [runs=1000]`
 */

import { join } from 'node:path';
import { fmt, median, tempDir } from './engine-common.js';
import { dispatcher, measureHttp, startNoopApp, startServe, stopServe, type ServeChild } from './serve-http.js';

const args = process.argv.slice(2);
const at = args.indexOf('--before');
if (at < 0 || args[at + 1] === undefined) {
  console.error('usage: npx tsx bench/declarative-http-ab.ts --before <checkout> [rounds] [runs]');
  process.exit(2);
}
const before = args[at + 1]!;
const rest = args.filter((_, i) => i !== at && i !== at + 1);
const ROUNDS = Number(rest[0] ?? 6);
const RUNS = Number(rest[1] ?? 1000);

// The other checkout's serve-http starts its own sources (its spawnServe runs from its root).
const other = (await import(join(before, 'bench', 'serve-http.ts'))) as { startServe: typeof startServe };
const app = await startNoopApp();
const dirs = [tempDir('swirl-bench-ab-this-'), tempDir('swirl-bench-ab-before-')];
const sides: { label: string; child: ServeChild }[] = [
  { label: 'this', child: await startServe(dirs[0]!.dir, app.port) },
  { label: 'before', child: await other.startServe(dirs[1]!.dir, app.port) },
];
const results: Record<string, { cpu: number; wfs: number }[]> = { this: [], before: [] };
try {
  for (const s of sides) await measureHttp(s.child.base, s.child.proc.pid!, app.calls, 600, 50, 'wait'); // warm-up
  for (let r = 0; r < ROUNDS; r++) {
    // Alternate which side goes first, so neither always follows the other's load.
    for (const s of r % 2 === 0 ? sides : [...sides].reverse()) {
      const h = await measureHttp(s.child.base, s.child.proc.pid!, app.calls, RUNS, 100, 'wait');
      results[s.label]!.push({ cpu: h.serverCpuMs, wfs: h.loop.perSecond });
    }
    const a = results.this![r]!;
    const b = results.before![r]!;
    console.log(`round ${r + 1}: this ${fmt(a.cpu, 2)} ms/wf ${fmt(a.wfs, 0)} wf/s | before ${fmt(b.cpu, 2)} ms/wf ${fmt(b.wfs, 0)} wf/s | CPU ratio ${fmt(a.cpu / b.cpu, 2)}×`);
  }
} finally {
  for (const s of sides) await stopServe(s.child);
  await dispatcher.close();
  app.server.close();
  for (const d of dirs) d.remove();
}
const ratios = results.this!.map((a, i) => a.cpu / results.before![i]!.cpu);
console.log(
  `\nmedian server CPU per workflow (c=100, ${ROUNDS} rounds of ${RUNS}): this ${fmt(median(results.this!.map((x) => x.cpu)), 2)} ms, before ${fmt(median(results.before!.map((x) => x.cpu)), 2)} ms; ratio ${fmt(median(ratios), 2)}× [${ratios.map((x) => fmt(x, 2)).join(', ')}]`,
);
console.log(`median throughput: this ${fmt(median(results.this!.map((x) => x.wfs)), 0)} wf/s, before ${fmt(median(results.before!.map((x) => x.wfs)), 0)} wf/s`);
