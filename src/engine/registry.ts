/**
 * @module engine/registry
 * The orchestrations and activities an engine can run, by name.
 */

import { SwirlError } from '../errors.js';
import { EngineErrorCode } from './error-codes.js';
import type { AnyOrchestrationFunction } from './replay/context.js';

/** What an activity receives besides its input. */
export interface ActivityContext {
  /** The orchestration instance that scheduled it. */
  instanceId: string;
  /** The activity name. */
  name: string;
  /** The id of the logical call (the first attempt's task id; stable across retries). */
  taskId: number;
  /** `${instanceId}:${taskId}`: pass it on (e.g. as an Idempotency-Key header) so side effects happen once. */
  idempotencyKey: string;
  /** 1-based attempt under the call's retry policy. */
  attempt: number;
  /** How many times this attempt has been handed to a worker (> 1 after a crash or lease expiry: a redelivery). */
  deliveryCount: number;
  /** Aborted when the engine stops before the activity finishes. */
  signal: AbortSignal;
}

/** An activity: any (async) function of its input. Its result must be JSON-serializable. */
export type ActivityFunction<TIn = any, TOut = any> = (input: TIn, ctx: ActivityContext) => Promise<TOut> | TOut;

/** Options of registerOrchestration. */
export interface OrchestrationRegistration {
  /** Version tag recorded in ExecutionStarted. */
  version?: string;
  /** Hash of the definition this orchestration runs (recorded in ExecutionStarted). */
  definitionHash?: string;
}

export interface RegisteredOrchestration extends OrchestrationRegistration {
  name: string;
  fn: AnyOrchestrationFunction;
}

/** Name → function maps with clear errors for duplicates. */
export class Registry {
  private readonly orchestrations = new Map<string, RegisteredOrchestration>();
  private readonly activities = new Map<string, ActivityFunction>();

  addOrchestration(name: string, fn: AnyOrchestrationFunction, options: OrchestrationRegistration = {}): void {
    check(name, typeof fn === 'function', 'orchestration');
    if (this.orchestrations.has(name)) throw new SwirlError(EngineErrorCode.INVALID_REGISTRATION, `an orchestration named '${name}' is already registered`);
    this.orchestrations.set(name, { name, fn, ...options });
  }

  addActivity(name: string, fn: ActivityFunction): void {
    check(name, typeof fn === 'function', 'activity');
    if (this.activities.has(name)) throw new SwirlError(EngineErrorCode.INVALID_REGISTRATION, `an activity named '${name}' is already registered`);
    this.activities.set(name, fn);
  }

  orchestration(name: string): RegisteredOrchestration | undefined {
    return this.orchestrations.get(name);
  }

  activity(name: string): ActivityFunction | undefined {
    return this.activities.get(name);
  }

  orchestrationNames(): string[] {
    return [...this.orchestrations.keys()];
  }

  /** Names of the registered activities (the activity worker claims only these). */
  activityNames(): string[] {
    return [...this.activities.keys()];
  }
}

function check(name: unknown, isFunction: boolean, what: string): void {
  if (typeof name !== 'string' || name.length === 0 || name.length > 256) {
    throw new SwirlError(EngineErrorCode.INVALID_REGISTRATION, `${what} name must be a non-empty string of at most 256 characters, got ${JSON.stringify(name)}`);
  }
  if (!isFunction) throw new SwirlError(EngineErrorCode.INVALID_REGISTRATION, `${what} '${name}' must be registered with a function`);
}
