/**
 * @module engine/instance-start
 * Starting an instance: the registration it starts on (the current version, or the one a rerun
 * names), its ExecutionStarted as the start message, and the create — claimed in the same
 * transaction by the local orchestration worker when it has the capacity (store feature
 * `turnShortcuts`; ClientHost.reserveStart), so that worker runs the first turn with no claim of
 * its own — or, with store feature `fusedStart`, the first turn computed here and committed in
 * the create's transaction (engine/fused-start.ts).
 */

import { randomUUID } from 'node:crypto';
import { SwirlError } from '../errors.js';
import { ReusePolicy, type CreatedInstance, type CreateInstanceRequest, type OrchestrationWorkItem } from '../store/types.js';
import type { ClientHost } from './client-host.js';
import { EngineErrorCode } from './error-codes.js';
import { toMs } from './instance-metadata.js';
import { newInstanceId } from './instance-id.js';
import { encodeMessage } from './messages.js';
import { rethrowWrite } from './store-errors.js';
import { parseTraceParent } from './trace-context.js';
import { executionStarted } from './turn.js';
import { checkInstanceId, checkName, serializePayload } from './validation.js';

/** Options of {@link EngineClient.start}. */
export interface StartOptions {
  /** The instance id. @default a new UUIDv7 (time-ordered, 74 random bits; see instance-id.ts) */
  instanceId?: string;
  /** Start at this time instead of now (scheduled start; the instance stays PENDING until then). */
  startAt?: Date | number;
  /** What to do when the id is taken. @default ReusePolicy.REPLACE_TERMINAL (refuse a running duplicate, replace a finished one) */
  reusePolicy?: ReusePolicy;
  /**
   * Start on this registered definition version (a rerun keeps the version of the instance it
   * reruns) instead of the current one. @default the current version
   */
  definitionHash?: string;
  /**
   * The caller's W3C `traceparent` (a start request's header, a CloudEvent's extension): recorded
   * in ExecutionStarted, the parent of the instance's span. An invalid value is ignored (a new
   * trace starts), as W3C Trace Context asks.
   */
  traceparent?: string;
}

/**
 * Starts an orchestration; returns its instance id.
 * @throws SwirlError ORCHESTRATION_NOT_REGISTERED, INVALID_INSTANCE_ID, PAYLOAD_TOO_LARGE,
 *   INSTANCE_EXISTS (the id belongs to an instance that has not finished); InfrastructureError
 *   WRITE_OUTCOME_UNKNOWN (the start may have been recorded: retry with the same instance id,
 *   which the error carries as `instanceId`, and a REPLACE_TERMINAL/IGNORE policy).
 */
export async function startInstance(host: ClientHost, name: string, input?: unknown, options: StartOptions = {}): Promise<string> {
  checkName(name, 'orchestration name');
  // The current version: an orchestration registered only for replay starts no new instances.
  const lookup = options.definitionHash !== undefined ? host.registry.forInstance(name, options.definitionHash) : undefined;
  const reg = lookup ? ('registration' in lookup ? lookup.registration : undefined) : host.registry.current(name);
  if (!reg) {
    const known = host.registry.orchestrationNames();
    throw new SwirlError(
      EngineErrorCode.ORCHESTRATION_NOT_REGISTERED,
      `no orchestration named '${name}' is registered` + (known.length > 0 ? ` (registered: ${known.slice(0, 10).join(', ')})` : ''),
    );
  }
  const instanceId = options.instanceId ?? newInstanceId();
  checkInstanceId(instanceId);
  const text = serializePayload(input, `input of '${name}'`, host.opts.maxPayloadBytes);
  const now = host.opts.clock.now();
  const startAt = options.startAt !== undefined ? toMs(options.startAt) : undefined;
  if (startAt !== undefined && !Number.isFinite(startAt)) throw new SwirlError(EngineErrorCode.INVALID_ARGUMENT, `invalid startAt ${String(options.startAt)}`);
  const executionId = randomUUID();
  const start = executionStarted({
    instanceId,
    executionId,
    name,
    input: text,
    timestamp: now,
    ...(startAt !== undefined ? { scheduledStartTime: startAt } : {}),
    ...(reg.version !== undefined ? { version: reg.version } : {}),
    ...(reg.definitionHash !== undefined ? { definitionHash: reg.definitionHash } : {}),
    ...(parseTraceParent(options.traceparent) !== undefined ? { traceparent: (options.traceparent as string).trim() } : {}),
  });
  const visibleAt = Math.max(now, startAt ?? now);
  const reservation = visibleAt <= now ? host.reserveStart?.(name, now) : undefined;
  const request: CreateInstanceRequest = {
    instanceId,
    executionId,
    name,
    ...(reg.definitionHash !== undefined ? { definitionHash: reg.definitionHash } : {}),
    ...(reg.version !== undefined ? { definitionVersion: reg.version } : {}),
    createdAt: now,
    ...(startAt !== undefined ? { scheduledStartAt: startAt } : {}),
    ...(text !== undefined ? { input: text } : {}),
    startMessage: { data: encodeMessage({ executionId, event: start }), visibleAt },
    reusePolicy: options.reusePolicy ?? ReusePolicy.REPLACE_TERMINAL,
  };
  const failed = (e: unknown): never => rethrowWrite(e, `the start of instance '${instanceId}'`, `retry with the same instance id '${instanceId}'`, instanceId);
  let claimed: OrchestrationWorkItem | undefined;
  let fused: CreatedInstance | undefined;
  try {
    // Store feature fusedStart: the first turn computed here and committed with the create.
    if (reservation?.fuse !== undefined) fused = await reservation.fuse(request).catch(failed);
    if (fused === undefined) {
      const created = host.store().createInstance(reservation !== undefined ? { ...request, claim: reservation.claim } : request);
      ({ claimed } = await created.catch(failed));
    }
  } finally {
    // Claimed with the create: the worker runs its first turn at once, no claim of its own.
    reservation?.settle(claimed);
  }
  if (fused !== undefined) return instanceId;
  if (claimed === undefined) host.notify();
  return instanceId;
}
