/**
 * @module test/durability/crash.test
 * Crash test with real processes: a child (crash-child.ts) runs 200 instances of a multi-step
 * workflow on a SQLite file; the test SIGKILLs it at random moments five times, restarts it, and
 * lets the last run finish. Then every instance must be COMPLETED with the right output, every
 * history must be sound (no duplicated or missing event) and every activity execution beyond the
 * first must be a redelivery with the same idempotency key (from the child's fsync'd log).
 */

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { openSqliteStore } from '../../src/store/sqlite.js';
import { startChild, waitForLine, type Child } from './child-process.js';
import type { InstanceRecord } from '../../src/store/types.js';
import {
  ACTIVITIES_PER_INSTANCE,
  executionProblems,
  expectedOutput,
  historyProblems,
  INSTANCE_PREFIX,
  parseExecutionLog,
  scheduledKeys,
} from './crash-workload.js';

const INSTANCES = 200;
const KILLS = 5;
const childScript = fileURLToPath(new URL('./crash-child.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'swirl-crash-'));
const dbPath = join(dir, 'crash.db');
const logPath = join(dir, 'executions.log');

function startCrashChild(): Child {
  return startChild(childScript, [dbPath, logPath, String(INSTANCES)]);
}

/** Status counts of the instances in the database (no child running). */
async function progress(): Promise<{ total: number; completed: number }> {
  const store = await openSqliteStore(dbPath);
  try {
    const all = (await store.queryInstances({ pageSize: 1000 })).instances;
    return { total: all.length, completed: all.filter((r) => r.status === 'COMPLETED').length };
  } finally {
    await store.close();
  }
}

describe('crash recovery with SIGKILL (real processes, SQLite)', () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  it(`completes ${INSTANCES} instances exactly right through ${KILLS} kill -9s`, { timeout: 120_000 }, async (t) => {
    const kills: string[] = [];
    let killedMidFlight = 0;
    for (let k = 0; k < KILLS; k++) {
      const child = startCrashChild();
      await waitForLine(child, 'engine-started', 20_000);
      // Spread over the workload's ~6 s: early kills hit starts and the chain, later ones the timer and fan-out.
      const delayMs = 50 + Math.floor(Math.random() * 1950);
      await sleep(delayMs);
      const finishedFirst = child.lines.includes('done');
      child.proc.kill('SIGKILL');
      const exit = await child.exited;
      const p = await progress();
      if (!finishedFirst && p.completed < INSTANCES) killedMidFlight++;
      const logged = parseExecutionLog(readFileSync(logPath, { encoding: 'utf8', flag: 'a+' })).length;
      kills.push(`kill ${k + 1} at +${delayMs} ms (${exit.signal ?? `exit ${exit.code}`}): ${p.completed}/${p.total} completed, ${logged} activity executions logged`);
    }
    t.diagnostic(kills.join('\n'));
    assert.ok(killedMidFlight >= 3, `most kills should land while work is in flight:\n${kills.join('\n')}`);

    const last = startCrashChild();
    await waitForLine(last, 'done', 60_000);
    const exit = await last.exited;
    assert.equal(exit.code, 0, `the final run should exit cleanly; stderr:\n${last.stderr()}`);

    // Judge the database and the execution log.
    const store = await openSqliteStore(dbPath);
    const problems: string[] = [];
    const scheduled = new Set<string>();
    let instances: InstanceRecord[];
    try {
      instances = (await store.queryInstances({ pageSize: 1000 })).instances;
      assert.equal(instances.length, INSTANCES, 'every instance exists once');
      for (const r of instances) {
        const n = Number(r.instanceId.slice(INSTANCE_PREFIX.length));
        if (r.status !== 'COMPLETED') problems.push(`${r.instanceId}: status ${r.status}`);
        else if (r.output === undefined || JSON.parse(r.output) !== expectedOutput(n)) {
          problems.push(`${r.instanceId}: output ${r.output}, expected ${expectedOutput(n)}`);
        }
        const history = await store.loadHistory(r.instanceId);
        problems.push(...historyProblems(r.instanceId, history));
        for (const key of scheduledKeys(r.instanceId, history)) scheduled.add(key);
      }
    } finally {
      await store.close();
    }
    assert.deepEqual(problems.slice(0, 20), [], `${problems.length} problems in the database`);
    assert.equal(scheduled.size, INSTANCES * ACTIVITIES_PER_INSTANCE);

    const executions = parseExecutionLog(readFileSync(logPath, 'utf8'));
    const logProblems = executionProblems(executions, scheduled);
    assert.deepEqual(logProblems.slice(0, 20), [], `${logProblems.length} problems in the execution log`);
    const reExecutions = executions.length - scheduled.size;
    // Kills landing mid-activity (5 run at a time, 20 ms each) must have caused redeliveries.
    assert.ok(reExecutions > 0, 'no activity was re-executed: the kills never hit a running activity');
    t.diagnostic(`${executions.length} activity executions for ${scheduled.size} tasks: ${reExecutions} re-executions, each a redelivery of the same idempotency key`);
  });
});
