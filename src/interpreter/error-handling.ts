/**
 * @module interpreter/error-handling
 * Errors, retries and compensation (spec §Workflow Error Handling, §Retry Definition,
 * §Workflow Compensation): the code of a runtime error, matching it to the workflow's `errors`
 * definitions and to `onErrors`, the retry delay series, and the retry decision of an action.
 */
import type { Action } from '../definition/types.js';
import type { Edge, RetryPolicy, StateNode, WorkflowGraph } from '../graph/types.js';
import { EdgeKind } from '../graph/types.js';
import { TaskFailedError } from '../engine/replay/task.js';
import { SwirlError } from '../errors.js';

/** The code a runtime error is matched by: a remote failure's code ("404"), "timeout", EXPRESSION_ERROR … */
export function errorCode(err: unknown): string | undefined {
  if (err instanceof TaskFailedError) return innermostCode(err.failure) ?? err.code;
  if (err instanceof SwirlError) return err.code;
  return undefined;
}

function innermostCode(f: { code?: string; inner?: { code?: string; inner?: unknown } }): string | undefined {
  // A sub-orchestration failure wraps the child's own failure; the child's code is what matters.
  let code = f.code;
  let cur: { code?: string; inner?: unknown } | undefined = f.inner as { code?: string; inner?: unknown } | undefined;
  while (cur) {
    if (cur.code !== undefined && code === 'SUB_ORCHESTRATION_FAILED') code = cur.code;
    cur = cur.inner as { code?: string; inner?: unknown } | undefined;
  }
  return code;
}

/** The message of the original cause (unwrapping task failures). */
export function errorMessage(err: unknown): string {
  if (err instanceof TaskFailedError) return err.failure.message;
  return err instanceof Error ? err.message : String(err);
}

/**
 * True when the error matches the named error definition: by its `code` when it has one, else by
 * its name (an error raised with code = the definition's name also matches).
 */
export function matchesErrorDef(graph: WorkflowGraph, errorName: string, code: string | undefined): boolean {
  if (code === undefined) return false;
  const def = graph.errors.get(errorName);
  if (!def) return false;
  return def.code !== undefined ? def.code === code : def.name === code;
}

/** The first `onErrors` edge of a state that handles the error, if any. */
export function findErrorEdge(graph: WorkflowGraph, node: StateNode, err: unknown): Edge | undefined {
  const code = errorCode(err);
  const onErrors = node.definition.onErrors ?? [];
  const errorEdges = node.edges.filter((e) => e.kind === EdgeKind.Error);
  for (let i = 0; i < onErrors.length; i++) {
    const names = onErrors[i].errorRef !== undefined ? [onErrors[i].errorRef!] : (onErrors[i].errorRefs ?? []);
    if (names.some((n) => matchesErrorDef(graph, n, code))) return errorEdges.find((e) => e.pointer.startsWith(`${node.pointer}/onErrors/${i}/`));
  }
  return undefined;
}

/** The runtime default retry strategy of autoRetries (spec l.5228: unlimited, PT1S, ×2), capped at one minute. */
export const DEFAULT_AUTO_RETRY: RetryPolicy = { name: '(default)', delayMs: 1000, incrementMs: 0, multiplier: 2, maxAttempts: Number.POSITIVE_INFINITY, maxDelayMs: 60_000 };

/**
 * How an action's failure is retried, or undefined when it is not (spec §Retry Definition):
 * autoRetries false → only errors listed in retryableErrors, with the action's retryRef;
 * autoRetries true → every error except nonRetryableErrors, with retryRef or the default strategy.
 */
export function retryPolicyFor(graph: WorkflowGraph, action: Action, err: unknown): RetryPolicy | undefined {
  const code = errorCode(err);
  if (!(err instanceof SwirlError)) return undefined;
  const policy = action.retryRef !== undefined ? graph.retries.get(action.retryRef) : undefined;
  if (graph.autoRetries) {
    if ((action.nonRetryableErrors ?? []).some((n) => matchesErrorDef(graph, n, code))) return undefined;
    return policy ?? DEFAULT_AUTO_RETRY;
  }
  if (!policy) return undefined;
  return (action.retryableErrors ?? []).some((n) => matchesErrorDef(graph, n, code)) ? policy : undefined;
}

/**
 * The delay before attempt `attempt + 1` (attempt ≥ 1 failed), or undefined when maxAttempts
 * (counting every attempt, the first included) is used up. delay₁ = delay; delayₙ = delayₙ₋₁ ×
 * multiplier + increment; jitter adds ±fraction of the delay (or ±maxMs) using `random` ∈ [0,1);
 * maxDelay caps the result last (spec l.4166-4250).
 */
export function retryDelay(policy: RetryPolicy, attempt: number, random: number): number | undefined {
  if (attempt >= policy.maxAttempts) return undefined;
  let delay = policy.delayMs;
  for (let n = 2; n <= attempt; n++) delay = delay * policy.multiplier + policy.incrementMs;
  if (policy.jitter) {
    const span = 'fraction' in policy.jitter ? delay * policy.jitter.fraction : policy.jitter.maxMs;
    delay += (random * 2 - 1) * span;
  }
  if (policy.maxDelayMs !== undefined) delay = Math.min(delay, policy.maxDelayMs);
  return Math.max(0, Math.round(delay));
}

/** A number in [0,1) from a deterministic GUID (jitter must replay identically). */
export function randomFromGuid(guid: string): number {
  return parseInt(guid.replace(/-/g, '').slice(0, 8), 16) / 0x1_0000_0000;
}
