/**
 * @module store/memory-query
 * `queryInstances` for the memory store: the filter as a predicate, keyset paging on
 * (createdAt, instanceId) with the same opaque token shape as the SQL backends.
 */

import { StoreErrorCode, storeError, type InstancePage, type InstanceQuery, type InstanceRecord } from './types.js';

const DEFAULT_PAGE_SIZE = 100;
const MAX_PAGE_SIZE = 1000;

/** One page of the records matching `query` (copies: callers cannot mutate the store through them). */
export function queryRecords(records: Iterable<InstanceRecord>, query: InstanceQuery): InstancePage {
  const pageSize = Math.min(Math.max(1, query.pageSize ?? DEFAULT_PAGE_SIZE), MAX_PAGE_SIZE);
  const after = query.pageToken !== undefined ? decodePageToken(query.pageToken) : undefined;
  const statuses = query.statuses && query.statuses.length > 0 ? new Set(query.statuses) : undefined;
  const matches: InstanceRecord[] = [];
  for (const r of records) {
    if (query.name !== undefined && r.name !== query.name) continue;
    if (statuses && !statuses.has(r.status)) continue;
    if (query.createdFrom !== undefined && r.createdAt < query.createdFrom) continue;
    if (query.createdTo !== undefined && r.createdAt >= query.createdTo) continue;
    if (query.parentInstanceId !== undefined && r.parentInstanceId !== query.parentInstanceId) continue;
    if (query.definitionHash !== undefined && r.definitionHash !== query.definitionHash) continue;
    if (after && compareKey(r.createdAt, r.instanceId, after.createdAt, after.instanceId) <= 0) continue;
    matches.push(r);
  }
  matches.sort((a, b) => compareKey(a.createdAt, a.instanceId, b.createdAt, b.instanceId));
  const page = matches.slice(0, pageSize).map((r) => ({ ...r }));
  const last = page[page.length - 1];
  return matches.length > pageSize && last ? { instances: page, nextPageToken: encodePageToken(last.createdAt, last.instanceId) } : { instances: page };
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
