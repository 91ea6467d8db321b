/**
 * @module engine/instance-query
 * Finding instances: the filter and page options of a listing, one page of instances matching a
 * filter (a store query), and the lookup of one instance that must exist.
 */

import { SwirlError } from '../errors.js';
import type { InstanceRecord, RuntimeStatus } from '../store/types.js';
import type { ClientHost } from './client-host.js';
import { EngineErrorCode } from './error-codes.js';
import { toMetadata, toMs, type InstanceMetadata } from './instance-metadata.js';
import { checkInstanceId } from './validation.js';

/** Filter of {@link EngineClient.list} and {@link EngineClient.purgeInstances}. */
export interface InstanceFilter {
  name?: string;
  statuses?: RuntimeStatus[];
  /** createdAt >= createdFrom. */
  createdFrom?: Date | number;
  /** createdAt < createdTo. */
  createdTo?: Date | number;
  /** Only children of this instance. */
  parentInstanceId?: string;
  /** Only instances whose id starts with this (a range scan of the store's key). */
  instanceIdPrefix?: string;
}

/** Page options of {@link EngineClient.list}. */
export interface ListPage {
  pageSize?: number;
  pageToken?: string;
  /** By creation time: `asc` (oldest first, the default) or `desc` (newest first). */
  order?: 'asc' | 'desc';
}

/** One group of {@link EngineClient.count}. */
export interface InstanceCountRow {
  name: string;
  runtimeStatus: RuntimeStatus;
  count: number;
}

/** One page of {@link EngineClient.list}. */
export interface InstanceList {
  instances: InstanceMetadata[];
  /** Pass it back as `pageToken` for the next page; absent on the last page. */
  nextPageToken?: string;
}

/** One page of instances matching `filter`, oldest first (newest first with `order: 'desc'`). */
export async function listInstances(host: ClientHost, filter: InstanceFilter = {}, page: ListPage = {}): Promise<InstanceList> {
  const res = await host.store().queryInstances({
    ...(filter.name !== undefined ? { name: filter.name } : {}),
    ...(filter.statuses !== undefined ? { statuses: filter.statuses } : {}),
    ...(filter.createdFrom !== undefined ? { createdFrom: toMs(filter.createdFrom) } : {}),
    ...(filter.createdTo !== undefined ? { createdTo: toMs(filter.createdTo) } : {}),
    ...(filter.parentInstanceId !== undefined ? { parentInstanceId: filter.parentInstanceId } : {}),
    ...(filter.instanceIdPrefix !== undefined ? { instanceIdPrefix: filter.instanceIdPrefix } : {}),
    ...(page.order !== undefined ? { order: page.order } : {}),
    ...(page.pageSize !== undefined ? { pageSize: page.pageSize } : {}),
    ...(page.pageToken !== undefined ? { pageToken: page.pageToken } : {}),
  });
  const out: InstanceList = { instances: res.instances.map(toMetadata) };
  if (res.nextPageToken !== undefined) out.nextPageToken = res.nextPageToken;
  return out;
}

/** The instance. @throws SwirlError INVALID_INSTANCE_ID, INSTANCE_NOT_FOUND */
export async function requireInstance(host: ClientHost, instanceId: string): Promise<InstanceRecord> {
  checkInstanceId(instanceId);
  const r = await host.store().getInstance(instanceId);
  if (!r) throw new SwirlError(EngineErrorCode.INSTANCE_NOT_FOUND, `no instance with id '${instanceId}'`);
  return r;
}
