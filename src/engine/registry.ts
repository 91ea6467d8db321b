/**
 * @module engine/registry
 * The orchestrations and activities an engine can run, by name. An orchestration name may have
 * several definition versions (by definition hash): the newest registration is *current* (new
 * instances start on it), the others stay for the instances that started on them.
 */

import { SwirlError } from '../errors.js';
import { EngineErrorCode } from './error-codes.js';
import type { AnyOrchestrationFunction } from './replay/context.js';
import type { RemoteOrchestrator } from './remote.js';

/** What an activity receives besides its input. */
export interface ActivityContext {
  /** The orchestration instance that scheduled it. */
  instanceId: string;
  /** The execution of that instance that scheduled it (changes on continue-as-new). */
  executionId: string;
  /** The activity name. */
  name: string;
  /** The id of the logical call (the first attempt's task id; stable across retries). */
  taskId: number;
  /** `${instanceId}:${executionId}:${taskId}`: pass it on (e.g. as an Idempotency-Key header) so side effects happen once. */
  idempotencyKey: string;
  /** 1-based attempt under the call's retry policy. */
  attempt: number;
  /** How many times this attempt has been handed to a worker (> 1 after a crash or lease expiry: a redelivery). */
  deliveryCount: number;
  /** Aborted when the engine stops before the activity finishes. */
  signal: AbortSignal;
  /** The W3C trace context the scheduling code gave the call (CallActivityOptions.traceparent), if any. */
  traceparent?: string;
  /**
   * Registers a callback told, once the activity has returned, whether its result was recorded in
   * the store (`true`) or not (stopped, lease lost, store trouble: `false`). A side effect that must
   * not be confirmed before the result is durable — acknowledging a message the activity received —
   * waits for it. Optional: contexts built elsewhere (tests) need not offer it.
   */
  afterRecord?: (callback: (recorded: boolean) => void) => void;
}

/** An activity: any (async) function of its input. Its result must be JSON-serializable. */
export type ActivityFunction<TIn = any, TOut = any> = (input: TIn, ctx: ActivityContext) => Promise<TOut> | TOut;

/** Options of registerOrchestration. */
export interface OrchestrationRegistration {
  /** Version tag recorded in ExecutionStarted. */
  version?: string;
  /**
   * Hash of the definition this orchestration runs (recorded in ExecutionStarted and on the
   * instance). Registering the same name again with another hash adds a version; the same hash
   * again is idempotent.
   */
  definitionHash?: string;
  /**
   * Whether this registration becomes the one new instances start on. `false` registers a version
   * only for the instances that already run it (e.g. an older definition loaded from the store).
   * @default true
   */
  current?: boolean;
}

export interface RegisteredOrchestration {
  name: string;
  fn: AnyOrchestrationFunction;
  version?: string;
  definitionHash?: string;
  /** Set for an orchestration whose code runs in a connected app (engine/remote.ts); `fn` is then never called. */
  remote?: RemoteOrchestrator;
}

/** The versions of one orchestration name. */
interface OrchestrationVersions {
  /** What new instances start on; undefined while only replay-only versions are registered. */
  current?: RegisteredOrchestration;
  /** The registration without a hash (then it is the only one). */
  unversioned?: RegisteredOrchestration;
  /** Every hashed version, in registration order. */
  byHash: Map<string, RegisteredOrchestration>;
}

/** Which registration an instance runs on (see {@link Registry.forInstance}). */
export type OrchestrationLookup = { registration: RegisteredOrchestration } | { missing: 'name' | 'definition' };

/** Name → function maps with clear errors for duplicates. */
export class Registry {
  private readonly orchestrations = new Map<string, OrchestrationVersions>();
  private readonly activities = new Map<string, ActivityFunction>();
  /** Registrations that cannot always run their work (remote ones: only while a capable worker is connected), by `kind:name`. */
  private readonly probes = new Map<string, () => boolean>();

  addOrchestration(name: string, fn: AnyOrchestrationFunction, options: OrchestrationRegistration = {}): void {
    check(name, typeof fn === 'function', 'orchestration');
    const reg: RegisteredOrchestration = { name, fn };
    if (options.version !== undefined) reg.version = options.version;
    if (options.definitionHash !== undefined) reg.definitionHash = options.definitionHash;
    const current = options.current ?? true;
    const versions = this.orchestrations.get(name);
    if (!versions) {
      const v: OrchestrationVersions = { byHash: new Map() };
      if (reg.definitionHash === undefined) v.unversioned = reg;
      else v.byHash.set(reg.definitionHash, reg);
      if (current) v.current = reg;
      this.orchestrations.set(name, v);
      return;
    }
    // Without a hash there is nothing to tell versions apart: a second registration is a mistake.
    if (reg.definitionHash === undefined || versions.unversioned) {
      throw new SwirlError(EngineErrorCode.INVALID_REGISTRATION, `an orchestration named '${name}' is already registered (register definition versions with a definitionHash)`);
    }
    const known = versions.byHash.get(reg.definitionHash);
    if (!known) versions.byHash.set(reg.definitionHash, reg);
    // The same hash again keeps its first function (idempotent), but may make it current again
    // (a rollback to an earlier version, or a version loaded for replay that is now deployed).
    if (current) versions.current = known ?? reg;
  }

