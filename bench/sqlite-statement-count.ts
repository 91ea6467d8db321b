/**
 * @module bench/sqlite-statement-count
 * SQL statements per declarative workflow: the 3-step chain of bench/declarative-http.ts over a
 * `swirl serve` child (SQLite) at concurrency 100, with better-sqlite3 wrapped in the child
 * (bench/sqlite-statement-count.mjs, preloaded) so that every statement the store runs while the
 * measured workflows run is counted and timed by its SQL text. Prints calls and µs per workflow by
 * statement (µs include the child's load; the counts are what to compare).
 *
 * Run: `npx tsx bench/sqlite-statement-count.ts [runs=1000] [checkout=this one]` — with another
 * checkout (e.g. main unpacked in /tmp/base) its serve child and bench helpers are used.
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fmt, tempDir } from './engine-common.js';

const RUNS = Number(process.argv[2] ?? 1000);
const checkout = process.argv[3] ?? fileURLToPath(new URL('..', import.meta.url));
const { dispatcher, measureHttp, startNoopApp, startServe, stopServe } = (await import(join(checkout, 'bench', 'serve-http.ts'))) as typeof import('./serve-http.js');

const out = tempDir('swirl-bench-stmts-');
const outFile = join(out.dir, 'statements.json');
process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} --import ${new URL('./sqlite-statement-count.mjs', import.meta.url).href}`;
process.env.STMT_COUNT_OUT = outFile;
const app = await startNoopApp();
const dir = tempDir('swirl-bench-stmts-serve-');
const serve = await startServe(dir.dir, app.port);
let cpuMs = 0;
try {
  await measureHttp(serve.base, serve.proc.pid!, app.calls, 300, 50, 'wait'); // warm-up
  serve.proc.kill('SIGUSR2');
  await new Promise((r) => setTimeout(r, 100));
  cpuMs = (await measureHttp(serve.base, serve.proc.pid!, app.calls, RUNS, 100, 'wait')).serverCpuMs;
  serve.proc.kill('SIGUSR2');
  await new Promise((r) => setTimeout(r, 300));
} finally {
  await stopServe(serve);
  await dispatcher.close();
  app.server.close();
  dir.remove();
}
const stats = JSON.parse(readFileSync(outFile, 'utf8')) as [string, { n: number; ns: number }][];
out.remove();
const calls = stats.reduce((a, [, s]) => a + s.n, 0);
const ns = stats.reduce((a, [, s]) => a + s.ns, 0);
console.log(`${checkout}: ${fmt(calls / RUNS, 2)} SQL statements per workflow, ${fmt(ns / RUNS / 1000, 0)} µs in them; server CPU ${fmt(cpuMs, 2)} ms/wf (${RUNS} workflows, c=100)`);
for (const [sql, s] of stats.sort((a, b) => b[1].n - a[1].n)) {
  console.log(`${fmt(s.n / RUNS, 2).padStart(6)} /wf ${fmt(s.ns / RUNS / 1000, 1).padStart(7)} µs/wf  ${sql.slice(0, 150)}`);
}
