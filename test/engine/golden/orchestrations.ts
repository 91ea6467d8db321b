/**
 * @module test/engine/golden/orchestrations
 * The orchestrations whose recorded histories (test/engine/golden/*.json) every later engine
 * version must replay without a NonDeterminismError (STYLE guideline 12: golden histories).
 * NEVER change these functions: add new ones (and record them) instead.
 */

import { EngineFlag } from '../../../src/engine/flags.js';
import type { OrchestrationFunction } from '../../../src/engine/replay/context.js';
import type { Task } from '../../../src/engine/replay/task.js';
import { subflowInstanceId } from '../../../src/interpreter/actions.js';

export const golden: Record<string, OrchestrationFunction> = {
  chain: function* (ctx, x: number) {
    let v = x;
    for (let i = 0; i < 3; i++) v = yield ctx.callActivity('inc', v);
    return v;
  },
  retry: function* (ctx) {
    return yield ctx.callActivity('flaky', 'x', { retry: { maxAttempts: 4, firstRetryIntervalMs: 5, backoffCoefficient: 2 } });
  },
  'events-and-timers': function* (ctx) {
    ctx.setCustomStatus('waiting');
    const early = yield ctx.waitForExternalEvent('early');
    const timeout = ctx.createTimer(20);
    const never = ctx.waitForExternalEvent('never');
    const winner: Task<unknown> = yield ctx.whenAny<unknown>([never, timeout]);
    const ids = [ctx.newGuid(), ctx.newGuid()];
    return { early, timedOut: winner === timeout, ids };
  },
  'fan-out': function* (ctx) {
    const parts: number[] = yield ctx.whenAll([1, 2, 3, 4].map((n) => ctx.callActivity<number>('inc', n)));
    const child: number = yield ctx.callSubOrchestrator('child', parts.reduce((a, b) => a + b, 0));
    ctx.sendEvent('nobody', 'ping', child);
    return child;
  },
  child: function* (ctx, n: number) {
    return yield ctx.callActivity('inc', n);
  },
  'suspend-resume': function* (ctx) {
    return yield ctx.waitForExternalEvent('go');
  },
  'continue-as-new': function* (ctx, n: number) {
    if (n < 2) {
      yield ctx.createTimer(1);
      ctx.continueAsNew(n + 1);
      return undefined;
    }
    return n;
  },
  failing: function* (ctx) {
    yield ctx.callActivity('boom');
  },
  // Flag whenAllWithdrawsWaits (recorded with it): the whenAll fails fast on 'boom'; its pending
  // wait for 'x' is withdrawn, so the later wait gets the 'x' raised after the failure.
  'when-all-withdraws-waits': function* (ctx) {
    let failed = '';
    try {
      yield ctx.whenAll<unknown>([ctx.callActivity('boom'), ctx.waitForExternalEvent('x')]);
    } catch (e) {
      failed = (e as Error).message;
    }
    const x: unknown = yield ctx.waitForExternalEvent('x');
    return { failed, x };
  },
  // Flag uniqueSubflowIds (recorded with it): the SW interpreter's subflow child id, computed
  // the way the flag says; the output records it, so a replay that computed another id differs.
  'unique-subflow-ids': function* (ctx) {
    const childId = subflowInstanceId(ctx.instanceId, ctx.newGuid(), ctx.hasFlag(EngineFlag.UniqueSubflowIds));
    const r: number = yield ctx.callSubOrchestrator('child', 1, { instanceId: childId });
    return { childId, r };
  },
};
