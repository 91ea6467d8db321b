/**
 * @module definition/checks/reserved-id
 * Workflow ids in Swirl's own namespace (`swirl.*`, specs/security.md "Reserved ids") name the
 * engine's built-in orchestrations (the event mailbox `swirl.mailbox`): a definition may not take
 * one, or registering it would clash with the built-in (and, saved, stop every later start).
 */
import { DiagnosticCode } from '../diagnostic.js';
import type { CheckContext } from './context.js';

/** The reserved prefix, compared without case so that `Swirl.Mailbox` is refused too. */
export const RESERVED_ID_PREFIX = 'swirl.';

/** Whether `id` is in Swirl's reserved namespace. */
export function isReservedWorkflowId(id: string): boolean {
  return id.toLowerCase().startsWith(RESERVED_ID_PREFIX);
}

/** RESERVED_ID at `/id` (or `/key`) when the definition's id is reserved. */
export function checkReservedId(ctx: CheckContext): void {
  for (const prop of ['id', 'key'] as const) {
    const v = ctx.doc[prop];
    if (typeof v !== 'string' || !isReservedWorkflowId(v)) continue;
    ctx.r.error(DiagnosticCode.ReservedId, `/${prop}`, `workflow ${prop} '${v}' is reserved: ids starting with '${RESERVED_ID_PREFIX}' name Swirl's built-in workflows`, {
      hint: `choose an id outside the '${RESERVED_ID_PREFIX}' namespace, e.g. '${v.slice(RESERVED_ID_PREFIX.length) || 'my-workflow'}'`,
    });
  }
}
