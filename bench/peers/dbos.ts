/**
 * @module bench/peers/dbos
 * Drives dbos-driver.ts (DBOS in its own process, the chain in-process to DBOS): launch on a
 * system database URL, then closed loops on command, each answered with its LoopResult.
 */

import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { LoopResult } from '../engine-common.js';

export interface DbosRun {
  proc: ChildProcess;
  loop: (runs: number, concurrency: number) => Promise<LoopResult>;
  stop: () => Promise<void>;
}

export async function startDbos(systemDatabaseUrl: string): Promise<DbosRun> {
  const proc = spawn(process.execPath, ['--import', 'tsx', new URL('./dbos-driver.ts', import.meta.url).pathname, systemDatabaseUrl], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: proc.stdout! });
  const waiting: ((line: string) => void)[] = [];
  lines.on('line', (l) => waiting.shift()?.(l));
  const next = (): Promise<string> =>
    new Promise((resolve, reject) => {
      waiting.push(resolve);
      proc.once('exit', (code) => reject(new Error(`dbos driver exited with ${code}`)));
    });
  const ready = await next();
  if (ready !== 'ready') throw new Error(`dbos driver said ${ready}`);
  return {
    proc,
    loop: async (runs, concurrency) => {
      const answer = next();
      proc.stdin!.write(`${runs} ${concurrency}\n`);
      return JSON.parse(await answer) as LoopResult;
    },
    stop: async () => {
      const exited = new Promise((r) => proc.once('exit', r));
      proc.stdin!.end('exit\n');
      await exited;
    },
  };
}
