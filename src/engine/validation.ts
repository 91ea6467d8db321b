/**
 * @module engine/validation
 * Bad input is refused at the door with a clear error, so nothing malformed reaches the store:
 * instance ids, event names, payload sizes.
 */

import { SwirlError } from '../errors.js';
import { EngineErrorCode } from './error-codes.js';

/**
 * Allowed instance ids: 1–200 characters of letters, digits, `_`, `-`, `.` and `:`. Dapr's
 * HTTP API allows `[A-Za-z0-9_-]` up to 64; we add `.` and `:` because durabletask's default
 * child ids are `<parent>:<hex>`, and a longer limit because nested children grow the id.
 */
export const INSTANCE_ID_PATTERN = /^[A-Za-z0-9_.:-]{1,200}$/;

/** Throws INVALID_INSTANCE_ID unless `id` matches {@link INSTANCE_ID_PATTERN}. */
export function checkInstanceId(id: unknown): asserts id is string {
  if (typeof id !== 'string' || !INSTANCE_ID_PATTERN.test(id)) {
    const shown = typeof id === 'string' ? `'${id.length > 60 ? `${id.slice(0, 60)}…` : id}' (${id.length} chars)` : String(id);
    throw new SwirlError(
      EngineErrorCode.INVALID_INSTANCE_ID,
      `invalid instance id ${shown}: use 1-200 characters from A-Z a-z 0-9 _ - . :`,
    );
  }
}

/** Throws INVALID_ARGUMENT unless `name` is a non-empty string of at most 256 characters. */
export function checkName(name: unknown, what: string): asserts name is string {
  if (typeof name !== 'string' || name.length === 0 || name.length > 256) {
    throw new SwirlError(EngineErrorCode.INVALID_ARGUMENT, `invalid ${what} ${JSON.stringify(name)}: expected a non-empty string of at most 256 characters`);
  }
}

/**
 * Serializes `value` to payload text and enforces the size limit.
 * @throws SwirlError PAYLOAD_TOO_LARGE / PAYLOAD_NOT_SERIALIZABLE naming `what`.
 */
export function serializePayload(value: unknown, what: string, maxBytes: number): string | undefined {
  if (value === undefined) return undefined;
  let text: string;
  try {
    text = JSON.stringify(value);
  } catch (e) {
    throw new SwirlError(EngineErrorCode.PAYLOAD_NOT_SERIALIZABLE, `${what} cannot be serialized as JSON: ${(e as Error).message}`, { cause: e });
  }
  if (text === undefined) return undefined; // functions and symbols serialize to nothing
  checkPayloadSize(text, what, maxBytes);
  return text;
}

/** Throws PAYLOAD_TOO_LARGE when `text` is longer than `maxBytes` in UTF-8. */
export function checkPayloadSize(text: string | undefined, what: string, maxBytes: number): void {
  if (text === undefined) return;
  // Cheap pre-check: UTF-8 needs at least one byte per UTF-16 unit and at most three.
  if (text.length * 3 <= maxBytes) return;
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > maxBytes) {
    throw new SwirlError(
      EngineErrorCode.PAYLOAD_TOO_LARGE,
      `${what} is ${bytes} bytes, over the limit of ${maxBytes} bytes (engine option maxPayloadBytes)`,
    );
  }
}
