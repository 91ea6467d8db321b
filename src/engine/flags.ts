/**
 * @module engine/flags
 * Replay-behaviour flags (STYLE guideline 13): a change that would replay an OLD history
 * differently is keyed off a flag recorded in the execution's ExecutionStarted, so histories
 * written before the change keep replaying the old way and new executions get the new behaviour.
 */

/**
 * The flags this engine knows (const-object enum). Never rename or remove one: histories that
 * recorded it must keep replaying with it. A new execution records every flag in {@link CURRENT_FLAGS}.
 */
export const EngineFlag = {
  /**
   * When a whenAll fails fast, the external-event waits among its children that are still pending
   * are withdrawn (like whenAny losers). Before, they stayed registered and swallowed the next
   * event of their name, so a later wait for it hung (issue 9, finding 11). @since 0.2.0
   */
  WhenAllWithdrawsWaits: 'whenAllWithdrawsWaits',
  /**
   * Serverless Workflow subflow child ids are `<parent>:<22 chars>`: 128 bits (122 of them from a
   * UUIDv5 over instance, execution and counter) instead of the 32 bits of `<parent>:<8 hex>`,
   * which collided with ~1 % chance in a 10,000-iteration foreach (issue 9). The id is not
   * checked on replay, but the interpreter keeps it to terminate children, so old histories must
   * keep computing the old one. @since 0.2.0
   */
  UniqueSubflowIds: 'uniqueSubflowIds',
} as const;
export type EngineFlag = (typeof EngineFlag)[keyof typeof EngineFlag];

/** Every flag, as recorded in the ExecutionStarted of a new execution. */
export const CURRENT_FLAGS: readonly EngineFlag[] = Object.values(EngineFlag);
