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

/** The store row text of an inbox message. */
export function encodeMessage(envelope: MessageEnvelope): string {
  return JSON.stringify(envelope);
}

/** Parses an inbox message row back into its envelope. */
export function decodeMessage(message: InboxMessage): MessageEnvelope {
  return JSON.parse(message.data) as MessageEnvelope;
}

/** A history event as a store row at position `seq` (type and timestamp copied out for inspection). */
export function toHistoryRecord(event: HistoryEvent, seq: number): HistoryRecord {
  return { seq, type: event.type, timestamp: event.timestamp, data: JSON.stringify(event) };
}

/** Parses a history row back into its event. */
export function fromHistoryRecord(record: HistoryRecord): HistoryEvent {
  return JSON.parse(record.data) as HistoryEvent;
}
