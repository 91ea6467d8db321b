/**
 * @module api/body
 * Request bodies of the workflow routes. daprd passes start input and event data through as raw
 * bytes; Swirl's instances hold JSON values, so the body is decoded once here and a malformed
 * body is refused with 400 before anything is started or raised.
 */
import { HttpError } from './http-error.js';
import { assertJsonDepth } from './json-depth.js';

/**
 * The JSON value of a body: undefined when empty; `application/json` (or no content type) must
 * parse; `text/plain` is JSON when it parses (the Dapr SDK sends numbers and booleans as
 * text/plain) and the string itself otherwise. `application/x-www-form-urlencoded` is read as
 * text/plain: it is what `curl -d` sends when no content type is given, and daprd passes such a
 * body through as it is (its workflow API never reads the content type).
 */
export async function readJsonBody(req: Request): Promise<unknown> {
  return parseJsonBody(await req.text(), req.headers.get('content-type'));
}

/** {@link readJsonBody} of a body already read as text, with its `content-type` header (null: none). */
export function parseJsonBody(text: string, contentType: string | null): unknown {
  if (text.length === 0) return undefined;
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === 'text/plain' || type === 'application/x-www-form-urlencoded') {
    let value: unknown;
    try {
      value = JSON.parse(text) as unknown;
    } catch {
      return text;
    }
    assertJsonDepth(text, 'the request body');
    return value;
  }
  if (type !== '' && type !== 'application/json' && !type.endsWith('+json')) {
    throw new HttpError(400, 'ERR_MALFORMED_REQUEST', `unsupported content type '${type}': send application/json (or text/plain for a string)`);
  }
  assertJsonDepth(text, 'the request body');
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new HttpError(400, 'ERR_MALFORMED_REQUEST', `the request body is not valid JSON: ${(err as Error).message}`);
  }
}
