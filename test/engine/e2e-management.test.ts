// End-to-end on each store: management (terminate, purge, query, history, id reuse) and bad input.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { STORE_KINDS, makeEngine, rejectsWithCode, until } from './harness.js';
import { ManualClock } from '../../src/engine/clock.js';
import type { Engine } from '../../src/engine/engine.js';

/** An engine with a waiting orchestration, a quick one and a parent of two waiting children. */
async function managed(kind: string, clock?: ManualClock): Promise<Engine> {
  const engine = await makeEngine(kind, clock ? { clock } : {});
  engine.registerOrchestration('wait', function* (ctx) {
    return yield ctx.waitForExternalEvent('go');
  });
  engine.registerOrchestration('quick', (_ctx, x: unknown) => x);
  engine.registerOrchestration('tree', function* (ctx) {
    return yield ctx.whenAll([ctx.callSubOrchestrator('wait'), ctx.callSubOrchestrator('wait')]);
  });
  await engine.start();
  return engine;
}

for (const kind of STORE_KINDS) {
  describe(`management (${kind})`, () => {
    it('terminates an instance and, recursively, its running children', async () => {
      const engine = await managed(kind);
      const id = await engine.client.start('tree', undefined, { instanceId: 'tree-1' });
      await until(async () => (await engine.client.list({ parentInstanceId: id })).instances.filter((c) => c.runtimeStatus === 'RUNNING').length === 2, 30_000, 'children running');
      await engine.client.terminate(id, { output: { reason: 'operator' } });
      const r = await engine.client.waitForCompletion(id, { timeoutMs: 60_000 });
      assert.equal(r.runtimeStatus, 'TERMINATED');
      assert.deepEqual(r.output, { reason: 'operator' });
      for (const child of ['tree-1:0001', 'tree-1:0002']) {
        assert.equal((await engine.client.waitForCompletion(child, { timeoutMs: 60_000 })).runtimeStatus, 'TERMINATED');
      }
      // terminating a finished instance changes nothing
      await engine.client.terminate(id, { output: 'again' });
      assert.deepEqual((await engine.client.get(id))?.output, { reason: 'operator' });
    });

    it('aborts the signal of an activity still running when its instance is terminated', async () => {
      const engine = await makeEngine(kind);
      let started = false;
      let abortedWith = '';
      engine.registerActivity('long', (_x: unknown, ctx) => {
        started = true;
        return new Promise((resolve) => ctx.signal.addEventListener('abort', () => {
          abortedWith = String((ctx.signal.reason as Error).message);
          resolve('stopped');
        }));
      });
      engine.registerOrchestration('runs-long', function* (ctx) {
        return yield ctx.callActivity('long');
      });
      await engine.start();
      const id = await engine.client.start('runs-long');
      await until(() => started, 30_000, 'activity started');
      await engine.client.terminate(id);
      assert.equal((await engine.client.waitForCompletion(id, { timeoutMs: 60_000 })).runtimeStatus, 'TERMINATED');
      await until(() => abortedWith !== '', 30_000, 'abort');
      assert.equal(abortedWith, `instance '${id}' has ended`);
    });

    it('terminates a non-recursive instance only', async () => {
      const engine = await managed(kind);
      const id = await engine.client.start('tree', undefined, { instanceId: 'tree-2' });
      await until(async () => (await engine.client.list({ parentInstanceId: id, statuses: ['RUNNING'] })).instances.length === 2, 30_000, 'children');
      await engine.client.terminate(id, { recursive: false });
      await engine.client.waitForCompletion(id, { timeoutMs: 60_000 });
      await new Promise((r) => setTimeout(r, 60));
      assert.equal((await engine.client.get('tree-2:0001'))?.runtimeStatus, 'RUNNING');
    });

    it('purges one instance, refuses a running one, and purges recursively', async () => {
      const engine = await managed(kind);
      const q = await engine.client.start('quick', 1);
      await engine.client.waitForCompletion(q, { timeoutMs: 60_000 });
      assert.deepEqual(await engine.client.purge(q), { deletedInstanceCount: 1 });
      assert.equal(await engine.client.get(q), undefined);
      await rejectsWithCode(engine.client.history(q), 'INSTANCE_NOT_FOUND');

      const w = await engine.client.start('wait');
      const err = await rejectsWithCode(engine.client.purge(w), 'INSTANCE_NOT_TERMINAL');
      assert.match(err.message, /cannot purge instance '.+': it is (PENDING|RUNNING)/);

      const t = await engine.client.start('tree', undefined, { instanceId: 'tree-3' });
      await until(async () => (await engine.client.list({ parentInstanceId: t, statuses: ['RUNNING'] })).instances.length === 2, 30_000, 'children');
      await engine.client.raiseEvent('tree-3:0001', 'go', 1);
      await engine.client.waitForCompletion('tree-3:0001', { timeoutMs: 60_000 });
      await engine.client.terminate(t, { recursive: false });
      await engine.client.waitForCompletion(t, { timeoutMs: 60_000 });
      const childRunning = await rejectsWithCode(engine.client.purge(t), 'INSTANCE_NOT_TERMINAL');
      assert.match(childRunning.message, /sub-orchestration 'tree-3:0002' is RUNNING/);
      await engine.client.terminate('tree-3:0002');
      await engine.client.waitForCompletion('tree-3:0002', { timeoutMs: 60_000 });
      assert.deepEqual(await engine.client.purge(t), { deletedInstanceCount: 3 });
      assert.equal((await engine.client.list({ name: 'wait' })).instances.some((i) => i.instanceId.startsWith('tree-3')), false);
    });

    it('purges by filter (status and created-time range), leaving others', async () => {
      const clock = new ManualClock();
      const engine = await managed(kind, clock);
      const old = [await engine.client.start('quick', 'a'), await engine.client.start('quick', 'b')];
      clock.advance(60_000);
      const recent = await engine.client.start('quick', 'c');
      const running = await engine.client.start('wait');
      for (const id of [...old, recent]) await engine.client.waitForCompletion(id, { timeoutMs: 60_000 });
      await rejectsWithCode(engine.client.purgeInstances({ statuses: ['RUNNING'] }), 'INVALID_ARGUMENT');
      const res = await engine.client.purgeInstances({ statuses: ['COMPLETED'], createdTo: clock.now() - 30_000 });
      assert.deepEqual(res, { deletedInstanceCount: 2 });
      assert.equal(await engine.client.get(old[0]!), undefined);
      assert.ok(await engine.client.get(recent));
      assert.ok(await engine.client.get(running));
    });

    it('queries by name, status and created time, in pages', async () => {
      const clock = new ManualClock();
      const engine = await managed(kind, clock);
      const ids: string[] = [];
      for (let i = 0; i < 7; i++) {
        ids.push(await engine.client.start('quick', i, { instanceId: `q-${i}` }));
        clock.advance(1000);
      }
      await engine.client.start('wait', undefined, { instanceId: 'w-0' });
      for (const id of ids) await engine.client.waitForCompletion(id, { timeoutMs: 60_000 });
      const seen: string[] = [];
      let pageToken: string | undefined;
      let pages = 0;
      do {
        const page = await engine.client.list({ name: 'quick' }, { pageSize: 3, ...(pageToken ? { pageToken } : {}) });
        seen.push(...page.instances.map((i) => i.instanceId));
        pageToken = page.nextPageToken;
        pages++;
      } while (pageToken);
      assert.deepEqual(seen, ids);
      assert.equal(pages, 3);
      const completed = await engine.client.list({ statuses: ['COMPLETED'] });
      assert.equal(completed.instances.length, 7);
      const t0 = ids.length && (await engine.client.get('q-2'))!.createdAt.getTime();
      const range = await engine.client.list({ createdFrom: t0, createdTo: t0 + 2000 });
      assert.deepEqual(range.instances.map((i) => i.instanceId), ['q-2', 'q-3']);
      assert.deepEqual((await engine.client.list({ statuses: ['PENDING', 'RUNNING'] })).instances.map((i) => i.instanceId), ['w-0']);
      await rejectsWithCode(engine.client.list({}, { pageToken: 'not-a-token' }), 'INVALID_PAGE_TOKEN');
    });

    it('refuses a running duplicate id and replaces a finished one', async () => {
      const engine = await managed(kind);
      await engine.client.start('wait', undefined, { instanceId: 'dup' });
      const err = await rejectsWithCode(engine.client.start('wait', undefined, { instanceId: 'dup' }), 'INSTANCE_EXISTS');
      assert.match(err.message, /an instance with id 'dup'/);
      await engine.client.raiseEvent('dup', 'go', 'first');
      assert.equal((await engine.client.waitForCompletion('dup', { timeoutMs: 60_000 })).output, 'first');
      await engine.client.start('quick', 'second', { instanceId: 'dup' });
      const r = await engine.client.waitForCompletion('dup', { timeoutMs: 60_000 });
      assert.equal(r.name, 'quick');
      assert.equal(r.output, 'second');
      await rejectsWithCode(engine.client.start('quick', 'third', { instanceId: 'dup', reusePolicy: 'REJECT' }), 'INSTANCE_EXISTS');
    });
  });

  describe(`bad input (${kind})`, () => {
    it('rejects each with a clear error code and message, and corrupts nothing', async () => {
      const engine = await managed(kind, undefined);
      const unknown = await rejectsWithCode(engine.client.start('nope'), 'ORCHESTRATION_NOT_REGISTERED');
      assert.match(unknown.message, /no orchestration named 'nope' is registered \(registered: wait, quick, tree\)/);
      for (const bad of ['', 'has space', 'slash/id', 'é', 'x'.repeat(201)]) {
        await rejectsWithCode(engine.client.start('quick', 1, { instanceId: bad }), 'INVALID_INSTANCE_ID');
      }
      await rejectsWithCode(engine.client.raiseEvent('bad id', 'go'), 'INVALID_INSTANCE_ID');
      const missing = await rejectsWithCode(engine.client.raiseEvent('ghost', 'go', 1), 'INSTANCE_NOT_FOUND');
      assert.equal(missing.message, "no instance with id 'ghost'");
      await rejectsWithCode(engine.client.terminate('ghost'), 'INSTANCE_NOT_FOUND');
      await rejectsWithCode(engine.client.suspend('ghost'), 'INSTANCE_NOT_FOUND');
      await rejectsWithCode(engine.client.purge('ghost'), 'INSTANCE_NOT_FOUND');
      await rejectsWithCode(engine.client.waitForCompletion('ghost', { timeoutMs: 100 }), 'INSTANCE_NOT_FOUND');
      const big = 'x'.repeat(5 * 1024 * 1024);
      const tooBig = await rejectsWithCode(engine.client.start('quick', big, { instanceId: 'big' }), 'PAYLOAD_TOO_LARGE');
      assert.match(tooBig.message, /input of 'quick' is 5242882 bytes, over the limit of 4194304 bytes \(engine option maxPayloadBytes\)/);
      const w = await engine.client.start('wait', undefined, { instanceId: 'ok-1' });
      await rejectsWithCode(engine.client.raiseEvent(w, 'go', big), 'PAYLOAD_TOO_LARGE');
      await rejectsWithCode(engine.client.start('quick', { n: 1n }), 'PAYLOAD_NOT_SERIALIZABLE');
      await rejectsWithCode(engine.client.raiseEvent(w, ''), 'INVALID_ARGUMENT');
      await rejectsWithCode(engine.client.waitForCompletion(w, { timeoutMs: 30 }), 'WAIT_TIMEOUT');
      // An aborted wait (a caller gone, a server stopping) rejects with the signal's reason; so does one aborted before it starts.
      const ac = new AbortController();
      const aborted = engine.client.waitForCompletion(w, { timeoutMs: 60_000, signal: ac.signal });
      ac.abort(new Error('caller went away'));
      await assert.rejects(aborted, /caller went away/);
      await assert.rejects(engine.client.waitForCompletion(w, { signal: ac.signal }), /caller went away/);
      // nothing was created by the refused calls, and the valid instance still works
      assert.equal(await engine.client.get('big'), undefined);
      assert.deepEqual((await engine.client.list()).instances.map((i) => i.instanceId), ['ok-1']);
      await engine.client.raiseEvent(w, 'go', 'fine');
      assert.equal((await engine.client.waitForCompletion(w, { timeoutMs: 60_000 })).output, 'fine');
    });

    it('fails an instance whose output is over the limit', async () => {
      const engine = await makeEngine(kind, { maxPayloadBytes: 100 });
      engine.registerOrchestration('bloat', () => 'y'.repeat(200));
      await engine.start();
      const r = await engine.client.waitForCompletion(await engine.client.start('bloat'), { timeoutMs: 60_000 });
      assert.equal(r.runtimeStatus, 'FAILED');
      assert.equal(r.failure?.code, 'PAYLOAD_TOO_LARGE');
      assert.match(r.failure!.message, /output of orchestration 'bloat' is 202 bytes/);
    });

    it('rejects client calls after stop with ENGINE_STOPPED, and invalid options up front', async () => {
      const engine = await managed(kind);
      await engine.stop();
      await rejectsWithCode(engine.client.start('quick', 1), 'ENGINE_STOPPED');
      await rejectsWithCode(makeEngine(kind, { leaseMs: -1 }), 'INVALID_OPTION');
      await rejectsWithCode(makeEngine(kind, { workerConcurrency: 1.5 }), 'INVALID_OPTION');
    });
  });
}
