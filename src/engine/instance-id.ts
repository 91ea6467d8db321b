/**
 * @module engine/instance-id
 * Default instance ids: UUIDv7 (RFC 9562) — a 48-bit Unix-millisecond timestamp followed by 74
 * random bits. Still a UUID, still unguessable, but ids created close in time sort next to each
 * other. That matters for the store: every table is keyed by instance id, and with random (v4)
 * ids each of the instances running at once dirties its own B-tree pages in every index, so each
 * group commit wrote hundreds of scattered pages to the WAL. Time-ordered ids keep the hot keys of
 * concurrently running instances on a few adjacent pages.
 */

import { randomUUID } from 'node:crypto';

/**
 * A new UUIDv7. The random part comes from `randomUUID` (Node's batched CSPRNG); its first 48
 * bits are replaced by the timestamp and its version nibble by 7, the variant bits stay RFC 4122.
 * `now` is the wall clock in ms (ids are not engine state: they are never replayed).
 */
export function newInstanceId(now: number = Date.now()): string {
  const random = randomUUID();
  const time = Math.max(0, Math.floor(now)).toString(16).padStart(12, '0').slice(-12);
  return `${time.slice(0, 8)}-${time.slice(8)}-7${random.slice(15)}`;
}
