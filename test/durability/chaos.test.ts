/**
 * @module test/durability/chaos.test
 * Chaos test with real processes: a worker process (chaos-child.ts) runs a mixed workload — durable
 * timers, a fan-in of 1,000 events per collector, continue-as-new loops, sub-orchestrations,
 * suspend/resume — on a SQLite file, and is SIGKILLed repeatedly while this process keeps starting
 * nothing new but raising the events and suspending/resuming instances through its own client on
 * the same file. Then a last worker runs everything to the end, and every instance and every
 * history is judged: nothing wedged, nothing lost, no activity executed twice except redeliveries
 * of the same idempotency key (from the child's fsync'd execution log).
 */

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { createEngine, type Engine } from '../../src/engine/engine.js';
import type { HistoryRecord } from '../../src/store/types.js';
import { CHAOS, chaosExpected, chaosIds, chaosInput, chaosOrchestration, registerChaos } from './chaos-workload.js';
import { parseExecutionLog, type ParsedEvent as Event } from './crash-workload.js';
import { startChild, waitForLine, type Child } from './child-process.js';
import { historyAudit } from './history-audit.js';

const KILLS = 6;
const childScript = fileURLToPath(new URL('./chaos-child.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'swirl-chaos-'));
const dbPath = join(dir, 'chaos.db');
const logPath = join(dir, 'executions.log');

function startChaosChild(): Child {
  return startChild(childScript, [dbPath, logPath]);
}


/** Everything wrong with one finished history (the final execution's); [] when it is sound. */
function historyProblems(id: string, history: HistoryRecord[]): string[] {
  const failed = history.filter((h) => h.type === 'TaskFailed').length;
  return [...historyAudit(id, history), ...(failed > 0 ? [`${id}: ${failed} TaskFailed events (nothing in this workload fails)`] : [])];
}

/** Idempotency keys of the activities a history scheduled. */
function scheduledKeys(id: string, history: HistoryRecord[]): string[] {
  const events = history.map((h) => JSON.parse(h.data) as Event);
  const exec = events.find((e) => e.type === 'ExecutionStarted')?.executionId;
  return events.filter((e) => e.type === 'TaskScheduled').map((e) => `${id}:${exec}:${e.logicalTaskId ?? e.eventId}`);
}

/** Raises every collector's events 0..k-1 (in a shuffled order, a few at a time). */
async function raiseAll(client: Engine['client'], collectors: string[]): Promise<void> {
  for (const id of collectors) {
    const values = Array.from({ length: CHAOS.eventsPerCollector }, (_, i) => i).sort(() => Math.random() - 0.5);
    // Spread over several seconds, so that kills land between (and during) the raises.
    for (let i = 0; i < values.length; i += 20) {
      await Promise.all(values.slice(i, i + 20).map((v) => client.raiseEvent(id, 'item', v)));
      await sleep(80);
    }
  }
}

/** Suspends and resumes each sleeper once, while the kills go on. */
async function suspendResume(client: Engine['client'], sleepers: string[]): Promise<void> {
  for (const id of sleepers.slice(0, 10)) {
    await client.suspend(id, 'chaos');
    await sleep(400);
    await client.resume(id, 'chaos');
  }
}

describe('chaos: SIGKILL a worker repeatedly under timers, fan-in, continue-as-new, sub-orchestrations, suspend/resume', () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  it(`survives ${KILLS} kill -9s with nothing wedged, lost or run twice`, { timeout: 240_000 }, async (t) => {
    // This process is a client only: it registers the workload (to start it) but never runs workers.
    const control = await createEngine({ store: `sqlite:${dbPath}` });
    registerChaos(control);
    const ids = chaosIds();
    const all = Object.values(ids).flat();
    try {
      for (const id of all) await control.client.start(chaosOrchestration(id), chaosInput(id), { instanceId: id });
      const raising = raiseAll(control.client, ids.collectors);
      const toggling = suspendResume(control.client, ids.sleepers);

      const kills: string[] = [];
      for (let k = 0; k < KILLS; k++) {
        const child = startChaosChild();
        await waitForLine(child, 'engine-started', 30_000);
        const delayMs = 300 + Math.floor(Math.random() * 900);
        await sleep(delayMs);
        const finished = child.lines.includes('done');
        child.proc.kill('SIGKILL');
        const exit = await child.exited;
        const done = (await control.client.list({ statuses: ['COMPLETED'] }, { pageSize: 1000 })).instances.length;
        kills.push(`kill ${k + 1} at +${delayMs} ms (${exit.signal ?? `exit ${exit.code}`}${finished ? ', had finished' : ''}): ${done} completed`);
      }
      await Promise.all([raising, toggling]);
      t.diagnostic(kills.join('\n'));
      const midFlight = kills.filter((k) => !k.includes('had finished')).length;
      assert.ok(midFlight >= KILLS - 1, `the kills should land while work is in flight:\n${kills.join('\n')}`);

      const last = startChaosChild();
      await waitForLine(last, 'done', 150_000);
      assert.equal((await last.exited).code, 0, `the last worker should exit cleanly; stderr:\n${last.stderr()}`);

      const problems: string[] = [];
      const scheduled = new Set<string>();
      for (const id of all) {
        const m = await control.client.get(id);
        if (!m || m.runtimeStatus !== 'COMPLETED') {
          problems.push(`${id}: ${m?.runtimeStatus ?? 'missing'}`);
          continue;
        }
        try {
          assert.deepEqual(m.output, chaosExpected(id));
        } catch {
          problems.push(`${id}: output ${JSON.stringify(m.output)}, expected ${JSON.stringify(chaosExpected(id))}`);
        }
        const history = await control.store.loadHistory(id);
        problems.push(...historyProblems(id, history));
        for (const key of scheduledKeys(id, history)) scheduled.add(key);
        if (id.startsWith('collector')) {
          const raised = history.filter((h) => h.type === 'EventRaised').length;
          if (raised !== CHAOS.eventsPerCollector) problems.push(`${id}: ${raised} EventRaised in history`);
        }
        if (id.startsWith('parent')) {
          for (const child of (await control.client.list({ parentInstanceId: id }, { pageSize: 100 })).instances) {
            if (child.runtimeStatus !== 'COMPLETED') problems.push(`${child.instanceId}: ${child.runtimeStatus}`);
            else problems.push(...historyProblems(child.instanceId, await control.store.loadHistory(child.instanceId)));
            for (const key of scheduledKeys(child.instanceId, await control.store.loadHistory(child.instanceId))) scheduled.add(key);
          }
        }
      }
      assert.deepEqual(problems.slice(0, 20), [], `${problems.length} problems`);

      // The execution log: every scheduled activity ran; a key ran again only as a later delivery;
      // each looper ran exactly one activity per execution (none for an execution that had ended).
      const executions = parseExecutionLog(readFileSync(logPath, 'utf8'));
      const byKey = new Map<string, number[]>();
      for (const x of executions) byKey.set(x.key, [...(byKey.get(x.key) ?? []), x.deliveryCount]);
      const logProblems: string[] = [];
      for (const key of scheduled) if (!byKey.has(key)) logProblems.push(`scheduled task ${key} never executed`);
      for (const [key, deliveries] of byKey) {
        for (let i = 1; i < deliveries.length; i++) {
          if (deliveries[i] <= deliveries[i - 1]) logProblems.push(`${key}: run ${i + 1} has deliveryCount ${deliveries[i]} after ${deliveries[i - 1]} (a duplicate, not a redelivery)`);
        }
      }
      for (const id of ids.loopers) {
        const keys = [...byKey.keys()].filter((k) => k.startsWith(`${id}:`));
        if (keys.length !== CHAOS.loopIterations) logProblems.push(`${id}: activities of ${keys.length} executions ran, expected ${CHAOS.loopIterations}`);
      }
      assert.deepEqual(logProblems.slice(0, 20), [], `${logProblems.length} problems in the execution log`);
      t.diagnostic(`${executions.length} activity executions for ${byKey.size} distinct keys (${executions.length - byKey.size} redeliveries)`);
    } finally {
      await control.stop();
    }
  });
});
