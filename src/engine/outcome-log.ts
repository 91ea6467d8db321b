/**
 * @module engine/outcome-log
 * How a committed turn's outcome is logged and observed (instance started, ended, failed with its
 * reason): one place for these lifecycle log sites, shared by in-process and remote turns.
 */

import { RuntimeStatus, type InstanceRecord } from '../store/types.js';
import type { FailureDetails } from './history.js';
import { LogEvent } from './logger.js';
import { notifyObserver } from './observer.js';
import type { CompiledEngineOptions } from './options.js';
import type { ExecutionOutcome } from './replay/runtime.js';

type LogOptions = Pick<CompiledEngineOptions, 'logger' | 'observer'>;

/**
 * Logs and observes what a committed turn did. A failed instance is logged at warn with its
 * reason (an operator must see it without --verbose); the other endings at info.
 */
export function logOutcome(opts: LogOptions, instance: InstanceRecord, status: RuntimeStatus, outcome: ExecutionOutcome | undefined, traceId?: string): void {
  const meta = { instanceId: instance.instanceId, name: instance.name, ...(traceId !== undefined ? { traceId } : {}) };
  if (instance.status === RuntimeStatus.PENDING) {
    opts.logger.debug(`instance '${instance.instanceId}' started`, { event: LogEvent.instanceStarted, ...meta });
    notifyObserver(opts.observer, 'instanceStarted', meta);
  }
  if (!outcome) return;
  if (status === RuntimeStatus.FAILED) {
    logFailed(opts, instance, outcome.failure, traceId);
    return;
  }
  const event = status === RuntimeStatus.COMPLETED ? LogEvent.instanceCompleted : status === RuntimeStatus.TERMINATED ? LogEvent.instanceTerminated : LogEvent.instanceContinuedAsNew;
  opts.logger.info(`instance '${instance.instanceId}' ${status.toLowerCase()}`, { event, ...meta });
  notifyObserver(opts.observer, 'instanceEnded', { ...meta, status });
}

/** `instance 'o-17' failed: [CODE] message` at warn, with the failure's fields. */
export function logFailed(opts: LogOptions, instance: InstanceRecord, failure: FailureDetails | undefined, traceId?: string): void {
  const meta = { instanceId: instance.instanceId, name: instance.name, ...(traceId !== undefined ? { traceId } : {}) };
  const reason = failure ? `${failure.code !== undefined ? `[${failure.code}] ` : ''}${failure.message}` : 'no failure details';
  opts.logger.warn(`instance '${instance.instanceId}' failed: ${reason}`, {
    event: LogEvent.instanceFailed,
    ...meta,
    ...(failure ? { error: { type: failure.errorType, code: failure.code, message: failure.message } } : {}),
  });
  notifyObserver(opts.observer, 'instanceEnded', { ...meta, status: RuntimeStatus.FAILED, ...(failure ? { failure } : {}) });
}
