/**
 * @module store/sqlite-rows
 * Row shapes of the SQLite tables and their mapping to the store records: snake_case columns to
 * camelCase fields, NULL to `undefined` (never `null`), as store/types.ts requires.
 */

import type { ActivityWorkItem, DefinitionRecord, HistoryRecord, InboxMessage, InstanceRecord, RuntimeStatus } from './types.js';

/** A row of `instances` as SELECT * returns it. */
export interface InstanceRow {
  instance_id: string;
  execution_id: string;
  name: string;
  status: string;
  created_at: number;
  last_updated_at: number;
  completed_at: number | null;
  scheduled_start_at: number | null;
  input: string | null;
  output: string | null;
  custom_status: string | null;
  failure: string | null;
  parent_instance_id: string | null;
  history_length: number;
  definition_hash: string | null;
  definition_version: string | null;
}

/** Columns of `instances` that make an InstanceRecord (lock, epoch and ready_at stay private). */
export const INSTANCE_COLUMNS =
  'instance_id, execution_id, name, status, created_at, last_updated_at, completed_at, scheduled_start_at, ' +
  'input, output, custom_status, failure, parent_instance_id, history_length, definition_hash, definition_version';

/** Maps an instances row to the record the engine sees. */
export function toInstanceRecord(row: InstanceRow): InstanceRecord {
  const record: InstanceRecord = {
    instanceId: row.instance_id,
    executionId: row.execution_id,
    name: row.name,
    status: row.status as RuntimeStatus,
    createdAt: row.created_at,
    lastUpdatedAt: row.last_updated_at,
    historyLength: row.history_length,
  };
  if (row.completed_at !== null) record.completedAt = row.completed_at;
  if (row.scheduled_start_at !== null) record.scheduledStartAt = row.scheduled_start_at;
  if (row.input !== null) record.input = row.input;
  if (row.output !== null) record.output = row.output;
  if (row.custom_status !== null) record.customStatus = row.custom_status;
  if (row.failure !== null) record.failure = row.failure;
  if (row.parent_instance_id !== null) record.parentInstanceId = row.parent_instance_id;
  if (row.definition_hash !== null) record.definitionHash = row.definition_hash;
  if (row.definition_version !== null) record.definitionVersion = row.definition_version;
  return record;
}

/** A row of `history`. */
export interface HistoryRow {
  seq: number;
  type: string;
  timestamp: number;
  data: string;
}

/** Maps a history row (already in record shape apart from the prototype). */
export function toHistoryRecord(row: HistoryRow): HistoryRecord {
  return { seq: row.seq, type: row.type, timestamp: row.timestamp, data: row.data };
}

/** A row of `inbox` as the claim returns it. */
export interface InboxRow {
  id: number;
  instance_id: string;
  visible_at: number;
  dequeue_count: number;
  data: string;
}

/** Maps an inbox row to the message handed to a worker. */
export function toInboxMessage(row: InboxRow): InboxMessage {
  return { id: row.id, instanceId: row.instance_id, data: row.data, visibleAt: row.visible_at, dequeueCount: row.dequeue_count };
}

/** A row of `tasks` as the claim returns it. */
export interface TaskRow {
  id: number;
  instance_id: string;
  execution_id: string;
  task_id: number;
  name: string;
  visible_at: number;
  dequeue_count: number;
  locked_by: string;
  detached: number;
  data: string;
}

/** Maps a claimed task row to the work item handed to an activity worker. */
export function toActivityWorkItem(row: TaskRow): ActivityWorkItem {
  return {
    id: row.id,
    instanceId: row.instance_id,
    executionId: row.execution_id,
    taskId: row.task_id,
    name: row.name,
    data: row.data,
    visibleAt: row.visible_at,
    leaseId: row.locked_by,
    dequeueCount: row.dequeue_count,
    ...(row.detached === 1 ? { detached: true } : {}),
  };
}

/** A row of `definitions`. */
export interface DefinitionRow {
  hash: string;
  id: string;
  version: string | null;
  text: string;
  source: string;
  registered_at: number;
}

/** Maps a definitions row to its record. */
export function toDefinitionRecord(row: DefinitionRow): DefinitionRecord {
  const record: DefinitionRecord = { hash: row.hash, id: row.id, text: row.text, source: row.source, registeredAt: row.registered_at };
  if (row.version !== null) record.version = row.version;
  return record;
}

/** Encodes the (createdAt, instanceId) position after the last row of a page. */
export function encodePageToken(createdAt: number, instanceId: string): string {
  return Buffer.from(JSON.stringify([createdAt, instanceId]), 'utf8').toString('base64url');
}

/** Decodes a page token; throws a RangeError on a token this store did not make. */
export function decodePageToken(token: string): [number, string] {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    value = undefined;
  }
  if (!Array.isArray(value) || value.length !== 2 || typeof value[0] !== 'number' || typeof value[1] !== 'string') {
    throw new RangeError(`invalid page token '${token}'`);
  }
  return [value[0], value[1]];
}
