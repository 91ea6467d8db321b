/**
 * @module store/postgres-inspection
 * The PostgreSQL store's reads beyond single rows: queryInstances (keyset paging on
 * (created_at, instance_id), same page tokens as SQLite), pendingWork, queuedWork and the
 * definitions table. Scheduling times are converted back to the caller's frame here.
 */

import type pg from 'pg';
import { run } from './postgres-sql.js';
import { decodePageToken, encodePageToken, INSTANCE_COLUMNS, toDefinitionRecord, toInstanceRecord, type DefinitionRow, type InstanceRow } from './sqlite-rows.js';
import { prefixSuccessor, StoreErrorCode, storeError, type DefinitionRecord, type InstanceCount, type InstanceCountQuery, type RuntimeStatus, type InstancePage, type InstanceQuery, type PendingWork, type QueuedWorkCount } from './types.js';

/** Page size when the query gives none, and the cap on what it may ask for. */
const DEFAULT_PAGE_SIZE = 100;
const MAX_PAGE_SIZE = 1000;

/** One page of `query`. */
export async function queryInstances(db: pg.Pool, query: InstanceQuery): Promise<InstancePage> {
  const where: string[] = [];
  const params: unknown[] = [];
  const param = (value: unknown): string => {
    params.push(value);
    return `$${params.length}`;
  };
  if (query.name !== undefined) where.push(`name = ${param(query.name)}`);
  if (query.statuses !== undefined && query.statuses.length > 0) where.push(`status = ANY(${param(query.statuses)}::text[])`);
  if (query.createdFrom !== undefined) where.push(`created_at >= ${param(query.createdFrom)}`);
  if (query.createdTo !== undefined) where.push(`created_at < ${param(query.createdTo)}`);
  if (query.parentInstanceId !== undefined) where.push(`parent_instance_id = ${param(query.parentInstanceId)}`);
  if (query.definitionHash !== undefined) where.push(`definition_hash = ${param(query.definitionHash)}`);
  where.push(...prefixRange(query.instanceIdPrefix, param));
  const desc = query.order === 'desc';
  if (query.pageToken !== undefined) {
    let after: [number, string];
    try {
      after = decodePageToken(query.pageToken);
    } catch (cause) {
      throw storeError(StoreErrorCode.INVALID_PAGE_TOKEN, (cause as Error).message);
    }
    where.push(`(created_at, instance_id) ${desc ? '<' : '>'} (${param(after[0])}::bigint, ${param(after[1])}::text)`);
  }
  const pageSize = Math.min(Math.max(1, query.pageSize ?? DEFAULT_PAGE_SIZE), MAX_PAGE_SIZE);
  const text =
    `SELECT ${INSTANCE_COLUMNS} FROM instances` +
    (where.length > 0 ? ` WHERE ${where.join(' AND ')}` : '') +
    ` ORDER BY created_at${desc ? ' DESC' : ''}, instance_id${desc ? ' DESC' : ''} LIMIT ${param(pageSize + 1)}`;
  const rows = (await db.query<InstanceRow>(text, params)).rows;
  const page: InstancePage = { instances: rows.slice(0, pageSize).map(toInstanceRecord) };
  if (rows.length > pageSize) {
    const last = rows[pageSize - 1];
    page.nextPageToken = encodePageToken(last.created_at, last.instance_id);
  }
  return page;
}

/**
 * The instance-id prefix as a range on the primary key (`instance_id` is COLLATE "C": byte
 * order, so the btree answers `>= p AND < successor(p)`).
 */
function prefixRange(prefix: string | undefined, param: (value: unknown) => string): string[] {
  if (prefix === undefined || prefix === '') return [];
  const upper = prefixSuccessor(prefix);
  return [`instance_id >= ${param(prefix)}`, ...(upper !== undefined ? [`instance_id < ${param(upper)}`] : [])];
}

/** countInstances: one GROUP BY over the matching rows. */
export async function countInstances(db: pg.Pool, query: InstanceCountQuery = {}): Promise<InstanceCount[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  const param = (value: unknown): string => {
    params.push(value);
    return `$${params.length}`;
  };
  if (query.name !== undefined) where.push(`name = ${param(query.name)}`);
  where.push(...prefixRange(query.instanceIdPrefix, param));
  const text =
    'SELECT name, status, COUNT(*)::int AS n FROM instances' +
    (where.length > 0 ? ` WHERE ${where.join(' AND ')}` : '') +
    ' GROUP BY name, status ORDER BY name COLLATE "C", status COLLATE "C"';
  const rows = (await db.query<{ name: string; status: RuntimeStatus; n: number }>(text, params)).rows;
  return rows.map((r) => ({ name: r.name, status: r.status, count: r.n }));
}

/** pendingWork with `now` in the database frame; `fromDb` maps times back. */
export async function pendingWork(db: pg.Pool, instanceId: string, now: number, fromDb: (t: number) => number): Promise<PendingWork> {
  const inbox = (await run<{ n: number; next: number | null }>(db, 'inboxSummary', [instanceId, now])).rows[0];
  const rows = (
    await run<{ task_id: number; name: string; visible_at: number; locked_by: string | null; lock_expires_at: number | null; dequeue_count: number }>(
      db,
      'instanceTasks',
      [instanceId],
    )
  ).rows;
  const work: PendingWork = {
    inboxMessages: inbox.n,
    tasks: rows.map((t) => ({
      taskId: t.task_id,
      name: t.name,
      visibleAt: fromDb(t.visible_at),
      leased: t.locked_by !== null && (t.lock_expires_at ?? 0) > now,
      dequeueCount: t.dequeue_count,
    })),
  };
  if (inbox.next !== null) work.nextMessageAt = fromDb(inbox.next);
  return work;
}

/** queuedWork with `now` in the database frame. */
export async function queuedWork(db: pg.Pool, now: number, fromDb: (t: number) => number): Promise<QueuedWorkCount[]> {
  const out: QueuedWorkCount[] = [];
  const collect = async (kind: QueuedWorkCount['kind'], name: 'readyInstancesByName' | 'readyTasksByName'): Promise<void> => {
    for (const row of (await run<{ name: string; ready: number; oldest: number }>(db, name, [now])).rows) {
      out.push({ kind, name: row.name, ready: row.ready, oldestVisibleAt: fromDb(row.oldest) });
    }
  };
  await collect('orchestration', 'readyInstancesByName');
  await collect('activity', 'readyTasksByName');
  return out;
}

/** Stores a definition (idempotent by hash). */
export async function putDefinition(db: pg.Pool | pg.PoolClient, d: DefinitionRecord): Promise<void> {
  await run(db, 'putDefinition', [d.hash, d.id, d.version ?? null, d.text, d.source, d.registeredAt]);
}

export async function getDefinition(db: pg.Pool, hash: string): Promise<DefinitionRecord | undefined> {
  const row = (await run<DefinitionRow>(db, 'getDefinition', [hash])).rows[0];
  return row === undefined ? undefined : toDefinitionRecord(row);
}

export async function listDefinitions(db: pg.Pool, id?: string): Promise<DefinitionRecord[]> {
  return (await run<DefinitionRow>(db, 'listDefinitions', [id ?? null])).rows.map(toDefinitionRecord);
}

export async function deleteUnusedDefinitions(db: pg.PoolClient, hashes: readonly string[], registeredBefore?: number): Promise<string[]> {
  const deleted: string[] = [];
  for (const hash of new Set(hashes)) if (((await run(db, 'deleteUnusedDefinition', [hash, registeredBefore ?? null])).rowCount ?? 0) > 0) deleted.push(hash);
  return deleted;
}
