// Durability: a workflow with sleeps, retries, foreach and parallel survives SIGKILL of its process
// at random moments and finishes with the same output as an uninterrupted run.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { engine, graphOf } from './harness.js';
import { registerWorkflow } from '../../src/interpreter/index.js';
import { DURABLE_WORKFLOW, flakyHost } from './durability-workflow.js';

const child = fileURLToPath(new URL('./durability-child.ts', import.meta.url));
const tsx = fileURLToPath(new URL('../../node_modules/tsx/dist/cli.mjs', import.meta.url));
const sqliteAvailable = existsSync(new URL('../../src/store/sqlite.ts', import.meta.url));

/**
 * Runs the child; with `killAfterMs`, SIGKILLs it that long after it reports `running` (so the kill
 * lands inside the workflow run, whatever process start-up cost). `stdout` is the output JSON line.
 */
function runChild(store: string, id: string, killAfterMs: number | undefined): Promise<{ killed: boolean; stdout: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [tsx, child, store, id], { stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    let timer: NodeJS.Timeout | undefined;
    p.stdout.on('data', (c) => {
      stdout += c;
      if (killAfterMs !== undefined && timer === undefined && stdout.includes('running\n')) timer = setTimeout(() => p.kill('SIGKILL'), killAfterMs);
    });
    p.on('exit', (_code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ killed: signal === 'SIGKILL', stdout: stdout.replace(/^running\n/gm, '') });
    });
  });
}

describe('durability', { skip: sqliteAvailable ? false : 'needs the sqlite store' }, () => {
  it('finishes with the same output after SIGKILLs at random points', { timeout: 60_000 }, async () => {
    // Reference: an uninterrupted run in-process.
    const e = await engine();
    const name = registerWorkflow(e, await graphOf(DURABLE_WORKFLOW), { components: flakyHost() as never });
    await e.start();
    const refId = await e.client.start(name, {});
    const reference = await e.client.waitForCompletion(refId, { timeoutMs: 60_000 });
    assert.equal(reference.runtimeStatus, 'COMPLETED', JSON.stringify(reference.failure));
    assert.deepEqual(reference.output, { numbers: [1, 2, 3, 4, 5, 6], squares: [1, 4, 9, 16, 25, 36], left: 'item-1', right: 100 });

    const dir = mkdtempSync(join(tmpdir(), 'swirl-durability-'));
    try {
      const store = join(dir, 'store.db');
      let kills = 0;
      // The workflow runs ~1.5 s (sleeps, retries); kill somewhere inside it, three times.
      for (let i = 0; i < 3; i++) {
        const r = await runChild(store, 'durable-1', 50 + Math.floor(Math.random() * 600));
        if (r.killed) kills += 1;
        else {
          assert.deepEqual(JSON.parse(r.stdout), { status: 'COMPLETED', output: reference.output });
          break;
        }
      }
      const final = await runChild(store, 'durable-1', undefined);
      assert.deepEqual(JSON.parse(final.stdout), { status: 'COMPLETED', output: reference.output });
      assert.ok(kills >= 1, 'at least one run was killed');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
