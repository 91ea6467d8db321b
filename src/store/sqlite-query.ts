/**
 * @module store/sqlite-query
 * `queryInstances` for the SQLite store: the filter becomes a WHERE clause over the indexed
 * instance columns, paging is keyset paging on (created_at, instance_id) — stable under inserts,
 * no OFFSET scans — and the page token is that key, base64url-encoded.
 */

import { decodePageToken, encodePageToken, INSTANCE_COLUMNS, toInstanceRecord, type InstanceRow } from './sqlite-rows.js';
import type { SqliteStatements } from './sqlite-statements.js';
import { prefixSuccessor, StoreErrorCode, storeError, type InstanceCount, type InstanceCountQuery, type InstancePage, type InstanceQuery, type RuntimeStatus } from './types.js';

/** Page size when the query gives none, and the cap on what it may ask for. */
const DEFAULT_PAGE_SIZE = 100;
const MAX_PAGE_SIZE = 1000;

/** Runs one page of `query` (statements are prepared once per distinct filter shape). */
export function queryInstances(sql: SqliteStatements, query: InstanceQuery): InstancePage {
  const where: string[] = [];
  const params: unknown[] = [];
  if (query.name !== undefined) {
    where.push('name = ?');
    params.push(query.name);
  }
  if (query.statuses !== undefined && query.statuses.length > 0) {
    where.push(`status IN (${query.statuses.map(() => '?').join(', ')})`);
    params.push(...query.statuses);
  }
  if (query.createdFrom !== undefined) {
    where.push('created_at >= ?');
    params.push(query.createdFrom);
  }
  if (query.createdTo !== undefined) {
    where.push('created_at < ?');
    params.push(query.createdTo);
  }
  if (query.parentInstanceId !== undefined) {
    where.push('parent_instance_id = ?');
    params.push(query.parentInstanceId);
  }
  if (query.definitionHash !== undefined) {
    where.push('definition_hash = ?');
    params.push(query.definitionHash);
  }
  prefixRange(query.instanceIdPrefix, where, params);
  const desc = query.order === 'desc';
  if (query.pageToken !== undefined) {
    let after: [number, string];
    try {
      after = decodePageToken(query.pageToken);
    } catch (cause) {
      throw storeError(StoreErrorCode.INVALID_PAGE_TOKEN, (cause as Error).message);
    }
    where.push(`(created_at, instance_id) ${desc ? '<' : '>'} (?, ?)`);
    params.push(...after);
  }
  const pageSize = Math.min(Math.max(1, query.pageSize ?? DEFAULT_PAGE_SIZE), MAX_PAGE_SIZE);
  const text =
    `SELECT ${INSTANCE_COLUMNS} FROM instances` +
    (where.length > 0 ? ` WHERE ${where.join(' AND ')}` : '') +
    (desc ? ' ORDER BY created_at DESC, instance_id DESC LIMIT ?' : ' ORDER BY created_at, instance_id LIMIT ?');
  // One row more than the page tells whether another page exists without a COUNT.
  const rows = sql.cached(text).all(...params, pageSize + 1) as InstanceRow[];
  const page: InstancePage = { instances: rows.slice(0, pageSize).map(toInstanceRecord) };
  if (rows.length > pageSize) {
    const last = rows[pageSize - 1];
    page.nextPageToken = encodePageToken(last.created_at, last.instance_id);
  }
  return page;
}

/**
 * The instance-id prefix as a range on the primary key (BINARY collation = code-unit order for
 * the ASCII ids the engine accepts): `instance_id >= p AND instance_id < successor(p)`.
 */
function prefixRange(prefix: string | undefined, where: string[], params: unknown[]): void {
  if (prefix === undefined || prefix === '') return;
  where.push('instance_id >= ?');
  params.push(prefix);
  const upper = prefixSuccessor(prefix);
  if (upper !== undefined) {
    where.push('instance_id < ?');
    params.push(upper);
  }
}

/** countInstances: one GROUP BY over the matching rows. */
export function countInstances(sql: SqliteStatements, query: InstanceCountQuery = {}): InstanceCount[] {
  const where: string[] = [];
  const params: unknown[] = [];
  if (query.name !== undefined) {
    where.push('name = ?');
    params.push(query.name);
  }
  prefixRange(query.instanceIdPrefix, where, params);
  const text =
    'SELECT name, status, COUNT(*) AS n FROM instances' +
    (where.length > 0 ? ` WHERE ${where.join(' AND ')}` : '') +
    ' GROUP BY name, status ORDER BY name, status';
  const rows = sql.cached(text).all(...params) as { name: string; status: RuntimeStatus; n: number }[];
  return rows.map((r) => ({ name: r.name, status: r.status, count: Number(r.n) }));
}
