// Fan-out bounds (issue 18, "Unbounded fan-out"): sub-orchestration depth, instances created per
// root, and a recursive terminate that stops a tree that is still growing — on every store.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { STORE_KINDS, freshStoreUrl, makeEngine, track, until } from './harness.js';
import { stuckReport } from './stuck-report.js';
import { createEngine } from '../../src/engine/engine.js';
import { freshPgUrl, pgSkipReason } from '../store/postgres-fixture.js';
import { EventType } from '../../src/engine/history.js';
import type { Engine } from '../../src/engine/engine.js';
import type { OrchestrationContext } from '../../src/engine/replay/context.js';
import type { TaskFailedError } from '../../src/engine/replay/task.js';

/** Every instance in the store (all pages). */
async function everyInstance(engine: Engine): Promise<Array<{ instanceId: string; runtimeStatus: string }>> {
  const out: Array<{ instanceId: string; runtimeStatus: string }> = [];
  let pageToken: string | undefined;
  do {
    const page = await engine.client.list({}, { pageSize: 500, ...(pageToken !== undefined ? { pageToken } : {}) });
    out.push(...page.instances.map((i) => ({ instanceId: i.instanceId, runtimeStatus: i.runtimeStatus })));
    pageToken = page.nextPageToken;
  } while (pageToken !== undefined);
  return out;
}

/** Calls `name` as a child; a failure comes back as its code instead of being thrown. */
function* childOrCode(ctx: OrchestrationContext, name: string, input: unknown, instanceId: string): Generator<unknown, unknown, unknown> {
  try {
    return yield ctx.callSubOrchestrator(name, input, { instanceId });
  } catch (e) {
    return { code: (e as TaskFailedError).failure?.code, message: (e as TaskFailedError).failure?.message };
  }
}

