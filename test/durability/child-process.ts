/**
 * @module test/durability/child-process
 * The worker processes the durability tests kill: start a TypeScript script as a real child
 * (node --import tsx, so SIGKILL reaches the process that runs the engine), collect its stdout
 * lines and stderr, and wait for a line it prints.
 */

import { spawn, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** A running child with the lines it has printed so far. */
export interface Child {
  proc: ChildProcess;
  lines: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr: () => string;
}

/** Starts `script` (a .ts file) with `args`, from the repository root. */
export function startChild(script: string, args: string[]): Child {
  const proc = spawn(process.execPath, ['--import', 'tsx', script, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let err = '';
  let partial = '';
  proc.stdout!.on('data', (chunk: Buffer) => {
    const parts = (partial + chunk.toString('utf8')).split('\n');
    partial = parts.pop()!;
    lines.push(...parts);
  });
  proc.stderr!.on('data', (chunk: Buffer) => {
    err += chunk.toString('utf8');
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
  return { proc, lines, exited, stderr: () => err };
}

/** Resolves when the child printed `line`, or rejects when it exits or `timeoutMs` passes first. */
export async function waitForLine(child: Child, line: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let done = false;
  void child.exited.then(() => (done = true));
  while (!child.lines.includes(line)) {
    if (done) throw new Error(`child exited before printing '${line}'; stderr:\n${child.stderr()}`);
    if (Date.now() > deadline) throw new Error(`child did not print '${line}' within ${timeoutMs} ms; stderr:\n${child.stderr()}`);
    await sleep(10);
  }
}
