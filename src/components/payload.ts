/**
 * @module components/payload
 * Bytes on the wire ⇄ JSON values, the way Dapr's HTTP API treats binding data: strings travel as
 * they are, bytes as bytes, everything else as JSON text; on the way back JSON text is parsed and
 * anything else stays a string.
 */

/** A value to send → the bytes/text that go on the wire. `undefined`/`null` → empty. */
export function encodePayload(data: unknown): string | Buffer {
  if (data === undefined || data === null) return '';
  if (typeof data === 'string') return data;
  if (Buffer.isBuffer(data)) return data;
  if (data instanceof Uint8Array) return Buffer.from(data);
  return JSON.stringify(data);
}

/** Received bytes/text → a JSON value when it parses as JSON, the text otherwise, null when empty. */
export function decodePayload(raw: string | Buffer | null | undefined): unknown {
  if (raw === null || raw === undefined) return null;
  const text = typeof raw === 'string' ? raw : raw.toString('utf8');
  if (text === '') return null;
  const t = text.trimStart();
  // Only try JSON when it can be JSON: avoids a throw per plain-text payload.
  if (/^[[{"\-0-9tfn]/.test(t)) {
    try {
      return JSON.parse(text);
    } catch {
      // fall through: plain text that merely looks like JSON
    }
  }
  return text;
}
