/**
 * @module engine/turn-runtime
 * What a turn runs on: the orchestration runtime for an instance on the definition version it
 * started on (or why there is none: waiting for that version, or not registered), and the forced
 * outcomes a turn commits without running code (a failure, a terminate before the start, a
 * replay that hit non-determinism).
 */

import { NonDeterminismError, WorkflowError, type SwirlError } from '../errors.js';
import type { InstanceRecord } from '../store/types.js';
import { EngineErrorCode } from './error-codes.js';
import { EventType, toFailureDetails, type FailureDetails, type HistoryEvent } from './history.js';
import { LogEvent } from './logger.js';
import type { CompiledEngineOptions } from './options.js';
import type { Registry } from './registry.js';
import { OrchestrationRuntime, type ExecutionOutcome } from './replay/runtime.js';
import { checkPayloadSize } from './validation.js';

/**
 * A runtime for `instance` on the definition version it started on: its recorded
 * definitionHash (InstanceRecord, else — rows written before the column existed — its
 * ExecutionStarted), never simply the newest registration. `waiting` when this engine has the
 * name but not that version: the instance waits for a node (or a restart) that has it.
 */
export async function runtimeForInstance(
instance: InstanceRecord,
events: HistoryEvent[],
loadPast: () => Promise<HistoryEvent[]>,
registry: Registry,
opts: Pick<CompiledEngineOptions, 'logger' | 'maxPayloadBytes'> & { onNote?: (entry: unknown, timeMs: number) => void },
): Promise<{ runtime: OrchestrationRuntime } | { failure: FailureDetails } | { waiting: string }> {
  const name = instance.name;
  let hash = instance.definitionHash;
  if (hash === undefined) {
    const started = (await loadPast())[0] ?? events.find((e) => e.type === EventType.ExecutionStarted);
    if (started?.type === EventType.ExecutionStarted) hash = started.definitionHash;
    // Backfill: the turn's commit copies the instance's hash into the row (turn.ts baseState).
    if (hash !== undefined) instance.definitionHash = hash;
    if (started?.type === EventType.ExecutionStarted && started.version !== undefined) instance.definitionVersion ??= started.version;
  }
  const found = registry.forInstance(name, hash);
  if ('missing' in found && found.missing === 'definition') {
    return { waiting: `no worker registered for '${name}' (definition ${shortHash(hash)})` };
  }
  const reg = 'registration' in found ? found.registration : undefined;
  if (!reg) {
    return {
      failure: {
        errorType: 'SwirlError',
        code: EngineErrorCode.ORCHESTRATION_NOT_REGISTERED,
        message: `no orchestration named '${name}' is registered with this engine`,
      },
    };
  }
  const max = opts.maxPayloadBytes;
  const runtime = new OrchestrationRuntime({
    fn: reg.fn,
    logger: opts.logger,
    ...(opts.onNote ? { onNote: opts.onNote } : {}),
    guardPayload: (text, what) => {
      try {
        checkPayloadSize(text, what, max);
      } catch (e) {
        // Inside orchestration code the limit is a business failure the code may catch.
        throw new WorkflowError((e as SwirlError).code, (e as Error).message, { nonRetryable: true });
      }
    },
  });
  return { runtime };
}

/** The first 12 hex digits of a definition hash, for messages. */
export function shortHash(hash: string | undefined): string {
  return hash === undefined ? '(none)' : hash.slice(0, 12);
}

export function failedOutcome(failure: FailureDetails): ExecutionOutcome {
  return { status: 'FAILED', failure, actionId: -1 };
}

export function terminatedOutcome(events: HistoryEvent[]): ExecutionOutcome {
  const t = events.find((e) => e.type === EventType.ExecutionTerminated);
  const o: ExecutionOutcome = { status: 'TERMINATED', actionId: -1, recurse: false };
  if (t && t.type === EventType.ExecutionTerminated && t.input !== undefined) o.result = t.input;
  if (t && t.type === EventType.ExecutionTerminated && t.tree === true) o.tree = true;
  return o;
}

export function parentOf(events: HistoryEvent[]) {
  const s = events.find((e) => e.type === EventType.ExecutionStarted);
  return s && s.type === EventType.ExecutionStarted ? s.parent : undefined;
}

/**
 * The FAILED outcome a turn commits when replaying its instance hit a NonDeterminismError (logged);
 * any other error is rethrown.
 */
export function nonDeterminismOutcome(opts: Pick<CompiledEngineOptions, 'logger'>, instance: InstanceRecord, e: unknown): ExecutionOutcome {
  if (!(e instanceof NonDeterminismError)) throw e;
  opts.logger.error(e.message, { event: LogEvent.nonDeterminism, instanceId: instance.instanceId });
  return failedOutcome(toFailureDetails(e));
}
