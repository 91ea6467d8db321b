/**
 * @module store/memory-lease
 * The memory store's claim of one instance: its lease (owner, expiry, epoch +1) and the messages
 * the lease takes — the instance's whole visible inbox belongs to it, an unstarted execution's own
 * start first (types.ts ClaimOrchestrationsRequest), at most maxMessagesPerInstance of them.
 */

import type { MemoryInbox } from './memory-inbox.js';
import { copyInstance, type InboxRow, type InstanceRow } from './memory-rows.js';
import { omitCachedPayloads } from './payload-omission.js';
import type { ClaimOrchestrationsRequest, InboxMessage, OrchestrationWorkItem } from './types.js';

const DEFAULT_MAX_MESSAGES_PER_INSTANCE = 1000;

/** Locks `row` for the claim and takes its first visible messages (the instance's whole inbox belongs to the lease). */
export function leaseInstance(inbox: MemoryInbox, row: InstanceRow, request: ClaimOrchestrationsRequest): OrchestrationWorkItem {
  const maxMessages = request.maxMessagesPerInstance ?? DEFAULT_MAX_MESSAGES_PER_INSTANCE;
  row.lockedBy = request.leaseId;
  row.lockExpiresAt = request.now + request.leaseMs;
  row.epoch += 1;
  const messages: InboxMessage[] = [];
  const take = (m: InboxRow): void => {
    m.dequeueCount += 1;
    messages.push({ id: m.id, instanceId: m.instanceId, data: m.data, visibleAt: m.visibleAt, dequeueCount: m.dequeueCount });
  };
  // An execution not started yet: its own (pinned) messages — its start — come first, whatever
  // backlog of instance-level messages precedes them (types.ts ClaimOrchestrationsRequest).
  const pinned = row.record.historyLength === 0 ? pinnedVisible(inbox, row.record.instanceId, row.record.executionId, request.now) : [];
  for (const m of pinned.slice(0, maxMessages)) take(m);
  const first = new Set(messages.map((m) => m.id));
  for (const m of inbox.of(row.record.instanceId)) {
    if (messages.length >= maxMessages) break;
    if (m.visibleAt > request.now || first.has(m.id)) continue;
    take(m);
  }
  row.claimLastId = messages.length > 0 ? Math.max(...messages.map((m) => m.id)) : undefined;
  if (pinned.length > 0 && row.claimLastId !== undefined) {
    // The window runs up to the start: what it spans and did not return counts a delivery too
    // (as in the SQL backends, which count by window).
    const returned = new Set(messages.map((m) => m.id));
    for (const m of inbox.of(row.record.instanceId)) {
      if (m.id > row.claimLastId) break;
      if (m.visibleAt <= request.now && !returned.has(m.id)) m.dequeueCount += 1;
    }
  }
  row.claimNow = request.now;
  return omitCachedPayloads(request, { instance: copyInstance(row.record), messages, leaseId: request.leaseId, epoch: row.epoch });
}

/** The visible messages of `instanceId` pinned to `executionId`, in id order. */
function pinnedVisible(inbox: MemoryInbox, instanceId: string, executionId: string, now: number): InboxRow[] {
  const out: InboxRow[] = [];
  for (const m of inbox.of(instanceId)) {
    if (m.executionId === executionId && m.visibleAt <= now) out.push(m);
  }
  return out;
}
