// Finding 9 (issue 9), engine side: an orchestration name may have several definition versions
// (by hash). New instances start on the current one; an instance replays the version it started
// on; an instance whose version this engine lacks waits (never fails) until it is registered;
// continue-as-new moves an instance to the current version.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createEngine, MemoryStore, type OrchestrationContext } from '../../src/index.js';

/** An orchestration that waits for 'go' and returns `<tag>:<data>`: versions differ by tag. */
const fn = (tag: string) =>
  function* (ctx: OrchestrationContext): Generator<any, string, any> {
    const go = yield ctx.waitForExternalEvent('go');
    return `${tag}:${String(go)}`;
  };

describe('definition versions', () => {
  it('finding 9: a second registration with another hash is current for new instances; running ones replay their own version', async () => {
    const engine = await createEngine({ pollIntervalMs: 10, cacheSize: 0 });
    engine.registerOrchestration('wf', fn('one'), { version: '1', definitionHash: 'h1' });
    await engine.start();
    const a = await engine.client.start('wf');
    await engine.client.waitForStart(a, { timeoutMs: 60_000 });
    engine.registerOrchestration('wf', fn('two'), { version: '1', definitionHash: 'h2' });
    engine.registerOrchestration('wf', fn('ignored'), { version: '1', definitionHash: 'h2' }); // same hash: idempotent
    const b = await engine.client.start('wf');
    assert.deepEqual([(await engine.client.get(a))?.definitionHash, (await engine.client.get(b))?.definitionHash], ['h1', 'h2']);
    await engine.client.raiseEvent(a, 'go', 'a');
    await engine.client.raiseEvent(b, 'go', 'b');
    assert.equal((await engine.client.waitForCompletion(a, { timeoutMs: 60_000 })).output, 'one:a');
    assert.equal((await engine.client.waitForCompletion(b, { timeoutMs: 60_000 })).output, 'two:b');
    await engine.stop();
  });

  it('finding 9: an instance whose definition version is unknown to this node waits rather than failing', async () => {
    const store = new MemoryStore();
    // Node A started the instance on version h1, then went away.
    const a = await createEngine({ store, pollIntervalMs: 10 });
    a.registerOrchestration('wf', fn('one'), { definitionHash: 'h1' });
    const id = await a.client.start('wf');
    await a.client.raiseEvent(id, 'go', 'x');
    // Node B serves the name, but only version h2.
    const logs: string[] = [];
    const logger = { debug() {}, info() {}, warn: (m: string) => void logs.push(m), error: (m: string) => void logs.push(m) };
    const b = await createEngine({ store, pollIntervalMs: 10, logger });
    b.registerOrchestration('wf', fn('two'), { definitionHash: 'h2' });
    await b.start();
    await new Promise((r) => setTimeout(r, 150));
    const waiting = await b.client.get(id);
    assert.equal(waiting?.runtimeStatus, 'PENDING');
    assert.equal(waiting?.definitionHash, 'h1');
    assert.equal(waiting?.waitingFor, "no worker registered for 'wf' (orchestration, definition h1, on this node)");
    assert.ok(logs.some((m) => m.includes("no worker registered for 'wf' (definition h1)")), logs.join('\n'));
    // The version arrives (a deploy that loads it): the instance runs on it.
    b.registerOrchestration('wf', fn('one'), { definitionHash: 'h1', current: false });
    assert.equal((await b.client.waitForCompletion(id, { timeoutMs: 60_000 })).output, 'one:x');
    // Registered for replay only: new instances still start on h2.
    assert.equal((await b.client.get(await b.client.start('wf')))?.definitionHash, 'h2');
    await b.stop();
    await a.stop();
  });

  it('finding 9: continue-as-new starts the next execution on the current version', async () => {
    const engine = await createEngine({ pollIntervalMs: 10 });
    const loop = (tag: string) =>
      function* (ctx: OrchestrationContext, n: number): Generator<any, string, any> {
        yield ctx.waitForExternalEvent('next');
        if (n === 0) ctx.continueAsNew(1);
        return tag;
      };
    engine.registerOrchestration('loop', loop('one'), { version: 'a', definitionHash: 'h1' });
    await engine.start();
    const id = await engine.client.start('loop', 0);
    await engine.client.waitForStart(id, { timeoutMs: 60_000 });
    engine.registerOrchestration('loop', loop('two'), { version: 'b', definitionHash: 'h2' });
    await engine.client.raiseEvent(id, 'next');
    for (let i = 0; i < 200 && (await engine.client.get(id))?.definitionHash !== 'h2'; i++) await new Promise((r) => setTimeout(r, 10));
    const moved = await engine.client.get(id);
    assert.deepEqual([moved?.definitionHash, moved?.definitionVersion], ['h2', 'b']);
    await engine.client.raiseEvent(id, 'next');
    assert.equal((await engine.client.waitForCompletion(id, { timeoutMs: 60_000 })).output, 'two');
    await engine.stop();
  });

  it('finding 9: a name registered without a hash cannot be registered twice', async () => {
    const engine = await createEngine();
    engine.registerOrchestration('plain', fn('one'));
    assert.throws(() => engine.registerOrchestration('plain', fn('two')), /already registered/);
    await engine.stop();
  });
});
