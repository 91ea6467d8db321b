/**
 * @module engine/messages
 * How engine records map onto the store's opaque rows: inbox messages are an envelope around a
 * history event (with the execution it is meant for), history rows carry the event as JSON, and
 * activity tasks carry what the activity worker needs.
 */

import type { HistoryRecord, InboxMessage } from '../store/types.js';
import type { HistoryEvent } from './history.js';

/** An inbox message: a history event for an instance, optionally pinned to one execution. */
export interface MessageEnvelope {
  /** When set, the message is dropped if the instance has moved to another execution (continue-as-new, reuse). */
  executionId?: string;
  event: HistoryEvent;
}

/** The JSON of an activity task row. */
export interface ActivityTaskData {
  name: string;
  input?: string;
  attempt: number;
  logicalTaskId: number;
}

export function encodeMessage(envelope: MessageEnvelope): string {
  return JSON.stringify(envelope);
}

export function decodeMessage(message: InboxMessage): MessageEnvelope {
  return JSON.parse(message.data) as MessageEnvelope;
}

export function toHistoryRecord(event: HistoryEvent, seq: number): HistoryRecord {
  return { seq, type: event.type, timestamp: event.timestamp, data: JSON.stringify(event) };
}

export function fromHistoryRecord(record: HistoryRecord): HistoryEvent {
  return JSON.parse(record.data) as HistoryEvent;
}
