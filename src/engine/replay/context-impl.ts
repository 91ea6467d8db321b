/**
 * @module engine/replay/context-impl
 * The OrchestrationContext handed to orchestration code: a thin view over its runtime that
 * serializes (and size-checks) payloads and turns each call into a sequenced action and a task.
 */

import { WorkflowError } from '../../errors.js';
import type { LogMeta, Logger } from '../logger.js';
import { ActionType, type OrchestratorAction } from './actions.js';
import type { CallActivityOptions, CallSubOrchestratorOptions, ContinueAsNewOptions, OrchestrationContext, WaitForEventOptions } from './context.js';
import { uuidV5 } from './guid.js';
import { compileRetryPolicy } from './retry-policy.js';
import { openCall } from './open-tasks.js';
import type { OrchestrationRuntime } from './runtime.js';
import { Task, WhenAllTask, WhenAnyTask } from './task.js';
import { INSTANCE_ID_PATTERN } from '../validation.js';
import { EngineFlag } from '../flags.js';

/** Builds the context of `rt` (once per runtime). */
export function createContext(rt: OrchestrationRuntime): OrchestrationContext {
  const log =
    (level: keyof Logger) =>
    (msg: string, meta?: LogMeta): void => {
      if (!rt.replaying && rt.logger) rt.logger[level](msg, { ...meta, instanceId: rt.instanceId, orchestration: rt.name, traceId: rt.trace.traceId });
    };
  const logger: Logger = { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
  const serialize = (value: unknown, what: string): string | undefined => {
    const text = value === undefined ? undefined : JSON.stringify(value);
    rt.guardPayload(text, what);
    return text;
  };
  return {
    get instanceId() {
      return rt.instanceId;
    },
    get executionId() {
      return rt.executionId;
    },
    get name() {
      return rt.name;
    },
    get parent() {
      return rt.parent;
    },
    get isReplaying() {
      return rt.replaying;
    },
    get trace() {
      return rt.trace;
    },
    get currentTime() {
      return new Date(rt.nowMs);
    },
    get currentTimeMs() {
      return rt.nowMs;
    },
    logger,
    callActivity(name: string, input?: unknown, options?: CallActivityOptions) {
      const text = serialize(input, `input of activity '${name}'`);
      const detached = options?.detached === true;
      // A detached call outlives the orchestration, so no retry can follow it.
      const policy = options?.retry && !detached ? compileRetryPolicy(options.retry) : undefined;
      return openCall(rt.open, rt.nowMs, 'activity', name, policy, (attempt, logical) => ({ id: rt.scheduleActivity(name, text, attempt, logical, detached, options?.traceparent) }));
    },
    createTimer(fireAt: Date | number) {
      const at = typeof fireAt === 'number' ? rt.nowMs + Math.max(0, fireAt) : fireAt.getTime();
      if (!Number.isFinite(at)) throw new WorkflowError('INVALID_TIMER', `createTimer: invalid fire time ${String(fireAt)}`);
      const task = new Task<void>();
      const id = rt.addTimer(at);
      rt.open.set(id, { kind: 'timer', name: 'timer', task: task as Task<unknown>, fireAt: at });
      return task;
    },
    waitForExternalEvent(name: string, options?: WaitForEventOptions) {
      return rt.events.wait(name, options?.keys);
    },
    callSubOrchestrator(name: string, input?: unknown, options?: CallSubOrchestratorOptions) {
      const text = serialize(input, `input of sub-orchestration '${name}'`);
      const policy = options?.retry ? compileRetryPolicy(options.retry) : undefined;
      let childId = options?.instanceId;
      if (childId !== undefined && !INSTANCE_ID_PATTERN.test(childId)) {
        throw new WorkflowError('INVALID_INSTANCE_ID', `invalid sub-orchestration instance id '${childId}': use 1-200 characters from A-Z a-z 0-9 _ - . :`, { nonRetryable: true });
      }
      return openCall(rt.open, rt.nowMs, 'sub', name, policy, () => {
        const r = rt.scheduleSub(name, childId, text, options?.traceparent);
        childId = r.childId; // retries reuse the first attempt's child id
        return r;
      });
    },
    sendEvent(instanceId: string, name: string, data?: unknown) {
      const text = serialize(data, `event '${name}' sent to '${instanceId}'`);
      const id = ++rt.seq;
      const action: OrchestratorAction = { type: ActionType.SendEvent, id, instanceId, name };
      if (text !== undefined) action.input = text;
      rt.pending.set(id, action);
    },
    whenAll<T>(tasks: Task<T>[]) {
      // Fail-fast leaves the other children pending; withdrawing their event waits changes which
      // wait a later event reaches, so only executions that recorded the flag do it (finding 11).
      const withdraw = rt.hasFlag(EngineFlag.WhenAllWithdrawsWaits) ? (pending: Task<T>[]) => rt.events.withdraw(pending as Task<unknown>[]) : undefined;
      return new WhenAllTask<T>(tasks, withdraw);
    },
    whenAny<T>(tasks: Task<T>[]) {
      return new WhenAnyTask<T>(tasks, (losers) => rt.events.withdraw(losers as Task<unknown>[]));
    },
    abandon(tasks: readonly Task<unknown>[]) {
      rt.events.withdraw(tasks);
    },
    continueAsNew(input?: unknown, options?: ContinueAsNewOptions) {
      const text = serialize(input, `continue-as-new input of '${rt.name}'`);
      rt.saveEvents = options?.saveEvents !== false;
      const carry = rt.saveEvents ? rt.events.takeBuffered() : [];
      rt.finish('CONTINUED_AS_NEW', text, undefined, carry);
    },
    note(entry: unknown) {
      rt.onNote?.(entry, rt.nowMs);
      rt.noteCount += 1;
      rt.noteBuffer?.push({ index: rt.noteCount - 1, entry, timeMs: rt.nowMs, replayed: rt.replaying });
    },
    setCustomStatus(status: unknown) {
      rt.customStatus = serialize(status, 'custom status');
    },
    hasFlag(flag: EngineFlag) {
      return rt.hasFlag(flag);
    },
    newGuid() {
      rt.guidCounter += 1;
      return uuidV5(`${rt.instanceId}:${rt.executionId}:${rt.guidCounter}`);
    },
  };
}
