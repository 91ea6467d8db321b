/**
 * @module definition/checks/context
 * What every semantic check receives: the document, the reporter, and the name tables of its
 * functions, events, retries and errors (resolved from external files when given as URIs).
 */
import type { Reporter } from '../report.js';
import { isObject } from '../walk.js';

type Obj = Record<string, unknown>;

/** A named section (`functions`, `events`, `retries`, `errors`) resolved to its items. */
export interface Section {
  /** name → the item; absent when the section could not be read (then references are not checked). */
  byName: Map<string, Obj> | undefined;
}

export interface CheckContext {
  doc: Obj;
  r: Reporter;
  functions: Section;
  events: Section;
  retries: Section;
  errors: Section;
  auth: Section;
  /** Workflow ids validated together (for subFlowRef / continueAs); undefined = do not check. */
  workflowIds: ReadonlySet<string> | undefined;
  /** Expression variables a profile adds to $CONST and $SECRETS (sonataflow: WORKFLOW). */
  globals?: ReadonlySet<string>;
}

/** Builds a section's name table from its items (inline array, or the array loaded from a file). */
export function sectionOf(items: unknown[] | undefined): Section {
  if (items === undefined) return { byName: undefined };
  const byName = new Map<string, Obj>();
  for (const item of items) {
    if (isObject(item) && typeof item.name === 'string' && !byName.has(item.name)) byName.set(item.name, item);
  }
  return { byName };
}
