// Subflow child ids (issue 9): deterministic, 128 bits (no collisions in a big foreach), within the
// engine's 200-character id limit; histories from before the flag keep the old 8-hex-digit ids.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EventType } from '../../src/engine/history.js';
import { uuidV5 } from '../../src/engine/replay/guid.js';
import { INSTANCE_ID_PATTERN } from '../../src/engine/validation.js';
import { subflowInstanceId } from '../../src/interpreter/actions.js';
import { run } from './harness.js';

describe('subflow child ids', () => {
  it('subflow ids: 10,000 ids of one parent execution are distinct, deterministic and valid', () => {
    const ids = new Set<string>();
    for (let i = 1; i <= 10_000; i++) {
      const guid = uuidV5(`parent:exec-1:${i}`);
      const id = subflowInstanceId('parent', guid, true);
      assert.equal(id, subflowInstanceId('parent', guid, true));
      assert.match(id, /^parent:[A-Za-z0-9_-]{22}$/);
      ids.add(id);
    }
    assert.equal(ids.size, 10_000);
  });

  it('subflow ids: the 22-character tag holds all 128 bits of the guid', () => {
    const guid = uuidV5('p:e:1');
    const tag = subflowInstanceId('p', guid, true).split(':')[1]!;
    assert.equal(Buffer.from(tag, 'base64url').toString('hex'), guid.replace(/-/g, ''));
  });

  it('subflow ids: deep nesting stays within 200 characters (the parent prefix is cut, the tag kept)', () => {
    let id = 'root';
    for (let depth = 1; depth <= 20; depth++) {
      const next = subflowInstanceId(id, uuidV5(`${id}:e:1`), true);
      assert.ok(INSTANCE_ID_PATTERN.test(next), `depth ${depth}: ${next.length} chars`);
      assert.ok(next.endsWith(`:${Buffer.from(uuidV5(`${id}:e:1`).replace(/-/g, ''), 'hex').toString('base64url')}`));
      id = next;
    }
  });

  it('subflow ids: without the flag (old histories) the old id is computed', () => {
    const guid = 'abcdef12-3456-5789-8abc-def012345678';
    assert.equal(subflowInstanceId('p', guid, false), 'p:abcdef12');
  });

  it('subflow ids: a new instance names its children with the 128-bit form', async () => {
    const child = { id: 'kid', states: [{ name: 'K', type: 'inject', data: { ok: true }, end: true }] };
    const r = await run({ id: 'dad', states: [{ name: 'Call', type: 'operation', actions: [{ subFlowRef: 'kid' }], end: true }] }, {}, { others: [child] });
    assert.equal(r.runtimeStatus, 'COMPLETED');
    const created = (await r.engine.client.history(r.instanceId)).find((e) => e.type === EventType.SubOrchestrationInstanceCreated);
    assert.ok(created && created.type === EventType.SubOrchestrationInstanceCreated);
    assert.match(created.instanceId, new RegExp(`^${r.instanceId}:[A-Za-z0-9_-]{22}$`));
  });
});
