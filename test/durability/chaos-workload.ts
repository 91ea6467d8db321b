/**
 * @module test/durability/chaos-workload
 * The mixed workload of the chaos test (chaos.test.ts kills the process that runs it): durable
 * timers, a fan-in of 1,000 external events per collector, continue-as-new loops, sub-orchestrations
 * and instances that the test suspends and resumes. Shared by the child (which runs the workers)
 * and the test (which starts instances, raises events and suspends/resumes through a client on the
 * same SQLite file), plus the expected outputs and the log of activity executions.
 */

import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Engine } from '../../src/engine/engine.js';

/** How many instances of each kind, and their shape. */
export const CHAOS = {
  sleepers: 30,
  /** Each sleeper: activity, timer, activity, timer, activity. */
  sleeperTimerMs: 1500,
  collectors: 2,
  /** External events raised to each collector (the fan-in). */
  eventsPerCollector: 1000,
  loopers: 10,
  /** Executions per looper (continue-as-new between them). */
  loopIterations: 150,
  loopTimerMs: 20,
  parents: 10,
  childrenPerParent: 3,
  childTimerMs: 1000,
  activityMs: 15,
} as const;

/** Every instance id of the workload, by kind. */
export function chaosIds(): { sleepers: string[]; collectors: string[]; loopers: string[]; parents: string[] } {
  const ids = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);
  return {
    sleepers: ids('sleeper', CHAOS.sleepers),
    collectors: ids('collector', CHAOS.collectors),
    loopers: ids('looper', CHAOS.loopers),
    parents: ids('parent', CHAOS.parents),
  };
}

/** The input each instance is started with (its index in its kind). */
export function chaosInput(id: string): unknown {
  const [kind, n] = id.split('-');
  const i = Number(n);
  switch (kind) {
    case 'sleeper':
      return i;
    case 'collector':
      return CHAOS.eventsPerCollector;
    case 'looper':
      return { i: 0, n: CHAOS.loopIterations, seed: i };
    case 'parent':
      return i;
    default:
      throw new Error(`unknown chaos instance kind in '${id}'`);
  }
}

/** The output each instance must end with. */
export function chaosExpected(id: string): unknown {
  const [kind, n] = id.split('-');
  const i = Number(n);
  switch (kind) {
    case 'sleeper':
      return i + 3;
    case 'collector': {
      const k = CHAOS.eventsPerCollector;
      return { received: k, distinct: k, sum: (k * (k - 1)) / 2 };
    }
    case 'looper':
      return { iterations: CHAOS.loopIterations, total: CHAOS.loopIterations * (i + 1) };
    case 'parent': {
      let sum = 0;
      for (let k = 0; k < CHAOS.childrenPerParent; k++) sum += i * 10 + k + 1;
      return sum;
    }
    default:
      throw new Error(`unknown chaos instance kind in '${id}'`);
  }
}

/** The orchestration each id runs. */
export function chaosOrchestration(id: string): string {
  return id.split('-')[0];
}

/** Appends one line per activity execution, fsync'd as the activity begins. */
export class ExecutionLog {
  private readonly fd: number;
  constructor(path: string) {
    this.fd = openSync(path, 'a');
  }
  record(key: string, name: string, attempt: number, deliveryCount: number): void {
    writeSync(this.fd, `${key}\t${name}\t${attempt}\t${deliveryCount}\t${process.pid}\n`);
    fsyncSync(this.fd);
  }
  close(): void {
    closeSync(this.fd);
  }
}

/** Registers the workload's orchestrations and activities (child and test register the same). */
export function registerChaos(engine: Engine, log?: ExecutionLog): void {
  engine.registerActivity('work', async (x: number, ctx) => {
    log?.record(ctx.idempotencyKey, ctx.name, ctx.attempt, ctx.deliveryCount);
    await sleep(CHAOS.activityMs);
    return x + 1;
  });

  engine.registerOrchestration('sleeper', function* (ctx, n: number) {
    let v: number = yield ctx.callActivity('work', n);
    yield ctx.createTimer(CHAOS.sleeperTimerMs);
    v = yield ctx.callActivity('work', v);
    yield ctx.createTimer(CHAOS.sleeperTimerMs);
    return yield ctx.callActivity('work', v);
  });

  // Waits for `count` events named 'item' whose data are the numbers 0..count-1 in any order.
  engine.registerOrchestration('collector', function* (ctx, count: number) {
    const seen = new Set<number>();
    let sum = 0;
    for (let k = 0; k < count; k++) {
      const x: number = yield ctx.waitForExternalEvent('item');
      seen.add(x);
      sum += x;
    }
    return { received: count, distinct: seen.size, sum };
  });

  // One activity and one timer per execution, then continue-as-new until n executions ran.
  engine.registerOrchestration('looper', function* (ctx, s: { i: number; n: number; seed: number; total?: number }) {
    const got: number = yield ctx.callActivity('work', s.seed);
    yield ctx.createTimer(CHAOS.loopTimerMs);
    const total = (s.total ?? 0) + got;
    if (s.i + 1 < s.n) {
      ctx.continueAsNew({ ...s, i: s.i + 1, total });
      return undefined;
    }
    return { iterations: s.n, total };
  });

  engine.registerOrchestration('parent', function* (ctx, n: number) {
    const kids = Array.from({ length: CHAOS.childrenPerParent }, (_, k) => ctx.callSubOrchestrator('child', n * 10 + k));
    const results: number[] = yield ctx.whenAll(kids);
    return results.reduce((a, b) => a + b, 0);
  });

  engine.registerOrchestration('child', function* (ctx, x: number) {
    const v: number = yield ctx.callActivity('work', x);
    yield ctx.createTimer(CHAOS.childTimerMs);
    return v;
  });
}
