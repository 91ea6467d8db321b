/**
 * @module engine/messages
 * How engine records map onto the store's opaque rows: inbox messages are an envelope around a
 * history event (with the execution it is meant for), history rows carry the event as JSON, and
 * activity tasks carry what the activity worker needs.
 */

import type { HistoryRecord, InboxMessage, InstanceRecord, NewMessage } from '../store/types.js';
import { EventType, type EventRaisedEvent, type HistoryEvent } from './history.js';

/** An inbox message: a history event for an instance, optionally pinned to one execution. */
export interface MessageEnvelope {
  /** When set, the message is dropped if the instance has moved to another execution (continue-as-new, reuse). */
  executionId?: string;
  event: HistoryEvent;
  /**
   * Only on the ExecutionStarted of a continue-as-new: the external events the ending execution
   * carried over, in their order. They travel inside the start message (not as inbox rows of
   * their own) so that they are applied right after the start, before any event that arrived
   * while the ending turn ran — per-name order is kept (issue 9, finding 6).
   */
  carried?: EventRaisedEvent[];
}

/** The JSON of an activity task row. */
export interface ActivityTaskData {
  name: string;
  input?: string;
  attempt: number;
  logicalTaskId: number;
  /** Fire-and-forget: not aborted when its instance ends. */
  detached?: boolean;
  /** W3C trace context the scheduling code gave the call (CallActivityOptions.traceparent). */
  traceparent?: string;
}

/** The store row text of an inbox message. */
export function encodeMessage(envelope: MessageEnvelope): string {
  return JSON.stringify(envelope);
}

/**
 * The store message for an envelope. A message pinned to an execution also names it in the
 * store's `executionId` column, so continue-as-new can delete the ending execution's leftovers
 * (TurnCommit.dropWorkOf); an instance-level message (external event, terminate …) leaves it unset.
 */
export function newMessage(instanceId: string, envelope: MessageEnvelope, visibleAt: number): NewMessage {
  const m: NewMessage = { instanceId, data: encodeMessage(envelope), visibleAt };
  if (envelope.executionId !== undefined) m.executionId = envelope.executionId;
  if (envelope.event.type === EventType.ExecutionTerminated && envelope.event.recurse) m.terminates = true;
  return m;
}

/** Parses an inbox message row back into its envelope. */
export function decodeMessage(message: InboxMessage): MessageEnvelope {
  return JSON.parse(message.data) as MessageEnvelope;
}

/**
 * The events a turn applies from claimed inbox messages (see {@link inboxEvents} for the order),
 * and the id of the instance-level message behind each event that came from one (not a start,
 * not the events carried inside it, not a message pinned to the execution): the messages a
 * continue-as-new turn may leave in the inbox for the next execution (specs/engine.md §4b).
 */
export function inboxBatch(instance: InstanceRecord, messages: readonly InboxMessage[]): { events: HistoryEvent[]; messageOf: Map<HistoryEvent, number> } {
  const head: HistoryEvent[] = [];
  const rest: HistoryEvent[] = [];
  const messageOf = new Map<HistoryEvent, number>();
  for (const m of messages) {
    const env = decodeMessage(m);
    if (env.executionId !== undefined && env.executionId !== instance.executionId) continue;
    const e = env.event;
    if (e.type === EventType.ExecutionTerminated && e.sender !== undefined && e.sender.instanceId !== instance.parentInstanceId) continue;
    if (e.type === EventType.ExecutionStarted && head.length === 0) head.push(e, ...(env.carried ?? []));
    else {
      rest.push(e);
      if (env.executionId === undefined) messageOf.set(e, m.id);
    }
  }
  return { events: head.concat(rest), messageOf };
}

/**
 * The events a turn applies from claimed inbox messages, in order:
 * - messages pinned to another execution (stale timers and results) are dropped;
 * - a terminate sent by a parent is dropped unless the sender is this instance's parent;
 * - an ExecutionStarted comes first, followed by the events carried inside it (continue-as-new),
 *   then the other messages in inbox (arrival) order.
 */
export function inboxEvents(instance: InstanceRecord, messages: readonly InboxMessage[]): HistoryEvent[] {
  return inboxBatch(instance, messages).events;
}

/** A history event as a store row at position `seq` (type and timestamp copied out for inspection). */
export function toHistoryRecord(event: HistoryEvent, seq: number): HistoryRecord {
  return { seq, type: event.type, timestamp: event.timestamp, data: JSON.stringify(event) };
}

/** Parses a history row back into its event. */
export function fromHistoryRecord(record: HistoryRecord): HistoryEvent {
  return JSON.parse(record.data) as HistoryEvent;
}
