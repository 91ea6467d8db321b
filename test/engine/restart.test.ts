// A node killed with -9 and restarted with the same (configured) workerId gets its work back at
// once: start() releases the leases of its previous incarnation instead of waiting for leaseMs.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = mkdtempSync(join(tmpdir(), 'swirl-restart-'));
const children: ChildProcess[] = [];
after(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

const CHILD = fileURLToPath(new URL('./restart-child.ts', import.meta.url));

/** Starts a child node; resolves `line(pattern)` when it prints a matching line. */
function node(path: string, workerId: string, mode: 'hang' | 'run') {
  const proc = spawn(process.execPath, ['--import', 'tsx', CHILD, path, workerId, mode], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(proc);
  let out = '';
  proc.stdout.setEncoding('utf8');
  const line = (pattern: RegExp, timeoutMs: number): Promise<string> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no line matching ${pattern} within ${timeoutMs} ms (output: ${JSON.stringify(out)})`)), timeoutMs);
      const check = () => {
        const m = out.split('\n').find((l) => pattern.test(l));
        if (m !== undefined) {
          clearTimeout(timer);
          proc.stdout.off('data', onData);
          resolve(m);
        }
      };
      const onData = (chunk: string) => {
        out += chunk;
        check();
      };
      proc.stdout.on('data', onData);
      check();
    });
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  return { proc, line, exited };
}

test('a restarted node (same workerId, kill -9) resumes its instances at once, well before the 60 s lease expires', async () => {
  const path = join(dir, 'restart.db');
  const first = node(path, 'node-a', 'hang');
  await first.line(/^running$/, 30_000);
  first.proc.kill('SIGKILL');
  await first.exited;
  const t0 = Date.now();
  const second = node(path, 'node-a', 'run');
  assert.equal(await second.line(/^done /, 25_000), 'done finished');
  const elapsed = Date.now() - t0;
  assert.ok(elapsed < 25_000, `resumed after ${elapsed} ms`);
  await second.exited;
});
