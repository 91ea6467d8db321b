/**
 * @module cli/client/instance-views
 * The shapes the client reads from `/api/v1/instances` (specs/http-api.openapi.yaml) and the
 * table columns people see for them.
 */
import type { Column } from './table.js';

/** One row of `GET /api/v1/instances`. */
export interface InstanceSummary {
  instanceID: string;
  workflowName: string;
  runtimeStatus: string;
  createdAt: string;
  lastUpdatedAt: string;
}

/** `GET /api/v1/instances/{id}` (the fields the client reads). */
export interface InstanceDetail extends InstanceSummary {
  output?: unknown;
  failure?: { errorType?: string; code?: string; message?: string };
}

/** The statuses after which an instance never changes again. */
export const TERMINAL_STATUSES: ReadonlySet<string> = new Set(['COMPLETED', 'FAILED', 'TERMINATED']);

/** 2026-12-02T20:37:31Z: seconds are enough to read, and every row has the same width. */
export function shortTime(iso: string | undefined): string | undefined {
  return iso?.replace(/\.\d+Z$/, 'Z');
}

export const INSTANCE_COLUMNS: readonly Column<InstanceSummary>[] = [
  { header: 'id', cell: (r) => r.instanceID },
  { header: 'workflow', cell: (r) => r.workflowName },
  { header: 'status', cell: (r) => r.runtimeStatus },
  { header: 'created', cell: (r) => shortTime(r.createdAt) },
  { header: 'updated', cell: (r) => shortTime(r.lastUpdatedAt) },
];
