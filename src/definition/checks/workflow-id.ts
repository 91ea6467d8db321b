/**
 * @module definition/checks/workflow-id
 * The workflow `id` is the name instances are started by (the Dapr workflow name, a URL path
 * segment): it must fit the engine's name limit, so that a definition the validator accepts can
 * always be registered — not refused later by the engine, after it was stored.
 */
import { DiagnosticCode } from '../diagnostic.js';
import type { Reporter } from '../report.js';

/** Longest workflow id: the engine's limit on orchestration names (engine/validation.ts). */
export const MAX_WORKFLOW_ID_LENGTH = 256;

/** Reports an `id` longer than {@link MAX_WORKFLOW_ID_LENGTH}. Other shapes are the schema's. */
export function checkWorkflowId(doc: Record<string, unknown>, r: Reporter): void {
  const id = doc.id;
  if (typeof id !== 'string' || id.length <= MAX_WORKFLOW_ID_LENGTH) return;
  r.error(DiagnosticCode.InvalidValue, '/id', `the workflow id is ${id.length} characters long; at most ${MAX_WORKFLOW_ID_LENGTH} are allowed ('${id.slice(0, 40)}…')`);
}
