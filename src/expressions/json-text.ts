/**
 * @module expressions/json-text
 * `fromjson`: JSON text to a value, accepting jq's extras (`nan`, `NaN`) and reporting failures
 * with jq's wording.
 */
import { fail } from './runtime.js';
import type { Value } from './values.js';

/** Parses JSON text like jq's `fromjson`. */
export function parseJsonText(text: string): Value {
  const t = text.trim();
  if (t === 'nan' || t === 'NaN') return NaN;
  try {
    return JSON.parse(t);
  } catch {
    return fail(`${text} (while parsing '${text}')`);
  }
}
