/**
 * @module engine/logger
 * The tiny logging interface the engine takes by injection (never console.* in library code), and
 * the stable names of its lifecycle log events: programs match on `event`, people read `msg`.
 */

/** Structured fields of a log line. */
export type LogMeta = Record<string, unknown>;

/** What the engine logs to. Every method receives a message and structured fields. */
export interface Logger {
  debug(msg: string, meta?: LogMeta): void;
  info(msg: string, meta?: LogMeta): void;
  warn(msg: string, meta?: LogMeta): void;
  error(msg: string, meta?: LogMeta): void;
}

/** Drops everything (the default). */
export const noopLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

/** Stable event names, passed as `meta.event` on every engine log line. */
export const LogEvent = {
  engineStarted: 'engine.started',
  engineStopped: 'engine.stopped',
  instanceStarted: 'instance.started',
  instanceCompleted: 'instance.completed',
  instanceFailed: 'instance.failed',
  instanceTerminated: 'instance.terminated',
  instanceContinuedAsNew: 'instance.continued-as-new',
  nonDeterminism: 'instance.non-determinism',
  /** An instance's definition version is not registered on this engine: it waits. */
  definitionMissing: 'instance.definition-missing',
  turnFailed: 'turn.failed',
  leaseLost: 'lease.lost',
  activityFailed: 'activity.failed',
  activityCompletionLost: 'activity.completion-lost',
  workerError: 'worker.error',
  /** start(): leases a previous incarnation of this workerId held were released. */
  leasesReleased: 'lease.released-at-start',
  /** A lease could not be renewed while its work runs (LEASE_LOST: another worker may take it over). */
  leaseRenewFailed: 'lease.renew-failed',
  /** An activity's own lease expired and this worker claimed the task again while still running it. */
  activityLeaseAdopted: 'activity.lease-adopted',
  /** An orchestration's own lease expired and this worker claimed it again while its turn runs: the turn adopts it. */
  turnLeaseAdopted: 'turn.lease-adopted',
  /** A claim of an instance made right after its turn's commit landed, answered before that commit: it runs as the next turn. */
  turnClaimAfterCommit: 'turn.claim-after-commit',
  /** stop(): an activity ignored its abort signal; its task was released without waiting for it. */
  activityAbandoned: 'activity.abandoned',
  /** Claimed work this node has no registration for (a store that ignores `names`): released. */
  workUnserved: 'work.unserved',
  /** The store reported a fatal fault (STORE_FAILED): the node stops claiming and must restart. */
  storeFailed: 'store.failed',
} as const;
export type LogEvent = (typeof LogEvent)[keyof typeof LogEvent];
