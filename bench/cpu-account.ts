/**
 * @module bench/cpu-account
 * Where the CPU of a benchmark phase went, from /proc (Linux): the PostgreSQL server (the
 * postmaster, its live backends, and the backends that exited — the postmaster's cutime/cstime),
 * given processes (engine nodes), this process, and the whole machine (busy vs total, so that the
 * other sessions' share shows). PostgreSQL must run on this machine.
 */

import { readdirSync, readFileSync } from 'node:fs';

/** CPU times in ms (clock ticks are 10 ms on Linux: USER_HZ 100). */
export interface CpuSnapshot {
  pgMs: number;
  processesMs: number;
  selfMs: number;
  machineBusyMs: number;
  machineTotalMs: number;
}

const TICK_MS = 10;

/** [ppid, utime + stime, cutime + cstime] of a pid, in ms; undefined if it is gone. */
function procTimes(pid: number): [number, number, number] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name (which may contain spaces).
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return [Number(f[1]), (Number(f[11]) + Number(f[12])) * TICK_MS, (Number(f[13]) + Number(f[14])) * TICK_MS];
  } catch {
    return undefined;
  }
}

/** CPU of the postmaster `postmaster` and all its children, living and exited. */
function serverMs(postmaster: number): number {
  const own = procTimes(postmaster);
  if (own === undefined) return 0;
  let total = own[1] + own[2];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const t = procTimes(Number(name));
    if (t !== undefined && t[0] === postmaster) total += t[1];
  }
  return total;
}

function machineMs(): { busy: number; total: number } {
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1, 9).map(Number);
  const total = cpu.reduce((a, b) => a + b, 0);
  const idle = cpu[3] + cpu[4]; // idle + iowait
  return { busy: (total - idle) * TICK_MS, total: total * TICK_MS };
}

/** The postmaster's pid, from one of its backends' pid (`SELECT pg_backend_pid()`). */
export function postmasterOf(backendPid: number): number {
  return procTimes(backendPid)?.[0] ?? 0;
}

/** A snapshot of the server `postmaster`, the processes `pids` and this process. */
export function cpuSnapshot(postmaster: number, pids: readonly number[]): CpuSnapshot {
  const self = process.cpuUsage();
  const m = machineMs();
  return {
    pgMs: serverMs(postmaster),
    processesMs: pids.reduce((a, pid) => a + (procTimes(pid)?.[1] ?? 0), 0),
    selfMs: (self.user + self.system) / 1000,
    machineBusyMs: m.busy,
    machineTotalMs: m.total,
  };
}

/** What a phase used, per `units` (workflow steps): ms of CPU each, and the machine's busy share. */
export interface CpuUse {
  pgMsPerUnit: number;
  processesMsPerUnit: number;
  selfMsPerUnit: number;
  /** Everything else that ran on the machine meanwhile (other sessions), per unit. */
  otherMsPerUnit: number;
  /** Machine busy, % of all cores. */
  machineBusyPct: number;
  /** PostgreSQL's CPU, % of one core, over the phase. */
  pgCorePct: number;
  /** The processes' CPU, % of one core, over the phase. */
  processesCorePct: number;
}

export function cpuUse(a: CpuSnapshot, b: CpuSnapshot, units: number, wallMs: number): CpuUse {
  const pg = b.pgMs - a.pgMs;
  const procs = b.processesMs - a.processesMs;
  const self = b.selfMs - a.selfMs;
  const busy = b.machineBusyMs - a.machineBusyMs;
  return {
    pgMsPerUnit: pg / units,
    processesMsPerUnit: procs / units,
    selfMsPerUnit: self / units,
    otherMsPerUnit: Math.max(0, busy - pg - procs - self) / units,
    machineBusyPct: (100 * busy) / Math.max(1, b.machineTotalMs - a.machineTotalMs),
    pgCorePct: (100 * pg) / wallMs,
    processesCorePct: (100 * procs) / wallMs,
  };
}