for (const kind of STORE_KINDS) {
  describe(`fan-out limits (${kind})`, () => {
    it('a child deeper than maxSubOrchestrationDepth is not created; the parent task fails with SUBFLOW_DEPTH_LIMIT, the same on replay', async () => {
      const engine = await makeEngine(kind, { maxSubOrchestrationDepth: 3, cacheSize: 0 });
      engine.registerOrchestration('deep', function* (ctx, n: number) {
        const below = yield* childOrCode(ctx, 'deep', n + 1, `${ctx.instanceId}-c`);
        return { n, below };
      });
      const id = await engine.client.start('deep', 0, { instanceId: 'd' });
      await engine.start();
      const done = await engine.client.waitForCompletion(id, { timeoutMs: 10_000 });
      assert.equal(done.runtimeStatus, 'COMPLETED');
      const out = done.output as { n: number; below: { n: number; below: { n: number; below: { n: number; below: { code: string; message: string } } } } };
      const leaf = out.below.below.below;
      assert.equal(leaf.n, 3);
      assert.equal(leaf.below.code, 'SUBFLOW_DEPTH_LIMIT');
      assert.equal(leaf.below.message, "sub-orchestration 'deep' (instance 'd-c-c-c-c') was not started: it would be at depth 4, deeper than the limit maxSubOrchestrationDepth = 3");
      const ids = (await everyInstance(engine)).map((i) => i.instanceId).sort();
      assert.deepEqual(ids, ['d', 'd-c', 'd-c-c', 'd-c-c-c'], 'no instance at depth 4');
      // The refusal is recorded in the history (cacheSize 0: every turn above was a replay).
      const h = await engine.client.history('d-c-c-c');
      assert.ok(h.some((e) => e.type === EventType.SubOrchestrationInstanceFailed && e.failure.code === 'SUBFLOW_DEPTH_LIMIT'));
    });

    it('at most maxInstancesPerRoot instances are created under one root; the rest fail with FANOUT_LIMIT', async () => {
      const engine = await makeEngine(kind, { maxInstancesPerRoot: 10 });
      // Each instance starts two children in parallel: an unbounded binary tree.
      engine.registerOrchestration('bomb', function* (ctx) {
        const kids = ['a', 'b'].map((s) => ctx.callSubOrchestrator('bomb', undefined, { instanceId: `${ctx.instanceId}${s}` }));
        try {
          yield ctx.whenAll(kids);
          return 'done';
        } catch (e) {
          return (e as TaskFailedError).failure?.code ?? 'failed';
        }
      });
      const id = await engine.client.start('bomb', undefined, { instanceId: 'r' });
      await engine.start();
      const done = await engine.client.waitForCompletion(id, { timeoutMs: 15_000 });
      assert.equal(done.runtimeStatus, 'COMPLETED');
      const all = await everyInstance(engine);
      assert.equal(all.length, 11, 'the root and exactly 10 instances under it');
      await until(async () => (await everyInstance(engine)).every((i) => i.runtimeStatus === 'COMPLETED'), 30_000, 'the tree to finish');
      // The children catch their refusals (whenAll fails with the first): the root's own two were created.
      assert.equal(done.output, 'done');
      const outputs = await Promise.all(all.map(async (i) => (await engine.client.get(i.instanceId))?.output));
      assert.ok(outputs.includes('FANOUT_LIMIT'), 'some instances saw their children refused');
      const refused = [];
      for (const i of all) {
        for (const e of await engine.client.history(i.instanceId)) {
          if (e.type === EventType.SubOrchestrationInstanceFailed && e.failure.code === 'FANOUT_LIMIT') refused.push(e.failure.message);
        }
      }
      assert.equal(refused.length, 12, '11 instances × 2 children, 10 created');
      assert.match(refused[0]!, /^sub-orchestration 'bomb' \(instance 'r\w+'\) was not started: root instance 'r' already has 10 instances created under it, the limit maxInstancesPerRoot = 10$/);
      // A new root has a count of its own.
      const second = await engine.client.start('bomb', undefined, { instanceId: 's' });
      assert.equal((await engine.client.waitForCompletion(second, { timeoutMs: 15_000 })).runtimeStatus, 'COMPLETED');
      assert.equal((await everyInstance(engine)).filter((i) => i.instanceId.startsWith('s')).length, 11);
    });

    it('a recursive terminate stops a tree that is still growing: every instance of it ends TERMINATED, none is created after', async () => {
      const url = freshStoreUrl(kind);
      const engine = track(await createEngine({ store: url, pollIntervalMs: 20, maxInstancesPerRoot: 5000 }));
      engine.registerOrchestration('grow', function* (ctx) {
        yield ctx.createTimer(10);
        const kids = ['a', 'b'].map((s) => ctx.callSubOrchestrator('grow', undefined, { instanceId: `${ctx.instanceId}${s}` }));
        yield ctx.whenAll(kids);
        return 'never';
      });
      const id = await engine.client.start('grow', undefined, { instanceId: 'g' });
      await engine.start();
      await until(async () => (await everyInstance(engine)).length >= 30, 30_000, 'the tree to grow');
      await engine.client.terminate(id);
      await until(async () => (await everyInstance(engine)).every((i) => i.runtimeStatus === 'TERMINATED'), 30_000, 'every instance terminated').catch(async (e: Error) => {
        const bad = (await everyInstance(engine)).filter((i) => i.runtimeStatus !== 'TERMINATED');
        throw new Error(`${e.message}: ${JSON.stringify(bad)}\n${await stuckReport(engine, url, bad.slice(0, 2).map((i) => i.instanceId))}`);
      });
      const count = (await everyInstance(engine)).length;
      await new Promise((r) => setTimeout(r, 300));
      const after = await everyInstance(engine);
      assert.equal(after.length, count, 'no instance was created after the tree ended');
      assert.ok(after.every((i) => i.runtimeStatus === 'TERMINATED'));
      assert.ok(count < 5000, `stopped well before the per-root limit (${count})`);
    });
  });
}

describe('fan-out limits on one PostgreSQL shared by two nodes', { skip: pgSkipReason }, () => {
  it('two engines running one tree concurrently create exactly maxInstancesPerRoot instances under its root', async () => {
    const url = freshPgUrl('fanout');
    const bombOf = function* (ctx: OrchestrationContext): Generator<unknown, unknown, unknown> {
      const kids = ['a', 'b', 'c'].map((s) => ctx.callSubOrchestrator('bomb', undefined, { instanceId: `${ctx.instanceId}${s}` }));
      try {
        yield ctx.whenAll(kids);
      } catch {
        // refused children: this instance is done
      }
      return 'done';
    };
    const nodes: Engine[] = [];
    for (const workerId of ['n1', 'n2']) {
      const e = track(await createEngine({ store: url, pollIntervalMs: 20, workerId, maxInstancesPerRoot: 200 }));
      e.registerOrchestration('bomb', bombOf);
      nodes.push(e);
    }
    const id = await nodes[0]!.client.start('bomb', undefined, { instanceId: 'r' });
    await Promise.all(nodes.map((n) => n.start()));
    await until(async () => {
      const all = await everyInstance(nodes[0]!);
      return all.length > 1 && all.every((i) => i.runtimeStatus === 'COMPLETED');
    }, 60_000, 'the tree to finish');
    assert.equal((await nodes[0]!.client.get(id))?.runtimeStatus, 'COMPLETED');
    assert.equal((await everyInstance(nodes[0]!)).length, 201, 'the root and exactly 200 under it');
  });
});
