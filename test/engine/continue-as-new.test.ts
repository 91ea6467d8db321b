// Continue-as-new (issue 9, findings 4, 5, 6 and the carry-over bound): what the next execution
// receives, in which order, and what of the ending execution is left behind.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { STORE_KINDS, freshStoreUrl, makeEngine, track, until } from './harness.js';
import { createEngine, type Engine } from '../../src/engine/engine.js';
import { EventType, type EventRaisedEvent, type HistoryEvent } from '../../src/engine/history.js';
import { CURRENT_FLAGS } from '../../src/engine/flags.js';
import { decodeMessage, encodeMessage } from '../../src/engine/messages.js';
import { buildTurn } from '../../src/engine/turn.js';
import { execute } from '../../src/engine/replay/execute.js';
import { CARRYOVER_LIMITS } from '../../src/engine/replay/runtime.js';
import type { OrchestrationFunction } from '../../src/engine/replay/context.js';
import { openStore, type InstanceRecord, type OrchestrationWorkItem, type Store } from '../../src/store/index.js';

const HOUR = 3_600_000;

/** A store whose claims can be intercepted (to make something arrive "during" a turn). */
function interceptClaims(inner: Store, onClaim: (items: OrchestrationWorkItem[]) => Promise<void>): Store {
  return new Proxy(inner, {
    get(target, prop) {
      if (prop === 'claimOrchestrations') {
        return async (req: Parameters<Store['claimOrchestrations']>[0]) => {
          const items = await target.claimOrchestrations(req);
          await onClaim(items);
          return items;
        };
      }
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

/** Inbox messages and activity tasks of `instanceId` that exist at all (claimed at a far-future time). */
async function leftovers(store: Store, instanceId: string): Promise<{ timers: number; messages: number; tasks: number }> {
  const far = Date.now() + 1000 * HOUR;
  // PostgreSQL claims skip rows another transaction is writing right now (SKIP LOCKED): the
  // engine may still be completing the last activity, so the probe tries again briefly.
  let mine;
  for (let attempt = 0; attempt < 40 && mine === undefined; attempt++) {
    if (attempt > 0) await new Promise((r) => setTimeout(r, 25));
    const items = await store.claimOrchestrations({ leaseId: `probe-o-${attempt}`, now: far, leaseMs: 60_000, limit: 1000 });
    mine = items.find((i) => i.instance.instanceId === instanceId);
  }
  const events = (mine?.messages ?? []).map((m) => decodeMessage(m).event);
  const tasks = (await store.claimActivities({ leaseId: 'probe-a', now: far, leaseMs: 60_000, limit: 1000 })).filter((t) => t.instanceId === instanceId);
  return { timers: events.filter((e) => e.type === EventType.TimerFired).length, messages: events.length, tasks: tasks.length };
}

for (const kind of STORE_KINDS) {
  describe(`continue-as-new (${kind})`, () => {
    it('finding 4: an event the orchestration sends to itself in its continue-as-new turn reaches the next execution', async () => {
      const engine = await makeEngine(kind);
      engine.registerOrchestration('self-send', function* (ctx, n: number) {
        if (n === 0) {
          ctx.sendEvent(ctx.instanceId, 'ping', 'hello');
          ctx.continueAsNew(1);
          return undefined;
        }
        return yield ctx.waitForExternalEvent('ping');
      });
      await engine.start();
      const id = await engine.client.start('self-send', 0);
      const r = await engine.client.waitForCompletion(id, { timeoutMs: 60_000 });
      assert.equal(r.runtimeStatus, 'COMPLETED');
      assert.equal(r.output, 'hello');
    });

    it('finding 6: carried-over events come before events that arrived while the continue-as-new turn ran', async () => {
      let armed: string | undefined;
      const inner = await openStore(freshStoreUrl(kind));
      const store = interceptClaims(inner, async (items) => {
        const id = armed;
        if (id === undefined) return;
        const item = items.find((i) => i.instance.instanceId === id);
        if (!item || !item.messages.some((m) => m.data.includes('"name":"go"'))) return;
        armed = undefined;
        // x=2 arrives after the claim, before the commit: during the turn that continues as new.
        const x2: HistoryEvent = { type: EventType.EventRaised, eventId: -1, timestamp: Date.now(), name: 'x', input: '2' };
        await inner.enqueueMessages([{ instanceId: id, data: encodeMessage({ event: x2 }), visibleAt: Date.now() }]);
      });
      const engine = track(await createEngine({ store, pollIntervalMs: 20 }));
      engine.registerOrchestration('order', function* (ctx, n: number) {
        if (n === 0) {
          yield ctx.waitForExternalEvent('go');
          ctx.continueAsNew(1); // x=1 is buffered: carried over
          return undefined;
        }
        const a: unknown = yield ctx.waitForExternalEvent('x');
        const b: unknown = yield ctx.waitForExternalEvent('x');
        return [a, b];
      });
      await engine.start();
      const id = await engine.client.start('order', 0);
      await engine.client.waitForStart(id, { timeoutMs: 60_000 });
      await engine.client.raiseEvent(id, 'x', 1);
      await until(async () => (await engine.client.history(id)).some((e) => e.type === EventType.EventRaised), 30_000, 'x=1 recorded');
      armed = id;
      await engine.client.raiseEvent(id, 'go');
      const r = await engine.client.waitForCompletion(id, { timeoutMs: 60_000 });
      assert.deepEqual(r.output, [1, 2]);
      await engine.stop();
      await inner.close();
    });

    it('a backlog over the claim window (1500 queued events) survives continue-as-new: every event arrives, once, in order', async () => {
      const TOTAL = 1500;
      const PER_EXECUTION = 7;
      const engine = await makeEngine(kind);
      type Tally = { count: number; sum: number; ordered: boolean; executions: number };
      engine.registerOrchestration('drain', function* (ctx, t: Tally) {
        let { count, sum, ordered } = t;
        for (let i = 0; i < PER_EXECUTION && count < TOTAL; i++) {
          const v = (yield ctx.waitForExternalEvent('tick')) as number;
          count += 1;
          sum += v;
          if (v !== count) ordered = false;
        }
        if (count < TOTAL) {
          ctx.continueAsNew({ count, sum, ordered, executions: t.executions + 1 });
          return undefined;
        }
        return { count, sum, ordered, executions: t.executions + 1 };
      });
      // The whole backlog is queued before the first turn (the engine is not started yet).
      const id = await engine.client.start('drain', { count: 0, sum: 0, ordered: true, executions: 0 });
      const now = Date.now();
      await engine.store.enqueueMessages(
        Array.from({ length: TOTAL }, (_, i) => ({
          instanceId: id,
          data: encodeMessage({ event: { type: EventType.EventRaised, eventId: -1, timestamp: now, name: 'tick', input: String(i + 1) } }),
          visibleAt: now,
        })),
      );
      await engine.start();
      const r = await engine.client.waitForCompletion(id, { timeoutMs: 60_000 });
      assert.equal(r.runtimeStatus, 'COMPLETED');
      assert.deepEqual(r.output, { count: TOTAL, sum: (TOTAL * (TOTAL + 1)) / 2, ordered: true, executions: Math.ceil(TOTAL / PER_EXECUTION) });
      assert.equal((await leftovers(engine.store, id)).messages, 0, 'nothing left queued');
    });

    it('finding 5: after continue-as-new cycles the old executions leave no timers or tasks, and their queued activities never run', async () => {
      const N = 4;
      const sideRuns: number[] = [];
      let gateRunning = false;
      let release!: () => void;
      const gate = new Promise<string>((r) => (release = () => r('open')));
      // One activity slot, held by 'gate': the cycles' activities stay queued until it opens.
      const engine: Engine = await makeEngine(kind, { activityConcurrency: 1 });
      engine.registerActivity('gate', () => {
        gateRunning = true;
        return gate;
      });
      engine.registerActivity('side', (n: number) => {
        sideRuns.push(n);
        return n;
      });
      engine.registerOrchestration('hold', function* (ctx) {
        return yield ctx.callActivity('gate');
      });
      engine.registerOrchestration('cycle', function* (ctx, n: number) {
        ctx.callActivity('side', n); // never awaited
        ctx.createTimer(HOUR); // never awaited: a timer an hour away
        yield ctx.waitForExternalEvent(n < N ? 'next' : 'never');
        ctx.continueAsNew(n + 1);
        return undefined;
      });
      await engine.start();
      const hold = await engine.client.start('hold');
      await until(() => gateRunning, 30_000, 'gate running');
      const id = await engine.client.start('cycle', 0);
      const atCycle = async (n: number) =>
        until(async () => {
          const h = await engine.client.history(id);
          const s = h.find((e) => e.type === EventType.ExecutionStarted);
          return s?.type === EventType.ExecutionStarted && s.input === String(n) && h.some((e) => e.type === EventType.TaskScheduled);
        }, 30_000, `cycle ${n}`);
      for (let n = 0; n < N; n++) {
        await atCycle(n);
        await engine.client.raiseEvent(id, 'next');
      }
      await atCycle(N);
      release();
      await engine.client.waitForCompletion(hold, { timeoutMs: 60_000 });
      await until(() => sideRuns.includes(N), 30_000, 'the current execution\'s activity');
      assert.deepEqual(sideRuns, [N], 'only the current execution\'s activity ran');
      // The activity has returned; its completion (which deletes the task) may still be committing.
      await until(async () => (await engine.store.pendingWork(id, Date.now())).tasks.length === 0, 30_000, 'the current execution\'s task completed');
      const left = await leftovers(engine.store, id);
      assert.equal(left.timers, 1, 'only the current execution\'s timer is left');
      assert.equal(left.tasks, 0);
    });

    it('final turn: tasks, timers and self-sent events created in the last turn of a completed instance are not created', async () => {
      const sideRuns: string[] = [];
      const engine = await makeEngine(kind);
      engine.registerActivity('side', (x: string) => {
        sideRuns.push(x);
        return x;
      });
      engine.registerOrchestration('last-words', function* (ctx) {
        yield ctx.createTimer(1);
        ctx.callActivity('side', 'late');
        ctx.createTimer(HOUR);
        ctx.sendEvent(ctx.instanceId, 'echo');
        return 'done';
      });
      await engine.start();
      const id = await engine.client.start('last-words');
      assert.equal((await engine.client.waitForCompletion(id, { timeoutMs: 60_000 })).runtimeStatus, 'COMPLETED');
      await new Promise((r) => setTimeout(r, 150));
      assert.deepEqual(sideRuns, []);
      assert.deepEqual(await leftovers(engine.store, id), { timers: 0, messages: 0, tasks: 0 });
    });

    it('detached activities outlive the instance: scheduled in the final turn or before a continue-as-new, they run once, unaborted', async () => {
      const runs: string[] = [];
      let aborted = 0;
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const engine = await makeEngine(kind);
      engine.registerActivity('notify', async (x: string, ctx) => {
        runs.push(x);
        if (x === 'slow') await gate;
        if (ctx.signal.aborted) aborted++;
        return x;
      });
      engine.registerOrchestration('fire-and-forget', function* (ctx, n: number) {
        yield ctx.createTimer(1);
        if (n === 0) {
          ctx.callActivity('notify', 'before-continue', { detached: true });
          ctx.continueAsNew(1);
          return undefined;
        }
        ctx.callActivity('notify', 'slow', { detached: true });
        ctx.callActivity('notify', 'last', { detached: true });
        return 'done';
      });
      await engine.start();
      const id = await engine.client.start('fire-and-forget', 0);
      // The instance completes while its slow fire-and-forget call is still running.
      assert.equal((await engine.client.waitForCompletion(id, { timeoutMs: 60_000 })).runtimeStatus, 'COMPLETED');
      await until(() => runs.length === 3, 30_000, 'the three detached calls to start');
      release();
      await until(async () => (await leftovers(engine.store, id)).tasks === 0, 30_000, 'the detached tasks to finish');
      assert.deepEqual([...runs].sort(), ['before-continue', 'last', 'slow']);
      assert.equal(aborted, 0, 'a detached call is not aborted when its instance ends');
      const scheduled = (await engine.client.history(id)).filter((e) => e.type === 'TaskScheduled');
      assert.deepEqual(
        scheduled.map((e) => (e as { detached?: boolean }).detached),
        [true, true],
      );
    });
  });
}

describe('continue-as-new commit (buildTurn)', () => {
  const instance: InstanceRecord = { instanceId: 'loop', executionId: 'exec-old', name: 'loop', status: 'RUNNING', createdAt: 0, lastUpdatedAt: 0, historyLength: 5 };
  const now = 1_000;
  const raised = (name: string, input: string): EventRaisedEvent => ({ type: EventType.EventRaised, eventId: -1, timestamp: now, name, input });

  it('finding 5: drops the ending execution\'s work (dropWorkOf) and pins its timers to it', () => {
    const timerTurn = buildTurn({
      instance, leaseId: 'l', now, newEvents: [], consumedMessageIds: [], outcome: undefined, customStatus: undefined, suspended: false, parent: undefined, openChildren: [], describe: () => undefined,
      actions: [{ type: 'CreateTimer', id: 1, fireAt: now + HOUR }],
    });
    assert.equal(timerTurn.commit.messages[0]?.executionId, 'exec-old', 'a timer names its execution for dropWorkOf');
    const { commit } = buildTurn({
      instance, leaseId: 'l', now, newEvents: [], consumedMessageIds: [], customStatus: undefined, suspended: false, parent: undefined, openChildren: [], describe: () => undefined,
      actions: [
        { type: 'ScheduleTask', id: 6, name: 'side', attempt: 1, logicalTaskId: 6 },
        { type: 'CreateTimer', id: 7, fireAt: now + HOUR },
        { type: 'SendEvent', id: 8, instanceId: 'loop', name: 'ping' },
        { type: 'SendEvent', id: 9, instanceId: 'other', name: 'pong' },
      ],
      outcome: { status: 'CONTINUED_AS_NEW', result: '1', actionId: 10, carryoverEvents: [raised('x', '1'), raised('y', '2')] },
    });
    assert.equal(commit.dropWorkOf, 'exec-old');
    assert.deepEqual(commit.tasks, []);
    const sent = commit.messages.map((m) => ({ to: m.instanceId, pinned: m.executionId, env: JSON.parse(m.data) as { event: HistoryEvent; carried?: HistoryEvent[] } }));
    assert.equal(sent.filter((m) => m.env.event.type === EventType.TimerFired).length, 0, 'no timer of the ending execution');
    assert.ok(sent.some((m) => m.to === 'loop' && m.env.event.type === EventType.EventRaised && m.pinned === undefined), 'finding 4: the self-sent event is kept, instance-level');
    assert.ok(sent.some((m) => m.to === 'other'));
    const start = sent.find((m) => m.env.event.type === EventType.ExecutionStarted);
    assert.ok(start && start.pinned === commit.state.executionId && start.pinned !== 'exec-old');
    assert.deepEqual(start.env.carried?.map((e) => e.type === EventType.EventRaised && e.input), ['1', '2'], 'finding 6: carried events travel inside the start, in order');
    assert.ok(start.env.event.type === EventType.ExecutionStarted && start.env.event.flags?.length === CURRENT_FLAGS.length);
  });
});

describe('continue-as-new carry-over bound', () => {
  const T = Date.UTC(2026, 0, 1);
  const loop: OrchestrationFunction = function* (ctx) {
    yield ctx.waitForExternalEvent('go');
    ctx.continueAsNew(1);
    return undefined;
  };
  const started: HistoryEvent = { type: EventType.ExecutionStarted, eventId: -1, timestamp: T, name: 'loop', instanceId: 'i', executionId: 'e', engineVersion: '0.1.0', flags: [...CURRENT_FLAGS] };

  it('carry-over bound: carries at most maxEvents (oldest dropped) and drops events older than maxAgeMs, with a warning', () => {
    const warnings: string[] = [];
    const logger = { debug: () => undefined, info: () => undefined, error: () => undefined, warn: (m: string) => void warnings.push(m) };
    const now = T + CARRYOVER_LIMITS.maxAgeMs + 10;
    const events: HistoryEvent[] = [{ type: EventType.OrchestratorStarted, eventId: -1, timestamp: now }, started];
    events.push({ type: EventType.EventRaised, eventId: -1, timestamp: T, name: 'ancient', input: '0' });
    const extra = 5;
    for (let i = 0; i < CARRYOVER_LIMITS.maxEvents + extra; i++) events.push({ type: EventType.EventRaised, eventId: -1, timestamp: now, name: 'junk', input: String(i) });
    events.push({ type: EventType.EventRaised, eventId: -1, timestamp: now, name: 'go' });
    events.push({ type: EventType.EventRaised, eventId: -1, timestamp: now, name: 'after', input: '"a"' });
    const r = execute(loop, [], events, { logger });
    assert.equal(r.outcome?.status, 'CONTINUED_AS_NEW');
    const carried = r.outcome?.carryoverEvents ?? [];
    assert.equal(carried.length, CARRYOVER_LIMITS.maxEvents);
    assert.ok(!carried.some((e) => e.name === 'ancient'), 'the aged event is dropped');
    assert.equal(carried[0]?.input, String(extra + 1), 'the oldest are dropped first');
    assert.equal(carried.at(-1)?.name, 'after', 'an event delivered after continueAsNew in the same turn is carried too');
    assert.equal(warnings.length, extra + 2);
    assert.match(warnings[0]!, /drops unconsumed event 'ancient'/);
  });
});
