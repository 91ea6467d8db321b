/**
 * @module bench/engine-statements
 * SQL statements per workflow of the embedded 3-step chain on SQLite, by statement text: how many
 * of each one chain runs, and the wall time spent inside them (better-sqlite3's run/get/all and
 * exec wrapped, so the wrapper's own cost is in the times; read the counts, and the times only as
 * shares). Another checkout (e.g. `git archive main | tar -x -C /tmp/base`) is measured the same way.
 *
 * Run: `node --import tsx bench/engine-statements.ts [concurrency=1] [runs=1000] [other checkout]`
 */

import Database from 'better-sqlite3';
import { join } from 'node:path';
import type { closedLoop as ClosedLoop, startChainEngine as StartChainEngine } from './engine-common.js';

const CONCURRENCY = Number(process.argv[2] ?? 1);
const RUNS = Number(process.argv[3] ?? 1000);
const root = process.argv[4] ?? new URL('..', import.meta.url).pathname;

type Method = (...args: unknown[]) => unknown;
const stats = new Map<string, { n: number; ns: number }>();
let counting = false;

function note(key: string, t0: bigint): void {
  const s = stats.get(key) ?? { n: 0, ns: 0 };
  s.n += 1;
  s.ns += Number(process.hrtime.bigint() - t0);
  stats.set(key, s);
}

// Every Statement shares one prototype: wrap its methods once, before any store opens.
const probe = new Database(':memory:');
const statementProto = Object.getPrototypeOf(probe.prepare('SELECT 1')) as Record<string, Method>;
probe.close();
for (const method of ['run', 'get', 'all', 'iterate']) {
  const original = statementProto[method]!;
  statementProto[method] = function (this: { source: string }, ...args: unknown[]) {
    if (!counting) return original.apply(this, args);
    const t0 = process.hrtime.bigint();
    try {
      return original.apply(this, args);
    } finally {
      note(`${method} ${this.source.replace(/\s+/g, ' ').slice(0, 120)}`, t0);
    }
  };
}
const dbProto = Database.prototype as unknown as Record<string, Method>;
const exec = dbProto.exec!;
dbProto.exec = function (this: unknown, sql: unknown) {
  if (!counting) return exec.call(this, sql);
  const t0 = process.hrtime.bigint();
  try {
    return exec.call(this, sql);
  } finally {
    note(`exec ${String(sql)}`, t0);
  }
};

const common = (await import(join(root, 'bench/engine-common.ts'))) as { closedLoop: typeof ClosedLoop; startChainEngine: typeof StartChainEngine };
const { one, close } = await common.startChainEngine('swirl-bench-statements-');
let cpuMs: number;
try {
  await common.closedLoop(500, CONCURRENCY, one); // warm-up
  counting = true;
  cpuMs = (await common.closedLoop(RUNS, CONCURRENCY, one)).cpuMsPerRun;
  counting = false;
} finally {
  await close();
}
const rows = [...stats].sort((a, b) => b[1].n - a[1].n || b[1].ns - a[1].ns);
const total = rows.reduce((sum, [, s]) => sum + s.n, 0);
console.log(`${root}: concurrency ${CONCURRENCY}, ${RUNS} runs, process CPU ${cpuMs.toFixed(3)} ms/run`);
console.log(`\n| statement | per workflow | µs per call |\n|---|---:|---:|`);
for (const [sql, s] of rows) console.log(`| \`${sql.replace(/\|/g, '\\|')}\` | ${(s.n / RUNS).toFixed(2)} | ${(s.ns / s.n / 1000).toFixed(1)} |`);
console.log(`| **all** | **${(total / RUNS).toFixed(2)}** | |`);
