/**
 * @module engine/instance-metadata
 * An instance as clients see it: the store's record turned into InstanceMetadata (dates, parsed
 * payloads and the payloads as stored), and the work of a running instance that no worker of
 * this engine is registered for (why it waits).
 */

import { isTerminalStatus, type InstanceRecord, type RuntimeStatus } from '../store/types.js';
import type { ClientHost } from './client-host.js';
import { fromPayload, type FailureDetails } from './history.js';

/** An instance as clients see it. */
export interface InstanceMetadata {
  instanceId: string;
  name: string;
  runtimeStatus: RuntimeStatus;
  executionId: string;
  createdAt: Date;
  lastUpdatedAt: Date;
  completedAt?: Date;
  scheduledStartAt?: Date;
  parentInstanceId?: string;
  input: unknown;
  output: unknown;
  customStatus: unknown;
  failure?: FailureDetails;
  /** Hash of the definition version the current execution runs (absent for unversioned registrations). */
  definitionHash?: string;
  /** Version tag of that definition. */
  definitionVersion?: string;
  /** The payloads as stored (JSON text), for callers that pass them through unparsed. */
  serializedInput?: string;
  serializedOutput?: string;
  serializedCustomStatus?: string;
  /** Work of this instance that no worker of this engine is registered for (it waits for one). */
  unserved?: UnservedWork[];
  /** Why the instance is not progressing, e.g. "no worker registered for 'charge' (activity, on this node)". */
  waitingFor?: string;
}

/** An orchestration or activity name with work waiting that this engine cannot run. */
export interface UnservedWork {
  kind: 'orchestration' | 'activity';
  name: string;
  /** For an orchestration whose name is registered but not the definition version the instance runs. */
  definitionHash?: string;
}

/** A time given as a Date or epoch milliseconds, in epoch milliseconds. */
export const toMs = (t: Date | number): number => (typeof t === 'number' ? t : t.getTime());

/** The record as clients see it (without `unserved`/`waitingFor`: see unservedWork). */
export function toMetadata(r: InstanceRecord): InstanceMetadata {
  const m: InstanceMetadata = {
    instanceId: r.instanceId,
    name: r.name,
    runtimeStatus: r.status,
    executionId: r.executionId,
    createdAt: new Date(r.createdAt),
    lastUpdatedAt: new Date(r.lastUpdatedAt),
    input: fromPayload(r.input),
    output: fromPayload(r.output),
    customStatus: fromPayload(r.customStatus),
  };
  if (r.completedAt !== undefined) m.completedAt = new Date(r.completedAt);
  if (r.scheduledStartAt !== undefined) m.scheduledStartAt = new Date(r.scheduledStartAt);
  if (r.parentInstanceId !== undefined) m.parentInstanceId = r.parentInstanceId;
  if (r.failure !== undefined) m.failure = JSON.parse(r.failure) as FailureDetails;
  if (r.input !== undefined) m.serializedInput = r.input;
  if (r.output !== undefined) m.serializedOutput = r.output;
  if (r.customStatus !== undefined) m.serializedCustomStatus = r.customStatus;
  if (r.definitionHash !== undefined) m.definitionHash = r.definitionHash;
  if (r.definitionVersion !== undefined) m.definitionVersion = r.definitionVersion;
  return m;
}

/** The orchestration and ready activity names of `r` that this engine has no registration for. */
export async function unservedWork(host: ClientHost, r: InstanceRecord): Promise<UnservedWork[]> {
  const out: UnservedWork[] = [];
  const registry = host.registry;
  const found = isTerminalStatus(r.status) ? undefined : registry.forInstance(r.name, r.definitionHash);
  if (found && 'missing' in found) {
    // The name, or (after a redeploy elsewhere) the definition version the instance runs.
    out.push(found.missing === 'definition' && r.definitionHash !== undefined ? { kind: 'orchestration', name: r.name, definitionHash: r.definitionHash } : { kind: 'orchestration', name: r.name });
  }
  let tasks: { name: string; visibleAt: number; leased: boolean }[] = [];
  try {
    tasks = (await host.store().pendingWork(r.instanceId, host.opts.clock.now())).tasks;
  } catch {
    // Inspection only: a get must not fail because this extra read did.
  }
  const now = host.opts.clock.now();
  const names = new Set(tasks.filter((t) => !t.leased && t.visibleAt <= now && !registry.activity(t.name)).map((t) => t.name));
  for (const name of names) out.push({ kind: 'activity', name });
  return out;
}
