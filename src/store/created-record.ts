/**
 * @module store/created-record
 * The instance record a create leaves, before any turn: PENDING, no history, the request's
 * columns. What getInstance reads back after createInstance, built by the backends that hand the
 * record out without reading the row (memory; SQLite's create that claims its start).
 */
import { RuntimeStatus, type CreateInstanceRequest, type InstanceRecord } from './types.js';

export function createdRecord(request: CreateInstanceRequest): InstanceRecord {
  const record: InstanceRecord = {
    instanceId: request.instanceId,
    executionId: request.executionId,
    name: request.name,
    status: RuntimeStatus.PENDING,
    createdAt: request.createdAt,
    lastUpdatedAt: request.createdAt,
    historyLength: 0,
  };
  if (request.scheduledStartAt !== undefined) record.scheduledStartAt = request.scheduledStartAt;
  if (request.input !== undefined) record.input = request.input;
  if (request.parentInstanceId !== undefined) record.parentInstanceId = request.parentInstanceId;
  if (request.definitionHash !== undefined) record.definitionHash = request.definitionHash;
  if (request.definitionVersion !== undefined) record.definitionVersion = request.definitionVersion;
  return record;
}
