/**
 * @module engine/replay/retry-policy
 * Activity retry policies, executed durably inside the orchestration as timers (like durabletask):
 * the delays depend only on the attempt number and history time, so replays decide the same.
 */

import { DefinitionError } from '../../errors.js';

/** How to retry a failed activity or sub-orchestration call. */
export interface RetryPolicy {
  /** Total attempts including the first; 1 means no retry. */
  maxAttempts: number;
  /** Delay before the second attempt. */
  firstRetryIntervalMs: number;
  /** Multiplier of the delay per further attempt. @default 1 */
  backoffCoefficient?: number;
  /** Upper bound of one delay. @default unbounded */
  maxRetryIntervalMs?: number;
  /** No attempt starts later than this long after the first one. @default unbounded */
  retryTimeoutMs?: number;
}

/** A validated retry policy with every default filled in. */
export interface CompiledRetryPolicy {
  maxAttempts: number;
  firstRetryIntervalMs: number;
  backoffCoefficient: number;
  maxRetryIntervalMs: number;
  retryTimeoutMs: number;
}

/** Validates a policy (DefinitionError INVALID_RETRY_POLICY) and fills in defaults. */
export function compileRetryPolicy(policy: RetryPolicy): CompiledRetryPolicy {
  const bad = (what: string): never => {
    throw new DefinitionError('INVALID_RETRY_POLICY', `invalid retry policy: ${what}`);
  };
  if (!Number.isInteger(policy.maxAttempts) || policy.maxAttempts < 1) bad(`maxAttempts must be an integer >= 1, got ${policy.maxAttempts}`);
  if (!(policy.firstRetryIntervalMs >= 0)) bad(`firstRetryIntervalMs must be >= 0, got ${policy.firstRetryIntervalMs}`);
  const backoffCoefficient = policy.backoffCoefficient ?? 1;
  if (!(backoffCoefficient >= 1)) bad(`backoffCoefficient must be >= 1, got ${backoffCoefficient}`);
  const maxRetryIntervalMs = policy.maxRetryIntervalMs ?? Number.POSITIVE_INFINITY;
  if (!(maxRetryIntervalMs >= 0)) bad(`maxRetryIntervalMs must be >= 0, got ${maxRetryIntervalMs}`);
  const retryTimeoutMs = policy.retryTimeoutMs ?? Number.POSITIVE_INFINITY;
  if (!(retryTimeoutMs >= 0)) bad(`retryTimeoutMs must be >= 0, got ${retryTimeoutMs}`);
  return { maxAttempts: policy.maxAttempts, firstRetryIntervalMs: policy.firstRetryIntervalMs, backoffCoefficient, maxRetryIntervalMs, retryTimeoutMs };
}

/**
 * The delay before attempt `failedAttempt + 1`, or undefined when the policy gives up: attempts
 * exhausted, or the next attempt would start after firstAttemptAt + retryTimeoutMs.
 */
export function nextRetryDelay(policy: CompiledRetryPolicy, failedAttempt: number, now: number, firstAttemptAt: number): number | undefined {
  if (failedAttempt >= policy.maxAttempts) return undefined;
  const raw = policy.firstRetryIntervalMs * Math.pow(policy.backoffCoefficient, failedAttempt - 1);
  const delay = Math.min(raw, policy.maxRetryIntervalMs);
  if (now + delay > firstAttemptAt + policy.retryTimeoutMs) return undefined;
  return delay;
}
