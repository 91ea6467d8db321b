/**
 * @module expressions/json-text
 * `fromjson`: JSON text to a value, accepting jq's extras (`nan`, `NaN`) and rejecting what jq
 * rejects beyond JSON.parse (an escaped lone high surrogate). Messages end like jq's
 * "(while parsing '…')", but their first part is not jq's wording.
 */
import { fail } from './runtime.js';
import type { Value } from './values.js';

// jq rejects an escaped high surrogate without its low half, and turns a lone low one into U+FFFD.
const LONE_HIGH_ESCAPE = /\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})/;
const LONE_LOW_ESCAPE = /(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2}/g;

/** Parses JSON text like jq's `fromjson`. */
export function parseJsonText(text: string): Value {
  let t = text.trim();
  if (t === 'nan' || t === 'NaN') return NaN;
  const escapes = t.includes('\\u');
  if (escapes) t = t.replace(LONE_LOW_ESCAPE, '\\ufffd');
  let value: Value;
  try {
    value = JSON.parse(t);
  } catch (err) {
    return fail(`${(err as Error).message} (while parsing '${text}')`);
  }
  if (escapes && LONE_HIGH_ESCAPE.test(t)) {
    return fail(`Invalid \\uXXXX\\uXXXX surrogate pair escape (while parsing '${text}')`);
  }
  return value;
}
