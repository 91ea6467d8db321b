// Preloaded into a `swirl serve` child by bench/sqlite-statement-count.ts (node --import): wraps
// better-sqlite3's Statement run/get/all/iterate and Database exec to count and time each SQL text
// while counting is on. SIGUSR2 turns counting on (cleared); the next SIGUSR2 turns it off and writes
// [sql, { n, ns }] pairs as JSON to $STMT_COUNT_OUT.
import Database from 'better-sqlite3';
import { writeFileSync } from 'node:fs';
import process from 'node:process';

const probe = new Database(':memory:');
const Statement = Object.getPrototypeOf(probe.prepare('SELECT 1'));
probe.close();
const stats = new Map();
let on = false;

function note(key, t0) {
  const s = stats.get(key) ?? { n: 0, ns: 0 };
  s.n++;
  s.ns += Number(process.hrtime.bigint() - t0);
  stats.set(key, s);
}

for (const method of ['run', 'get', 'all', 'iterate']) {
  const original = Statement[method];
  Statement[method] = function (...args) {
    if (!on) return original.apply(this, args);
    const t0 = process.hrtime.bigint();
    try {
      return original.apply(this, args);
    } finally {
      note(`${method} ${this.source.replace(/\s+/g, ' ')}`, t0);
    }
  };
}
const exec = Database.prototype.exec;
Database.prototype.exec = function (sql) {
  if (!on) return exec.call(this, sql);
  const t0 = process.hrtime.bigint();
  try {
    return exec.call(this, sql);
  } finally {
    note(`exec ${sql}`, t0);
  }
};
process.on('SIGUSR2', () => {
  if (!on) {
    stats.clear();
    on = true;
    return;
  }
  on = false;
  writeFileSync(process.env.STMT_COUNT_OUT, JSON.stringify([...stats]));
});
