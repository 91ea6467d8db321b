/**
 * @module interpreter/correlation-key
 * The wait key of a consumed event definition's correlation (spec §Correlation Definition): the
 * text an instance attaches to its event waits (engine wait keys, kept in the store's index) and
 * the host's event router computes from an incoming CloudEvent, so that routing is a lookup of
 * the values each waiting instance computed — literal or `${ }` — and never a scan (issue 18).
 */
import type { EventDef } from '../definition/types.js';

/** One correlation attribute: its lower-case name and the value as text. */
export type CorrelationPair = [name: string, value: string];

/**
 * The wait key of `def` (of workflow `workflowId`) with these attribute values: workflow, event
 * type and source (the router's match), then the pairs sorted by attribute name. Undefined for a
 * definition the router never routes (no type, or produced).
 */
export function correlationWaitKey(workflowId: string, def: EventDef, pairs: readonly CorrelationPair[]): string | undefined {
  if (def.type === undefined || (def.kind ?? 'consumed') !== 'consumed') return undefined;
  const sorted = [...pairs].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return JSON.stringify(['swirl.event', workflowId, def.type, def.source ?? null, sorted]);
}
