// A self-recursive parallel subflow (a fork bomb, issue 18) stops at the engine's fan-out bounds:
// the refused subflow action fails with FANOUT_LIMIT / SUBFLOW_DEPTH_LIMIT, which onErrors can
// catch like any other error code.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EventType } from '../../src/engine/history.js';
import type { Engine } from '../../src/engine/engine.js';
import { run } from './harness.js';

/** Each instance runs two copies of itself in parallel; `onErrors` as given. */
function bomb(id: string, onErrors?: unknown[]): Record<string, unknown> {
  const split: Record<string, unknown> = {
    name: 'Split',
    type: 'parallel',
    branches: [
      { name: 'left', actions: [{ subFlowRef: id }] },
      { name: 'right', actions: [{ subFlowRef: id }] },
    ],
    end: true,
  };
  const states: unknown[] = [split];
  if (onErrors !== undefined) {
    split.onErrors = onErrors;
    states.push({ name: 'Stopped', type: 'inject', data: { stopped: true }, end: true });
  }
  return { id, errors: [{ name: 'TooMany', code: 'FANOUT_LIMIT' }, { name: 'TooDeep', code: 'SUBFLOW_DEPTH_LIMIT' }], states };
}

async function instances(engine: Engine): Promise<Array<{ instanceId: string; runtimeStatus: string }>> {
  return (await engine.client.list({}, { pageSize: 1000 })).instances;
}

/** The failure codes of refused sub-orchestrations recorded in every history. */
async function refusals(engine: Engine): Promise<string[]> {
  const out: string[] = [];
  for (const i of await instances(engine)) {
    for (const e of await engine.client.history(i.instanceId)) {
      if (e.type === EventType.SubOrchestrationInstanceFailed && e.failure.code !== 'SUB_ORCHESTRATION_FAILED') out.push(e.failure.code ?? '');
    }
  }
  return out;
}

describe('fan-out limits in workflows', () => {
  it('a self-recursive parallel subflow stops at maxInstancesPerRoot and fails with FANOUT_LIMIT', async () => {
    const r = await run(bomb('bomb'), {}, { engineOptions: { maxInstancesPerRoot: 20 } });
    assert.equal(r.runtimeStatus, 'FAILED');
    assert.match(JSON.stringify(r.failure), /FANOUT_LIMIT/);
    assert.match(JSON.stringify(r.failure), /root instance '[^']+' already has 20 instances created under it, the limit maxInstancesPerRoot = 20/);
    const all = await instances(r.engine);
    assert.ok(all.length <= 21, `the root and at most 20 under it (${all.length})`);
  });

  it('onErrors catches FANOUT_LIMIT: the whole bounded tree completes', async () => {
    const r = await run(bomb('caught', [{ errorRef: 'TooMany', transition: 'Stopped' }]), { n: 1 }, { engineOptions: { maxInstancesPerRoot: 20 } });
    assert.equal(r.runtimeStatus, 'COMPLETED', JSON.stringify(r.failure));
    const all = await instances(r.engine);
    assert.equal(all.length, 21, 'the root and exactly 20 under it');
    assert.ok((await refusals(r.engine)).every((c) => c === 'FANOUT_LIMIT'));
    assert.ok((await refusals(r.engine)).length > 0);
  });

  it('a self-recursive subflow deeper than maxSubOrchestrationDepth fails with SUBFLOW_DEPTH_LIMIT, which onErrors catches', async () => {
    const def = {
      id: 'down',
      errors: [{ name: 'TooDeep', code: 'SUBFLOW_DEPTH_LIMIT' }],
      states: [
        { name: 'Dive', type: 'operation', actions: [{ subFlowRef: 'down' }], onErrors: [{ errorRef: 'TooDeep', transition: 'Bottom' }], end: true },
        { name: 'Bottom', type: 'inject', data: { bottom: true }, end: true },
      ],
    };
    const r = await run(def, {}, { engineOptions: { maxSubOrchestrationDepth: 5 } });
    assert.equal(r.runtimeStatus, 'COMPLETED', JSON.stringify(r.failure));
    assert.deepEqual(r.output, { bottom: true });
    assert.equal((await instances(r.engine)).length, 6, 'depths 0 to 5');
    assert.deepEqual(await refusals(r.engine), ['SUBFLOW_DEPTH_LIMIT']);
  });
});
