/**
 * @module engine/replay/guid
 * Deterministic UUIDs for orchestrations (RFC 4122 version 5, SHA-1 over a namespace and a name),
 * so `ctx.newGuid()` returns the same ids on every replay.
 */

import { createHash } from 'node:crypto';

/** Swirl's fixed namespace for orchestration GUIDs (any constant works; it must never change). */
const NAMESPACE = '9e952958-5e33-4daf-827f-2fa12937b875';

function uuidBytes(uuid: string): Buffer {
  return Buffer.from(uuid.replace(/-/g, ''), 'hex');
}

/** UUIDv5 of `name` in `namespace`. */
export function uuidV5(name: string, namespace: string = NAMESPACE): string {
  const hash = createHash('sha1').update(uuidBytes(namespace)).update(name, 'utf8').digest();
  const b = hash.subarray(0, 16);
  b[6] = (b[6]! & 0x0f) | 0x50;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const hex = b.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
