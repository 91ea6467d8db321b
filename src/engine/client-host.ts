/**
 * @module engine/client-host
 * What the management client (engine/client.ts) and its parts need from the engine: the store,
 * registry and options, change notifications to wait on, the wake-up for enqueued work, and the
 * local orchestration worker's reservation for a start claimed with its create.
 */

import type { CreateInstanceRequest, InstanceRecord, OrchestrationWorkItem, RuntimeStatus, Store } from '../store/types.js';
import type { CompiledEngineOptions } from './options.js';
import type { Registry } from './registry.js';

/** Things the client needs from the engine. */
export interface ClientHost {
  store(): Store;
  registry: Registry;
  opts: CompiledEngineOptions;
  /**
   * Calls `listener` with every committed status of `instanceId` (undefined: the engine stopped)
   * until the returned function is called. Watch before reading the status, so a change between
   * the read and the wait is not missed; the watch stays for the whole wait, so two changes
   * reported in one tick (two nodes' notifications in one read of the LISTEN socket) are both seen.
   * `record`, with a final status committed by this process: the instance as that turn left it
   * (OrchestrationWorkerHooks.committed), which a waiter may answer without reading it back.
   */
  watchChanges(instanceId: string, listener: (status?: RuntimeStatus, record?: InstanceRecord) => void): () => void;
  /** Work was enqueued. */
  notify(): void;
  /**
   * The local orchestration worker's reservation for a start due now (store feature
   * `turnShortcuts`): the create claims it in the same transaction and `settle` hands the claimed
   * item to the worker (or gives the capacity back). Undefined: start the ordinary way.
   */
  reserveStart?(name: string, now: number): StartReservation | undefined;
}

/** See {@link ClientHost.reserveStart}. */
export interface StartReservation {
  claim: NonNullable<CreateInstanceRequest['claim']>;
  settle(claimed: OrchestrationWorkItem | undefined): void;
}
