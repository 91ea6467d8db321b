/**
 * @module engine/instance-purge
 * Purging finished instances: one instance (and, unless `recursive: false`, its whole subtree of
 * sub-orchestrations, deleted in one store call), or every finished instance matching a filter.
 * Nothing that is still running is deleted.
 */

import { SwirlError } from '../errors.js';
import { TERMINAL_STATUSES, isTerminalStatus, type InstanceRecord } from '../store/types.js';
import type { ClientHost } from './client-host.js';
import { EngineErrorCode } from './error-codes.js';
import { listInstances, requireInstance, type InstanceFilter } from './instance-query.js';

/**
 * Deletes a finished instance (and, unless `recursive: false`, its sub-orchestrations).
 * @throws SwirlError INSTANCE_NOT_FOUND, INSTANCE_NOT_TERMINAL (it or a child is still running; nothing is deleted)
 */
export async function purgeInstance(host: ClientHost, instanceId: string, options: { recursive?: boolean } = {}): Promise<{ deletedInstanceCount: number }> {
  const root = await requireInstance(host, instanceId);
  const ids = options.recursive === false ? [root] : await subtree(host, root);
  const running = ids.find((r) => !isTerminalStatus(r.status));
  if (running) {
    throw new SwirlError(
      EngineErrorCode.INSTANCE_NOT_TERMINAL,
      running.instanceId === instanceId
        ? `cannot purge instance '${instanceId}': it is ${running.status}; only COMPLETED, FAILED or TERMINATED instances can be purged`
        : `cannot purge instance '${instanceId}': its sub-orchestration '${running.instanceId}' is ${running.status}`,
    );
  }
  const deleted = await host.store().purgeInstances(ids.map((r) => r.instanceId));
  return { deletedInstanceCount: deleted.length };
}

/**
 * Deletes every finished instance matching `filter` (statuses default to all terminal ones),
 * with their sub-orchestrations. Instances with a running child are skipped.
 * @throws SwirlError INVALID_ARGUMENT if the filter names a non-terminal status
 */
export async function purgeMatching(host: ClientHost, filter: Omit<InstanceFilter, 'parentInstanceId'> & { recursive?: boolean }): Promise<{ deletedInstanceCount: number }> {
  const statuses = filter.statuses && filter.statuses.length > 0 ? filter.statuses : [...TERMINAL_STATUSES];
  const bad = statuses.find((s) => !isTerminalStatus(s));
  if (bad) throw new SwirlError(EngineErrorCode.INVALID_ARGUMENT, `purge filter status ${bad} is not terminal: only COMPLETED, FAILED and TERMINATED instances can be purged`);
  let deleted = 0;
  let pageToken: string | undefined;
  do {
    const page = await listInstances(host, { ...filter, statuses }, { pageSize: 500, ...(pageToken !== undefined ? { pageToken } : {}) });
    pageToken = page.nextPageToken;
    for (const m of page.instances) {
      const r = await host.store().getInstance(m.instanceId);
      if (!r) continue; // already deleted as someone's child
      const ids = filter.recursive === false ? [r] : await subtree(host, r);
      if (ids.some((x) => !isTerminalStatus(x.status))) continue;
      deleted += (await host.store().purgeInstances(ids.map((x) => x.instanceId))).length;
    }
  } while (pageToken !== undefined);
  return { deletedInstanceCount: deleted };
}

/** The instance and all its descendants (children first is not required: purge is one transaction). */
async function subtree(host: ClientHost, root: InstanceRecord): Promise<InstanceRecord[]> {
  const out: InstanceRecord[] = [root];
  const seen = new Set([root.instanceId]);
  for (let i = 0; i < out.length; i++) {
    let pageToken: string | undefined;
    do {
      const page = await host.store().queryInstances({ parentInstanceId: out[i]!.instanceId, pageSize: 1000, ...(pageToken !== undefined ? { pageToken } : {}) });
      for (const c of page.instances) {
        if (seen.has(c.instanceId)) continue;
        seen.add(c.instanceId);
        out.push(c);
      }
      pageToken = page.nextPageToken;
    } while (pageToken !== undefined);
  }
  return out;
}
