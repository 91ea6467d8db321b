/**
 * @module engine/client-host
 * What the management client (engine/client.ts) and its parts need from the engine: the store,
 * registry and options, change notifications to wait on, the wake-up for enqueued work, and the
 * local orchestration worker's reservation for a start claimed with its create.
 */

import type { CreatedInstance, CreateInstanceRequest, InstanceRecord, OrchestrationWorkItem, RuntimeStatus, Store } from '../store/types.js';
import type { CompiledEngineOptions } from './options.js';
import type { Registry } from './registry.js';

/**
 * Hears one committed status of a watched instance (undefined: the engine stopped). `record`, given
 * for a commit made by this process, returns the instance record that commit left (undefined when
 * it cannot tell): a waiter may use it instead of reading the row.
 */
export type StatusListener = (status?: RuntimeStatus, record?: () => InstanceRecord | undefined) => void;

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
   */
  watchChanges(instanceId: string, listener: StatusListener): () => void;
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
  /**
   * Store feature `fusedStart`: computes the first turn here and commits it with the create (one
   * transaction; engine/fused-start.ts). Resolves with the create's result, or undefined when
   * the start could not be fused (nothing written: create it with `claim`). Rejects with what the
   * create threw. Call `settle(undefined)` afterwards all the same.
   */
  fuse?(request: CreateInstanceRequest): Promise<CreatedInstance | undefined>;
  settle(claimed: OrchestrationWorkItem | undefined): void;
}
