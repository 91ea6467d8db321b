/**
 * @module store/memory-query
 * `queryInstances` for the memory store: the filter as a predicate, keyset paging on
 * (createdAt, instanceId) with the same opaque token shape as the SQL backends.
 */

import { StoreErrorCode, storeError, type InstanceCount, type InstanceCountQuery, type InstancePage, type InstanceQuery, type InstanceRecord } from './types.js';

const DEFAULT_PAGE_SIZE = 100;
const MAX_PAGE_SIZE = 1000;

/** One page of the records matching `query` (copies: callers cannot mutate the store through them). */
export function queryRecords(records: Iterable<InstanceRecord>, query: InstanceQuery): InstancePage {
  const pageSize = Math.min(Math.max(1, query.pageSize ?? DEFAULT_PAGE_SIZE), MAX_PAGE_SIZE);
  const after = query.pageToken !== undefined ? decodePageToken(query.pageToken) : undefined;
  const statuses = query.statuses && query.statuses.length > 0 ? new Set(query.statuses) : undefined;
  const desc = query.order === 'desc';
  const prefix = query.instanceIdPrefix ?? '';
  const matches: InstanceRecord[] = [];
  for (const r of records) {
    if (!r.instanceId.startsWith(prefix)) continue;
    if (query.name !== undefined && r.name !== query.name) continue;
    if (statuses && !statuses.has(r.status)) continue;
    if (query.createdFrom !== undefined && r.createdAt < query.createdFrom) continue;
    if (query.createdTo !== undefined && r.createdAt >= query.createdTo) continue;
    if (query.parentInstanceId !== undefined && r.parentInstanceId !== query.parentInstanceId) continue;
    if (query.definitionHash !== undefined && r.definitionHash !== query.definitionHash) continue;
    if (after) {
      const c = compareKey(r.createdAt, r.instanceId, after.createdAt, after.instanceId);
      if (desc ? c >= 0 : c <= 0) continue;
    }
    matches.push(r);
  }
  matches.sort((a, b) => (desc ? -1 : 1) * compareKey(a.createdAt, a.instanceId, b.createdAt, b.instanceId));
  const page = matches.slice(0, pageSize).map((r) => ({ ...r }));
  const last = page[page.length - 1];
  return matches.length > pageSize && last ? { instances: page, nextPageToken: encodePageToken(last.createdAt, last.instanceId) } : { instances: page };
}

/** countInstances for the memory store: groups by (name, status), ordered as the SQL backends. */
export function countRecords(records: Iterable<InstanceRecord>, query: InstanceCountQuery = {}): InstanceCount[] {
  const prefix = query.instanceIdPrefix ?? '';
  const groups = new Map<string, InstanceCount>();
  for (const r of records) {
    if (query.name !== undefined && r.name !== query.name) continue;
    if (!r.instanceId.startsWith(prefix)) continue;
    const key = JSON.stringify([r.name, r.status]);
    const g = groups.get(key);
    if (g) g.count++;
    else groups.set(key, { name: r.name, status: r.status, count: 1 });
  }
  return [...groups.values()].sort((a, b) => compareText(a.name, b.name) || compareText(a.status, b.status));
}

/** Code-unit order, the same as SQLite's BINARY collation. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Keyset order of queryInstances: (createdAt, instanceId). */
function compareKey(aAt: number, aId: string, bAt: number, bId: string): number {
  if (aAt !== bAt) return aAt - bAt;
  return compareText(aId, bId);
}

function encodePageToken(createdAt: number, instanceId: string): string {
  return Buffer.from(JSON.stringify([createdAt, instanceId])).toString('base64url');
}

function decodePageToken(token: string): { createdAt: number; instanceId: string } {
  try {
    const [createdAt, instanceId] = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as [number, string];
    if (typeof createdAt === 'number' && typeof instanceId === 'string') return { createdAt, instanceId };
  } catch {
    // fall through to the error below
  }
  throw storeError(StoreErrorCode.INVALID_PAGE_TOKEN, `invalid page token '${token}'`);
}