  /**
   * Registers `name` as a remote orchestration (its turns go to `remote`). Idempotent for a name
   * already registered as remote; INVALID_REGISTRATION for a name registered in-process.
   * @returns whether it was added now
   */
  addRemoteOrchestration(name: string, remote: RemoteOrchestrator): boolean {
    const known = this.orchestration(name);
    if (known?.remote) return false;
    if (known) throw new SwirlError(EngineErrorCode.INVALID_REGISTRATION, `'${name}' is registered in-process: it cannot also be a remote orchestration`);
    const runsRemotely = (): never => {
      throw new SwirlError(EngineErrorCode.INVALID_REGISTRATION, `'${name}' is a remote orchestration: its code runs in a connected worker`);
    };
    this.addOrchestration(name, runsRemotely);
    this.orchestrations.get(name)!.unversioned!.remote = remote;
    return true;
  }

  addActivity(name: string, fn: ActivityFunction): void {
    check(name, typeof fn === 'function', 'activity');
    if (this.activities.has(name)) throw new SwirlError(EngineErrorCode.INVALID_REGISTRATION, `an activity named '${name}' is already registered`);
    this.activities.set(name, fn);
  }

  /**
   * The registration of `name` that new executions start on: the current one, else (only
   * replay-only versions are registered) the newest. Undefined when the name is not registered.
   */
  orchestration(name: string): RegisteredOrchestration | undefined {
    const v = this.orchestrations.get(name);
    if (!v) return undefined;
    return v.current ?? v.unversioned ?? [...v.byHash.values()].at(-1);
  }

  /** The current registration of `name` (undefined when none, or only replay-only versions, is registered). */
  current(name: string): RegisteredOrchestration | undefined {
    return this.orchestrations.get(name)?.current;
  }

  /**
   * The registration an instance of `name` that started on `definitionHash` runs on: that
   * version; the current one when the instance recorded no hash; the only registration when it
   * has none (an engine user that does not version its code). `missing: 'definition'` when the
   * name is registered but not that version: the instance must wait for a node that has it.
   */
  forInstance(name: string, definitionHash: string | undefined): OrchestrationLookup {
    const v = this.orchestrations.get(name);
    if (!v) return { missing: 'name' };
    if (v.unversioned) return { registration: v.unversioned };
    if (definitionHash === undefined) {
      const reg = this.orchestration(name);
      return reg ? { registration: reg } : { missing: 'name' };
    }
    const reg = v.byHash.get(definitionHash);
    return reg ? { registration: reg } : { missing: 'definition' };
  }

  /** The definition hashes registered under `name`, in registration order. */
  definitionHashes(name: string): string[] {
    return [...(this.orchestrations.get(name)?.byHash.keys() ?? [])];
  }

  activity(name: string): ActivityFunction | undefined {
    return this.activities.get(name);
  }

  orchestrationNames(): string[] {
    return [...this.orchestrations.keys()];
  }

  /** Names of the registered activities that can run now (the activity worker claims only these: the others' tasks stay queued, visibly unserved). */
  activityNames(): string[] {
    return [...this.activities.keys()].filter((n) => this.available('activity', n));
  }

  /** Makes the registration of `name` runnable only while `probe()` answers true. */
  setAvailability(kind: 'orchestration' | 'activity', name: string, probe: () => boolean): void {
    this.probes.set(`${kind}:${name}`, probe);
  }

  /** Whether work of `name` can run here now: registered, and its availability probe (if any) agrees. */
  serves(kind: 'orchestration' | 'activity', name: string): boolean {
    const registered = kind === 'orchestration' ? this.orchestration(name) !== undefined : this.activities.has(name);
    return registered && this.available(kind, name);
  }

  private available(kind: 'orchestration' | 'activity', name: string): boolean {
    return this.probes.get(`${kind}:${name}`)?.() ?? true;
  }
}

function check(name: unknown, isFunction: boolean, what: string): void {
  if (typeof name !== 'string' || name.length === 0 || name.length > 256) {
    throw new SwirlError(EngineErrorCode.INVALID_REGISTRATION, `${what} name must be a non-empty string of at most 256 characters, got ${JSON.stringify(name)}`);
  }
  if (!isFunction) throw new SwirlError(EngineErrorCode.INVALID_REGISTRATION, `${what} '${name}' must be registered with a function`);
}
