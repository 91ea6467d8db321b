/**
 * @module bench/pg-backend-cpu
 * CPU of one benchmark phase's OWN PostgreSQL backends: the connections whose application_name
 * is `swirl/<schema>` (every store connection of that schema: nodes and driver; the floor's pool
 * names itself the same way), read from /proc/<pid>/stat. Unlike the whole server's CPU
 * (cpu-account.ts), other sessions' queries on the shared server do not count. A backend that
 * exits during the phase loses its last ticks (pools keep their connections: rare).
 */

import { readFileSync } from 'node:fs';
import type pg from 'pg';

const TICK_MS = 10;

function cpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * TICK_MS;
  } catch {
    return undefined;
  }
}

/** CPU (ms) so far of each backend named `swirl/<schema>`, by pid. */
export async function backendCpu(admin: pg.Client, schema: string): Promise<Map<number, number>> {
  const rows = (await admin.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE application_name = $1', [`swirl/${schema}`.slice(0, 63)])).rows;
  const out = new Map<number, number>();
  for (const { pid } of rows) {
    const ms = cpuMs(pid);
    if (ms !== undefined) out.set(pid, ms);
  }
  return out;
}

/** CPU (ms) the backends of `before` and the ones that appeared since used between the two snapshots. */
export function backendCpuSince(before: Map<number, number>, after: Map<number, number>): number {
  let total = 0;
  for (const [pid, ms] of after) total += ms - (before.get(pid) ?? 0);
  return total;
}
