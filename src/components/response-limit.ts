/**
 * @module components/response-limit
 * How large a response body an outbound HTTP call may read (components/bounded-http): the engine's
 * payload limit, 4 MiB by default. An engine created with a larger `maxPayloadBytes` raises it for
 * the process (engine.ts), so a result that engine could store is never refused here; it is only
 * ever raised, so one engine's smaller limit cannot cut another's calls short. Kept apart from
 * bounded-http so the engine can raise it without loading undici at start-up.
 */

/** The default: the engine's default payload limit (engine/options.ts `maxPayloadBytes`). */
export const DEFAULT_RESPONSE_LIMIT_BYTES = 4 * 1024 * 1024;

let limit = DEFAULT_RESPONSE_LIMIT_BYTES;

/** The response size limit now (bytes). */
export function responseLimitBytes(): number {
  return limit;
}

/** Raises the limit to `bytes` when that is larger (an engine's `maxPayloadBytes`). */
export function raiseResponseLimit(bytes: number): void {
  if (bytes > limit) limit = bytes;
}
