/**
 * @module engine/error-codes
 * Stable codes of the errors the engine's client and registry throw (as SwirlError subclasses).
 * Store codes (INSTANCE_EXISTS, INSTANCE_NOT_FOUND …) pass through unchanged.
 */

export const EngineErrorCode = {
  /** start / callSubOrchestrator: no orchestration registered under that name. */
  ORCHESTRATION_NOT_REGISTERED: 'ORCHESTRATION_NOT_REGISTERED',
  /** An activity with no registered function was scheduled (fails that task). */
  ACTIVITY_NOT_REGISTERED: 'ACTIVITY_NOT_REGISTERED',
  /** registerOrchestration/registerActivity: the name is taken or invalid. */
  INVALID_REGISTRATION: 'INVALID_REGISTRATION',
  /** An instance id outside the allowed charset/length. */
  INVALID_INSTANCE_ID: 'INVALID_INSTANCE_ID',
  /** A payload (input, output, event data, custom status) larger than maxPayloadBytes. */
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  /** A value that JSON cannot represent (e.g. a BigInt or a cycle). */
  PAYLOAD_NOT_SERIALIZABLE: 'PAYLOAD_NOT_SERIALIZABLE',
  /** Same as the store code: the instance does not exist. */
  INSTANCE_NOT_FOUND: 'INSTANCE_NOT_FOUND',
  /** Same as the store code: the id is taken by a non-terminal instance. */
  INSTANCE_EXISTS: 'INSTANCE_EXISTS',
  /** purge: the instance (or one of its children) has not finished. */
  INSTANCE_NOT_TERMINAL: 'INSTANCE_NOT_TERMINAL',
  /** terminate(…, { asParent }): the instance is not a child of that parent (nothing was sent). */
  NOT_A_CHILD: 'NOT_A_CHILD',
  /** waitForCompletion / waitForStart: the timeout passed first. */
  WAIT_TIMEOUT: 'WAIT_TIMEOUT',
  /** A call on an engine that has been stopped. */
  ENGINE_STOPPED: 'ENGINE_STOPPED',
  /** An instance whose turn kept throwing (a corrupt message, an engine bug) was failed. */
  TURN_FAILED: 'TURN_FAILED',
  /**
   * A sub-orchestration was not started: it would be deeper than maxSubOrchestrationDepth. The
   * parent's sub-orchestration task fails with it (catchable, like any child failure).
   */
  SUBFLOW_DEPTH_LIMIT: 'SUBFLOW_DEPTH_LIMIT',
  /**
   * A sub-orchestration was not started: its root already has maxInstancesPerRoot instances
   * created under it. The parent's sub-orchestration task fails with it.
   */
  FANOUT_LIMIT: 'FANOUT_LIMIT',
  /** An invalid engine option or argument. */
  INVALID_ARGUMENT: 'INVALID_ARGUMENT',
} as const;
export type EngineErrorCode = (typeof EngineErrorCode)[keyof typeof EngineErrorCode];
