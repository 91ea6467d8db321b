// sysout under the sonataflow profile logs each line once per instance: the live run logs it, and
// replaying the instance's recorded history through the same program (as a restarted worker does)
// decides nothing new and logs nothing (specs/sonataflow-profile.md, sysout row).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Engine } from '../../src/engine/engine.js';
import { createEngine } from '../../src/engine/engine.js';
import { execute } from '../../src/engine/replay/execute.js';
import type { AnyOrchestrationFunction } from '../../src/engine/replay/context.js';
import { loadWorkflowText } from '../../src/graph/load.js';
import { registerWorkflow } from '../../src/interpreter/index.js';
import { Profile } from '../../src/definition/profiles/profile.js';

// SonataFlow style: no specVersion, sysout levels, a string boolean; the sleep state puts a timer
// in the history, so the first state's sysout runs again when the history is replayed.
const DOC = JSON.stringify({
  id: 'napper',
  name: 'Nap and log',
  start: 'Before',
  functions: [
    { name: 'warn', type: 'custom', operation: 'sysout:WARN' },
    { name: 'error', type: 'custom', operation: 'sysout:ERROR' },
  ],
  states: [
    { name: 'Before', type: 'operation', actions: [{ functionRef: { refName: 'warn', arguments: { message: '"before \\(.n)"' } } }], transition: 'Nap' },
    { name: 'Nap', type: 'sleep', duration: 'PT0.01S', transition: 'After' },
    { name: 'After', type: 'operation', actions: [{ functionRef: { refName: 'error', arguments: { message: '"after \\(.n)"' } } }], end: 'true' },
  ],
});

function recorder(lines: string[]) {
  const at = (level: string) => (msg: string, meta?: Record<string, unknown>) => {
    if (meta?.function !== undefined) lines.push(`${level} ${msg} (${String(meta.instanceId)})`);
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

describe('sysout and replay', () => {
  it('each sysout line is logged once by the live run and not again when the history is replayed', async () => {
    const graph = await loadWorkflowText(DOC, 'napper.sw.json', { profile: Profile.Sonataflow });
    const live: string[] = [];
    const engine = await createEngine({ store: 'memory', pollIntervalMs: 10 });
    let history;
    let output: unknown;
    try {
      const name = registerWorkflow(engine, graph, { logger: recorder(live) });
      await engine.start();
      const id = await engine.client.start(name, { n: 7 }, { instanceId: 'nap-1' });
      const r = await engine.client.waitForCompletion(id, { timeoutMs: 60_000 });
      assert.equal(r.runtimeStatus, 'COMPLETED', JSON.stringify(r.failure));
      output = r.output;
      history = await engine.client.history(id);
    } finally {
      await engine.stop();
    }
    assert.deepEqual(live, ['warn before 7 (nap-1)', 'error after 7 (nap-1)']);
    assert.ok(history.some((e) => e.type === 'TimerFired'), 'the history holds the nap, so replay re-runs the first state');

    const replayed: string[] = [];
    const programs = new Map<string, AnyOrchestrationFunction>();
    const fake = { registerOrchestration: (n: string, fn: AnyOrchestrationFunction) => programs.set(n, fn), registerActivity: () => undefined };
    const name = registerWorkflow(fake as unknown as Engine, graph, { logger: recorder(replayed) });
    const replay = execute(programs.get(name)!, history, []);
    assert.equal(replay.outcome?.status, 'COMPLETED');
    assert.deepEqual(JSON.parse(replay.outcome!.result!), output);
    assert.deepEqual(replay.actions, []);
    assert.deepEqual(replayed, []);
  });
});
