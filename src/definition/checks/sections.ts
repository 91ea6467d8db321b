/**
 * @module definition/checks/sections
 * The named sections (`functions`, `events`, `retries`, `errors`, `auth`) as wholes: the schema's
 * `minItems: 1` (lost because schema.ts validates them item by item), and `null` (YAML's empty
 * `functions:`), which would otherwise hide every reference into the section.
 */
import { DiagnosticCode } from '../diagnostic.js';
import type { Reporter } from '../report.js';

/** The sections whose items are validated one by one, with the word for one item. */
export const SECTION_ITEMS = { functions: 'function', events: 'event', retries: 'retry', errors: 'error', auth: 'auth definition' } as const;

/** Reports an empty or null section at `pointer` (in the document, or '' for an external file). */
export function checkSectionShape(section: keyof typeof SECTION_ITEMS, value: unknown, pointer: string, r: Reporter): void {
  const item = SECTION_ITEMS[section];
  const anItem = `${/^[aeiou]/.test(item) ? 'an' : 'a'} ${item}`;
  if (value === null) {
    r.error(DiagnosticCode.WrongType, pointer, `workflow: '${section}' is empty (null); it must be a list of ${section === 'auth' ? 'auth definitions' : section} or the URI of a file that holds them`, {
      hint: `remove '${section}:' or list at least one ${item} under it`,
    });
  } else if (Array.isArray(value) && value.length === 0) {
    r.error(DiagnosticCode.SchemaViolation, pointer, `workflow: '${section}' is an empty list; it must have at least one ${item}`, {
      hint: `remove '${section}' or add ${anItem}`,
    });
  }
}
