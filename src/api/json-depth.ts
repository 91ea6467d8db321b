/**
 * @module api/json-depth
 * The nesting limit of JSON request bodies (start input, raised events, CloudEvents, purge
 * filters). Checked on the text, before JSON.parse, in one linear pass: a body nested thousands
 * deep is the client's mistake (400 ERR_JSON_TOO_DEEP), not an instance that later fails when a
 * recursive step (serialization, jq, a data filter) runs out of stack (specs/limits.md).
 */
import { HttpError } from './http-error.js';

/** Deepest nesting of arrays and objects accepted in a JSON body. */
export const MAX_JSON_DEPTH = 512;

/** The offset where `text` first nests deeper than `max`, outside strings; undefined if it never does. */
export function jsonDepthOffset(text: string, max = MAX_JSON_DEPTH): number | undefined {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return i;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return undefined;
}

/** Throws 400 ERR_JSON_TOO_DEEP when `text` (the body named `what`) nests deeper than the limit. */
export function assertJsonDepth(text: string, what: string): void {
  const at = jsonDepthOffset(text);
  if (at !== undefined) throw new HttpError(400, 'ERR_JSON_TOO_DEEP', `${what} nests arrays/objects more than ${MAX_JSON_DEPTH} deep (at character ${at})`);
}
