/**
 * Load probe for `swirl serve` (not a test; numbers go to the report/bench README):
 * N starts of samples/hello through the Dapr HTTP API on a loopback socket with C concurrent
 * clients, then polling GETs until all complete. Prints starts/s, completions/s, p50/p99 latency.
 *   npx tsx test/api/load-probe.ts [N=2000] [C=32] [store=sqlite|memory]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createApp, createHost, startServer } from '../../src/index.js';

const N = Number(process.argv[2] ?? 2000);
const C = Number(process.argv[3] ?? 32);
const kind = process.argv[4] ?? 'sqlite';
const dir = mkdtempSync(join(tmpdir(), 'swirl-probe-'));
const host = await createHost({ store: kind === 'memory' ? 'memory' : `sqlite:${join(dir, 'probe.db')}`, workflowsDir: fileURLToPath(new URL('../../samples/hello', import.meta.url)) });
await host.start();
const server = await startServer(createApp(host), { port: 0, host: '127.0.0.1' });
const base = `http://127.0.0.1:${server.port}/v1.0/workflows/dapr`;

const pct = (xs: number[], p: number) => xs.sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!.toFixed(2);
async function pool(count: number, fn: (i: number) => Promise<number>): Promise<number[]> {
  const lat: number[] = [];
  let next = 0;
  await Promise.all(Array.from({ length: C }, async () => {
    while (next < count) lat.push(await fn(next++));
  }));
  return lat;
}

const t0 = performance.now();
const startLat = await pool(N, async (i) => {
  const s = performance.now();
  const r = await fetch(`${base}/hello/start?instanceID=p-${i}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: `{"name":"n${i}"}` });
  if (r.status !== 202) throw new Error(`start ${i}: ${r.status} ${await r.text()}`);
  return performance.now() - s;
});
const t1 = performance.now();
const getLat = await pool(N, async (i) => {
  for (;;) {
    const s = performance.now();
    const r = (await (await fetch(`${base}/p-${i}`)).json()) as { runtimeStatus: string };
    const d = performance.now() - s;
    if (r.runtimeStatus === 'COMPLETED') return d;
    await new Promise((res) => setTimeout(res, 5));
  }
});
const t2 = performance.now();
console.log(`store=${kind} N=${N} C=${C}`);
console.log(`starts: ${(N / ((t1 - t0) / 1000)).toFixed(0)}/s  p50 ${pct(startLat, 50)} ms  p99 ${pct(startLat, 99)} ms`);
console.log(`all completed ${((t2 - t0) / 1000).toFixed(2)} s after the first start (${(N / ((t2 - t0) / 1000)).toFixed(0)} workflows/s end to end); GET p50 ${pct(getLat, 50)} ms p99 ${pct(getLat, 99)} ms`);
await server.close();
await host.stop();
rmSync(dir, { recursive: true, force: true });
